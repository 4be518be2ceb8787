"""A worker's slots fed by batches: one claim, one heartbeat, one completion for many jobs.

The claimer takes as many due jobs as there are free slots in one statement and queues them
for the slots; the heartbeat renews every held job's lease in one statement and stops the
work of a job that was lost or asked to cancel; a quick job's success (a no-op, which writes
nothing else) waits in a buffer and is written with the others in one statement, by the next
claim's transaction or, after a few milliseconds without one, by itself. A generation keeps
its own transactions (it writes assets), as in `run_once`.

The semantics are those of one job at a time: a job is RUNNING, leased to this worker, from
its claim until its end is committed; an end is written only while the job is still ours
(status RUNNING, `locked_by` this worker), so a job the reaper or a cancel took is left as
they left it.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from api.metrics import JOB_SECONDS
from domain.db import transaction
from domain.jobs import use_cases
from domain.jobs.rules import JobKind
from domain.records import JobRecord

if TYPE_CHECKING:
    from api.worker import Worker

log = logging.getLogger("assetgraph.worker")

COMPLETION_DELAY = 0.002
"""How long a quick job's success may wait for others to be written with it."""
COMPLETION_BATCH = 100
"""At most this many successes in one statement."""


@dataclass
class Held:
    """A job this worker holds the lease of: queued for a slot, running, or its success
    waiting to be written."""

    job: JobRecord
    work: "asyncio.Task[JobRecord | None] | None" = None
    stopped: str | None = None  # "cancel" or "lost", as the heartbeat found it

    def stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason
            if self.work is not None:
                self.work.cancel()


class Batches:
    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.held: dict[UUID, Held] = {}
        self.ready: asyncio.Queue[JobRecord] = asyncio.Queue()
        self.busy = 0
        self.room = asyncio.Event()
        self.done: list[tuple[JobRecord, float]] = []
        self.flush = asyncio.Event()
        self.completer: asyncio.Task[None] | None = None
        self.claiming: asyncio.Task[int] | None = None
        self.stopping = False

    @property
    def actor(self) -> str:
        return f"worker:{self.worker.name}"

    def tasks(self, stop: asyncio.Event) -> "list[asyncio.Task[None]]":
        """The slots, the claimer and the heartbeat, to cancel at the stop, then `wind_down`
        (the completer is not cancelled: it ends once it wrote every buffered success)."""
        slots = self.worker.settings.workers
        self.stopping = False
        made = [asyncio.create_task(self._slot()) for _ in range(slots)]
        if slots > 0:
            made += [asyncio.create_task(self._claimer(stop)),
                     asyncio.create_task(self._heartbeat())]
            self.completer = asyncio.create_task(self._completer())
        return made

    def free_slots(self) -> int:
        """Slots with nothing to run, as long as at most one batch of successes is still
        being written (the next batch runs while the last is written)."""
        slots = self.worker.settings.workers
        return min(slots - self.busy - self.ready.qsize(), 2 * slots - len(self.held))

    async def _claimer(self, stop: asyncio.Event) -> None:
        settings = self.worker.settings
        while not stop.is_set():
            free = self.free_slots()
            if free <= 0:
                self.room.clear()
                await self.room.wait()
                continue
            # Shielded: a stop never leaves a committed claim unknown (`wind_down` waits for
            # it and puts its jobs back).
            self.claiming = asyncio.create_task(self._claim(free))
            claimed = await asyncio.shield(self.claiming)
            if claimed < free:  # the queue has nothing more due: wait for a wake-up
                await self.worker._sleep(stop, settings.poll_seconds)

    async def _claim(self, limit: int) -> int:
        """Claim, and write the buffered successes in the same transaction (one commit for
        both: the next batch's claim carries the last one's ends)."""
        batch, self.done = self.done[:COMPLETION_BATCH], self.done[COMPLETION_BATCH:]
        try:
            async with transaction(self.worker.database, actor=self.actor) as tx:
                ended = await use_cases.succeed_batch(tx, [job for job, _ in batch],
                                                      worker=self.worker.name)
                jobs = await use_cases.claim_batch(tx, worker=self.worker.name, limit=limit,
                                                   lease_seconds=self.worker.settings.lease_seconds)
        except Exception:
            log.exception("job claim failed; retrying after a pause")
            if batch:
                await self._write(batch)
            return 0
        self._written(batch, ended)
        for job in jobs:
            self.held[job.id] = Held(job)
            self.ready.put_nowait(job)
        return len(jobs)

    async def _slot(self) -> None:
        while True:
            job = await self.ready.get()
            self.busy += 1
            try:
                await self._run(job)
            except Exception:
                log.exception("job %s: worker slot failed", job.id)
                self.held.pop(job.id, None)
            finally:
                self.busy -= 1
                self.room.set()
                self.flush.set()

    async def _run(self, job: JobRecord) -> None:
        held = self.held[job.id]
        started = time.perf_counter()
        if held.stopped is None and job.kind == JobKind.NOOP:
            self.done.append((job, started))
            self.flush.set()
            return
        ended: JobRecord | None = None
        try:
            if held.stopped is None:
                held.work = asyncio.create_task(self.worker._execute(job))
                try:
                    ended = await held.work
                except asyncio.CancelledError:
                    if held.stopped is None:  # the slot itself was cancelled: stopping
                        raise
            if held.stopped == "cancel":
                ended = await self.worker._finish_cancelled(job)
        finally:
            self.held.pop(job.id, None)
        if ended is not None:
            JOB_SECONDS.labels(ended.kind.value, ended.status.value).observe(
                time.perf_counter() - started)

    async def _completer(self) -> None:
        while True:
            self.flush.clear()
            if not self.done:
                if self.stopping:
                    return
                await self.flush.wait()
                continue
            # Wait a little for others, or for the claimer to take them with its next claim.
            deadline = time.perf_counter() + COMPLETION_DELAY
            while (self.done and len(self.done) < COMPLETION_BATCH and not self.stopping
                   and (left := deadline - time.perf_counter()) > 0):
                self.flush.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.flush.wait(), left)
            batch, self.done = self.done[:COMPLETION_BATCH], self.done[COMPLETION_BATCH:]
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[tuple[JobRecord, float]]) -> None:
        ended: list[JobRecord] = []
        try:
            async with transaction(self.worker.database, actor=self.actor) as tx:
                ended = await use_cases.succeed_batch(tx, [job for job, _ in batch],
                                                      worker=self.worker.name)
        except Exception:
            log.exception("writing %d job successes failed; writing them one by one",
                          len(batch))
            for job, _ in batch:  # each as `run_once` would: its own success, or failure
                await self.worker._execute(job)
        finally:
            self._written(batch, ended)

    def _written(self, batch: list[tuple[JobRecord, float]], ended: list[JobRecord]) -> None:
        now = time.perf_counter()
        starts = {job.id: started for job, started in batch}
        for job in ended:
            JOB_SECONDS.labels(job.kind.value, job.status.value).observe(now - starts[job.id])
        for job, _ in batch:
            self.held.pop(job.id, None)
        self.room.set()

    async def _heartbeat(self) -> None:
        settings = self.worker.settings
        while True:
            await asyncio.sleep(settings.lease_seconds / 3)
            held = [entry.job for entry in self.held.values()]
            if not held:
                continue
            try:
                async with transaction(self.worker.database, actor=self.actor) as tx:
                    renewed = await use_cases.heartbeat_batch(
                        tx, held, worker=self.worker.name, lease_seconds=settings.lease_seconds)
            except Exception:
                log.exception("job heartbeat failed; trying again")
                continue
            for job in held:
                entry = self.held.get(job.id)
                if entry is None:  # ended meanwhile
                    continue
                if job.id not in renewed:
                    entry.stop("lost")
                elif renewed[job.id]:
                    entry.stop("cancel")

    async def wind_down(self) -> None:
        """After the other tasks were cancelled: put the jobs claimed but not started back in
        the queue, and write the successes still buffered. A job whose work was stopped stays
        leased until the reaper re-queues it, as a job of a worker that died."""
        if self.claiming is not None:
            await asyncio.gather(self.claiming, return_exceptions=True)
        unstarted = []
        while not self.ready.empty():
            unstarted.append(self.ready.get_nowait())
        if unstarted:
            try:
                async with transaction(self.worker.database, actor=self.actor) as tx:
                    await use_cases.release_batch(tx, unstarted, worker=self.worker.name)
            except Exception:
                log.exception("could not put %d claimed jobs back in the queue; the reaper will",
                              len(unstarted))
        self.stopping = True
        self.flush.set()
        if self.completer is not None:
            await self.completer
        self.held.clear()
        self.busy = 0

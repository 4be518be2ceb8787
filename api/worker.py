"""The job worker: claims jobs, runs them with a heartbeat, and reaps expired leases.

It owns every transaction of a job's life: each step (claim, heartbeat, prepare, complete,
fail, reap) is one short transaction, and none is open while a provider runs.

Runs inside `assetgraph serve` (ASSETGRAPH_WORKERS concurrent jobs, 0 disables) and as
`assetgraph worker`; any number run against one database. A NOTIFY on the jobs channel wakes
idle slots; they poll as well, since a notification is only a hint.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg

from api.blobs import open_blob_store
from api.database import asyncpg_dsn
from api.job_batches import Batches
from api.metrics import JOB_SECONDS
from api.realtime import Broker
from api.settings import JobSettings, Settings
from domain.db import Database, transaction
from domain.errors import DomainError
from domain.jobs import use_cases
from domain.jobs.generate import NotOurs, complete, prepare, stage_image
from domain.jobs.providers import (
    HttpProvider,
    PermanentProviderError,
    PlaceholderProvider,
    Provider,
    ThumbnailProvider,
    TransientProviderError,
)
from domain.jobs.rules import JobKind, JobStatus
from domain.jobs.use_cases import JOBS_CHANNEL
from domain.records import EventRecord, JobRecord
from domain.storage import BlobStore

log = logging.getLogger("assetgraph.worker")


def build_providers(settings: JobSettings) -> dict[str, Provider]:
    providers: dict[str, Provider] = {
        "placeholder": PlaceholderProvider(settings.placeholder_cost),
        "thumbnail": ThumbnailProvider(),
    }
    if settings.http_url:
        providers["http"] = HttpProvider(settings.http_url, auth_header=settings.http_auth_header,
                                         timeout=settings.http_timeout)
    return providers


class Worker:
    def __init__(self, database: Database, *, listen_dsn: str | None, settings: JobSettings,
                 store: BlobStore, providers: dict[str, Provider] | None = None,
                 name: str | None = None, batched: bool = True) -> None:
        self.database = database
        self.batched = batched
        self.batches = Batches(self)
        self.listen_dsn = listen_dsn
        self.settings = settings
        self.store = store
        self.providers = providers if providers is not None else build_providers(settings)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.wake = asyncio.Event()

    def wake_on(self, event: EventRecord) -> None:
        if event.topic == "job.updated" and event.payload.get("status") == JobStatus.QUEUED:
            self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: `settings.workers` slots, a reaper and a listener.

        Batched (the default), the slots take jobs from batches one claimer takes, one task
        renews the leases of every held job, and quick jobs' completions are written in
        batches (`api.job_batches`); else (`batched=False`, the benchmark's baseline) each slot
        claims, renews and finishes its own job (`run_once`)."""
        if self.batched:
            tasks = self.batches.tasks(stop)
        else:
            tasks = [asyncio.create_task(self._slot(stop)) for _ in range(self.settings.workers)]
        tasks.append(asyncio.create_task(self._reaper(stop)))
        if self.listen_dsn:
            tasks.append(asyncio.create_task(self._listen(stop)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.batched:
                await self.batches.wind_down()

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait for a wake-up, the stop, or `seconds`, whichever comes first."""
        waits = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        self.wake.clear()

    async def _listen(self, stop: asyncio.Event) -> None:
        assert self.listen_dsn is not None
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(self.listen_dsn)
                try:
                    await connection.add_listener(JOBS_CHANNEL, lambda *_: self.wake.set())
                    self.wake.set()  # catch up on anything queued while not listening
                    while not stop.is_set() and not connection.is_closed():
                        # Not `_sleep`: clearing `wake` here could hide a wake-up from the
                        # claimer that was busy claiming when it came.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), 5.0)
                finally:
                    await connection.close()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("job listener lost its connection (%s); polling until it is back",
                            error)
                await self._sleep(stop, 1.0)

    async def _slot(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                job = await self.run_once()
            except Exception:
                log.exception("worker slot failed; retrying after a pause")
                job = None
            if job is None:
                await self._sleep(stop, self.settings.poll_seconds)

    async def _reaper(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.reap()
            except Exception:
                log.exception("job reaper failed; trying again later")
            await self._sleep(stop, max(1.0, self.settings.lease_seconds / 2))

    async def reap(self) -> int:
        count = 0
        while True:
            async with transaction(self.database, actor=f"reaper:{self.name}") as tx:
                if await use_cases.reap_one(tx) is None:
                    return count
            count += 1

    async def run_once(self) -> JobRecord | None:
        """Claim one due job and see it through; None when the queue had nothing due."""
        async with transaction(self.database, actor=f"worker:{self.name}") as tx:
            job = await use_cases.claim(tx, worker=self.name,
                                        lease_seconds=self.settings.lease_seconds)
        if job is None:
            return None
        started = time.perf_counter()
        work = asyncio.create_task(self._execute(job))
        beat = asyncio.create_task(self._heartbeat(job, work))
        try:
            ended = await work
        except asyncio.CancelledError:
            if not (beat.done() and beat.result() == "cancel"):
                raise
            ended = await self._finish_cancelled(job)
        finally:
            beat.cancel()
        if ended is not None:  # None: the job was no longer ours to end
            JOB_SECONDS.labels(ended.kind.value, ended.status.value).observe(
                time.perf_counter() - started)
        return ended

    async def _heartbeat(self, job: JobRecord, work: "asyncio.Task[JobRecord | None]"
                         ) -> str:
        """Renew the lease; stop the work when cancel was asked or the lease was lost."""
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            async with transaction(self.database, workspace_id=job.workspace_id) as tx:
                current = await use_cases.heartbeat(tx, job, worker=self.name,
                                                    lease_seconds=self.settings.lease_seconds)
            if current is None:
                work.cancel()
                return "lost"
            if current.cancel_requested:
                work.cancel()
                return "cancel"

    async def _finish_cancelled(self, job: JobRecord) -> JobRecord | None:
        async with transaction(self.database, workspace_id=job.workspace_id,
                               actor=f"worker:{self.name}") as tx:
            return await use_cases.mark_cancelled(tx, job, worker=self.name)

    async def _execute(self, job: JobRecord) -> JobRecord | None:
        try:
            if job.kind == JobKind.NOOP:
                async with transaction(self.database, workspace_id=job.workspace_id,
                                       actor=f"worker:{self.name}") as tx:
                    return await use_cases.succeed(tx, job, worker=self.name, cost=Decimal(0),
                                                   result_asset_id=None)
            return await self._generate(job)
        except NotOurs:
            return None
        except TransientProviderError as error:
            return await self._fail(job, error, transient=True)
        except PermanentProviderError as error:
            return await self._fail(job, error, transient=False)
        except DomainError as error:  # e.g. the target was locked meanwhile
            return await self._fail(job, error, transient=False,
                                    code=error.details[0].code.value)
        except Exception as error:  # a bug or an outage: retried, then failed, never stuck
            log.exception("job %s failed unexpectedly", job.id)
            return await self._fail(job, error, transient=True, code="INTERNAL")

    async def _generate(self, job: JobRecord) -> JobRecord:
        """Read the target, call the provider with no transaction open, store the result."""
        async with transaction(self.database, workspace_id=job.workspace_id,
                               readonly=True) as tx:
            generation = await prepare(tx, job, providers=self.providers,
                                       default_provider=self.settings.provider, store=self.store)
        image = await generation.provider.generate(generation.request)
        blob, facts = stage_image(self.store, image, max_pixels=self.settings.max_image_pixels)
        async with transaction(self.database, workspace_id=job.workspace_id,
                               actor=f"worker:{self.name}") as tx:
            return await complete(tx, job, generation, image, blob, facts, store=self.store,
                                  worker=self.name)

    async def _fail(self, job: JobRecord, error: Exception, *, transient: bool,
                    code: str | None = None) -> JobRecord | None:
        code = code or str(getattr(error, "code", "PROVIDER_ERROR"))
        async with transaction(self.database, workspace_id=job.workspace_id,
                               actor=f"worker:{self.name}") as tx:
            return await use_cases.fail(tx, job, worker=self.name, transient=transient,
                                        code=code, message=str(error),
                                        error_class="transient" if transient else "permanent",
                                        backoff_base=self.settings.backoff_base_seconds)


@asynccontextmanager
async def run_workers(settings: Settings, database: Database, url: str, *,
                      broker: Broker | None = None) -> AsyncIterator[None]:
    """Workers while the block runs (none with ASSETGRAPH_WORKERS=0).

    Beside a server they are woken through the server's event fan-out (a job queued, retried
    or re-queued writes a `job.updated` event), so the process keeps ONE listening
    connection; alone (`assetgraph worker`) they listen on the jobs channel themselves.
    """
    if settings.jobs.workers <= 0:
        yield
        return
    stop = asyncio.Event()
    worker = Worker(database, listen_dsn=None if broker else asyncpg_dsn(url),
                    settings=settings.jobs, store=open_blob_store(settings))
    if broker is not None:
        broker.observe(worker.wake_on, topics={"job.updated"})
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task

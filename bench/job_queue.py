"""Job queue: no-op throughput and pickup latency, batched worker against the baseline (issue 12).

Both modes in one run, on one embedded PostgreSQL: `baseline` is the previous design (each
slot claims, renews and finishes its own job, `Worker(batched=False)`), `batched` the current
one (`api.job_batches`). Throughput: JOBS no-op jobs queued beforehand, drained by one worker
(one process) with 1, 4 and 16 slots, timed from its start until the queue is empty. Pickup:
PICKUPS jobs enqueued one at a time to an idle worker woken by NOTIFY; latency from the
enqueue's transaction to the claim's (`started_at - created_at`).
"""

import asyncio
import statistics
import time
from uuid import UUID

from api.database import asyncpg_dsn
from api.settings import Settings
from api.worker import Worker
from bench.common import embedded_database
from domain.access import create_workspace
from domain.db import EngineDatabase, transaction
from domain.jobs.queries import get_jobs, queue_depth
from domain.jobs.use_cases import NewJob, enqueue_job, enqueue_jobs
from domain.storage import LocalBlobStore

JOBS = 3000
PICKUPS = 200
SLOTS = (1, 4, 16)
MODES = {"baseline": False, "batched": True}


async def drain(database: EngineDatabase, workspace: UUID, slots: int, store: LocalBlobStore,
                batched: bool) -> float:
    for _ in range(JOBS // 100):
        async with transaction(database, workspace_id=workspace) as tx:
            await enqueue_jobs(tx, [NewJob(kind="noop")] * 100)
    worker = Worker(database, listen_dsn=None, store=store, name=f"bench-{slots}",
                    settings=Settings(workers=slots, poll_seconds=0.05).jobs, batched=batched)
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run(stop))
    while True:
        await asyncio.sleep(0.02)
        async with transaction(database, readonly=True) as tx:
            if not any((await queue_depth(tx)).values()):
                break
    elapsed = time.perf_counter() - started
    stop.set()
    await running
    return JOBS / elapsed


async def pickup(database: EngineDatabase, workspace: UUID, dsn: str, store: LocalBlobStore,
                 batched: bool) -> list[float]:
    stop = asyncio.Event()
    worker = Worker(database, listen_dsn=dsn, store=store, name="pickup", batched=batched,
                    settings=Settings(workers=4, poll_seconds=1.0).jobs)
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.5)
    latencies = []
    for _ in range(PICKUPS):
        async with transaction(database, workspace_id=workspace) as tx:
            job = await enqueue_job(tx, NewJob(kind="noop"))
        while True:
            await asyncio.sleep(0.002)
            async with transaction(database, workspace_id=workspace, readonly=True) as tx:
                state = (await get_jobs(tx, [job.id]))[job.id]
            if state.started_at is not None:
                break
        latencies.append((state.started_at - state.created_at).total_seconds() * 1000)
    stop.set()
    await running
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def main() -> None:
    async with embedded_database(Settings(pool_size=24)) as bench:
        database = bench.database
        store = LocalBlobStore(bench.directory / "blobs")
        async with transaction(database) as tx:
            workspace = (await create_workspace(tx, "Bench")).id
        rates: dict[tuple[str, int], float] = {}
        pickups: dict[str, list[float]] = {}
        for slots in SLOTS:  # the modes alternate, so a slower moment hits both
            for mode, batched in MODES.items():
                rates[mode, slots] = await drain(database, workspace, slots, store, batched)
        for mode, batched in MODES.items():
            pickups[mode] = await pickup(database, workspace, asyncpg_dsn(bench.url), store,
                                         batched)
    print(f"no-op jobs/s, one worker process, {JOBS} jobs each:")
    print(f"{'slots':>6} {'baseline':>10} {'batched':>10} {'ratio':>7}")
    for slots in SLOTS:
        base, new = rates["baseline", slots], rates["batched", slots]
        print(f"{slots:>6} {base:>10.0f} {new:>10.0f} {new / base:>6.2f}x")
    print(f"pickup latency (enqueue to claim, idle worker woken by NOTIFY, n={PICKUPS}), ms:")
    print(f"{'':>6} {'baseline':>10} {'batched':>10} {'ratio':>7}")
    for label, p in (("p50", 0.5), ("p99", 0.99)):
        base, new = percentile(pickups["baseline"], p), percentile(pickups["batched"], p)
        print(f"{label:>6} {base:>10.2f} {new:>10.2f} {new / base:>6.2f}x")
    print(f"(mean {statistics.mean(pickups['baseline']):.2f} / "
          f"{statistics.mean(pickups['batched']):.2f} ms)")


if __name__ == "__main__":
    asyncio.run(main())

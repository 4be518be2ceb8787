"""Job queue: throughput with a no-op job and pickup latency (issue 4).

Throughput: 2,000 noop jobs drained by 1 slot, then by 4 slots (ratio against 1).
Pickup latency: 50 jobs enqueued one at a time to an idle worker, woken by NOTIFY, against
the same worker polling every second without a listener.
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
from domain.jobs.queries import get_jobs
from domain.jobs.use_cases import NewJob, enqueue_job, enqueue_jobs
from domain.storage import LocalBlobStore

JOBS = 2000


async def drain(database: EngineDatabase, workspace: UUID, slots: int, store: LocalBlobStore
                ) -> float:
    for _ in range(JOBS // 100):
        async with transaction(database, workspace_id=workspace) as tx:
            await enqueue_jobs(tx, [NewJob(kind="noop")] * 100)
    workers = [Worker(database, listen_dsn=None, settings=Settings().jobs, store=store,
                      name=f"bench-{i}") for i in range(slots)]

    async def run(worker: Worker) -> int:
        done = 0
        while await worker.run_once() is not None:
            done += 1
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(run(w) for w in workers))
    elapsed = time.perf_counter() - started
    assert sum(counts) == JOBS
    return JOBS / elapsed


async def pickup(database: EngineDatabase, workspace: UUID, dsn: str | None,
                 store: LocalBlobStore) -> list[float]:
    stop = asyncio.Event()
    worker = Worker(database, listen_dsn=dsn, store=store, name="pickup",
                    settings=Settings(workers=1, poll_seconds=1.0).jobs)
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.5)
    latencies = []
    for _ in range(50 if dsn else 10):
        async with transaction(database, workspace_id=workspace) as tx:
            job = await enqueue_job(tx, NewJob(kind="noop"))
        while True:
            async with transaction(database, workspace_id=workspace, readonly=True) as tx:
                state = (await get_jobs(tx, [job.id]))[job.id]
            if state.started_at is not None:
                break
            await asyncio.sleep(0.002)
        latencies.append((state.started_at - state.created_at).total_seconds() * 1000)
    stop.set()
    await running
    return latencies


async def main() -> None:
    async with embedded_database(Settings(pool_size=10)) as bench:
        database = bench.database
        store = LocalBlobStore(bench.directory / "blobs")
        async with transaction(database) as tx:
            workspace = (await create_workspace(tx, "Bench")).id
        one = await drain(database, workspace, 1, store)
        four = await drain(database, workspace, 4, store)
        print(f"throughput, noop jobs: 1 slot {one:.0f}/s, 4 slots {four:.0f}/s "
              f"({four / one:.2f}x)")
        notified = await pickup(database, workspace, asyncpg_dsn(bench.url), store)
        polled = await pickup(database, workspace, None, store)
        for label, values in (("NOTIFY wake", notified), ("poll only (1 s)", polled)):
            ordered = sorted(values)
            print(f"pickup latency, {label}: median {statistics.median(ordered):.1f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95) - 1]:.1f} ms, n={len(ordered)}")
        print(f"poll-only median / NOTIFY median: "
              f"{statistics.median(polled) / statistics.median(notified):.0f}x")


if __name__ == "__main__":
    asyncio.run(main())

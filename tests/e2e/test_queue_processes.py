"""The job queue across real processes (issue 12): two `serve` processes with their in-process
workers and two `assetgraph worker` processes on one database run every job exactly once."""

import asyncio
import re
import signal
import time
from pathlib import Path
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase, transaction
from domain.jobs.queries import QUEUE_STATUSES, JobFilter, count_jobs
from domain.jobs.use_cases import NewJob, enqueue_jobs
from domain.tables import events, jobs
from tests.conftest import make_workspace
from tests.e2e.processes import Process, environment, wait_ready
from tests.e2e.test_serve import child_pids, free_port

JOBS = 5000


def _wait_for_lines(process: Process, pattern: str, count: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while len(re.findall(pattern, process.output())) < count:
        assert process.popen.poll() is None, process.output()
        assert time.monotonic() < deadline, process.output()
        time.sleep(0.05)


async def _enqueue(database: EngineDatabase, workspace: UUID) -> None:
    for _ in range(JOBS // 100):
        async with transaction(database, workspace_id=workspace, actor="test") as tx:
            await enqueue_jobs(tx, [NewJob(kind="noop")] * 100)


async def test_two_servers_and_two_worker_processes_run_each_job_exactly_once(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    tokens = await make_workspace(committed_database, "Fleet")
    env = environment(ASSETGRAPH_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                      ASSETGRAPH_BLOB_DIR=str(tmp_path / "blobs"), ASSETGRAPH_WORKERS="4",
                      ASSETGRAPH_POLL_SECONDS="0.5")
    # given `serve` with two processes and `worker` with two, on one database
    port = free_port()
    server = Process(["serve", "--port", str(port)], {**env, "ASSETGRAPH_PROCESSES": "2"},
                     tmp_path / "serve.log")
    workers = Process(["worker", "--processes", "2"], env, tmp_path / "workers.log")
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        _wait_for_lines(workers, r"worker running 4 job slot", 2)
        # when 5,000 no-op jobs are enqueued while they all run
        started = time.monotonic()
        await _enqueue(committed_database, tokens.id)
        # then all of them end, within a minute
        deadline = time.monotonic() + 60
        while True:
            async with transaction(committed_database, workspace_id=tokens.id,
                                   readonly=True) as tx:
                left = await count_jobs(tx, JobFilter(statuses=QUEUE_STATUSES))
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} jobs still queued or running"
            await asyncio.sleep(0.2)
        print(f"\n{JOBS} jobs enqueued and run in {time.monotonic() - started:.1f} s")
        server_pids = set(child_pids(server.popen.pid))
        worker_pids = set(child_pids(workers.popen.pid))
    finally:
        stopped = workers.stop(signal.SIGTERM)
        server.stop()
    # (SIGTERM stopped the worker processes cleanly)
    assert stopped == 0, workers.output()
    assert "exited" not in workers.output()  # none died and was restarted
    # each succeeded at its first attempt, with exactly one SUCCEEDED event
    async with transaction(committed_database, workspace_id=tokens.id, readonly=True) as tx:
        outcomes = (await tx.execute(
            select(jobs.c.status, jobs.c.attempts, func.count())
            .where(jobs.c.workspace_id == tokens.id)
            .group_by(jobs.c.status, jobs.c.attempts))).all()
        succeeded = (await tx.execute(
            select(events.c.subject_id, func.count(), func.min(events.c.actor))
            .where(events.c.workspace_id == tokens.id, events.c.topic == "job.updated",
                   events.c.payload["status"].astext == "succeeded")
            .group_by(events.c.subject_id))).all()
    assert [tuple(row) for row in outcomes] == [("succeeded", 1, JOBS)]
    assert len(succeeded) == JOBS
    assert {count for _, count, _ in succeeded} == {1}
    # and both kinds of process took part
    actors = {int(actor.rsplit(":", 1)[1]) for _, _, actor in succeeded}
    assert actors <= server_pids | worker_pids, (actors, server_pids, worker_pids)
    assert actors & server_pids and actors & worker_pids, (actors, server_pids, worker_pids)

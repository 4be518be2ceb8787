"""Batched claims, heartbeats and completions (issue 12): the semantics of one job at a time."""

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select

from api.metrics import JOB_SECONDS
from api.worker import Worker
from domain.access import create_workspace
from domain.db import Database, EngineDatabase, transaction
from domain.events import parse_notice
from domain.jobs import use_cases
from domain.jobs.queries import get_jobs, update_job
from domain.jobs.use_cases import NewJob, enqueue_jobs
from domain.storage import LocalBlobStore
from domain.tables import events
from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
)
from tests.helpers import create_asset
from tests.jobs.test_worker_concurrency import SlowProvider
from tests.realtime.conftest import wait_until


async def _noops(database: Database, workspace: UUID, count: int) -> list[UUID]:
    ids = []
    for start in range(0, count, 100):
        async with transaction(database, workspace_id=workspace) as tx:
            ids += [job.id for job in await enqueue_jobs(
                tx, [NewJob(kind="noop", priority=0)] * min(100, count - start))]
    return ids


def _kinds(statements: list[str]) -> list[str]:
    """Each statement's verb and table ("UPDATE jobs"), or its verb alone; the transaction's
    settings aside."""
    kinds = []
    for statement in statements:
        if "set_config('app.workspace_id'" in statement:
            continue
        words = statement.replace("(", " ").split()
        verb = words[0].upper()
        if verb == "WITH":  # a data-modifying CTE: what it modifies
            verb, table = next((w.upper(), words[i + 2]) for i, w in enumerate(words)
                               if w.upper() in ("INSERT", "UPDATE") and i > 0)
            kinds.append(f"{verb} {'INTO ' + table if verb == 'INSERT' else table}")
        elif verb in ("UPDATE",):
            kinds.append(f"UPDATE {words[1]}")
        else:
            kinds.append(verb)
    return kinds


async def _statuses(database: Database, workspace: UUID) -> list[tuple[UUID, str]]:
    """`(job id, status)` of every `job.updated` event of the workspace, oldest first."""
    async with transaction(database, workspace_id=workspace, readonly=True) as tx:
        rows = await tx.execute(select(events.c.subject_id, events.c.payload["status"].astext)
                                .where(events.c.workspace_id == workspace,
                                       events.c.topic == "job.updated")
                                .order_by(events.c.id))
        return [(row[0], row[1]) for row in rows]


async def test_a_claim_takes_up_to_n_due_jobs_most_urgent_first_with_an_event_each(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
    statement_counter: StatementCounter,
) -> None:
    # given three jobs in one workspace, one of them urgent, and one in another workspace
    async with transaction(db, workspace_id=workspace.id) as tx:
        low, urgent, later = await enqueue_jobs(tx, [
            NewJob(kind="noop"), NewJob(kind="noop", priority=5), NewJob(kind="noop")])
    async with transaction(db, workspace_id=other_workspace.id) as tx:
        (elsewhere,) = await enqueue_jobs(tx, [NewJob(kind="noop")])
    # when a worker with three free slots claims
    with statement_counter.counting() as statements:
        async with transaction(db, actor="worker:w") as tx:
            claimed = await use_cases.claim_batch(tx, worker="w", lease_seconds=30, limit=3)
    # then the three most urgent, of both workspaces, in one statement, their events in one
    assert [job.id for job in claimed][:2] == [urgent.id, low.id]
    assert claimed[2].id in (later.id, elsewhere.id)
    assert _kinds(statements) == ["UPDATE jobs", "INSERT INTO events"]
    assert {(job.status, job.attempts, job.locked_by) for job in claimed} == {
        ("running", 1, "w")}
    # and the next claim takes the one left, then none
    async with transaction(db, actor="worker:w") as tx:
        rest = await use_cases.claim_batch(tx, worker="w", lease_seconds=30, limit=3)
        assert await use_cases.claim_batch(tx, worker="w", lease_seconds=30, limit=3) == []
    assert len(rest) == 1
    assert {job.id for job in claimed + rest} == {low.id, urgent.id, later.id, elsewhere.id}
    # and each job has its RUNNING event, in its own workspace
    assert await _statuses(db, workspace.id) == [
        *[(job.id, "queued") for job in (low, urgent, later)],
        *[(job.id, "running") for job in claimed + rest if job.workspace_id == workspace.id]]
    assert await _statuses(db, other_workspace.id) == [(elsewhere.id, "queued"),
                                                       (elsewhere.id, "running")]


async def test_one_heartbeat_renews_every_held_lease_and_reports_cancels_and_losses(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    # given three jobs held by one worker
    await _noops(db, workspace.id, 3)
    async with transaction(db, actor="worker:w") as tx:
        kept, cancelled, lost = await use_cases.claim_batch(tx, worker="w", lease_seconds=30,
                                                            limit=3)
    # when one is asked to cancel and another was reaped and taken by another worker
    async with transaction(db, workspace_id=workspace.id) as tx:
        await use_cases.cancel_job(tx, cancelled.id)
    async with transaction(db, workspace_id=workspace.id) as tx:
        await update_job(tx, lost.id, {"locked_by": "other"})
    async with transaction(db, actor="worker:w") as tx:
        renewed = await use_cases.heartbeat_batch(tx, [kept, cancelled, lost], worker="w",
                                                  lease_seconds=60)
    # then the heartbeat renews the two still ours and says which one to cancel
    assert renewed == {kept.id: False, cancelled.id: True}
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        states = await get_jobs(tx, [kept.id, lost.id])
    assert states[kept.id].lease_expires_at is not None
    assert kept.lease_expires_at is not None
    assert states[kept.id].lease_expires_at > kept.lease_expires_at


async def test_a_batch_of_successes_writes_only_the_jobs_still_ours(
    db: SavepointDatabase, workspace: WorkspaceTokens, statement_counter: StatementCounter
) -> None:
    await _noops(db, workspace.id, 3)
    async with transaction(db, actor="worker:w") as tx:
        held = await use_cases.claim_batch(tx, worker="w", lease_seconds=30, limit=3)
    # one of them was taken over (its lease expired and another worker claimed it)
    async with transaction(db, workspace_id=workspace.id) as tx:
        await update_job(tx, held[2].id, {"locked_by": "rescuer"})
    with statement_counter.counting() as statements:
        async with transaction(db, actor="worker:w") as tx:
            done = await use_cases.succeed_batch(tx, held, worker="w")
    assert _kinds(statements) == ["UPDATE jobs", "INSERT INTO events"]
    assert sorted(job.id for job in done) == sorted(job.id for job in held[:2])
    assert {(job.status, job.progress, job.cost, job.locked_by, job.lease_expires_at,
             job.attempts) for job in done} == {("succeeded", 1, 0, None, None, 1)}
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        assert (await get_jobs(tx, [held[2].id]))[held[2].id].status == "running"
    succeeded = [job for job, status in await _statuses(db, workspace.id)
                 if status == "succeeded"]
    assert sorted(succeeded) == sorted(job.id for job in held[:2])


def test_a_notice_names_one_event_or_a_batch() -> None:
    workspace = "0190d6a4-0000-7000-8000-000000000000"
    assert parse_notice(f"{workspace}:17:job.updated") == (workspace, [17], "job.updated")
    assert parse_notice(f"{workspace}:17,18,21:job.updated") == (
        workspace, [17, 18, 21], "job.updated")
    assert parse_notice(f"{workspace}:17,x:job.updated") is None


async def _run_until(worker: Worker, database: Database, workspace: UUID, ids: list[UUID],
                     terminal: set[str], within: float = 30) -> dict[UUID, str]:
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(within):
            while True:
                async with transaction(database, workspace_id=workspace, readonly=True) as tx:
                    states = {i: j.status for i, j in (await get_jobs(tx, ids)).items()}
                if all(status in terminal for status in states.values()):
                    return states
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running


async def test_a_batched_worker_runs_every_job_once(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # given 250 no-op jobs
    async with transaction(committed_database) as tx:
        workspace = (await create_workspace(tx, "Batches")).id
    ids = await _noops(committed_database, workspace, 250)
    # when a worker with 16 slots runs until they are done
    worker = Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                    settings=dev_settings(workers=16, poll_seconds=0.05).jobs, name="batched")
    states = await _run_until(worker, committed_database, workspace, ids, {"succeeded"})
    # then each succeeded after one attempt, with one RUNNING and one SUCCEEDED event
    assert set(states.values()) == {"succeeded"}
    async with transaction(committed_database, workspace_id=workspace, readonly=True) as tx:
        jobs = await get_jobs(tx, ids)
    assert {(job.attempts, job.locked_by, job.progress) for job in jobs.values()} == {
        (1, None, 1)}
    statuses = await _statuses(committed_database, workspace)
    for status in ("queued", "running", "succeeded"):
        assert sorted(i for i, s in statuses if s == status) == sorted(ids)
    assert worker.batches.held == {}


async def test_a_batched_worker_cancels_a_running_generation(
    racer: GraphQLClient, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # given a worker whose provider never finishes by itself, and a generation and no-ops
    slow = SlowProvider()
    worker = Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                    settings=dev_settings(lease_seconds=0.3, workers=4, poll_seconds=0.05).jobs,
                    providers={"placeholder": slow}, name="slow-batched")
    lamp = await create_asset(racer, "Lamp", "prop")
    job = (await racer("mutation ($a: ID!) { enqueueJob(input: {kind: \"generate_image\", "
                       "assetId: $a}) { job { id } } }", {"a": lamp}))["data"]["enqueueJob"]["job"]
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(slow.started.wait(), 5)
        # when it is cancelled while the provider runs (and outlives several leases)
        await asyncio.sleep(1)
        asked = await racer("mutation ($id: ID!) { cancelJob(id: $id) { job { status } } }",
                            {"id": job["id"]})
        assert asked["data"]["cancelJob"] == {"job": {"status": "RUNNING"}}
        # then the heartbeat stops it and it ends cancelled, after its one attempt
        async with asyncio.timeout(5):
            while True:
                state = await racer("query ($id: ID!) { job(id: $id) { status attempts "
                                    "error { code } } }", {"id": job["id"]})
                if state["data"]["job"]["status"] != "RUNNING":
                    break
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    assert state["data"]["job"] == {"status": "CANCELLED", "attempts": 1,
                                    "error": {"code": "CANCELLED"}}


async def test_a_stopping_worker_puts_the_jobs_it_never_started_back(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    # given three jobs claimed by a worker, one since taken over by another, one asked to
    # cancel
    await _noops(db, workspace.id, 3)
    async with transaction(db, actor="worker:w") as tx:
        unstarted, taken, cancelled = await use_cases.claim_batch(tx, worker="w",
                                                                  lease_seconds=30, limit=3)
    async with transaction(db, workspace_id=workspace.id) as tx:
        await update_job(tx, taken.id, {"locked_by": "rescuer"})
        await use_cases.cancel_job(tx, cancelled.id)
    # when the stopping worker releases them
    async with transaction(db, actor="worker:w") as tx:
        released = await use_cases.release_batch(tx, [unstarted, taken, cancelled],
                                                 worker="w")
    # then the one still its own is queued as before the claim, the cancelled one cancelled,
    # each with an event saying so
    assert sorted((job.id, job.status, job.attempts, job.started_at, job.locked_by,
                   job.lease_expires_at, job.error_code) for job in released) == [
        (unstarted.id, "queued", 0, None, None, None, None),
        (cancelled.id, "cancelled", 0, None, None, None, "CANCELLED")]
    assert sorted((await _statuses(db, workspace.id))[-2:]) == [
        (unstarted.id, "queued"), (cancelled.id, "cancelled")]
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        assert (await get_jobs(tx, [taken.id]))[taken.id].locked_by == "rescuer"


async def test_a_worker_stopped_under_load_leaves_no_job_running(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # given a batched worker draining 1,000 no-op jobs
    async with transaction(committed_database) as tx:
        workspace = (await create_workspace(tx, "Stopped")).id
    ids = await _noops(committed_database, workspace, 1000)
    worker = Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                    settings=dev_settings(workers=16, poll_seconds=0.05).jobs, name="stopped")
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    # when it is stopped midway
    async with asyncio.timeout(30):
        while True:
            await asyncio.sleep(0.01)
            async with transaction(committed_database, workspace_id=workspace,
                                   readonly=True) as tx:
                states = await get_jobs(tx, ids)
            if sum(job.status == "succeeded" for job in states.values()) >= 100:
                break
    stop.set()
    await running
    # then every job either succeeded at its first attempt or waits in the queue untouched
    async with transaction(committed_database, workspace_id=workspace, readonly=True) as tx:
        states = await get_jobs(tx, ids)
    outcomes = {(job.status, job.attempts, job.locked_by) for job in states.values()}
    assert outcomes <= {("succeeded", 1, None), ("queued", 0, None)}, outcomes
    assert ("queued", 0, None) in outcomes


def _count(histogram: Any) -> float:
    return float(next(sample.value for metric in histogram.collect() for sample in metric.samples
                      if sample.name.endswith("_count")))


async def test_a_batched_worker_stops_a_job_whose_lease_it_lost_and_carries_on(
    racer: GraphQLClient, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # given a generation running on a one-slot worker whose provider never finishes
    slow = SlowProvider()
    worker = Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                    settings=dev_settings(lease_seconds=0.3, workers=1, poll_seconds=0.05).jobs,
                    providers={"placeholder": slow}, name="losing")
    lamp = await create_asset(racer, "Lamp", "prop")
    await racer("mutation ($a: ID!) { enqueueJob(input: {kind: \"generate_image\", "
                "assetId: $a}) { job { id } } }", {"a": lamp})
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(slow.started.wait(), 5)
        [(job_id, held)] = worker.batches.held.items()
        workspace = held.job.workspace_id
        # when another worker takes the job over (as after a reap)
        async with transaction(committed_database, workspace_id=workspace) as tx:
            await update_job(tx, job_id, {"locked_by": "rescuer"})
        # then the heartbeat stops the work and leaves the job as the other left it
        await wait_until(lambda: not worker.batches.held, within=5)
        # and the slot runs the next job
        await racer('mutation { enqueueJob(input: {kind: "noop"}) { job { id } } }')
        ended = JOB_SECONDS.labels("noop", "succeeded")
        before = _count(ended)
        await wait_until(lambda: _count(ended) > before, within=5)
    finally:
        stop.set()
        await running
    async with transaction(committed_database, workspace_id=workspace, readonly=True) as tx:
        state = (await get_jobs(tx, [job_id]))[job_id]
    assert (state.status, state.locked_by, state.result_asset_id) == ("running", "rescuer", None)

"""SQL over `jobs`. Tenant queries filter `workspace_id`; the claim and the reaper are the
queue's own and run across workspaces (a worker serves them all)."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert

from domain.db import Transaction
from domain.events import jsonable
from domain.jobs.rules import JobStatus
from domain.pages import pages_by_owner
from domain.records import JobRecord, Key, KeyShape, Page
from domain.tables import asset_collection_members as members
from domain.tables import jobs

_UUIDS = ("workspace_id", "id", "asset_id", "result_asset_id")
_TIMES = ("run_after", "lease_expires_at", "created_at", "started_at", "finished_at",
          "updated_at")


_JOB_FIELDS = tuple(f.name for f in fields(JobRecord))


def job_snapshot(job: JobRecord) -> dict[str, Any]:
    """The whole job, JSON-ready: what a `job.updated` event carries. (`jsonable` copies
    what it converts, so no `asdict`, whose deep copy cost more than the rest together.)"""
    return jsonable({name: getattr(job, name) for name in _JOB_FIELDS})  # type: ignore[no-any-return]


def job_from_snapshot(payload: dict[str, Any]) -> JobRecord:
    values: dict[str, Any] = {f.name: payload.get(f.name) for f in fields(JobRecord)}
    for name in _UUIDS:
        values[name] = UUID(values[name]) if values[name] else None
    for name in _TIMES:
        values[name] = datetime.fromisoformat(values[name]) if values[name] else None
    values["progress"] = Decimal(str(values["progress"] or 0))
    values["cost"] = Decimal(str(values["cost"] or 0))
    values["reserved_cost"] = Decimal(str(values["reserved_cost"] or 0))
    return JobRecord.from_mapping(values)


async def insert_job(tx: Transaction, values: dict[str, Any]) -> tuple[JobRecord, bool]:
    """The new job, or the existing one with the same idempotency key (and False)."""
    row = (
        await tx.execute(
            insert(jobs).values(workspace_id=tx.ws, **values)
            .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
            .returning(*jobs.c)
        )
    ).one_or_none()
    if row is not None:
        return JobRecord.from_row(row), True
    existing = (
        await tx.execute(select(jobs).where(
            jobs.c.workspace_id == tx.ws, jobs.c.idempotency_key == values["idempotency_key"]))
    ).one()
    return JobRecord.from_row(existing), False


async def get_job_by_key(tx: Transaction, idempotency_key: str) -> JobRecord | None:
    row = (await tx.execute(select(jobs).where(
        jobs.c.workspace_id == tx.ws, jobs.c.idempotency_key == idempotency_key))).one_or_none()
    return JobRecord.from_row(row) if row else None


async def get_jobs(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, JobRecord]:
    rows = await tx.execute(select(jobs).where(jobs.c.workspace_id == tx.ws, jobs.c.id.in_(ids)))
    return {row.id: JobRecord.from_row(row) for row in rows}


async def get_job_for_update(tx: Transaction, job_id: UUID) -> JobRecord | None:
    row = (
        await tx.execute(select(jobs).where(jobs.c.workspace_id == tx.ws, jobs.c.id == job_id)
                         .with_for_update())
    ).one_or_none()
    return JobRecord.from_row(row) if row else None


async def update_job(tx: Transaction, job_id: UUID, values: dict[str, Any]) -> JobRecord:
    row = (
        await tx.execute(
            jobs.update().where(jobs.c.workspace_id == tx.ws, jobs.c.id == job_id)
            .values(**values, updated_at=func.now()).returning(*jobs.c)
        )
    ).one()
    return JobRecord.from_row(row)


@dataclass(frozen=True)
class JobFilter:
    statuses: Sequence[JobStatus] | None = None
    kinds: Sequence[str] | None = None
    asset_id: UUID | None = None
    collection_id: UUID | None = None


def _where(ws: UUID, f: JobFilter) -> list[Any]:
    clauses: list[Any] = [jobs.c.workspace_id == ws]
    if f.statuses is not None:
        clauses.append(jobs.c.status.in_(f.statuses))
    if f.kinds is not None:
        clauses.append(jobs.c.kind.in_(f.kinds))
    if f.asset_id is not None:
        clauses.append(jobs.c.asset_id == f.asset_id)
    if f.collection_id is not None:
        clauses.append(jobs.c.asset_id.in_(
            select(members.c.asset_id).where(members.c.workspace_id == ws,
                                             members.c.collection_id == f.collection_id)))
    return clauses


JOB_KEY: KeyShape = (datetime, UUID)


async def list_jobs(tx: Transaction, f: JobFilter, *, first: int,
                    after: Key | None) -> Page[JobRecord]:
    """Newest first."""
    query = select(jobs).where(*_where(tx.ws, f))
    if after is not None:
        query = query.where(tuple_(jobs.c.created_at, jobs.c.id) < tuple_(*after))
    rows = (await tx.execute(
        query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(first + 1))).all()
    return Page.cut([JobRecord.from_row(r) for r in rows], first, lambda j: (j.created_at, j.id))


async def count_jobs(tx: Transaction, f: JobFilter) -> int:
    result = await tx.execute(select(func.count()).select_from(jobs).where(*_where(tx.ws, f)))
    return int(result.scalar_one())


async def job_pages(
    tx: Transaction, asset_ids: Sequence[UUID], *, statuses: Sequence[JobStatus] | None,
    first: int, after: Key | None,
) -> dict[UUID, Page[JobRecord]]:
    """The jobs about each of many assets, newest first (`JOB_KEY` descending), a page of each
    from the keyset `after`, with totals, in one statement."""
    about = select(jobs).where(jobs.c.workspace_id == tx.ws, jobs.c.asset_id.in_(asset_ids))
    if statuses is not None:
        about = about.where(jobs.c.status.in_(statuses))
    about_cte = about.cte("about")
    return await pages_by_owner(
        tx, about_cte, owner="asset_id", key=(about_cte.c.created_at, about_cte.c.id),
        owners=asset_ids, first=first, after=after, record=JobRecord.from_row,
        record_key=lambda job: (job.created_at, job.id), descending=True)


async def claim_next(tx: Transaction, *, worker: str, lease_seconds: float) -> JobRecord | None:
    """Take the most urgent due job of any workspace; others' claims are skipped, not waited on."""
    row = (
        await tx.execute(
            text(
                """
                -- MATERIALIZED: the pick runs once. As a subquery of the UPDATE's join the
                -- planner may run it again (a nested loop's inner side), each time skipping
                -- the row it locked before, and claim several jobs (MultipleResultsFound).
                WITH next AS MATERIALIZED (
                    SELECT workspace_id, id FROM jobs
                    WHERE status = 'queued' AND run_after <= now()
                    ORDER BY priority DESC, run_after, id
                    FOR UPDATE SKIP LOCKED
                    LIMIT 1
                )
                UPDATE jobs j SET status = 'running', attempts = j.attempts + 1,
                    locked_by = :worker, cancel_requested = false,
                    lease_expires_at = now() + make_interval(secs => :lease),
                    started_at = coalesce(j.started_at, now()), updated_at = now()
                FROM next
                WHERE j.workspace_id = next.workspace_id AND j.id = next.id
                RETURNING j.*
                """
            ),
            {"worker": worker, "lease": lease_seconds},
        )
    ).one_or_none()
    return JobRecord.from_row(row) if row else None


async def renew_lease(tx: Transaction, job_id: UUID, *, worker: str, lease_seconds: float
                      ) -> JobRecord | None:
    """Extend the lease while the job is still ours; None once it is not."""
    row = (
        await tx.execute(
            jobs.update()
            .where(jobs.c.workspace_id == tx.ws, jobs.c.id == job_id,
                   jobs.c.status == JobStatus.RUNNING, jobs.c.locked_by == worker)
            .values(lease_expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0,
                                                                     lease_seconds),
                    updated_at=func.now())
            .returning(*jobs.c)
        )
    ).one_or_none()
    return JobRecord.from_row(row) if row else None


async def claim_due(tx: Transaction, *, worker: str, lease_seconds: float, limit: int
                    ) -> list[JobRecord]:
    """Take up to `limit` due jobs of any workspace in one statement, most urgent first (the
    order `claim_next` takes them in); others' claims are skipped, not waited on."""
    rows = await tx.execute(_CLAIM_DUE, {"worker": worker, "lease": lease_seconds,
                                         "limit": limit})
    claimed = [JobRecord.from_row(row) for row in rows]
    return sorted(claimed, key=lambda job: (-job.priority, job.run_after, job.id))


_CLAIM_DUE = text(
    """
    UPDATE jobs j SET status = 'running', attempts = j.attempts + 1,
        locked_by = :worker, cancel_requested = false,
        lease_expires_at = now() + make_interval(secs => :lease),
        started_at = coalesce(j.started_at, now()), updated_at = now()
    FROM (
        SELECT workspace_id, id FROM jobs
        WHERE status = 'queued' AND run_after <= now()
        ORDER BY priority DESC, run_after, id
        FOR UPDATE SKIP LOCKED
        LIMIT :limit
    ) next
    WHERE j.workspace_id = next.workspace_id AND j.id = next.id
    RETURNING j.*
    """
)


def _held(held: Sequence[JobRecord]) -> dict[str, Any]:
    return {"workspaces": [job.workspace_id for job in held], "ids": [job.id for job in held]}


_RENEW_LEASES = text(
    """
    UPDATE jobs j SET lease_expires_at = now() + make_interval(secs => :lease),
        updated_at = now()
    FROM unnest(CAST(:workspaces AS uuid[]), CAST(:ids AS uuid[])) AS held(workspace_id, id)
    WHERE j.workspace_id = held.workspace_id AND j.id = held.id
      AND j.status = 'running' AND j.locked_by = :worker
    RETURNING j.id, j.cancel_requested
    """
)


async def renew_leases(tx: Transaction, held: Sequence[JobRecord], *, worker: str,
                       lease_seconds: float) -> dict[UUID, bool]:
    """Extend the leases of the jobs still ours, in one statement: `{job id: cancel
    requested}`; a held job missing from it is no longer ours."""
    rows = await tx.execute(_RENEW_LEASES, {**_held(held), "worker": worker,
                                            "lease": lease_seconds})
    return {row.id: row.cancel_requested for row in rows}


_SUCCEED_HELD = text(
    """
    UPDATE jobs j SET status = 'succeeded', finished_at = now(), progress = 1, cost = 0,
        result_asset_id = NULL, prompt = NULL, locked_by = NULL, lease_expires_at = NULL,
        error_code = NULL, error_message = NULL, error_class = NULL, updated_at = now()
    FROM unnest(CAST(:workspaces AS uuid[]), CAST(:ids AS uuid[])) AS held(workspace_id, id)
    WHERE j.workspace_id = held.workspace_id AND j.id = held.id
      AND j.status = 'running' AND j.locked_by = :worker
    RETURNING j.*
    """
)


async def succeed_held(tx: Transaction, held: Sequence[JobRecord], *, worker: str
                       ) -> list[JobRecord]:
    """Mark the jobs still ours succeeded with no cost and no result (jobs that produce
    nothing), in one statement; those no longer ours are left as they are."""
    rows = await tx.execute(_SUCCEED_HELD, {**_held(held), "worker": worker})
    return [JobRecord.from_row(row) for row in rows]


_RELEASE_HELD = text(
    """
    UPDATE jobs j SET attempts = j.attempts - 1, locked_by = NULL, lease_expires_at = NULL,
        started_at = CASE WHEN j.attempts = 1 THEN NULL ELSE j.started_at END,
        status = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'queued' END,
        finished_at = CASE WHEN j.cancel_requested THEN now() END,
        error_code = CASE WHEN j.cancel_requested THEN 'CANCELLED' ELSE j.error_code END,
        error_message = CASE WHEN j.cancel_requested THEN 'cancelled before it ran'
                             ELSE j.error_message END,
        error_class = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE j.error_class END,
        updated_at = now()
    FROM unnest(CAST(:workspaces AS uuid[]), CAST(:ids AS uuid[])) AS held(workspace_id, id)
    WHERE j.workspace_id = held.workspace_id AND j.id = held.id
      AND j.status = 'running' AND j.locked_by = :worker
    RETURNING j.*
    """
)


async def release_held(tx: Transaction, held: Sequence[JobRecord], *, worker: str
                       ) -> list[JobRecord]:
    """Put back in the queue jobs still ours that never started running here, as they were
    before the claim (its attempt undone), in one statement; one asked to cancel meanwhile
    is cancelled instead, as a queued job would be (a later claim would clear the request)."""
    rows = await tx.execute(_RELEASE_HELD, {**_held(held), "worker": worker})
    return [JobRecord.from_row(row) for row in rows]


async def expired_leases(tx: Transaction, *, limit: int = 100) -> list[JobRecord]:
    """Running jobs whose worker stopped renewing, locked for the reaper."""
    rows = await tx.execute(
        select(jobs)
        .where(jobs.c.status == JobStatus.RUNNING, jobs.c.lease_expires_at < func.now())
        .order_by(jobs.c.lease_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [JobRecord.from_row(row) for row in rows]


QUEUE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


async def queue_depth(tx: Transaction) -> dict[JobStatus, int]:
    """Jobs of every workspace waiting and running (for the operator's metrics). Finished jobs
    are history that only grows: counting them would get slower with every job, while these
    two statuses are read from their partial indexes."""
    rows = await tx.execute(select(jobs.c.status, func.count().label("jobs"))
                            .where(jobs.c.status.in_(QUEUE_STATUSES)).group_by(jobs.c.status))
    counts = dict.fromkeys(QUEUE_STATUSES, 0)
    for row in rows:
        counts[JobStatus(row.status)] = int(row.jobs)
    return counts


async def queued_depth(tx: Transaction, *, at_most: int) -> int:
    """How many of the workspace's jobs are queued, counted up to `at_most` (an index walk of
    at most that many entries, not a count of a long queue)."""
    queued = (select(jobs.c.id).where(jobs.c.workspace_id == tx.ws,
                                      jobs.c.status == JobStatus.QUEUED)
              .limit(at_most).subquery())
    return int((await tx.execute(select(func.count()).select_from(queued))).scalar_one())


@dataclass(frozen=True)
class QueueSummary:
    queued: int
    running: int
    by_kind: list[tuple[str, int, int]]
    """(kind, queued, running), by kind."""
    oldest_queued_at: datetime | None


async def queue_summary(tx: Transaction) -> QueueSummary:
    """The workspace's queue: queued and running jobs per kind, and the oldest queued one's
    enqueue time, in one statement."""
    active = jobs.c.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
    is_queued = jobs.c.status == JobStatus.QUEUED
    rows = (await tx.execute(
        select(jobs.c.kind,
               func.count().filter(is_queued).label("queued"),
               func.count().filter(jobs.c.status == JobStatus.RUNNING).label("running"),
               func.min(jobs.c.created_at).filter(is_queued).label("oldest"))
        .where(jobs.c.workspace_id == tx.ws, active)
        .group_by(jobs.c.kind).order_by(jobs.c.kind))).all()
    oldest = [row.oldest for row in rows if row.oldest is not None]
    return QueueSummary(queued=sum(row.queued for row in rows),
                        running=sum(row.running for row in rows),
                        by_kind=[(row.kind, row.queued, row.running) for row in rows],
                        oldest_queued_at=min(oldest) if oldest else None)

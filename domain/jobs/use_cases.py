"""Job use cases: enqueue, cancel, retry (clients) and claim, heartbeat, finish, reap (workers).

Every state change writes a `job.updated` event in its transaction; enqueue and retry also
NOTIFY the workers' channel, a wake-up hint only (workers poll as well).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, text

from domain.assets.queries import get_assets
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import jsonable, record_event, record_events
from domain.ids import uuid7
from domain.jobs import queries
from domain.jobs.budgets import reservation_errors
from domain.jobs.rules import (
    BATCH_MAX,
    TERMINAL,
    JobKind,
    JobStatus,
    backoff_seconds,
    enqueue_errors,
)
from domain.records import JobRecord
from domain.rules import raise_if
from domain.scenes.styles import style_required_errors

JOBS_CHANNEL = "assetgraph_jobs"


@dataclass(frozen=True)
class NewJob:
    kind: str
    asset_id: UUID | None = None
    params: dict[str, Any] | None = None
    idempotency_key: str | None = None
    priority: int = 0
    max_attempts: int = 3
    # What a costed job is expected to cost: reserved against budgets until it finishes.
    estimated_cost: Decimal = Decimal(0)


async def job_event(tx: Transaction, job: JobRecord) -> None:
    """The job as it now is: subscribers get every state, not just the latest."""
    await record_event(tx, "job.updated", job.id, queries.job_snapshot(job))


async def _wake_workers(tx: Transaction) -> None:
    await tx.execute(text("SELECT pg_notify(:channel, '')"), {"channel": JOBS_CHANNEL})


async def _enqueue_one(tx: Transaction, new: NewJob, prefix: str = "", *,
                       max_queued: int | None = None) -> tuple[JobRecord, bool]:
    params = new.params if new.params is not None else {}
    errors = enqueue_errors(kind=new.kind, params=params, priority=new.priority,
                            max_attempts=new.max_attempts, idempotency_key=new.idempotency_key,
                            prefix=prefix)
    if new.kind == JobKind.GENERATE_IMAGE and new.asset_id is None:
        errors.append(ErrorDetail(ErrorCode.INVALID, "generate_image needs an assetId",
                                  f"{prefix}assetId"))
    if new.asset_id is not None:
        asset = (await get_assets(tx, [new.asset_id])).get(new.asset_id)
        if asset is None or asset.deleted_at is not None:
            errors.append(ErrorDetail(ErrorCode.NOT_FOUND, "asset not found", f"{prefix}assetId"))
        elif asset.locked and new.kind == JobKind.GENERATE_IMAGE:
            errors.append(ErrorDetail(ErrorCode.LOCKED,
                                      f"asset {asset.name!r} is locked; unlock it first",
                                      f"{prefix}assetId"))
        elif new.kind == JobKind.GENERATE_IMAGE and not params.get("style_id"):
            errors += await style_required_errors(tx, asset.id, f"{prefix}assetId")
    raise_if(errors)
    if new.idempotency_key is not None:
        existing = await queries.get_job_by_key(tx, new.idempotency_key)
        if existing is not None:
            return existing, False
    if max_queued is not None and await queries.queued_depth(tx, at_most=max_queued) >= max_queued:
        raise DomainError.of(ErrorCode.QUEUE_FULL, f"the workspace already has {max_queued} "
                             "queued jobs: wait for some to run", f"{prefix}kind")
    raise_if(await reservation_errors(tx, new.asset_id, new.estimated_cost, f"{prefix}assetId"))
    job, created = await queries.insert_job(tx, {
        "id": uuid7(), "kind": new.kind, "asset_id": new.asset_id, "params": jsonable(params),
        "idempotency_key": new.idempotency_key, "priority": new.priority,
        "max_attempts": new.max_attempts, "reserved_cost": new.estimated_cost,
    })
    if created:
        await job_event(tx, job)
    return job, created


async def enqueue_job(tx: Transaction, new: NewJob, *, max_queued: int | None = None
                      ) -> JobRecord:
    """A repeated idempotency key returns the existing job, never a second one. With
    `max_queued`, a workspace with that many queued jobs is refused (QUEUE_FULL): a
    back-pressure bound, not a strict one (two concurrent enqueues may both pass at the edge)."""
    job, created = await _enqueue_one(tx, new, max_queued=max_queued)
    if created:
        await _wake_workers(tx)
    return job


async def enqueue_jobs(tx: Transaction, batch: list[NewJob], *,
                       max_queued: int | None = None) -> list[JobRecord]:
    """All or nothing, in one transaction."""
    if len(batch) > BATCH_MAX:
        raise DomainError.of(ErrorCode.INVALID, f"at most {BATCH_MAX} jobs at once", "inputs")
    found = []
    errors: list[ErrorDetail] = []
    for index, new in enumerate(batch):
        try:
            found.append(await _enqueue_one(tx, new, prefix=f"inputs.{index}.",
                                            max_queued=max_queued))
        except DomainError as error:
            errors += error.details
    raise_if(errors)
    if any(created for _, created in found):
        await _wake_workers(tx)
    return [job for job, _ in found]


async def cancel_job(tx: Transaction, job_id: UUID) -> JobRecord:
    """Queued: cancelled at once. Running: the worker is asked to stop (cooperative)."""
    job = await queries.get_job_for_update(tx, job_id)
    if job is None:
        raise not_found("job")
    if job.status in TERMINAL:
        raise DomainError.of(ErrorCode.CONFLICT, f"the job already {job.status}", "id")
    if job.status == JobStatus.QUEUED:
        job = await queries.update_job(tx, job_id, {
            "status": JobStatus.CANCELLED, "finished_at": func.now(), "error_code": "CANCELLED",
            "error_message": "cancelled before it ran", "error_class": "cancelled"})
        await job_event(tx, job)
    elif not job.cancel_requested:
        job = await queries.update_job(tx, job_id, {"cancel_requested": True})
    return job


async def retry_job(tx: Transaction, job_id: UUID) -> JobRecord:
    """A failed or cancelled job runs again, with a fresh count of attempts."""
    job = await queries.get_job_for_update(tx, job_id)
    if job is None:
        raise not_found("job")
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError.of(ErrorCode.CONFLICT,
                             f"only failed or cancelled jobs can be retried; this one is "
                             f"{job.status}", "id")
    raise_if(await reservation_errors(tx, job.asset_id, job.reserved_cost, "id"))
    job = await queries.update_job(tx, job_id, {
        "status": JobStatus.QUEUED, "attempts": 0, "run_after": func.now(),
        "cancel_requested": False, "error_code": None, "error_message": None, "error_class": None,
        "finished_at": None, "locked_by": None, "lease_expires_at": None, "progress": 0})
    await job_event(tx, job)
    await _wake_workers(tx)
    return job


async def claim(tx: Transaction, *, worker: str, lease_seconds: float) -> JobRecord | None:
    """Cross-workspace: `tx` is bound to no workspace until the job is known."""
    job = await queries.claim_next(tx, worker=worker, lease_seconds=lease_seconds)
    if job is not None:
        tx.workspace_id = job.workspace_id
        await job_event(tx, job)
    return job


async def claim_batch(tx: Transaction, *, worker: str, lease_seconds: float, limit: int
                      ) -> list[JobRecord]:
    """Up to `limit` due jobs of any workspace, each with its `job.updated` event, in two
    statements and one notification per workspace. `tx` stays bound to no workspace."""
    jobs = await queries.claim_due(tx, worker=worker, lease_seconds=lease_seconds, limit=limit)
    await _job_events(tx, jobs)
    return jobs


async def heartbeat_batch(tx: Transaction, held: list[JobRecord], *, worker: str,
                          lease_seconds: float) -> dict[UUID, bool]:
    """Renew the leases of every held job still ours: `{job id: cancel requested}`."""
    if not held:
        return {}
    return await queries.renew_leases(tx, held, worker=worker, lease_seconds=lease_seconds)


async def succeed_batch(tx: Transaction, held: list[JobRecord], *, worker: str
                        ) -> list[JobRecord]:
    """`succeed` (no cost, no result) for many jobs of any workspaces at once; a job no longer
    ours is left out, as `succeed` returns None for it."""
    if not held:
        return []
    done = await queries.succeed_held(tx, held, worker=worker)
    await _job_events(tx, done)
    return done


async def release_batch(tx: Transaction, held: list[JobRecord], *, worker: str
                        ) -> list[JobRecord]:
    """Jobs a stopping worker claimed but never started go back to the queue at once (their
    attempt undone, an event each, the workers woken), rather than wait for the reaper."""
    if not held:
        return []
    released = await queries.release_held(tx, held, worker=worker)
    await _job_events(tx, released)
    if any(job.status == JobStatus.QUEUED for job in released):
        await _wake_workers(tx)
    return released


async def _job_events(tx: Transaction, jobs: list[JobRecord]) -> None:
    await record_events(tx, "job.updated",
                        [(job.workspace_id, job.id, queries.job_snapshot(job)) for job in jobs])


async def heartbeat(tx: Transaction, job: JobRecord, *, worker: str, lease_seconds: float
                    ) -> JobRecord | None:
    return await queries.renew_lease(tx, job.id, worker=worker, lease_seconds=lease_seconds)


async def _still_ours(tx: Transaction, job: JobRecord, worker: str) -> JobRecord | None:
    current = await queries.get_job_for_update(tx, job.id)
    if current is None or current.status != JobStatus.RUNNING or current.locked_by != worker:
        return None
    return current


async def succeed(tx: Transaction, job: JobRecord, *, worker: str, cost: Decimal,
                  result_asset_id: UUID | None, prompt: str | None = None
                  ) -> JobRecord | None:
    if await _still_ours(tx, job, worker) is None:
        return None
    done = await queries.update_job(tx, job.id, {
        "status": JobStatus.SUCCEEDED, "finished_at": func.now(), "progress": 1, "cost": cost,
        "result_asset_id": result_asset_id, "prompt": prompt, "locked_by": None,
        "lease_expires_at": None,
        "error_code": None, "error_message": None, "error_class": None})
    await job_event(tx, done)
    return done


async def fail(tx: Transaction, job: JobRecord, *, worker: str, transient: bool, code: str,
               message: str, error_class: str, backoff_base: float = 2.0
               ) -> JobRecord | None:
    """A transient failure goes back to the queue, backed off, until `max_attempts`."""
    current = await _still_ours(tx, job, worker)
    if current is None:
        return None
    values: dict[str, Any] = {"error_code": code, "error_message": message[:2000],
                              "error_class": error_class, "locked_by": None,
                              "lease_expires_at": None}
    if transient and current.attempts < current.max_attempts:
        delay = timedelta(seconds=backoff_seconds(current.attempts, base=backoff_base))
        values.update(status=JobStatus.QUEUED, run_after=func.now() + delay)
    else:
        values.update(status=JobStatus.FAILED, finished_at=func.now())
    failed = await queries.update_job(tx, job.id, values)
    await job_event(tx, failed)
    return failed


async def mark_cancelled(tx: Transaction, job: JobRecord, *, worker: str) -> JobRecord | None:
    if await _still_ours(tx, job, worker) is None:
        return None
    cancelled = await queries.update_job(tx, job.id, {
        "status": JobStatus.CANCELLED, "finished_at": func.now(), "error_code": "CANCELLED",
        "error_message": "cancelled while running", "error_class": "cancelled",
        "locked_by": None, "lease_expires_at": None})
    await job_event(tx, cancelled)
    return cancelled


async def reap_one(tx: Transaction) -> JobRecord | None:
    """Re-queue one job whose lease expired (its worker died); fail it if out of attempts."""
    expired = await queries.expired_leases(tx, limit=1)
    if not expired:
        return None
    job = expired[0]
    tx.workspace_id = job.workspace_id
    values: dict[str, Any] = {"locked_by": None, "lease_expires_at": None,
                              "error_code": "LEASE_EXPIRED",
                              "error_message": f"worker {job.locked_by} stopped renewing its lease",
                              "error_class": "transient"}
    if job.attempts < job.max_attempts:
        values.update(status=JobStatus.QUEUED, run_after=func.now())
    else:
        values.update(status=JobStatus.FAILED, finished_at=func.now())
    reaped = await queries.update_job(tx, job.id, values)
    await job_event(tx, reaped)
    if reaped.status == JobStatus.QUEUED:
        await _wake_workers(tx)
    return reaped

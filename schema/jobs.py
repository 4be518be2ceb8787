"""Job queries and mutations: enqueue (one or a batch), cancel, retry, list, cost summary."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from domain.errors import DomainError, ErrorCode
from domain.jobs import costs, queries, use_cases
from domain.jobs.costs import CostScope
from domain.jobs.queries import JobFilter as DomainJobFilter
from domain.jobs.rules import JobKind
from domain.jobs.use_cases import NewJob
from domain.records import JobRecord
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import (
    After,
    First,
    bad_input,
    decode_cursor,
    decode_uuid,
    mutation_id,
    page_size,
    query_id,
)
from schema.permissions import CanEdit, CanRead
from schema.types.common import PageInfo
from schema.types.connection import connection
from schema.types.job import (
    CostByAsset,
    CostByDay,
    CostByKind,
    CostSummary,
    Job,
    JobEdge,
    JobStatus,
)

JobId = Annotated[strawberry.ID, strawberry.argument(description="The job's global ID.")]


@strawberry.input(description="A job to queue.")
class EnqueueJobInput:
    kind: str = strawberry.field(description="generate_image (or noop)")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The asset the job is about (for generate_image: the one "
                                  "the image depicts).")
    params: JSON | None = strawberry.field(
        default=None, description="e.g. {provider: placeholder|thumbnail|http, prompt, width, "
                                  "height}")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeated key returns the existing job.")
    priority: int = strawberry.field(default=0, description="Higher runs first.")
    max_attempts: int = strawberry.field(
        default=3, description="Attempts before a retryable failure becomes FAILED.")


@strawberry.type(description="The result of a mutation of one job.")
class JobPayload:
    job: Job | None = strawberry.field(description="The job; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type(description="The result of enqueueJobs.")
class JobsPayload:
    jobs: list[Job] = strawberry.field(
        description="The jobs, in the order of `inputs`; empty when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success. `field` starts with "
                    "`inputs.<index>.`.")


@strawberry.input(description="Which jobs to list: every condition given must hold.")
class JobFilter:
    statuses: list[JobStatus] | None = strawberry.field(
        default=None, description="Jobs in one of these states.")
    kinds: list[str] | None = strawberry.field(default=None,
                                               description="Jobs of one of these kinds.")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="Jobs about this asset.")
    collection_id: strawberry.ID | None = strawberry.field(
        default=None, description="Jobs about the members of this collection.")


@strawberry.type(description="A page of the workspace's jobs.")
class JobConnection:
    edges: list[JobEdge] = strawberry.field(description="The jobs of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    filter: strawberry.Private[DomainJobFilter]

    @strawberry.field(description="How many jobs the whole filtered list holds.")
    async def total_count(self, info: Info) -> int:
        return await queries.count_jobs(info.context.tx, self.filter)


def _new_job(info: Info, data: EnqueueJobInput, field: str) -> NewJob:
    asset_id = None
    if data.asset_id is not None:
        asset_id = decode_uuid(data.asset_id, "Asset")
        if asset_id is None:
            raise DomainError.of(ErrorCode.INVALID, "not a valid Asset ID", f"{field}assetId")
    params: dict[str, Any] = data.params if isinstance(data.params, dict) else {}
    estimate = (info.context.limits.estimated_cost(params.get("provider"))
                if data.kind == JobKind.GENERATE_IMAGE else Decimal(0))
    return NewJob(kind=data.kind, asset_id=asset_id,
                  params=data.params if data.params is not None else {},  # type: ignore[arg-type]
                  idempotency_key=data.idempotency_key, priority=data.priority,
                  max_attempts=data.max_attempts, estimated_cost=estimate)


def _job_payload(result: tuple[JobRecord | None, list[UserError]]) -> JobPayload:
    record, errors = result
    return JobPayload(job=Job.from_record(record) if record else None, errors=errors)


@strawberry.type(description="Queued and running jobs of one kind.")
class QueueByKind:
    kind: str = strawberry.field(description="The job kind, e.g. generate_image.")
    queued: int = strawberry.field(description="Jobs waiting to run.")
    running: int = strawberry.field(description="Jobs a worker is running.")


@strawberry.type(description="The workspace's job queue, for dashboards.")
class QueueStatus:
    queued: int = strawberry.field(description="Jobs waiting to run (QUEUED, due or not).")
    running: int = strawberry.field(description="Jobs a worker is running.")
    by_kind: list[QueueByKind] = strawberry.field(description="Per kind, by kind name.")
    oldest_queued_at: datetime | None = strawberry.field(
        description="When the longest-waiting queued job was enqueued; null when none waits.")
    max_queued: int | None = strawberry.field(
        description="How many may be queued before enqueues answer QUEUE_FULL.")


@strawberry.type
class JobQueries:
    @strawberry.field(permission_classes=[CanRead],
                      description="The workspace's queue: queued and running jobs, per kind.")
    async def queue(self, info: Info) -> QueueStatus:
        found = await queries.queue_summary(info.context.tx)
        return QueueStatus(
            queued=found.queued, running=found.running,
            by_kind=[QueueByKind(kind=k, queued=q, running=r) for k, q, r in found.by_kind],
            oldest_queued_at=found.oldest_queued_at,
            max_queued=info.context.limits.max_queued_jobs)

    @strawberry.field(permission_classes=[CanRead],
                      description="A job; null if none has this ID.")
    async def job(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The job's global ID.")]) -> Job | None:
        record = await info.context.loaders.job_by_id.load(query_id(id, "Job"))
        return Job.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead],
                      description="The workspace's jobs, newest first.")
    async def jobs(
        self, info: Info,
        filter: Annotated[JobFilter | None, strawberry.argument(
            description="Which jobs; null for all.")] = None,
        first: First = None, after: After = None,
    ) -> JobConnection:
        f = filter or JobFilter()
        domain_filter = DomainJobFilter(
            statuses=f.statuses,
            kinds=f.kinds,
            asset_id=query_id(f.asset_id, "Asset", "filter.assetId") if f.asset_id else None,
            collection_id=query_id(f.collection_id, "Collection", "filter.collectionId")
            if f.collection_id else None,
        )
        cursor = decode_cursor(after, *queries.JOB_KEY)
        page = await queries.list_jobs(
            info.context.tx, domain_filter,
            first=page_size(first, info.context.limits.max_page_size), after=cursor)
        return connection(
            JobConnection, page, lambda c, r: JobEdge(cursor=c, node=Job.from_record(r)),
            has_previous=cursor is not None, filter=domain_filter)

    @strawberry.field(
        permission_classes=[CanRead],
        description="Generation cost (of jobs with a cost) of an asset and everything below "
                    "it, of a collection's members and everything below them, or, neither "
                    "given, of the workspace. Below an asset: the assets reached downwards "
                    "through PART_OF and USED_IN edges at any depth (a film's scenes, their "
                    "shots and scene instances), each counted once. A style is below nothing "
                    "(it is used in what it styles, not a part of it) and nothing is below a "
                    "style. Soft-deleted assets count, and what is below them: money spent "
                    "stays spent. An ID that finds nothing gives an empty summary.")
    async def cost_summary(
        self, info: Info,
        collection_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only jobs about this collection's members and the assets below "
                        "them; not with assetId.")] = None,
        asset_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only jobs about this asset and the assets below it; not with "
                        "collectionId.")] = None,
    ) -> CostSummary:
        if collection_id is not None and asset_id is not None:
            raise bad_input("give collectionId or assetId, not both", "assetId")
        scope = CostScope(
            asset_id=query_id(asset_id, "Asset", "assetId") if asset_id else None,
            collection_id=query_id(collection_id, "Collection", "collectionId")
            if collection_id else None)
        summary = await costs.cost_summary(
            info.context.tx, scope, by_asset_limit=info.context.limits.max_page_size)
        return CostSummary(
            total=float(summary.total),
            by_kind=[CostByKind(kind=k, total=float(t), count=c) for k, t, c in summary.by_kind],
            by_day=[CostByDay(day=d, total=float(t)) for d, t in summary.by_day],
            by_asset=[CostByAsset(asset_id=a, total=float(t), count=c)
                      for a, t, c in summary.by_asset])


@strawberry.type
class JobMutations:
    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queue a job; a worker runs it. Follow it with the "
                                     "jobUpdated subscription.")
    async def enqueue_job(self, info: Info, input: Annotated[EnqueueJobInput, strawberry.argument(
            description="What to run.")]) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.enqueue_job(
            info.context.tx, _new_job(info, input, ""),
            max_queued=info.context.limits.max_queued_jobs)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Up to 100 jobs in one transaction: all or none.")
    async def enqueue_jobs(
        self, info: Info, inputs: Annotated[list[EnqueueJobInput], strawberry.argument(
            description="1 to 100 jobs.")],
    ) -> JobsPayload:
        async def enqueue() -> list[JobRecord]:
            return await use_cases.enqueue_jobs(
                info.context.tx, [_new_job(info, d, f"inputs.{i}.") for i, d in enumerate(inputs)],
                max_queued=info.context.limits.max_queued_jobs)

        records, errors = await run_mutation(info, enqueue)
        return JobsPayload(jobs=[Job.from_record(r) for r in records or []], errors=errors)

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queued: at once. Running: the worker stops cooperatively.")
    async def cancel_job(self, info: Info, id: JobId) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.cancel_job(
            info.context.tx, mutation_id(id, "Job", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queue a FAILED or CANCELLED job again, with fresh "
                                     "attempts.")
    async def retry_job(self, info: Info, id: JobId) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.retry_job(
            info.context.tx, mutation_id(id, "Job", "id"))))

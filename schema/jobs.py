"""Job queries and mutations: enqueue (one or a batch), cancel, retry, list, cost summary."""


import strawberry
from strawberry.scalars import JSON

from domain.errors import DomainError, ErrorCode
from domain.jobs import queries, use_cases
from domain.jobs.queries import JobFilter as DomainJobFilter
from domain.jobs.use_cases import NewJob
from domain.records import JobRecord
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import (
    decode_cursor,
    decode_uuid,
    mutation_id,
    page_size,
    query_id,
)
from schema.permissions import CanEdit, CanRead
from schema.types.common import PageInfo
from schema.types.connection import connection
from schema.types.job import CostByDay, CostByKind, CostSummary, Job, JobEdge, JobStatus


@strawberry.input
class EnqueueJobInput:
    kind: str = strawberry.field(description="generate_image (or noop)")
    asset_id: strawberry.ID | None = None
    params: JSON | None = strawberry.field(
        default=None, description="e.g. {provider: placeholder|thumbnail|http, prompt, width, "
                                  "height}")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeated key returns the existing job.")
    priority: int = 0
    max_attempts: int = 3


@strawberry.type
class JobPayload:
    job: Job | None
    errors: list[UserError]


@strawberry.type
class JobsPayload:
    jobs: list[Job]
    errors: list[UserError]


@strawberry.input
class JobFilter:
    statuses: list[JobStatus] | None = None
    kinds: list[str] | None = None
    asset_id: strawberry.ID | None = None
    collection_id: strawberry.ID | None = None


@strawberry.type
class JobConnection:
    edges: list[JobEdge]
    page_info: PageInfo
    filter: strawberry.Private[DomainJobFilter]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await queries.count_jobs(info.context.tx, self.filter)


def _new_job(data: EnqueueJobInput, field: str) -> NewJob:
    asset_id = None
    if data.asset_id is not None:
        asset_id = decode_uuid(data.asset_id, "Asset")
        if asset_id is None:
            raise DomainError.of(ErrorCode.INVALID, "not a valid Asset ID", f"{field}assetId")
    return NewJob(kind=data.kind, asset_id=asset_id,
                  params=data.params if data.params is not None else {},  # type: ignore[arg-type]
                  idempotency_key=data.idempotency_key, priority=data.priority,
                  max_attempts=data.max_attempts)


def _job_payload(result: tuple[JobRecord | None, list[UserError]]) -> JobPayload:
    record, errors = result
    return JobPayload(job=Job.from_record(record) if record else None, errors=errors)


@strawberry.type
class JobQueries:
    @strawberry.field(permission_classes=[CanRead])
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        record = await info.context.loaders.job_by_id.load(query_id(id, "Job"))
        return Job.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead], description="Newest first.")
    async def jobs(self, info: Info, filter: JobFilter | None = None, first: int | None = None,
                   after: str | None = None) -> JobConnection:
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

    @strawberry.field(permission_classes=[CanRead],
                      description="Generation cost of a collection's assets, or the workspace.")
    async def cost_summary(self, info: Info, collection_id: strawberry.ID | None = None
                           ) -> CostSummary:
        collection = query_id(collection_id, "Collection", "collectionId") \
            if collection_id else None
        summary = await queries.cost_summary(info.context.tx, collection)
        return CostSummary(
            total=float(summary.total),
            by_kind=[CostByKind(kind=k, total=float(t), count=c) for k, t, c in summary.by_kind],
            by_day=[CostByDay(day=d, total=float(t)) for d, t in summary.by_day])


@strawberry.type
class JobMutations:
    @strawberry.mutation(permission_classes=[CanEdit])
    async def enqueue_job(self, info: Info, input: EnqueueJobInput) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.enqueue_job(
            info.context.tx, _new_job(input, ""))))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Up to 100 jobs in one transaction: all or none.")
    async def enqueue_jobs(self, info: Info, inputs: list[EnqueueJobInput]) -> JobsPayload:
        async def enqueue() -> list[JobRecord]:
            return await use_cases.enqueue_jobs(
                info.context.tx, [_new_job(d, f"inputs.{i}.") for i, d in enumerate(inputs)])

        records, errors = await run_mutation(info, enqueue)
        return JobsPayload(jobs=[Job.from_record(r) for r in records or []], errors=errors)

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queued: at once. Running: the worker stops cooperatively.")
    async def cancel_job(self, info: Info, id: strawberry.ID) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.cancel_job(
            info.context.tx, mutation_id(id, "Job", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def retry_job(self, info: Info, id: strawberry.ID) -> JobPayload:
        return _job_payload(await run_mutation(info, lambda: use_cases.retry_job(
            info.context.tx, mutation_id(id, "Job", "id"))))

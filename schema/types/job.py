"""Generation jobs as GraphQL objects."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain.jobs.rules import JobKind
from domain.jobs.rules import JobStatus as JobStatus
from domain.records import JobRecord
from schema.context import Info
from schema.inputs import to_global_id
from schema.types.common import Node, PageInfo, enum_type
from schema.types.record_fields import build

if TYPE_CHECKING:
    from schema.types.asset import Asset

AssetRef = Annotated["Asset", strawberry.lazy("schema.types.asset")]


enum_type(JobKind, name="JobKind", description="What a job does.", values={
    JobKind.GENERATE_IMAGE: "Generate an image of its asset (generateImage, or enqueueJob "
                            "with kind generate_image).",
    JobKind.NOOP: "Nothing: for tests and measuring the queue.",
})
enum_type(JobStatus, name="JobStatus",
          description="Where a job is: QUEUED, RUNNING, then one of the final three.", values={
              JobStatus.QUEUED: "Waiting for a worker (again, after a retryable failure).",
              JobStatus.RUNNING: "A worker holds it and is calling the provider.",
              JobStatus.SUCCEEDED: "Done; the result asset is set. Final.",
              JobStatus.FAILED: "Gave up: a permanent error, or maxAttempts used. Final; "
                                "retryJob queues it again.",
              JobStatus.CANCELLED: "Cancelled by cancelJob. Final.",
          })


@strawberry.type(description="Why a job's last attempt failed.")
class JobError:
    code: str = strawberry.field(
        description="Machine-readable reason, e.g. PROVIDER_ERROR, LEASE_EXPIRED (the worker "
                    "vanished), CANCELLED.")
    message: str = strawberry.field(description="Human-readable detail.")
    error_class: str = strawberry.field(
        name="class", description="`transient` (retried while attempts remain), `permanent` "
                                  "(not retried) or `cancelled`.")


@strawberry.type(description="A unit of background work, such as generating an image for an "
                             "asset; run by a worker, retried with backoff.")
class Job(Node):
    record: strawberry.Private[JobRecord]
    id: strawberry.ID = strawberry.field(description="Global ID of the job.")
    kind: str = strawberry.field(description="What it does: generate_image or noop (the "
                                             "same as jobKind, as a string).")
    status: JobStatus = strawberry.field(description="Where it is in its life.")
    params: JSON = strawberry.field(
        description="The kind's parameters as enqueued, e.g. {provider, prompt, width, "
                    "height}.")
    priority: int = strawberry.field(description="Higher runs first; ties by runAfter.")
    progress: float = strawberry.field(description="0 to 1, as the worker reports it.")
    attempts: int = strawberry.field(description="Attempts started so far.")
    max_attempts: int = strawberry.field(
        description="Attempts allowed before a retryable failure becomes FAILED.")
    cost: float = strawberry.field(
        description="What the provider charged, in its currency units; 0 until known.")
    prompt: str | None = strawberry.field(
        description="The prompt a generation sent its provider (the asset's description, a "
                    "scene instance's status tags, the effective style); null until it "
                    "succeeded.")
    error: JobError | None = strawberry.field(
        description="The last attempt's failure; null if none failed.")
    idempotency_key: str | None = strawberry.field(
        description="The key given at enqueue; enqueuing it again returns this job.")
    cancel_requested: bool = strawberry.field(
        description="cancelJob was called while it ran: the worker stops at its next check.")
    run_after: datetime = strawberry.field(
        description="Not claimed before this time (UTC): the backoff after a failure.")
    created_at: datetime = strawberry.field(description="When it was enqueued (UTC).")
    started_at: datetime | None = strawberry.field(
        description="When its first attempt started (UTC); null while never run.")
    finished_at: datetime | None = strawberry.field(
        description="When it reached a final status (UTC); null before.")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")

    @classmethod
    def from_record(cls, r: JobRecord) -> "Job":
        return build(
            cls, r, id=strawberry.ID(to_global_id("Job", r.id)),
            progress=float(r.progress), cost=float(r.cost),
            error=JobError(code=r.error_code, message=r.error_message or "",
                           error_class=r.error_class or "") if r.error_code else None,
        )

    @strawberry.field(description="What it does, as an enum (`kind` is the same as a string).")
    def job_kind(self) -> JobKind:
        return JobKind(self.record.kind)

    @strawberry.field(description="The asset the job is about; null if none, or purged.")
    async def asset(self, info: Info) -> AssetRef | None:
        return await _asset(info, self.record.asset_id)

    @strawberry.field(description="The asset the job produced (e.g. the generated image, "
                                  "generated_from `asset`); null until it succeeds.")
    async def result_asset(self, info: Info) -> AssetRef | None:
        return await _asset(info, self.record.result_asset_id)


async def _asset(info: Info, asset_id: UUID | None) -> "Asset | None":
    from schema.types.asset import Asset

    if asset_id is None:
        return None
    record = await info.context.loaders.asset_by_id.load(asset_id)
    return Asset.from_record(record) if record else None


@strawberry.type(description="A job in a list of jobs.")
class JobEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Job = strawberry.field(description="The job.")


@strawberry.type(description="A page of the jobs about an asset.")
class AssetJobsConnection:
    edges: list[JobEdge] = strawberry.field(description="The jobs of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(
        description="How many jobs (in the asked statuses) are about the asset.")


@strawberry.type(description="What the jobs of one kind cost.")
class CostByKind:
    kind: str = strawberry.field(description="The job kind, e.g. generate_image.")
    total: float = strawberry.field(description="Summed job cost, in currency units.")
    count: int = strawberry.field(description="How many jobs of the kind had a cost.")


@strawberry.type(description="What the jobs finished on one day cost.")
class CostByDay:
    day: datetime = strawberry.field(description="The start of the day the jobs finished.")
    total: float = strawberry.field(description="Summed job cost, in currency units.")


@strawberry.type(description="What the jobs about one asset cost.")
class CostByAsset:
    asset_id: strawberry.Private[UUID]
    total: float = strawberry.field(description="Summed job cost, in currency units.")
    count: int = strawberry.field(description="How many jobs about the asset had a cost.")

    @strawberry.field(description="The asset the jobs are about (soft-deleted ones too).")
    async def asset(self, info: Info) -> AssetRef | None:
        return await _asset(info, self.asset_id)


@strawberry.type(description="What jobs with a cost (cost > 0) cost, in the providers' "
                             "currency units.")
class CostSummary:
    total: float = strawberry.field(description="Everything summed.")
    by_kind: list[CostByKind] = strawberry.field(description="Per job kind, by kind name.")
    by_day: list[CostByDay] = strawberry.field(description="Per day, oldest first.")
    by_asset: list[CostByAsset] = strawberry.field(
        description="Per asset, costliest first (ties by asset ID), at most 100 entries. "
                    "Assets past the 100th count in `total` but are not listed; nor are jobs "
                    "whose asset was purged.")


__all__ = ["CostSummary", "Job", "JobEdge", "JobStatus", "PageInfo"]

"""Generation jobs as GraphQL objects."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain.jobs.rules import JobStatus as JobStatus
from domain.records import JobRecord
from schema.context import Info
from schema.inputs import to_global_id
from schema.types.common import Node, PageInfo
from schema.types.record_fields import build

if TYPE_CHECKING:
    from schema.types.asset import Asset

AssetRef = Annotated["Asset", strawberry.lazy("schema.types.asset")]


strawberry.enum(JobStatus, name="JobStatus")


@strawberry.type
class JobError:
    code: str
    message: str
    error_class: str = strawberry.field(name="class")


@strawberry.type
class Job(Node):
    record: strawberry.Private[JobRecord]
    id: strawberry.ID
    kind: str
    status: JobStatus
    params: JSON
    priority: int
    progress: float
    attempts: int
    max_attempts: int
    cost: float
    error: JobError | None
    idempotency_key: str | None
    cancel_requested: bool
    run_after: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_record(cls, r: JobRecord) -> "Job":
        return build(
            cls, r, id=strawberry.ID(to_global_id("Job", r.id)),
            progress=float(r.progress), cost=float(r.cost),
            error=JobError(code=r.error_code, message=r.error_message or "",
                           error_class=r.error_class or "") if r.error_code else None,
        )

    @strawberry.field
    async def asset(self, info: Info) -> AssetRef | None:
        return await _asset(info, self.record.asset_id)

    @strawberry.field
    async def result_asset(self, info: Info) -> AssetRef | None:
        return await _asset(info, self.record.result_asset_id)


async def _asset(info: Info, asset_id: UUID | None) -> "Asset | None":
    from schema.types.asset import Asset

    if asset_id is None:
        return None
    record = await info.context.loaders.asset_by_id.load(asset_id)
    return Asset.from_record(record) if record else None


@strawberry.type
class JobEdge:
    cursor: str
    node: Job


@strawberry.type
class AssetJobsConnection:
    edges: list[JobEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CostByKind:
    kind: str
    total: float
    count: int


@strawberry.type
class CostByDay:
    day: datetime
    total: float


@strawberry.type
class CostSummary:
    total: float
    by_kind: list[CostByKind]
    by_day: list[CostByDay]


__all__ = ["CostSummary", "Job", "JobEdge", "JobStatus", "PageInfo"]

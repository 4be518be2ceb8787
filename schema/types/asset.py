"""The `Asset` type: fields from the record, relations through the request's dataloaders."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain.collections.queries import COLLECTION_KEY
from domain.events import EVENT_KEY
from domain.graph.queries import EDGE_KEY
from domain.graph.vocabulary import EdgeDirection
from domain.jobs.queries import JOB_KEY
from domain.records import AssetRecord
from domain.sync.rules import INSTANCE_FLAG
from schema.context import Info
from schema.dataloaders import CollectionPageArgs, EdgeArgs, HistoryArgs, JobPageArgs, LineageArgs
from schema.inputs import bad_input, decode_cursor, page_size, to_global_id
from schema.types.common import LineageDirection, Node, RelationshipType, distinct_types
from schema.types.connection import connection
from schema.types.event import EventConnection, EventEdge, GraphEvent
from schema.types.job import AssetJobsConnection, Job, JobEdge, JobStatus
from schema.types.record_fields import build
from schema.types.relationship import Relationship, RelationshipConnection, RelationshipEdge
from schema.types.sync import SyncStatus

if TYPE_CHECKING:
    from schema.types.collection import AssetCollectionsConnection

CollectionsOfAsset = Annotated[
    "AssetCollectionsConnection", strawberry.lazy("schema.types.collection")
]


@strawberry.type
class LineageStep:
    depth: int
    asset: "Asset"
    relationship: Relationship


@strawberry.type
class LineageResult:
    steps: list[LineageStep]
    is_partial: bool = strawberry.field(
        description="True when maxDepth or first cut the walk short."
    )


@strawberry.type
class DeleteCheck:
    allowed: bool
    dependents: list["Asset"]
    dependent_count: int


@strawberry.type(description="Content stored by this service (uploaded or generated).")
class AssetFile:
    sha256: str
    size: int | None
    mime_type: str | None

    @strawberry.field(description="GET it with the same bearer token.")
    def download_url(self) -> str:
        return f"/files/{self.sha256}"


@strawberry.type
class Asset(Node):
    record: strawberry.Private[AssetRecord]
    id: strawberry.ID
    type: str
    name: str
    description: str
    generation_prompt: str
    url: str | None
    mime_type: str | None
    size: int | None
    duration: float | None
    metadata: JSON
    tags: list[str]
    source: str
    generation_cost: float
    generation_metadata: JSON
    locked: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    created_by: str | None

    @classmethod
    def from_record(cls, r: AssetRecord) -> "Asset":
        return build(
            cls, r,
            id=strawberry.ID(to_global_id("Asset", r.id)),
            duration=float(r.duration) if r.duration is not None else None,
            generation_cost=float(r.generation_cost),
        )

    @strawberry.field
    def file(self) -> AssetFile | None:
        r = self.record
        if r.blob_sha256 is None:
            return None
        return AssetFile(sha256=r.blob_sha256, size=r.size, mime_type=r.mime_type)

    @strawberry.field(description="Edges to this asset's parents, in link order.")
    async def parents(
        self, info: Info, types: list[RelationshipType] | None = None,
        first: int | None = None, after: str | None = None,
    ) -> RelationshipConnection:
        return await _edges(info, self.record.id, children=False, types=types, first=first,
                            after=after)

    @strawberry.field(description="Edges to this asset's children, by sequence.")
    async def children(
        self, info: Info, types: list[RelationshipType] | None = None,
        first: int | None = None, after: str | None = None,
    ) -> RelationshipConnection:
        return await _edges(info, self.record.id, children=True, types=types, first=first,
                            after=after)

    @strawberry.field(description="Ancestors (UPSTREAM) or descendants, nearest first.")
    async def lineage(
        self, info: Info, direction: LineageDirection,
        types: list[RelationshipType] | None = None, max_depth: int = 10,
        first: int | None = None,
    ) -> LineageResult:
        limits = info.context.limits
        if not 1 <= max_depth <= limits.max_lineage_depth:
            raise bad_input(
                f"maxDepth must be between 1 and {limits.max_lineage_depth}, got {max_depth}",
                "maxDepth",
            )
        args = LineageArgs(
            direction=direction,
            types=distinct_types(types),
            max_depth=max_depth,
            first=page_size(first, limits.max_page_size),
        )
        lineage = await info.context.loaders.lineage_by_asset.load((self.record.id, args))
        return LineageResult(
            steps=[
                LineageStep(
                    depth=s.depth,
                    asset=Asset.from_record(s.asset),
                    relationship=Relationship.from_record(s.relationship),
                )
                for s in lineage.steps
            ],
            is_partial=lineage.is_partial,
        )

    @strawberry.field
    async def collections(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> CollectionsOfAsset:
        from schema.types.collection import (
            AssetCollectionsConnection,
            Collection,
            CollectionEdge,
        )

        cursor = decode_cursor(after, *COLLECTION_KEY)
        args = CollectionPageArgs(
            first=page_size(first, info.context.limits.max_page_size), after=cursor
        )
        page = await info.context.loaders.collections_by_asset.load((self.record.id, args))
        return connection(
            AssetCollectionsConnection, page,
            lambda c, r: CollectionEdge(cursor=c, node=Collection.from_record(r)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="Whether deleteAsset would succeed without force.")
    async def can_delete(self, info: Info) -> DeleteCheck:
        dependents = await info.context.loaders.dependents_by_asset.load(self.record.id)
        return DeleteCheck(
            allowed=not dependents and not self.record.locked,
            dependents=[Asset.from_record(d) for d in dependents],
            dependent_count=len(dependents),
        )

    @strawberry.field(description="This asset's events, oldest first.")
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> EventConnection:
        cursor = decode_cursor(after, *EVENT_KEY)
        args = HistoryArgs(
            first=page_size(first, info.context.limits.max_page_size), after=cursor
        )
        page = await info.context.loaders.history_by_asset.load((self.record.id, args))
        return connection(
            EventConnection, page, lambda c, e: EventEdge(cursor=c, node=GraphEvent.from_record(e)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="Null unless the asset has a sync source (clone, instance).")
    async def sync(self, info: Info) -> SyncStatus | None:
        found = await info.context.loaders.sync_source_by_asset.load(self.record.id)
        return SyncStatus.of(self.record, found) if found else None

    @strawberry.field(description="On a scene instance: whether the next scene inherits its "
                                  "state (else it resets to the project asset).")
    def carry_forward(self) -> bool | None:
        value = self.record.metadata.get(INSTANCE_FLAG)
        return value if isinstance(value, bool) else None

    @strawberry.field(description="On a scene: the instances used in it, by project asset name.")
    async def instances(self, info: Info) -> list["Asset"]:
        found = await info.context.loaders.instances_by_scene.load(self.record.id)
        return [Asset.from_record(i.asset) for i in found]

    @strawberry.field(description="On a scene: the scene before it in its film.")
    async def previous_scene(self, info: Info) -> Optional["Asset"]:
        neighbours = await info.context.loaders.neighbours_by_scene.load(self.record.id)
        return await _asset(info, neighbours.previous_id)

    @strawberry.field(description="On a scene: the scene after it in its film.")
    async def next_scene(self, info: Info) -> Optional["Asset"]:
        neighbours = await info.context.loaders.neighbours_by_scene.load(self.record.id)
        return await _asset(info, neighbours.next_id)

    @strawberry.field(description="Jobs about this asset, newest first.")
    async def jobs(
        self, info: Info, statuses: list[JobStatus] | None = None, first: int | None = None,
        after: str | None = None,
    ) -> AssetJobsConnection:
        cursor = decode_cursor(after, *JOB_KEY)
        args = JobPageArgs(
            statuses=tuple(dict.fromkeys(statuses)) if statuses is not None else None,
            first=page_size(first, info.context.limits.max_page_size),
            after=cursor,
        )
        page = await info.context.loaders.jobs_by_asset.load((self.record.id, args))
        return connection(
            AssetJobsConnection, page, lambda c, j: JobEdge(cursor=c, node=Job.from_record(j)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="How many times the content was edited.")
    async def modification_count(self, info: Info) -> int:
        return await info.context.loaders.modification_count_by_asset.load(self.record.id)

    @strawberry.field(description="The fields the latest edit changed.")
    async def last_modified_fields(self, info: Info) -> list[str]:
        event = await info.context.loaders.last_update_by_asset.load(self.record.id)
        return list(event.payload.get("changes", {})) if event else []


async def _asset(info: Info, asset_id: UUID | None) -> Asset | None:
    if asset_id is None:
        return None
    record = await info.context.loaders.asset_by_id.load(asset_id)
    return Asset.from_record(record) if record else None


async def _edges(
    info: Info, asset_id: UUID, *, children: bool, types: list[RelationshipType] | None,
    first: int | None, after: str | None,
) -> RelationshipConnection:
    cursor = decode_cursor(after, *EDGE_KEY)
    args = EdgeArgs(
        direction=EdgeDirection.CHILDREN if children else EdgeDirection.PARENTS,
        types=distinct_types(types),
        first=page_size(first, info.context.limits.max_page_size),
        after=cursor,
    )
    page = await info.context.loaders.edges_by_asset.load((asset_id, args))
    return connection(
        RelationshipConnection, page,
        lambda c, e: RelationshipEdge(cursor=c, node=Relationship.from_record(e)),
        has_previous=cursor is not None,
    )


@strawberry.type
class AssetEdge:
    cursor: str
    node: Asset

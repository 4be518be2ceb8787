"""Relationships (typed, ordered edges) and their connections."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from domain.records import RelationshipRecord
from schema.context import Info
from schema.inputs import to_global_id
from schema.types.common import Node, PageInfo, RelationshipType
from schema.types.record_fields import build

if TYPE_CHECKING:
    from schema.types.asset import Asset

AssetRef = Annotated["Asset", strawberry.lazy("schema.types.asset")]


@strawberry.type(description="A typed, ordered edge: the child stands in `type` to the "
                             "parent, e.g. a scene PART_OF its film.")
class Relationship(Node):
    record: strawberry.Private[RelationshipRecord]
    id: strawberry.ID = strawberry.field(description="Global ID of the relationship.")
    type: RelationshipType = strawberry.field(
        description="How the child stands to the parent. Within one type the graph has no "
                    "cycles.")
    sequence: int = strawberry.field(
        description="The child's position among the parent's children of this type "
                    "(ascending); a scene's number in its film.")
    metadata: JSON = strawberry.field(
        description="Free JSON on the edge; a sync source's edge also keeps its sync state "
                    "here (source_version, synced_at, overridden_fields, base).")
    created_at: datetime = strawberry.field(description="When the link was made (UTC).")

    @classmethod
    def from_record(cls, record: RelationshipRecord) -> "Relationship":
        return build(
            cls, record,
            id=strawberry.ID(to_global_id("Relationship", record.id)),
            type=record.relationship_type,
        )

    @strawberry.field(description="The parent asset, even if soft-deleted; null only if "
                                  "it is gone.")
    async def parent(self, info: Info) -> AssetRef | None:
        from schema.types.asset import Asset

        record = await info.context.loaders.asset_by_id.load(self.record.parent_asset_id)
        return Asset.from_record(record) if record else None

    @strawberry.field(description="The child asset, even if soft-deleted; null only if "
                                  "it is gone.")
    async def child(self, info: Info) -> AssetRef | None:
        from schema.types.asset import Asset

        record = await info.context.loaders.asset_by_id.load(self.record.child_asset_id)
        return Asset.from_record(record) if record else None


@strawberry.type(description="A relationship in a list of an asset's edges.")
class RelationshipEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Relationship = strawberry.field(description="The relationship.")


@strawberry.type(description="A page of an asset's edges to its live parents or children.")
class RelationshipConnection:
    edges: list[RelationshipEdge] = strawberry.field(
        description="The edges of this page: children by sequence, parents in link order.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(
        description="How many such edges (of the asked types) lead to live assets.")

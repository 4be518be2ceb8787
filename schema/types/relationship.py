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


@strawberry.type(description="child `type` parent, e.g. a scene PART_OF its film.")
class Relationship(Node):
    record: strawberry.Private[RelationshipRecord]
    id: strawberry.ID
    type: RelationshipType
    sequence: int
    metadata: JSON
    created_at: datetime

    @classmethod
    def from_record(cls, record: RelationshipRecord) -> "Relationship":
        return build(
            cls, record,
            id=strawberry.ID(to_global_id("Relationship", record.id)),
            type=record.relationship_type,
        )

    @strawberry.field
    async def parent(self, info: Info) -> AssetRef | None:
        from schema.types.asset import Asset

        record = await info.context.loaders.asset_by_id.load(self.record.parent_asset_id)
        return Asset.from_record(record) if record else None

    @strawberry.field
    async def child(self, info: Info) -> AssetRef | None:
        from schema.types.asset import Asset

        record = await info.context.loaders.asset_by_id.load(self.record.child_asset_id)
        return Asset.from_record(record) if record else None


@strawberry.type
class RelationshipEdge:
    cursor: str
    node: Relationship


@strawberry.type
class RelationshipConnection:
    edges: list[RelationshipEdge]
    page_info: PageInfo
    total_count: int

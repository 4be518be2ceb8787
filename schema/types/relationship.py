"""Relationships (typed, ordered edges) and their connections."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from domain.graph.queries import EdgePage
from domain.records import RelationshipRecord
from schema.context import Info
from schema.inputs import encode_cursor, to_global_id
from schema.types.common import Node, PageInfo, RelationshipType

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
        return cls(
            record=record,
            id=strawberry.ID(to_global_id("Relationship", record.id)),
            type=record.relationship_type,
            sequence=record.sequence,
            metadata=JSON(record.metadata),
            created_at=record.created_at,
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

    @classmethod
    def of(cls, page: EdgePage, *, children: bool, has_previous: bool
           ) -> "RelationshipConnection":
        edges = [
            RelationshipEdge(
                cursor=encode_cursor(e.sequence if children else 0, e.id),
                node=Relationship.from_record(e),
            )
            for e in page.edges
        ]
        return cls(
            edges=edges,
            page_info=PageInfo.of([e.cursor for e in edges], has_next=page.has_next,
                                  has_previous=has_previous),
            total_count=page.total,
        )

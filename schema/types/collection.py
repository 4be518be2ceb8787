"""Collections (libraries, projects, ...) and their ordered member assets."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.collections.queries import MEMBER_KEY
from domain.records import CollectionRecord
from schema.context import Info
from schema.dataloaders import MemberArgs
from schema.inputs import decode_cursor, page_size, to_global_id
from schema.types.asset import Asset
from schema.types.common import Node, PageInfo
from schema.types.connection import connection
from schema.types.record_fields import build


@strawberry.type
class CollectionAssetEdge:
    cursor: str
    sequence: int
    node: Asset


@strawberry.type
class CollectionAssetConnection:
    edges: list[CollectionAssetEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Collection(Node):
    record: strawberry.Private[CollectionRecord]
    id: strawberry.ID
    name: str
    type: str
    description: str
    metadata: JSON
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, r: CollectionRecord) -> "Collection":
        return build(cls, r, id=strawberry.ID(to_global_id("Collection", r.id)))

    @strawberry.field(description="The live member assets, in collection order.")
    async def assets(
        self, info: Info, types: list[str] | None = None, first: int | None = None,
        after: str | None = None,
    ) -> CollectionAssetConnection:
        cursor = decode_cursor(after, *MEMBER_KEY)
        args = MemberArgs(
            types=tuple(types) if types is not None else None,
            first=page_size(first, info.context.limits.max_page_size),
            after=cursor,
        )
        page = await info.context.loaders.members_by_collection.load((self.record.id, args))
        return connection(
            CollectionAssetConnection, page,
            lambda c, m: CollectionAssetEdge(cursor=c, sequence=m.sequence,
                                             node=Asset.from_record(m.asset)),
            has_previous=cursor is not None,
        )


@strawberry.type
class CollectionEdge:
    cursor: str
    node: Collection


@strawberry.type
class AssetCollectionsConnection:
    edges: list[CollectionEdge]
    page_info: PageInfo
    total_count: int

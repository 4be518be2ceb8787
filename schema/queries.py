"""The root `Query`: nodes by global ID, assets, collections, the viewer."""

import asyncio
from datetime import datetime
from uuid import UUID

import strawberry

from domain import access
from domain.assets.queries import AssetFilter as DomainAssetFilter
from domain.assets.queries import AssetOrder as DomainAssetOrder
from domain.assets.queries import count_assets, list_assets
from domain.assets.vocabulary import AssetOrderField, OrderDirection
from domain.collections.queries import COLLECTION_KEY, count_collections, list_collections
from schema.context import Info
from schema.inputs import (
    bad_input,
    decode_cursor,
    decode_uuid,
    page_size,
    parse_global_id,
    query_id,
    to_global_id,
)
from schema.jobs import JobQueries
from schema.permissions import CanRead
from schema.types.asset import Asset, AssetEdge
from schema.types.collection import Collection, CollectionEdge
from schema.types.common import Node, PageInfo
from schema.types.connection import connection
from schema.types.job import Job
from schema.types.relationship import Relationship
from schema.types.sync import SceneContextEntry

strawberry.enum(AssetOrderField, name="AssetOrderField")


@strawberry.input
class AssetOrder:
    field: AssetOrderField = AssetOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class AssetFilter:
    types: list[str] | None = None
    tags_all: list[str] | None = None
    tags_any: list[str] | None = None
    search: str | None = strawberry.field(
        default=None, description="Trigram match on the name, full text on name and description."
    )
    collection_id: strawberry.ID | None = None
    sources: list[str] | None = None
    include_deleted: bool = False


@strawberry.type
class AssetConnection:
    edges: list[AssetEdge]
    page_info: PageInfo
    filter: strawberry.Private[DomainAssetFilter]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await count_assets(info.context.tx, self.filter)


@strawberry.type
class CollectionConnection:
    edges: list[CollectionEdge]
    page_info: PageInfo
    types: strawberry.Private[list[str] | None]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await count_collections(info.context.tx, types=self.types)


@strawberry.type
class Workspace(Node):
    id: strawberry.ID
    name: str
    slug: str
    created_at: datetime


@strawberry.type
class Viewer:
    workspace: Workspace
    role: str
    actor: str


def _domain_filter(f: AssetFilter | None) -> DomainAssetFilter:
    if f is None:
        return DomainAssetFilter()
    collection_id: UUID | None = None
    if f.collection_id is not None:
        collection_id = query_id(f.collection_id, "Collection", "filter.collectionId")
    if f.search is not None and len(f.search) > 200:
        raise bad_input("search is longer than 200 characters", "filter.search")
    return DomainAssetFilter(
        types=f.types,
        tags_all=f.tags_all,
        tags_any=f.tags_any,
        search=f.search,
        collection_id=collection_id,
        sources=f.sources,
        include_deleted=f.include_deleted,
    )


async def _load_node(info: Info, type_name: str, raw_id: UUID) -> Node | None:
    loaders = info.context.loaders
    if type_name == "Asset":
        asset = await loaders.asset_by_id.load(raw_id)
        return Asset.from_record(asset) if asset else None
    if type_name == "Collection":
        collection = await loaders.collection_by_id.load(raw_id)
        return Collection.from_record(collection) if collection else None
    if type_name == "Job":
        job = await loaders.job_by_id.load(raw_id)
        return Job.from_record(job) if job else None
    if type_name == "Relationship":
        relationship = await loaders.relationship_by_id.load(raw_id)
        return Relationship.from_record(relationship) if relationship else None
    return None


def _node_key(value: str) -> tuple[str, UUID]:
    parsed = parse_global_id(value)
    raw_id = decode_uuid(value, parsed[0]) if parsed else None
    if parsed is None or raw_id is None:
        raise bad_input(f"{value[:100]!r} is not a valid ID", "id")
    return parsed[0], raw_id


@strawberry.type
class Query(JobQueries):
    @strawberry.field(permission_classes=[CanRead])
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _load_node(info, *_node_key(id))

    @strawberry.field(permission_classes=[CanRead])
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        limit = info.context.limits.max_page_size
        if len(ids) > limit:
            raise bad_input(f"at most {limit} ids", "ids")
        keys = [_node_key(i) for i in ids]
        # Start every load before awaiting any, so the loaders batch them.
        return list(await asyncio.gather(*(_load_node(info, t, i) for t, i in keys)))

    @strawberry.field(permission_classes=[CanRead])
    async def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        assert principal is not None  # CanRead
        workspace = await access.get_workspace(info.context.tx, principal.workspace_id)
        assert workspace is not None
        return Viewer(
            workspace=Workspace(
                id=strawberry.ID(to_global_id("Workspace", workspace.id)),
                name=workspace.name,
                slug=workspace.slug,
                created_at=workspace.created_at,
            ),
            role=principal.role.value,
            actor=principal.actor,
        )

    @strawberry.field(permission_classes=[CanRead])
    async def asset(self, info: Info, id: strawberry.ID) -> Asset | None:
        record = await info.context.loaders.asset_by_id.load(query_id(id, "Asset"))
        return Asset.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead])
    async def assets(
        self, info: Info, filter: AssetFilter | None = None, order_by: AssetOrder | None = None,
        first: int | None = None, after: str | None = None,
    ) -> AssetConnection:
        order = order_by or AssetOrder()
        domain_order = DomainAssetOrder(order.field, order.direction)
        cursor = decode_cursor(after, *domain_order.key_shape)
        domain_filter = _domain_filter(filter)
        page = await list_assets(
            info.context.tx,
            domain_filter,
            domain_order,
            first=page_size(first, info.context.limits.max_page_size),
            after=cursor,
        )
        return connection(
            AssetConnection, page, lambda c, r: AssetEdge(cursor=c, node=Asset.from_record(r)),
            has_previous=cursor is not None, filter=domain_filter,
        )

    @strawberry.field(permission_classes=[CanRead],
                      description="Per instance used in the scene: what a prompt builder needs.")
    async def scene_context(self, info: Info, scene_id: strawberry.ID
                            ) -> list[SceneContextEntry]:
        found = await info.context.loaders.instances_by_scene.load(
            query_id(scene_id, "Asset", "sceneId"))
        return [
            SceneContextEntry(
                asset_id=strawberry.ID(to_global_id("Asset", i.asset.id)),
                project_asset_id=strawberry.ID(to_global_id("Asset", i.project_asset.id)),
                name=i.asset.name, type=i.asset.type, description=i.asset.description,
                status_tags=i.asset.tags, image_url=i.asset.url,
            )
            for i in found
        ]

    @strawberry.field(permission_classes=[CanRead])
    async def collection(self, info: Info, id: strawberry.ID) -> Collection | None:
        record = await info.context.loaders.collection_by_id.load(query_id(id, "Collection"))
        return Collection.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead])
    async def collections(
        self, info: Info, types: list[str] | None = None, first: int | None = None,
        after: str | None = None,
    ) -> CollectionConnection:
        cursor = decode_cursor(after, *COLLECTION_KEY)
        page = await list_collections(
            info.context.tx,
            types=types,
            first=page_size(first, info.context.limits.max_page_size),
            after=cursor,
        )
        return connection(
            CollectionConnection, page,
            lambda c, r: CollectionEdge(cursor=c, node=Collection.from_record(r)),
            has_previous=cursor is not None, types=types,
        )

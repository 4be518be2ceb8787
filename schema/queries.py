"""The root `Query`: nodes by global ID, assets, collections, the viewer."""

import asyncio
from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from domain import access
from domain.assets.queries import AssetFilter as DomainAssetFilter
from domain.assets.queries import AssetOrder as DomainAssetOrder
from domain.assets.queries import count_assets, list_assets
from domain.assets.vocabulary import AssetOrderField, OrderDirection
from domain.collections.queries import COLLECTION_KEY, count_collections, list_collections
from schema.branches import BranchQueries
from schema.context import Info
from schema.generation import Budget, budget_of
from schema.inputs import (
    After,
    First,
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
from schema.types.common import AssetOrigin, Node, PageInfo, enum_type
from schema.types.connection import connection
from schema.types.job import Job
from schema.types.relationship import Relationship
from schema.types.scene import SceneBrief, SceneContextEntry

enum_type(AssetOrderField, name="AssetOrderField",
          description="What a list of assets is sorted by; ties are broken by id.", values={
              AssetOrderField.CREATED_AT: "Creation time.",
              AssetOrderField.UPDATED_AT: "Time of the last change.",
              AssetOrderField.NAME: "Name, by the database's collation.",
          })


@strawberry.input(description="The order of a list of assets.")
class AssetOrder:
    field: AssetOrderField = strawberry.field(default=AssetOrderField.CREATED_AT,
                                              description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC,
                                                 description="Ascending or descending.")


@strawberry.input(description="Which assets to list: every condition given must hold.")
class AssetFilter:
    types: list[str] | None = strawberry.field(
        default=None, description="Assets of one of these types; an empty list matches none.")
    tags_all: list[str] | None = strawberry.field(
        default=None, description="Assets carrying every one of these tags.")
    tags_any: list[str] | None = strawberry.field(
        default=None, description="Assets carrying at least one of these tags.")
    search: str | None = strawberry.field(
        default=None, description="Trigram match on the name, full text on name and "
                                  "description; at most 200 characters."
    )
    collection_id: strawberry.ID | None = strawberry.field(
        default=None, description="Members of this collection.")
    sources: list[str] | None = strawberry.field(
        default=None, description="Assets whose source is one of upload, generation, import, "
                                  "derivative.")
    include_deleted: bool = strawberry.field(
        default=False, description="Include soft-deleted assets (deletedAt set).")
    origin: list[AssetOrigin] | None = strawberry.field(
        default=None, description="Assets whose origin (see AssetOrigin) is one of these; an "
                                  "empty list matches none.")
    outdated: bool | None = strawberry.field(
        default=None, description="true: assets whose sync source has a newer version than "
                                  "they last synced from (sync.outdated, an update is "
                                  "available); false: every other asset, those without a sync "
                                  "source included; null: either.")
    locked: bool | None = strawberry.field(
        default=None, description="true: locked assets only; false: unlocked ones only; "
                                  "null: either.")
    legacy_ids: list[str] | None = strawberry.field(
        default=None, description="Assets imported from the legacy app whose legacy row "
                                  "(`metadata.legacy.id`) is one of these ids; an empty list "
                                  "matches none.")


@strawberry.type(description="A page of the workspace's assets.")
class AssetConnection:
    edges: list[AssetEdge] = strawberry.field(description="The assets of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    filter: strawberry.Private[DomainAssetFilter]

    @strawberry.field(description="How many assets the whole filtered list holds (counted "
                                  "only when asked).")
    async def total_count(self, info: Info) -> int:
        return await count_assets(info.context.tx, self.filter)


@strawberry.type(description="A page of the workspace's collections.")
class CollectionConnection:
    edges: list[CollectionEdge] = strawberry.field(
        description="The collections of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    types: strawberry.Private[list[str] | None]

    @strawberry.field(description="How many collections the whole filtered list holds.")
    async def total_count(self, info: Info) -> int:
        return await count_collections(info.context.tx, types=self.types)


@strawberry.type(description="A tenant: every asset, collection, job and token belongs to "
                             "exactly one workspace, and a token sees only its own.")
class Workspace(Node):
    id: strawberry.ID = strawberry.field(description="Global ID of the workspace.")
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="URL-safe unique name, e.g. night-ledger.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")

    @strawberry.field(description="The workspace's generation budget and where spending "
                                  "stands; null when none is set (setBudget).")
    async def budget(self, info: Info) -> Budget | None:
        return await budget_of(info, None)


@strawberry.type(description="Who is asking: the bearer token's workspace, role and name.")
class Viewer:
    workspace: Workspace = strawberry.field(description="The workspace the token belongs to.")
    role: str = strawberry.field(
        description="What the token may do: `viewer` (read), `editor` (read and write) or "
                    "`admin` (also purge). Always one of these three.")
    actor: str = strawberry.field(
        description="The token's name, recorded as the actor of every event it causes.")


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
        origins=f.origin,
        outdated=f.outdated,
        locked=f.locked,
        legacy_ids=f.legacy_ids,
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


@strawberry.type(description="Reads. Each request reads one consistent snapshot; any role "
                             "may read.")
class Query(JobQueries, BranchQueries):
    @strawberry.field(permission_classes=[CanRead],
                      description="The Asset, Collection, Job or Relationship with this global "
                                  "ID; null if none exists in the workspace.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="A global ID of any type.")]) -> Node | None:
        return await _load_node(info, *_node_key(id))

    @strawberry.field(permission_classes=[CanRead],
                      description="Several nodes at once, in the order of `ids`, null where "
                                  "none exists.")
    async def nodes(self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="Up to 100 global IDs, of any types.")]) -> list[Node | None]:
        limit = info.context.limits.max_page_size
        if len(ids) > limit:
            raise bad_input(f"at most {limit} ids", "ids")
        keys = [_node_key(i) for i in ids]
        # Start every load before awaiting any, so the loaders batch them.
        return list(await asyncio.gather(*(_load_node(info, t, i) for t, i in keys)))

    @strawberry.field(permission_classes=[CanRead],
                      description="The caller: workspace, role and actor name of the token.")
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

    @strawberry.field(permission_classes=[CanRead],
                      description="An asset, soft-deleted or not; null if none has this ID.")
    async def asset(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The asset's global ID.")]) -> Asset | None:
        record = await info.context.loaders.asset_by_id.load(query_id(id, "Asset"))
        return Asset.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead],
                      description="The workspace's assets, filtered and ordered; live ones "
                                  "unless includeDeleted.")
    async def assets(
        self, info: Info,
        filter: Annotated[AssetFilter | None, strawberry.argument(
            description="Which assets; null for every live asset.")] = None,
        order_by: Annotated[AssetOrder | None, strawberry.argument(
            description="Default: by creation time, oldest first.")] = None,
        first: First = None, after: After = None,
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
    async def scene_context(
        self, info: Info, scene_id: Annotated[strawberry.ID, strawberry.argument(
            description="The scene asset's global ID.")],
    ) -> list[SceneContextEntry]:
        found = await info.context.loaders.instances_by_scene.load(
            query_id(scene_id, "Asset", "sceneId"))
        return [SceneContextEntry.of(i) for i in found]

    @strawberry.field(permission_classes=[CanRead],
                      description="The scene, its place in the film, its script excerpt and "
                                  "end state, the previous scene's end state, and its "
                                  "sceneContext entries; null if no live scene has this ID.")
    async def scene_brief(
        self, info: Info, scene_id: Annotated[strawberry.ID, strawberry.argument(
            description="The scene asset's global ID.")],
    ) -> SceneBrief | None:
        loaders = info.context.loaders
        raw_id = query_id(scene_id, "Asset", "sceneId")
        scene, placed, neighbours, instances = await asyncio.gather(
            loaders.asset_by_id.load(raw_id), loaders.placement_by_asset.load(raw_id),
            loaders.neighbours_by_scene.load(raw_id), loaders.instances_by_scene.load(raw_id))
        if scene is None or scene.type != "scene" or scene.deleted_at is not None:
            return None
        previous = (await loaders.asset_by_id.load(neighbours.previous_id)
                    if neighbours.previous_id else None)
        return SceneBrief.of(scene, placed.scene_number, previous, instances)

    @strawberry.field(permission_classes=[CanRead],
                      description="A collection; null if none has this ID.")
    async def collection(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The collection's global ID.")]) -> Collection | None:
        record = await info.context.loaders.collection_by_id.load(query_id(id, "Collection"))
        return Collection.from_record(record) if record else None

    @strawberry.field(permission_classes=[CanRead],
                      description="The workspace's collections, oldest first.")
    async def collections(
        self, info: Info,
        types: Annotated[list[str] | None, strawberry.argument(
            description="Only collections of these types (library, project, ...); null for "
                        "all, an empty list for none.")] = None,
        first: First = None, after: After = None,
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

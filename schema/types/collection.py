"""Collections (libraries, projects, ...) and their ordered member assets."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain.collections.queries import COLLECTION_KEY, MEMBER_KEY
from domain.records import CollectionRecord
from schema.context import Info
from schema.dataloaders import CollectionPageArgs, MemberArgs
from schema.inputs import After, First, decode_cursor, page_size, to_global_id
from schema.types.asset import Asset
from schema.types.common import Node, PageInfo
from schema.types.connection import connection
from schema.types.record_fields import build

if TYPE_CHECKING:
    from schema.generation import Budget


@strawberry.type(description="A member asset of a collection, at its position.")
class CollectionAssetEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    sequence: int = strawberry.field(
        description="The asset's position in the collection (ascending; gaps allowed).")
    node: Asset = strawberry.field(description="The member asset.")


@strawberry.type(description="A page of a collection's live member assets.")
class CollectionAssetConnection:
    edges: list[CollectionAssetEdge] = strawberry.field(
        description="The members of this page, in collection order.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(
        description="How many live members (of the asked types) the collection holds.")


@strawberry.type(description="An ordered, named group of assets: a library, a project, a "
                             "character sheet, a storyboard, ... An asset may be in many.")
class Collection(Node):
    record: strawberry.Private[CollectionRecord]
    id: strawberry.ID = strawberry.field(description="Global ID of the collection.")
    name: str = strawberry.field(description="Display name; not unique.")
    type: str = strawberry.field(
        description="A lowercase word: library, project, character, storyboard or another.")
    description: str = strawberry.field(description="Free text; empty when none.")
    metadata: JSON = strawberry.field(description="Free JSON object for clients' own use.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    style_required: bool = strawberry.field(
        description="On a project: image generation in it is refused (STYLE_REQUIRED) when no "
                    "style applies to the asset. Set with setStyle.")

    @strawberry.field(description="On a project: its style (setStyle), the last resort of "
                                  "every asset's effectiveStyle; null when none.")
    async def style(self, info: Info) -> Asset | None:
        if self.record.style_id is None:
            return None
        record = await info.context.loaders.asset_by_id.load(self.record.style_id)
        return Asset.from_record(record) if record and record.deleted_at is None else None

    @strawberry.field(description="Its generation budget and where spending stands; null when "
                                  "none is set (setBudget).")
    async def budget(self, info: Info) -> Annotated["Budget", strawberry.lazy(
            "schema.generation")] | None:
        from schema.generation import budget_of

        return await budget_of(info, self.record.id)

    @strawberry.field(description="On a branch (made by forkProject): the project it was "
                                  "forked from; null on a collection that is no branch, or "
                                  "whose project was deleted.")
    async def branch_of(self, info: Info) -> Optional["Collection"]:
        return await _collection(info, self.record.branch_of)

    @strawberry.field(description="On a project: its branches, the projects forkProject made "
                                  "from it, oldest first (a fork of a branch is listed on "
                                  "that branch).")
    async def branches(self, info: Info, first: First = None, after: After = None
                       ) -> "CollectionBranchesConnection":
        cursor = decode_cursor(after, *COLLECTION_KEY)
        args = CollectionPageArgs(first=page_size(first, info.context.limits.max_page_size),
                                  after=cursor)
        page = await info.context.loaders.branches_by_collection.load((self.record.id, args))
        return connection(
            CollectionBranchesConnection, page,
            lambda c, r: CollectionEdge(cursor=c, node=Collection.from_record(r)),
            has_previous=cursor is not None)

    @strawberry.field(description="On a project: the branch in use, as setActiveBranch chose "
                                  "it (one of its branches, or a fork of one). Null when the "
                                  "project itself is active, which it is until "
                                  "setActiveBranch names a branch.")
    async def active_branch(self, info: Info) -> Optional["Collection"]:
        return await _collection(info, self.record.active_branch_id)

    @classmethod
    def from_record(cls, r: CollectionRecord) -> "Collection":
        return build(cls, r, id=strawberry.ID(to_global_id("Collection", r.id)))

    @strawberry.field(description="The live member assets, in collection order.")
    async def assets(
        self, info: Info,
        types: Annotated[list[str] | None, strawberry.argument(
            description="Only members of these asset types; null for all.")] = None,
        first: First = None, after: After = None,
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


@strawberry.type(description="A collection in a list of collections.")
class CollectionEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Collection = strawberry.field(description="The collection.")


@strawberry.type(description="A page of a project's branches.")
class CollectionBranchesConnection:
    edges: list[CollectionEdge] = strawberry.field(
        description="The branches of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many branches the project has.")


async def _collection(info: Info, collection_id: UUID | None) -> Collection | None:
    if collection_id is None:
        return None
    record = await info.context.loaders.collection_by_id.load(collection_id)
    return Collection.from_record(record) if record else None


@strawberry.type(description="A page of the collections holding an asset.")
class AssetCollectionsConnection:
    edges: list[CollectionEdge] = strawberry.field(
        description="The collections of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many collections hold the asset.")

"""Per-request dataloaders: each batch is one bulk query, realigned to its keys.

Loaders that take arguments (page size, cursor, types) are keyed by `(owner id, args)`; a
batch runs one statement per distinct `args`, so a list of 50 scenes asking the same
`children(first: 10)` costs one statement, whatever its length.
"""

import asyncio
from asyncio import Future
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from domain import events
from domain.assets.origin import asset_origins
from domain.assets.queries import get_assets, live_dependents
from domain.assets.vocabulary import AssetOrigin
from domain.branches.queries import branch_pages
from domain.collections.queries import (
    Member,
    collection_pages,
    get_collections,
    member_pages,
)
from domain.db import Transaction
from domain.graph.queries import (
    Lineage,
    edge_pages,
    get_relationships,
    lineages,
)
from domain.graph.vocabulary import EdgeDirection, LineageDirection, RelationshipType
from domain.jobs.budgets import BudgetStatus, budgets_of, statuses
from domain.jobs.queries import get_jobs, job_pages
from domain.jobs.rules import JobStatus
from domain.records import (
    AssetRecord,
    CollectionRecord,
    EventRecord,
    JobRecord,
    Key,
    Page,
    RelationshipRecord,
)
from domain.scenes.queries import (
    InheritedFrom,
    Instance,
    Neighbours,
    Placement,
    inherited_from,
    instance_pages,
    instances_of_scenes,
    placements,
    scene_neighbours,
)
from domain.sync.queries import SyncSource, sync_sources

A = TypeVar("A", bound=Hashable)
K = TypeVar("K")
V = TypeVar("V")


class SharedLoader(DataLoader[K, V], Generic[K, V]):
    """A loader whose futures survive the cancellation of one of their awaiters.

    Two resolvers loading one key share one future; when graphql-core cancels one of them
    (its sibling's error nulled their parent), awaiting the shared future directly would
    cancel it for the other, which would then fail with a CancelledError instead of its
    value. Each caller awaits a shield of the shared future instead."""

    def load(self, key: K) -> "Future[V]":
        return asyncio.shield(super().load(key))


class ByIdLoader(SharedLoader[UUID, V | None], Generic[V]):
    fetch: Callable[[Transaction, Sequence[UUID]], Awaitable[dict[UUID, V]]]

    def __init__(self, tx: Transaction) -> None:
        super().__init__()
        self.tx = tx

    async def batch_load_fn(self, keys: Sequence[UUID]) -> list[V | None]:
        found = await type(self).fetch(self.tx, list(dict.fromkeys(keys)))
        return [found.get(key) for key in keys]


class AssetByIdLoader(ByIdLoader[AssetRecord]):
    fetch = staticmethod(get_assets)


class RelationshipByIdLoader(ByIdLoader[RelationshipRecord]):
    fetch = staticmethod(get_relationships)


class CollectionByIdLoader(ByIdLoader[CollectionRecord]):
    fetch = staticmethod(get_collections)


class ByOwnerLoader(SharedLoader[UUID, V], Generic[V]):
    """One value per owner id (a list, a count), from one grouped query."""

    fetch: Callable[[Transaction, Sequence[UUID]], Awaitable[dict[UUID, V]]]

    def __init__(self, tx: Transaction) -> None:
        super().__init__()
        self.tx = tx

    async def batch_load_fn(self, keys: Sequence[UUID]) -> list[V]:
        found = await type(self).fetch(self.tx, list(dict.fromkeys(keys)))
        return [found[key] for key in keys]


class DependentsByAssetLoader(ByOwnerLoader[list[AssetRecord]]):
    fetch = staticmethod(live_dependents)


class OriginByAssetLoader(ByOwnerLoader[AssetOrigin]):
    fetch = staticmethod(asset_origins)


async def _modification_counts(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, int]:
    return await events.count_events(tx, ids, topics=["asset.updated"])


async def _last_updates(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, EventRecord | None]:
    found = await events.last_events(tx, ids, "asset.updated")
    return {asset_id: found.get(asset_id) for asset_id in ids}


class SyncSourceByAssetLoader(ByIdLoader[SyncSource]):
    fetch = staticmethod(sync_sources)


class JobByIdLoader(ByIdLoader[JobRecord]):
    fetch = staticmethod(get_jobs)


class InstancesBySceneLoader(ByOwnerLoader[list[Instance]]):
    fetch = staticmethod(instances_of_scenes)


class NeighboursBySceneLoader(ByOwnerLoader[Neighbours]):
    fetch = staticmethod(scene_neighbours)


class PlacementByAssetLoader(ByOwnerLoader[Placement]):
    fetch = staticmethod(placements)


class InheritedFromByInstanceLoader(ByOwnerLoader[InheritedFrom | None]):
    fetch = staticmethod(inherited_from)


async def _budgets(tx: Transaction, scopes: Sequence[UUID]
                   ) -> dict[UUID, BudgetStatus | None]:
    """Keys are collection ids, or the workspace's id for its own budget."""
    wanted = [None if scope == tx.ws else scope for scope in scopes]
    found = await budgets_of(tx, wanted)
    by_scope = {s.budget.collection_id: s for s in await statuses(tx, list(found.values()))}
    return {scope: by_scope.get(None if scope == tx.ws else scope) for scope in scopes}


class BudgetByScopeLoader(ByOwnerLoader[BudgetStatus | None]):
    fetch = staticmethod(_budgets)


class ModificationCountByAssetLoader(ByOwnerLoader[int]):
    fetch = staticmethod(_modification_counts)


class LastUpdateByAssetLoader(ByOwnerLoader[EventRecord | None]):
    fetch = staticmethod(_last_updates)


class ByOwnerWithArgsLoader(SharedLoader[tuple[UUID, A], V], Generic[A, V]):
    """Keys are (owner id, args); one fetch per distinct args in the batch."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__()
        self.tx = tx

    fetch: Callable[[Sequence[UUID], A], Awaitable[dict[UUID, V]]]

    async def batch_load_fn(self, keys: Sequence[tuple[UUID, A]]) -> list[V]:
        groups: dict[A, list[UUID]] = {}
        for owner, args in keys:
            groups.setdefault(args, []).append(owner)
        results: dict[tuple[UUID, A], V] = {}
        for args, owners in groups.items():
            found = await self.fetch(list(dict.fromkeys(owners)), args)
            results.update({(owner, args): found[owner] for owner in owners})
        return [results[key] for key in keys]


@dataclass(frozen=True)
class EdgeArgs:
    direction: EdgeDirection
    types: tuple[RelationshipType, ...] | None
    first: int
    after: Key | None


class EdgesByAssetLoader(ByOwnerWithArgsLoader[EdgeArgs, Page[RelationshipRecord]]):
    async def fetch(
        self, owners: Sequence[UUID], args: EdgeArgs
    ) -> dict[UUID, Page[RelationshipRecord]]:
        return await edge_pages(
            self.tx, owners, direction=args.direction, types=args.types, first=args.first,
            after=args.after,
        )


@dataclass(frozen=True)
class LineageArgs:
    direction: LineageDirection
    types: tuple[RelationshipType, ...] | None
    max_depth: int
    first: int


class LineageByAssetLoader(ByOwnerWithArgsLoader[LineageArgs, Lineage]):
    async def fetch(self, owners: Sequence[UUID], args: LineageArgs) -> dict[UUID, Lineage]:
        return await lineages(
            self.tx, owners, direction=args.direction, types=args.types,
            max_depth=args.max_depth, first=args.first,
        )


@dataclass(frozen=True)
class HistoryArgs:
    first: int
    after: Key | None


class HistoryByAssetLoader(ByOwnerWithArgsLoader[HistoryArgs, Page[EventRecord]]):
    async def fetch(
        self, owners: Sequence[UUID], args: HistoryArgs
    ) -> dict[UUID, Page[EventRecord]]:
        return await events.history_pages(self.tx, owners, first=args.first, after=args.after)


@dataclass(frozen=True)
class MemberArgs:
    types: tuple[str, ...] | None
    first: int
    after: Key | None


class MembersByCollectionLoader(ByOwnerWithArgsLoader[MemberArgs, Page[Member]]):
    async def fetch(self, owners: Sequence[UUID], args: MemberArgs) -> dict[UUID, Page[Member]]:
        return await member_pages(
            self.tx, owners, types=args.types, first=args.first, after=args.after
        )


@dataclass(frozen=True)
class CollectionPageArgs:
    first: int
    after: Key | None


class CollectionsByAssetLoader(
        ByOwnerWithArgsLoader[CollectionPageArgs, Page[CollectionRecord]]):
    async def fetch(self, owners: Sequence[UUID], args: CollectionPageArgs
                    ) -> dict[UUID, Page[CollectionRecord]]:
        return await collection_pages(self.tx, owners, first=args.first, after=args.after)


class BranchesByCollectionLoader(
        ByOwnerWithArgsLoader[CollectionPageArgs, Page[CollectionRecord]]):
    async def fetch(self, owners: Sequence[UUID], args: CollectionPageArgs
                    ) -> dict[UUID, Page[CollectionRecord]]:
        return await branch_pages(self.tx, owners, first=args.first, after=args.after)


@dataclass(frozen=True)
class JobPageArgs:
    statuses: tuple[JobStatus, ...] | None
    first: int
    after: Key | None


@dataclass(frozen=True)
class InstancePageArgs:
    first: int
    after: Key | None


class InstancesByOwnerLoader(ByOwnerWithArgsLoader[InstancePageArgs, Page[AssetRecord]]):
    async def fetch(self, owners: Sequence[UUID], args: InstancePageArgs
                    ) -> dict[UUID, Page[AssetRecord]]:
        return await instance_pages(self.tx, owners, first=args.first, after=args.after)


class JobsByAssetLoader(ByOwnerWithArgsLoader[JobPageArgs, Page[JobRecord]]):
    async def fetch(self, owners: Sequence[UUID], args: JobPageArgs
                    ) -> dict[UUID, Page[JobRecord]]:
        return await job_pages(self.tx, owners, statuses=args.statuses, first=args.first,
                               after=args.after)


class Loaders:
    """Every loader of one request, each made on first use inside the request's event loop (a
    request answered by the compiled read path, or a mutation, uses few or none)."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    @cached_property
    def asset_by_id(self) -> AssetByIdLoader:
        return AssetByIdLoader(self.tx)

    @cached_property
    def relationship_by_id(self) -> RelationshipByIdLoader:
        return RelationshipByIdLoader(self.tx)

    @cached_property
    def collection_by_id(self) -> CollectionByIdLoader:
        return CollectionByIdLoader(self.tx)

    @cached_property
    def collections_by_asset(self) -> CollectionsByAssetLoader:
        return CollectionsByAssetLoader(self.tx)

    @cached_property
    def branches_by_collection(self) -> BranchesByCollectionLoader:
        return BranchesByCollectionLoader(self.tx)

    @cached_property
    def dependents_by_asset(self) -> DependentsByAssetLoader:
        return DependentsByAssetLoader(self.tx)

    @cached_property
    def origin_by_asset(self) -> OriginByAssetLoader:
        return OriginByAssetLoader(self.tx)

    @cached_property
    def modification_count_by_asset(self) -> ModificationCountByAssetLoader:
        return ModificationCountByAssetLoader(self.tx)

    @cached_property
    def last_update_by_asset(self) -> LastUpdateByAssetLoader:
        return LastUpdateByAssetLoader(self.tx)

    @cached_property
    def sync_source_by_asset(self) -> SyncSourceByAssetLoader:
        return SyncSourceByAssetLoader(self.tx)

    @cached_property
    def job_by_id(self) -> JobByIdLoader:
        return JobByIdLoader(self.tx)

    @cached_property
    def jobs_by_asset(self) -> JobsByAssetLoader:
        return JobsByAssetLoader(self.tx)

    @cached_property
    def instances_by_scene(self) -> InstancesBySceneLoader:
        return InstancesBySceneLoader(self.tx)

    @cached_property
    def instances_by_owner(self) -> InstancesByOwnerLoader:
        return InstancesByOwnerLoader(self.tx)

    @cached_property
    def budget_by_scope(self) -> BudgetByScopeLoader:
        return BudgetByScopeLoader(self.tx)

    @cached_property
    def placement_by_asset(self) -> PlacementByAssetLoader:
        return PlacementByAssetLoader(self.tx)

    @cached_property
    def inherited_from_by_instance(self) -> InheritedFromByInstanceLoader:
        return InheritedFromByInstanceLoader(self.tx)

    @cached_property
    def neighbours_by_scene(self) -> NeighboursBySceneLoader:
        return NeighboursBySceneLoader(self.tx)

    @cached_property
    def edges_by_asset(self) -> EdgesByAssetLoader:
        return EdgesByAssetLoader(self.tx)

    @cached_property
    def lineage_by_asset(self) -> LineageByAssetLoader:
        return LineageByAssetLoader(self.tx)

    @cached_property
    def history_by_asset(self) -> HistoryByAssetLoader:
        return HistoryByAssetLoader(self.tx)

    @cached_property
    def members_by_collection(self) -> MembersByCollectionLoader:
        return MembersByCollectionLoader(self.tx)

    def forget(self) -> None:
        """After a write every cached read may be stale: drop them all."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()

"""Clone, override tracking, revert, sync and promote. They never commit.

Every writer takes the derived asset's row lock first, so a sync, an edit and a revert of one
asset serialise: each sees the others' results and every change lands in the history.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.assets import queries as asset_queries
from domain.assets.use_cases import copy_asset, get_live_asset_for_update, refuse_if_locked
from domain.assets.vocabulary import AssetSource
from domain.collections import queries as collection_queries
from domain.collections.use_cases import add_to_collection
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, not_found
from domain.events import record_event
from domain.graph import queries as graph_queries
from domain.graph.use_cases import NewEdge, add_edges
from domain.graph.vocabulary import RelationshipType
from domain.ids import lock_key
from domain.records import AssetRecord, RelationshipRecord
from domain.rules import name_errors, raise_if
from domain.sync import queries
from domain.sync.rules import (
    SYNC_KEYS,
    Conflict,
    column_values,
    is_syncable,
    plan_sync,
    snapshot,
    sync_metadata,
)
from domain.sync.vocabulary import NameStrategy, PromoteConflict, PromoteOutcome, SyncTake


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class SyncLink:
    """`source` as the sync source of `child` (an edge of `relationship_type`); by default
    synced now, from the source's current version and values."""

    child: AssetRecord
    source: AssetRecord
    relationship_type: RelationshipType
    overridden: list[str]
    base: dict[str, Any] | None = None
    source_version: int | None = None
    synced_at: str | None = None


def sync_source_edges(links: Sequence[SyncLink]) -> list[NewEdge]:
    """The edges that make each link's source the sync source of its child (for a caller
    inserting them with edges of its own in one `add_edges`)."""
    now = now_iso()
    bases: dict[tuple[UUID, RelationshipType], dict[str, Any]] = {}

    def base_of(link: SyncLink) -> dict[str, Any]:
        if link.base is not None:
            return link.base
        key = (link.source.id, link.relationship_type)
        if key not in bases:  # a source of many children: one snapshot
            bases[key] = snapshot(link.source, link.relationship_type)
        return bases[key]

    return [NewEdge(link.source.id, link.child.id, link.relationship_type, metadata=sync_metadata(
        source_version=link.source.version if link.source_version is None else link.source_version,
        synced_at=now if link.synced_at is None else link.synced_at,
        overridden=link.overridden, base=base_of(link))) for link in links]


async def link_sync_sources(tx: Transaction, links: Sequence[SyncLink]
                            ) -> list[RelationshipRecord]:
    """Make each link's source the sync source of its child, in one statement (`add_edges`);
    the edges, in the order given."""
    return await add_edges(tx, sync_source_edges(links))


async def link_sync_source(
    tx: Transaction, *, child: AssetRecord, source: AssetRecord,
    relationship_type: RelationshipType, overridden: list[str],
    base: dict[str, Any] | None = None, source_version: int | None = None,
    synced_at: str | None = None,
) -> RelationshipRecord:
    """One sync source (`link_sync_sources`)."""
    return (await link_sync_sources(tx, [SyncLink(child, source, relationship_type, overridden,
                                                  base, source_version, synced_at)]))[0]


async def clone_asset(
    tx: Transaction, *, source_id: UUID, collection_id: UUID, name_strategy: NameStrategy,
    custom_name: str | None = None, description_override: str | None = None,
) -> AssetRecord:
    """A new asset in the collection, `derived_from` the source, with its syncable fields."""
    source = (await asset_queries.get_assets(tx, [source_id])).get(source_id)
    if source is None or source.deleted_at is not None:
        raise not_found("asset", "sourceId")
    collection = (await collection_queries.get_collections(tx, [collection_id])).get(
        collection_id)
    if collection is None:
        raise not_found("collection", "collectionId")
    if name_strategy == NameStrategy.CUSTOM:
        if custom_name is None:
            raise DomainError.of(ErrorCode.INVALID, "customName is required with CUSTOM",
                                 "customName")
        name = custom_name
        raise_if(name_errors(name, "customName"))
    elif name_strategy == NameStrategy.SOURCE_WITH_COLLECTION:
        name = f"{source.name} ({collection.name})"[:255]
    else:
        name = source.name
    overridden = ["name"] if name != source.name else []
    description = source.description
    if description_override is not None and description_override != source.description:
        description = description_override
        overridden.append("description")
    clone = await copy_asset(tx, source, source=AssetSource.DERIVATIVE,
                             provenance={"cloned_from": source.id}, name=name,
                             description=description)
    await link_sync_source(tx, child=clone, source=source,
                           relationship_type=RelationshipType.DERIVED_FROM, overridden=overridden)
    await add_to_collection(tx, collection_id=collection_id, asset_id=clone.id)
    return clone


async def _derived_for_update(tx: Transaction, asset_id: UUID
                              ) -> tuple[AssetRecord, queries.SyncSource]:
    asset = await get_live_asset_for_update(tx, asset_id)
    refuse_if_locked(asset)
    sync = await queries.sync_source_for_update(tx, asset_id)
    if sync is None:
        raise DomainError.of(ErrorCode.INVALID, f"asset {asset.name!r} has no sync source", "id")
    if sync.source.deleted_at is not None:
        raise DomainError.of(ErrorCode.INVALID,
                             f"the source {sync.source.name!r} is deleted; restore it first",
                             "id")
    return asset, sync


async def revert_field(tx: Transaction, asset_id: UUID, field: str) -> AssetRecord:
    """Take the source's current value of one field and drop its override."""
    asset, sync = await _derived_for_update(tx, asset_id)
    kind = sync.edge.relationship_type
    if not is_syncable(field, kind):
        raise DomainError.of(ErrorCode.INVALID, f"{field!r} is not a synced field", "field")
    local, source = snapshot(asset, kind), snapshot(sync.source, kind)
    if field in sync.overridden:
        await queries.set_edge_metadata(tx, sync.edge.id, {
            **sync.edge.metadata,
            "overridden_fields": [f for f in sync.overridden if f != field]})
    if local.get(field) == source.get(field) and (field in local) == (field in source):
        return asset
    updated = await asset_queries.update_asset(
        tx, asset_id, column_values(asset, source, [field]), bump_version=True)
    await record_event(tx, "asset.updated", asset_id, {
        "changes": {field: {"before": local.get(field), "after": source.get(field)}},
        "reason": f"reverted {field} to the source", "version": updated.version})
    return updated


@dataclass(frozen=True)
class SyncResult:
    asset: AssetRecord
    applied: list[str]
    conflicts: list[Conflict]


async def sync_asset(
    tx: Transaction, asset_id: UUID, *, resolutions: Sequence[tuple[str, SyncTake]]
) -> SyncResult:
    """Pull from the sync source (DESIGN §4); never automatic.

    `resolutions`: how to resolve conflicting fields, as (field, take) pairs.
    """
    take_source = {f for f, take in resolutions if take == SyncTake.TAKE_SOURCE}
    keep_local = {f for f, take in resolutions if take == SyncTake.KEEP_LOCAL}
    asset, sync = await _derived_for_update(tx, asset_id)
    kind = sync.edge.relationship_type
    unknown = sorted(f for f in take_source | keep_local if not is_syncable(f, kind))
    if unknown:
        raise DomainError.of(ErrorCode.INVALID, f"not synced fields: {', '.join(unknown)}",
                             "resolutions")
    both = sorted(take_source & keep_local)
    if both:
        raise DomainError.of(ErrorCode.INVALID, f"resolved both ways: {', '.join(both)}",
                             "resolutions")
    local, source = snapshot(asset, kind), snapshot(sync.source, kind)
    plan = plan_sync(local, source, sync.base, sync.overridden, take_source)
    updated = asset
    if plan.applied:
        updated = await asset_queries.update_asset(
            tx, asset_id, column_values(asset, plan.values, plan.applied), bump_version=True)
    await queries.set_edge_metadata(tx, sync.edge.id, {
        **sync.edge.metadata,
        **sync_metadata(source_version=sync.source.version, synced_at=now_iso(),
                        overridden=plan.overridden, base=source)})
    await record_event(tx, "asset.synced", asset_id, {
        "source_id": sync.source.id,
        "source_version": sync.source.version,
        "changes": {f: {"before": local.get(f), "after": plan.values.get(f)}
                    for f in plan.applied},
        "conflicts_kept": [c.field for c in plan.kept_conflicts],
        "taken_from_source": sorted(take_source),
        "version": updated.version,
    })
    return SyncResult(updated, plan.applied, plan.kept_conflicts)


def _distinct_name(name: str, taken: set[str]) -> str:
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"[:255]


async def promote_asset(
    tx: Transaction, asset_id: UUID, *, library_id: UUID,
    on_conflict: PromoteConflict,
) -> tuple[AssetRecord, PromoteOutcome]:
    """Put a project asset into a library; it then syncs from the library asset."""
    asset = await get_live_asset_for_update(tx, asset_id)
    library = await collection_queries.get_collection_for_update(tx, library_id)
    if library is None:
        raise not_found("collection", "libraryId")
    if library.type != "library":
        raise DomainError.of(ErrorCode.INVALID,
                             f"collection {library.name!r} is a {library.type}, not a library",
                             "libraryId")
    # Serialise promotions into one library: the name check below must see the others.
    await graph_queries.lock_graph(tx, lock_key(tx.ws, f"library:{library_id}"))
    members = await collection_queries.live_members(tx, library_id, asset_type=asset.type)
    if any(m.id == asset.id for m in members):
        raise DomainError.of(ErrorCode.INVALID, f"{asset.name!r} is already in this library",
                             "id")
    existing = next((m for m in members if m.name == asset.name), None)
    if existing is not None and on_conflict == PromoteConflict.SKIP:
        return existing, PromoteOutcome.SKIPPED
    values = snapshot(asset, RelationshipType.DERIVED_FROM)
    if existing is not None and on_conflict == PromoteConflict.OVERWRITE:
        target = await get_live_asset_for_update(tx, existing.id, "libraryId")
        refuse_if_locked(target)
        if target.id == asset.id or await graph_queries.reaches(
                tx, start=target.id, target=asset.id,
                relationship_type=RelationshipType.DERIVED_FROM):
            raise DomainError.of(ErrorCode.CYCLE, "the library asset derives from this asset",
                                 "id")
        changes = column_values(target, values, [f for f in values if f != "name"])
        before = snapshot(target, RelationshipType.DERIVED_FROM)
        library_asset = await asset_queries.update_asset(tx, target.id, changes,
                                                         bump_version=True)
        after = snapshot(library_asset, RelationshipType.DERIVED_FROM)
        await record_event(tx, "asset.updated", target.id, {
            "changes": {f: {"before": before.get(f), "after": after.get(f)}
                        for f in sorted(set(before) | set(after))
                        if before.get(f) != after.get(f)},
            "reason": f"promoted from {asset.name!r}", "version": library_asset.version})
        outcome = PromoteOutcome.OVERWRITTEN
    else:
        name = asset.name if existing is None else _distinct_name(
            asset.name, {m.name for m in members})
        library_asset = await copy_asset(tx, asset, source=AssetSource.IMPORT,
                                         provenance={"promoted_from": asset.id}, name=name)
        await add_to_collection(tx, collection_id=library_id, asset_id=library_asset.id)
        outcome = PromoteOutcome.CREATED
    await _make_sync_source(tx, asset, library_asset)
    return library_asset, outcome


async def _make_sync_source(
    tx: Transaction, asset: AssetRecord, library_asset: AssetRecord
) -> None:
    """The library asset becomes the asset's only sync source, with a fresh base. Its name is
    the one override: when it differs (CREATE_NEW's `Name (2)`), a sync keeps the asset's
    own, as a clone with another name keeps its."""
    current = await queries.sync_source_for_update(tx, asset.id)
    if current is not None:
        plain = {k: v for k, v in current.edge.metadata.items() if k not in SYNC_KEYS}
        await queries.set_edge_metadata(tx, current.edge.id, plain)
    existing = await graph_queries.find_edge(
        tx, parent_id=library_asset.id, child_id=asset.id,
        relationship_type=RelationshipType.DERIVED_FROM)
    overridden = ["name"] if library_asset.name != asset.name else []
    metadata = sync_metadata(source_version=library_asset.version, synced_at=now_iso(),
                             overridden=overridden,
                             base=snapshot(library_asset, RelationshipType.DERIVED_FROM))
    if existing is not None:
        await queries.set_edge_metadata(tx, existing.id, {**existing.metadata, **metadata})
    else:
        await link_sync_source(tx, child=asset, source=library_asset,
                               relationship_type=RelationshipType.DERIVED_FROM,
                               overridden=overridden)

"""A legacy project's assets: members of their branch's collection, each cloned one with its
sync-source edge to the library asset as the legacy row left it (`source_version`,
`synced_at` = `last_synced_at`, `overridden_fields` as they were, `base` = the library asset's
values at this import), styled by its capsule, locked as it was.

A clone is recorded, not made anew: `clone_asset` copies the library's values now, while a
legacy project asset has values of its own (a localised image, an edited description). So the
asset is created with its legacy values and linked to its source with `link_sync_sources`,
the use case clone, promote and scene inheritance link through. A project's new assets are
made at once: created, made members and linked by one call each.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.use_cases import create_assets
from domain.assets.vocabulary import AssetSource
from domain.collections.use_cases import Membership, add_many_to_collection
from domain.graph.vocabulary import RelationshipType
from domain.legacy import queries
from domain.legacy.library import style_of
from domain.legacy.mapping import clean_name, digest, overridden_fields
from domain.legacy.report import Outcome, ProblemKind
from domain.legacy.rows import GlobalAsset, ProjectAsset, ProjectRows, StyleCapsule
from domain.legacy.unit import Create, Unit, Wanted, known_type, legacy_of, relock, upsert_many
from domain.records import AssetRecord, CollectionRecord
from domain.scenes.styles import set_asset_style
from domain.sync import queries as sync_queries
from domain.sync.rules import SYNC_KEYS, snapshot, sync_metadata
from domain.sync.use_cases import SyncLink, link_sync_sources

CLONE = RelationshipType.DERIVED_FROM


async def import_project_assets(unit: Unit, rows: ProjectRows,
                                collections: dict[UUID, CollectionRecord]
                                ) -> dict[UUID, AssetRecord]:
    """The imported project assets by legacy id; the new ones made at once (`_create`);
    stamped (versions final) before returning, so the instances made next record the right
    source version."""
    library = await _library_refs(unit, rows)
    kept: list[_Row] = []
    for row in rows.assets:
        collection = collections.get(row.branch_id)
        if collection is None:
            unit.report.skip(ProblemKind.ORPHAN, row.table, row.id,
                             f"its branch {row.branch_id} is not a branch of its project")
            continue
        kind = known_type(unit, row)
        if kind is None:
            continue
        kept.append(await _row(unit, row, kind, collection, library))
    done = await upsert_many(unit, [(r.wanted, unit.found(r.row)) for r in kept],
                             create=_create(unit, {r.row.id: r for r in kept}))
    changed = []
    for r, (asset, outcome) in zip(kept, done, strict=True):
        if outcome == Outcome.UPDATED:
            await _resync(unit, asset, r.row, r.source)
        if outcome in (Outcome.CREATED, Outcome.UPDATED):
            style = await style_of(unit, r.row, r.row.visual_style_capsule_id, library)
            if style is not None or outcome == Outcome.UPDATED:
                await set_asset_style(unit.tx, asset.id, style.id if style else None)
            changed.append((asset, r.row.locked))
    relocked = {asset.id: asset for asset in await relock(unit, changed)}
    for r, (asset, _) in zip(kept, done, strict=True):
        if relocked.get(asset.id, asset).updated_at != asset.updated_at:
            unit.keep_time(asset.id, r.row.updated_at)
    imported = {r.row.id: relocked.get(asset.id, asset)
                for r, (asset, _) in zip(kept, done, strict=True)}
    await unit.flush()
    return imported


@dataclass(frozen=True)
class _Row:
    """A project asset row to import: what its asset should be, its branch's collection and
    the library asset it syncs from."""

    row: ProjectAsset
    wanted: Wanted
    collection: CollectionRecord
    source: AssetRecord | None


async def _row(unit: Unit, row: ProjectAsset, kind: str, collection: CollectionRecord,
               library: dict[str, AssetRecord]) -> _Row:
    name, corrected = clean_name(row.name, "Untitled asset")
    if corrected:
        unit.report.problem(ProblemKind.INVALID_VALUE, row.table, row.id, corrected)
    source = library.get(str(row.global_asset_id)) if row.global_asset_id else None
    if row.global_asset_id is not None and source is None:
        unit.report.problem(ProblemKind.MISSING_REFERENCE, row.table, row.id,
                            f"global asset {row.global_asset_id} was not imported: imported "
                            "without a sync source")
    file = await unit.file(row, row.image_key_url)
    wanted = Wanted(
        row, kind, name, digest(row, file.sha256 if file else None, source and str(source.id)),
        {"project_id": str(row.project_id), "branch_id": str(row.branch_id),
         "global_asset_id": str(row.global_asset_id) if row.global_asset_id else None,
         "overridden_fields": list(row.overridden_fields or [])},
        description=row.description, url=row.image_key_url, file=file,
        source=AssetSource.DERIVATIVE if source else AssetSource.IMPORT,
        created_at=row.created_at, updated_at=row.updated_at)
    return _Row(row, wanted, collection, source)


def _create(unit: Unit, rows: dict[UUID, _Row]) -> Create:
    """New project assets at once: created, members of their branch's collection (one call
    per collection), each linked to its library asset (one call)."""
    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        made = await create_assets(unit.tx, [w.new_asset() for w in wanted])
        new = [(rows[w.row.id], asset) for w, asset in zip(wanted, made, strict=True)]
        collections = {r.collection.id: r.collection for r, _ in new}
        for collection_id in collections:
            await add_many_to_collection(unit.tx, collection_id=collection_id, members=[
                Membership(asset.id) for r, asset in new if r.collection.id == collection_id])
        await link_sync_sources(unit.tx, [_link(asset, r.row, r.source) for r, asset in new
                                          if r.source is not None])
        return made
    return create


async def _library_refs(unit: Unit, rows: ProjectRows) -> dict[str, AssetRecord]:
    """The library assets and styles the project's assets name, by legacy id (one
    statement)."""
    wanted = {str(i) for row in rows.assets
              for i in (row.global_asset_id, row.visual_style_capsule_id) if i is not None}
    found = await queries.library_assets(unit.tx, sorted(wanted))
    return {legacy_of(a)["id"]: a for a in found
            if legacy_of(a).get("table") in (GlobalAsset.table, StyleCapsule.table)}


@dataclass(frozen=True)
class _SyncState:
    """The sync edge's state as the legacy row left it."""

    overridden: list[str]
    base: dict[str, Any]
    source_version: int
    synced_at: str

    @classmethod
    def of(cls, row: ProjectAsset, source: AssetRecord) -> "_SyncState":
        return cls(overridden_fields(row.overridden_fields), snapshot(source, CLONE),
                   source.version if row.source_version is None else row.source_version,
                   (row.last_synced_at or row.created_at).isoformat())


def _link(asset: AssetRecord, row: ProjectAsset, source: AssetRecord) -> SyncLink:
    state = _SyncState.of(row, source)
    return SyncLink(asset, source, CLONE, state.overridden, state.base, state.source_version,
                    state.synced_at)


async def _resync(unit: Unit, asset: AssetRecord, row: ProjectAsset,
                  source: AssetRecord | None) -> None:
    """After an update, the sync edge says again what the legacy row says (the update itself
    noted overrides the legacy row does not have)."""
    current = await sync_queries.sync_source_for_update(unit.tx, asset.id)
    if current is not None and (source is None or current.source.id != source.id):
        plain = {k: v for k, v in current.edge.metadata.items() if k not in SYNC_KEYS}
        await sync_queries.set_edge_metadata(unit.tx, current.edge.id, plain)
    if source is None:
        return
    if current is None or current.source.id != source.id:
        await link_sync_sources(unit.tx, [_link(asset, row, source)])
        return
    state = _SyncState.of(row, source)
    await sync_queries.set_edge_metadata(unit.tx, current.edge.id, {
        **current.edge.metadata,
        **sync_metadata(source_version=state.source_version, synced_at=state.synced_at,
                        overridden=state.overridden, base=state.base)})

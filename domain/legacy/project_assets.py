"""A legacy project's assets: members of their branch's collection, each cloned one with its
sync-source edge to the library asset as the legacy row left it (`source_version`,
`synced_at` = `last_synced_at`, `overridden_fields` as they were, `base` = the library asset's
values at this import), styled by its capsule, locked as it was.

A clone is recorded, not made anew: `clone_asset` copies the library's values now, while a
legacy project asset has values of its own (a localised image, an edited description). So the
asset is created with its legacy values and linked to its source with `link_sync_source`,
the use case clone, promote and scene inheritance link through.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.use_cases import NewAsset, create_asset
from domain.assets.vocabulary import AssetSource
from domain.collections.use_cases import add_to_collection
from domain.graph.vocabulary import RelationshipType
from domain.legacy import queries
from domain.legacy.library import style_of
from domain.legacy.mapping import asset_type, clean_name, digest, overridden_fields
from domain.legacy.report import Outcome, ProblemKind
from domain.legacy.rows import GlobalAsset, ProjectAsset, ProjectRows, StyleCapsule
from domain.legacy.unit import Unit, Wanted, legacy_of, relock, upsert
from domain.records import AssetRecord, CollectionRecord
from domain.scenes.styles import set_asset_style
from domain.sync import queries as sync_queries
from domain.sync.rules import SYNC_KEYS, snapshot, sync_metadata
from domain.sync.use_cases import link_sync_source

CLONE = RelationshipType.DERIVED_FROM


async def import_project_assets(unit: Unit, rows: ProjectRows,
                                collections: dict[UUID, CollectionRecord]
                                ) -> dict[UUID, AssetRecord]:
    """The imported project assets by legacy id; stamped (versions final) before returning,
    so the instances made next record the right source version."""
    library = await _library_refs(unit, rows)
    imported = {}
    for row in rows.assets:
        collection = collections.get(row.branch_id)
        if collection is None:
            unit.report.skip(ProblemKind.ORPHAN, row.table, row.id,
                             f"its branch {row.branch_id} is not a branch of its project")
            continue
        kind = asset_type(row.asset_type)
        if kind is None:
            unit.report.skip(ProblemKind.UNKNOWN_ASSET_TYPE, row.table, row.id,
                             f"asset type {row.asset_type!r} is none of character, prop, "
                             "location")
            continue
        imported[row.id] = await _project_asset(unit, row, kind, collection, library)
    await unit.flush()
    return imported


async def _library_refs(unit: Unit, rows: ProjectRows) -> dict[str, AssetRecord]:
    """The library assets and styles the project's assets name, by legacy id (one
    statement)."""
    wanted = {str(i) for row in rows.assets
              for i in (row.global_asset_id, row.visual_style_capsule_id) if i is not None}
    found = await queries.library_assets(unit.tx, sorted(wanted))
    return {legacy_of(a)["id"]: a for a in found
            if legacy_of(a).get("table") in (GlobalAsset.table, StyleCapsule.table)}


async def _project_asset(unit: Unit, row: ProjectAsset, kind: str, collection: CollectionRecord,
                         library: dict[str, AssetRecord]) -> AssetRecord:
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

    async def create(new: NewAsset) -> AssetRecord:
        asset = await create_asset(unit.tx, new)
        await add_to_collection(unit.tx, collection_id=collection.id, asset_id=asset.id)
        if source is not None:
            await _link(unit, asset, row, source)
        return asset

    asset, outcome = await upsert(unit, wanted, unit.found(row), create=create)
    if outcome == Outcome.UPDATED:
        await _resync(unit, asset, row, source)
    if outcome in (Outcome.CREATED, Outcome.UPDATED):
        style = await style_of(unit, row, row.visual_style_capsule_id, library)
        if style is not None or outcome == Outcome.UPDATED:
            await set_asset_style(unit.tx, asset.id, style.id if style else None)
        asset = await relock(unit, asset, row.locked)
    return asset


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


async def _link(unit: Unit, asset: AssetRecord, row: ProjectAsset, source: AssetRecord) -> None:
    state = _SyncState.of(row, source)
    await link_sync_source(unit.tx, child=asset, source=source, relationship_type=CLONE,
                           overridden=state.overridden, base=state.base,
                           source_version=state.source_version, synced_at=state.synced_at)


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
        await _link(unit, asset, row, source)
        return
    state = _SyncState.of(row, source)
    await sync_queries.set_edge_metadata(unit.tx, current.edge.id, {
        **current.edge.metadata,
        **sync_metadata(source_version=state.source_version, synced_at=state.synced_at,
                        overridden=state.overridden, base=state.base)})

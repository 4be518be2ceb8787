"""A legacy user's library: a `library` collection holding their style capsules (`style`
assets) and global assets, each global asset styled by its capsule (the style USED_IN it).

Written through the domain's use cases (create_collection, create_assets and
add_many_to_collection for a table's new rows at once, update_asset, set_asset_style); never
commits: the caller owns the transaction.
"""

from typing import Any

from domain.assets.use_cases import create_assets
from domain.collections.use_cases import (
    Membership,
    add_many_to_collection,
    create_collection,
    update_collection,
)
from domain.db import Transaction
from domain.legacy import queries
from domain.legacy.files import UnitFiles
from domain.legacy.keys import LEGACY, legacy_pattern
from domain.legacy.mapping import clean_name, digest, style_metadata
from domain.legacy.queries import Stamp
from domain.legacy.report import Outcome, ProblemKind, Report
from domain.legacy.rows import GlobalAsset, LibraryRows, StyleCapsule, User
from domain.legacy.unit import Create, Unit, Wanted, known_type, legacy_of, upsert_many
from domain.records import AssetRecord, CollectionRecord
from domain.scenes.styles import set_asset_style

STYLE_KEYS = ("capsule_type", "prompt_suffix")


async def import_library(tx: Transaction, rows: LibraryRows, files: UnitFiles,
                         report: Report) -> None:
    user = rows.user
    report.read(User.table)
    report.read(StyleCapsule.table, len(rows.capsules))
    report.read(GlobalAsset.table, len(rows.assets))
    unit = Unit(tx, report, files)
    await files.load_held(tx)
    library = await _library(unit, user)
    unit.remember(await queries.imported_into(tx, [library.id]))
    styles = await _styles(unit, library, rows.capsules)
    missing = sorted({str(a.visual_style_capsule_id) for a in rows.assets
                      if a.visual_style_capsule_id is not None} - set(styles))
    for found in await queries.library_assets(tx, missing):
        if legacy_of(found).get("table") == StyleCapsule.table:
            styles.setdefault(legacy_of(found)["id"], found)
    await _global_assets(unit, library, rows.assets, styles)
    await unit.flush()


async def _library(unit: Unit, user: User) -> CollectionRecord:
    """The user's `library` collection, counted as the user's row."""
    wanted_digest = digest(user)
    name, _ = clean_name(f"Library of {user.email}", "Library")
    metadata = {LEGACY: {"table": User.table, "id": str(user.id), "email": user.email,
                         "digest": wanted_digest}}
    found = await queries.collections_with(unit.tx, legacy_pattern(table=User.table,
                                                                   id=str(user.id)))
    if not found:
        library = await create_collection(unit.tx, name=name, type="library",
                                          description="Imported from the legacy app",
                                          metadata=metadata)
        unit.collection_stamps.append(Stamp(library.id, user.created_at, user.created_at))
        unit.report.count(User.table, Outcome.CREATED)
        return library
    library = found[0]
    if library.metadata.get(LEGACY, {}).get("digest") == wanted_digest:
        unit.report.count(User.table, Outcome.UNCHANGED)
        return library
    library = await update_collection(unit.tx, library.id, {
        "name": name, "metadata": {**library.metadata, **metadata}})
    unit.report.count(User.table, Outcome.UPDATED)
    return library


def _owner(row: StyleCapsule | GlobalAsset) -> dict[str, Any]:
    return {"user_id": str(row.user_id)}


def _members_of(unit: Unit, library: CollectionRecord) -> Create:
    """New assets at once, members of the library."""
    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        made = await create_assets(unit.tx, [w.new_asset() for w in wanted])
        await add_many_to_collection(unit.tx, collection_id=library.id,
                                     members=[Membership(asset.id) for asset in made])
        return made
    return create


def _style_wanted(unit: Unit, capsule: StyleCapsule) -> Wanted:
    name, corrected = clean_name(capsule.name, "Untitled style")
    if corrected:
        unit.report.problem(ProblemKind.INVALID_VALUE, capsule.table, capsule.id, corrected)
    return Wanted(capsule, "style", name, digest(capsule), _owner(capsule),
                  description=capsule.description, metadata=style_metadata(capsule),
                  owned=STYLE_KEYS, created_at=capsule.created_at,
                  updated_at=capsule.updated_at)


async def _styles(unit: Unit, library: CollectionRecord, capsules: list[StyleCapsule]
                  ) -> dict[str, AssetRecord]:
    """The capsules' style assets by legacy id."""
    done = await upsert_many(unit, [(_style_wanted(unit, c), unit.found(c)) for c in capsules],
                             create=_members_of(unit, library))
    return {str(c.id): asset for c, (asset, _) in zip(capsules, done, strict=True)}


async def _global_assets(unit: Unit, library: CollectionRecord, rows: list[GlobalAsset],
                         styles: dict[str, AssetRecord]) -> None:
    kept: list[tuple[GlobalAsset, Wanted]] = []
    for row in rows:
        kind = known_type(unit, row)
        if kind is None:
            continue
        name, corrected = clean_name(row.name, "Untitled asset")
        if corrected:
            unit.report.problem(ProblemKind.INVALID_VALUE, row.table, row.id, corrected)
        file = await unit.file(row, row.image_key_url)
        kept.append((row, Wanted(
            row, kind, name, digest(row, file.sha256 if file else None), _owner(row),
            description=row.description, url=row.image_key_url, file=file,
            version=row.version, created_at=row.created_at, updated_at=row.updated_at)))
    done = await upsert_many(unit, [(wanted, unit.found(row)) for row, wanted in kept],
                             create=_members_of(unit, library))
    for (row, _), (asset, outcome) in zip(kept, done, strict=True):
        if outcome in (Outcome.CREATED, Outcome.UPDATED):
            style = await style_of(unit, row, row.visual_style_capsule_id, styles)
            if style is not None or outcome == Outcome.UPDATED:
                await set_asset_style(unit.tx, asset.id, style.id if style else None)


async def style_of(unit: Unit, row: Any, capsule_id: Any, styles: dict[str, AssetRecord]
                   ) -> AssetRecord | None:
    """The style asset of a legacy capsule reference; a capsule that was not imported is
    reported and the row goes unstyled."""
    if capsule_id is None:
        return None
    style = styles.get(str(capsule_id))
    if style is None or style.deleted_at is not None:
        unit.report.problem(ProblemKind.MISSING_REFERENCE, row.table, row.id,
                            f"style capsule {capsule_id} was not imported; left unstyled")
        return None
    return style

"""One unit of the import (a library, a project) in its transaction, and the one way an asset
is written from a legacy row: created through `create_assets` (or the caller's use case),
a table's new rows at once, left alone when its legacy row has not changed since it was
imported (same digest), else updated through `update_asset`, so versions, history and
override tracking stay the domain's.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from domain.assets.use_cases import (
    Imported,
    NewAsset,
    create_assets,
    set_locked,
    set_locked_many,
    update_asset,
)
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.legacy import queries
from domain.legacy.files import StoredFile, UnitFiles
from domain.legacy.keys import LEGACY
from domain.legacy.mapping import asset_type
from domain.legacy.queries import Stamp
from domain.legacy.report import Outcome, ProblemKind, Report
from domain.legacy.rows import LegacyRow
from domain.records import AssetRecord

REASON = "legacy import: the legacy row changed"


def legacy_key(row: LegacyRow) -> tuple[str, str]:
    return row.table, str(row.id)


def legacy_of(asset: AssetRecord) -> dict[str, Any]:
    found = asset.metadata.get(LEGACY)
    return found if isinstance(found, dict) else {}


@dataclass
class Unit:
    tx: Transaction
    report: Report
    files: UnitFiles
    existing: dict[tuple[str, str], AssetRecord] = field(default_factory=dict)
    stamps: list[Stamp] = field(default_factory=list)
    collection_stamps: list[Stamp] = field(default_factory=list)

    live_instances: dict[tuple[UUID, UUID], AssetRecord] = field(default_factory=dict)

    def remember(self, assets: list[AssetRecord]) -> None:
        """Index assets an earlier run imported by legacy (table, id), the oldest first; and
        the live scene instances among them by (scene, project asset), their identity in the
        graph (`uq_assets_scene_instance`)."""
        for asset in assets:
            legacy = legacy_of(asset)
            key = (str(legacy.get("table")), str(legacy.get("id")))
            self.existing.setdefault(key, asset)
            if (asset.scene_id is not None and asset.instance_of is not None
                    and asset.deleted_at is None):
                self.live_instances[(asset.scene_id, asset.instance_of)] = asset

    def found(self, row: LegacyRow) -> AssetRecord | None:
        return self.existing.get(legacy_key(row))

    async def file(self, row: LegacyRow, url: str | None) -> StoredFile | None:
        return await self.files.keep(self.tx, self.report, url, row.table, row.id)

    def keep_time(self, asset_id: UUID, updated_at: datetime | None) -> None:
        """An asset the unit changed after writing it (a lock is a change made now) keeps its
        legacy row's time (a stamp of the asset writes it already)."""
        if all(stamp.id != asset_id for stamp in self.stamps):
            self.stamps.append(Stamp(asset_id, None, updated_at))

    async def flush(self) -> None:
        """Write the stamps gathered so far (one statement per table)."""
        stamps, self.stamps = self.stamps, []
        await queries.stamp_assets(self.tx, stamps)
        collection_stamps, self.collection_stamps = self.collection_stamps, []
        await queries.stamp_collections(self.tx, collection_stamps)


@dataclass(frozen=True)
class Wanted:
    """What the asset of a legacy row should be."""

    row: LegacyRow
    type: str
    name: str
    digest: str
    legacy: dict[str, Any]  # more of `metadata.legacy`: the project or user, raw values
    description: str = ""
    url: str | None = None
    file: StoredFile | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    source: AssetSource = AssetSource.IMPORT
    version: int | None = None  # the legacy version, when the row has one
    owned: tuple[str, ...] = ()  # metadata keys the import writes (a later run may drop them)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @cached_property  # read by each step a row takes (created, checked, stamped)
    def full_metadata(self) -> dict[str, Any]:
        table, legacy_id = legacy_key(self.row)
        return {**self.metadata, LEGACY: {"table": table, "id": legacy_id, **self.legacy,
                                          "digest": self.digest}}

    def new_asset(self) -> NewAsset:
        return NewAsset(
            type=self.type, name=self.name, description=self.description, url=self.url,
            mime_type=self.file.mime_type if self.file else None,
            size=self.file.size if self.file else None,
            blob_sha256=self.file.sha256 if self.file else None,
            metadata=self.full_metadata, tags=self.tags, source=self.source.value,
            imported=self.imported)

    @property
    def imported(self) -> Imported:
        return Imported(self.created_at, self.updated_at, self.version or 1)

    def written(self, asset: AssetRecord) -> bool:
        """Whether the asset has the legacy times, version and metadata already (else the
        unit's stamp writes them)."""
        return (asset.version == (self.version or 1)
                and self.created_at in (None, asset.created_at)
                and self.updated_at in (None, asset.updated_at)
                and all(asset.metadata.get(k) == v for k, v in self.full_metadata.items()))

    def changes(self, current: AssetRecord) -> dict[str, Any]:
        """The fields an update sets; keys the import does not own stay in `metadata`."""
        values: dict[str, Any] = {
            "name": self.name, "description": self.description, "url": self.url,
            "metadata": {**{k: v for k, v in current.metadata.items() if k not in self.owned},
                         **self.full_metadata},
            "tags": self.tags}
        if self.file is not None:
            values.update(blob_sha256=self.file.sha256, mime_type=self.file.mime_type,
                          size=self.file.size)
        elif current.blob_sha256 is not None and self.url != current.url:
            values.update(blob_sha256=None, mime_type=None, size=None)
        return values


Create = Callable[[list[Wanted]], Awaitable[list[AssetRecord]]]
"""Creates the assets of these legacy rows (through a use case taking them at once), in
their order."""


async def upsert_many(unit: Unit, wanted: Sequence[tuple[Wanted, AssetRecord | None]], *,
                      create: Create | None = None, count: bool = True
                      ) -> list[tuple[AssetRecord, Outcome]]:
    """Create, update or leave the asset of each legacy row (with the asset an earlier run
    made of it, if any), counted under its table (unless `count` is false: a second asset of
    one row). The rows' new assets are created at once, by `create_assets` or the caller's
    `create`, with the legacy times, version and metadata (`Wanted.imported`); what a
    `create` does not write (or changes after), the unit's stamp writes (`Unit.flush`). A
    locked asset is unlocked for an update; the caller locks what the legacy row says. In
    the order given."""
    done: dict[int, tuple[AssetRecord, Outcome]] = {}
    new = [index for index, (_, current) in enumerate(wanted) if current is None]
    for index, (row, current) in enumerate(wanted):
        if current is not None:
            done[index] = await _keep_or_update(unit, row, current)
    if new:
        made = await (create or _create(unit.tx))([wanted[index][0] for index in new])
        for index, asset in zip(new, made, strict=True):
            row = wanted[index][0]
            if not row.written(asset):
                unit.stamps.append(Stamp(asset.id, row.created_at, row.updated_at,
                                         row.version or 1, metadata=row.full_metadata))
            done[index] = (asset, Outcome.CREATED)
    for index, (row, _) in enumerate(wanted):
        asset, outcome = done[index]
        unit.existing[legacy_key(row.row)] = asset
        if count:
            unit.report.count(row.row.table, outcome)
    return [done[index] for index in range(len(wanted))]


async def upsert(unit: Unit, wanted: Wanted, current: AssetRecord | None, *,
                 count: bool = True) -> tuple[AssetRecord, Outcome]:
    """One legacy row's asset (`upsert_many`)."""
    return (await upsert_many(unit, [(wanted, current)], count=count))[0]


async def _keep_or_update(unit: Unit, wanted: Wanted, current: AssetRecord
                          ) -> tuple[AssetRecord, Outcome]:
    """An asset an earlier run made: left as it is when its legacy row has not changed since
    (same digest) or it was deleted here (reported), else updated."""
    table, legacy_id = legacy_key(wanted.row)
    if legacy_of(current).get("digest") == wanted.digest:
        return current, Outcome.UNCHANGED
    if current.deleted_at is not None:
        unit.report.problem(ProblemKind.DELETED_HERE, table, legacy_id,
                            f"changed in legacy, but asset {current.id} was deleted in Asset "
                            "Graph: left deleted, unchanged")
        return current, Outcome.SKIPPED
    if current.locked:
        await set_locked(unit.tx, current.id, locked=False)
    asset = await update_asset(unit.tx, current.id, wanted.changes(current), reason=REASON)
    unit.stamps.append(Stamp(asset.id, None, wanted.updated_at, wanted.version, exact=False))
    return asset, Outcome.UPDATED


def _create(tx: Transaction) -> Create:
    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        return await create_assets(tx, [w.new_asset() for w in wanted])
    return create


async def relock(unit: Unit, assets: Sequence[tuple[AssetRecord, bool]]
                 ) -> list[AssetRecord]:
    """Lock or unlock each live asset as its legacy row says (two statements for each way
    any asset goes); the assets as they are after, in the order given."""
    after = {asset.id: asset for asset, _ in assets}
    for locked in (True, False):
        ids = [asset.id for asset, wanted in assets
               if wanted == locked and asset.locked != locked and asset.deleted_at is None]
        if ids:
            after.update({a.id: a for a in await set_locked_many(unit.tx, ids, locked=locked)})
    return [after[asset.id] for asset, _ in assets]


def ids_of(assets: dict[Any, AssetRecord]) -> list[UUID]:
    return [asset.id for asset in assets.values()]


def known_type(unit: Unit, row: Any) -> str | None:
    """The graph's type of a legacy asset row (a global or a project asset); None for a type
    it does not know, the row then skipped and reported."""
    kind = asset_type(row.asset_type)
    if kind is None:
        unit.report.skip(ProblemKind.UNKNOWN_ASSET_TYPE, row.table, row.id,
                         f"asset type {row.asset_type!r} is none of character, prop, location")
    return kind

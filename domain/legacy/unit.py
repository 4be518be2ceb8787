"""One unit of the import (a library, a project) in its transaction, and the one way an asset
is written from a legacy row: created through `create_asset` (or the caller's use case), left
alone when its legacy row has not changed since it was imported (same digest), else updated
through `update_asset`, so versions, history and override tracking stay the domain's.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.assets.use_cases import NewAsset, create_asset, set_locked, update_asset
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.legacy import queries
from domain.legacy.files import StoredFile, UnitFiles
from domain.legacy.keys import LEGACY
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

    @property
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
            metadata=self.full_metadata, tags=self.tags, source=self.source.value)

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


Create = Callable[[NewAsset], Awaitable[AssetRecord]]


async def upsert(unit: Unit, wanted: Wanted, current: AssetRecord | None, *,
                 create: Create | None = None, count: bool = True
                 ) -> tuple[AssetRecord, Outcome]:
    """Create, update or leave the asset of a legacy row, counted under its table (unless
    `count` is false: a second asset of one row). A locked asset is unlocked for the update;
    the caller locks what the legacy row says. A `create` of the caller's (another use case)
    need not write the wanted metadata: the unit's stamp merges it (`Unit.flush`)."""
    table, legacy_id = legacy_key(wanted.row)
    if current is None:
        new = wanted.new_asset()
        asset = await (create or _create(unit.tx))(new)
        unit.stamps.append(Stamp(asset.id, wanted.created_at, wanted.updated_at,
                                 wanted.version or 1, metadata=new.metadata))
        outcome = Outcome.CREATED
    elif legacy_of(current).get("digest") == wanted.digest:
        asset, outcome = current, Outcome.UNCHANGED
    elif current.deleted_at is not None:
        unit.report.problem(ProblemKind.DELETED_HERE, table, legacy_id,
                            f"changed in legacy, but asset {current.id} was deleted in Asset "
                            "Graph: left deleted, unchanged")
        asset, outcome = current, Outcome.SKIPPED
    else:
        if current.locked:
            await set_locked(unit.tx, current.id, locked=False)
        asset = await update_asset(unit.tx, current.id, wanted.changes(current), reason=REASON)
        unit.stamps.append(Stamp(asset.id, None, wanted.updated_at, wanted.version,
                                 exact=False))
        outcome = Outcome.UPDATED
    unit.existing[(table, legacy_id)] = asset
    if count:
        unit.report.count(table, outcome)
    return asset, outcome


def _create(tx: Transaction) -> Create:
    async def create(new: NewAsset) -> AssetRecord:
        return await create_asset(tx, new)
    return create


async def relock(unit: Unit, asset: AssetRecord, locked: bool) -> AssetRecord:
    if asset.locked == locked or asset.deleted_at is not None:
        return asset
    return await set_locked(unit.tx, asset.id, locked=locked)


def ids_of(assets: dict[Any, AssetRecord]) -> list[UUID]:
    return [asset.id for asset in assets.values()]

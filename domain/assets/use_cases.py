"""Asset use cases: create, edit, delete/restore/purge, lock. They never commit.

Writers take the asset's row lock first (`SELECT ... FOR UPDATE`), so two concurrent edits of
one asset serialise and both land as successive versions; each writes its event in the same
transaction.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from domain.assets import queries
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import Event, record_event
from domain.files import drop_unused_blobs, hashes_still_held
from domain.ids import uuid7s
from domain.legacy.keys import LEGACY
from domain.records import AssetRecord
from domain.rules import (
    asset_type_errors,
    changed_fields,
    metadata_errors,
    name_errors,
    non_negative_errors,
    normalize_tags,
    raise_if,
    source_errors,
    tags_errors,
    text_errors,
)
from domain.sync.overrides import note_overrides

# Content fields: editing any of them raises the version. `blob_sha256` is set by uploads and
# generation (the schema offers no free-form input for it); the blob row must exist.
EDITABLE_FIELDS = (
    "blob_sha256",
    "name",
    "description",
    "generation_prompt",
    "url",
    "mime_type",
    "size",
    "duration",
    "metadata",
    "tags",
)


@dataclass(frozen=True)
class Imported:
    """An asset's life in the system it was imported from: when it was made and last changed
    there (None: now) and its version there, which it keeps instead of now and 1."""

    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    def values(self) -> dict[str, Any]:
        return {"created_at": self.created_at, "updated_at": self.updated_at,
                "version": self.version}

    def errors(self) -> list[ErrorDetail]:
        if self.version < 1:
            return [ErrorDetail(ErrorCode.INVALID, "an imported version is at least 1",
                                "version")]
        return []


NOT_IMPORTED = Imported()


@dataclass(frozen=True)
class NewAsset:
    type: str
    name: str
    description: str = ""
    generation_prompt: str = ""
    url: str | None = None
    mime_type: str | None = None
    size: int | None = None
    duration: Decimal | float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    source: str = AssetSource.UPLOAD.value
    # Set by uploads and generation, not by clients directly.
    blob_sha256: str | None = None
    generation_cost: Decimal = Decimal(0)
    generation_metadata: dict[str, Any] = field(default_factory=dict)
    imported: Imported = NOT_IMPORTED


def _field_errors(asset_type: str, values: dict[str, Any]) -> list[Any]:
    errors = []
    if "name" in values:
        errors += name_errors(values["name"])
    for text_field in ("description", "generation_prompt", "url", "mime_type"):
        errors += text_errors(values.get(text_field), text_field)
    if "metadata" in values:
        errors += metadata_errors(asset_type, values["metadata"])
    if "tags" in values:
        errors += tags_errors(values["tags"])
    errors += non_negative_errors(values.get("size"), "size")
    errors += non_negative_errors(values.get("duration"), "duration")
    return errors


def _new_values(new: NewAsset) -> dict[str, Any]:
    return {
        "type": new.type,
        "name": new.name,
        "description": new.description,
        "generation_prompt": new.generation_prompt,
        "url": new.url,
        "mime_type": new.mime_type,
        "size": new.size,
        "duration": new.duration,
        "metadata": new.metadata,
        "tags": normalize_tags(new.tags),
        "source": new.source,
        "blob_sha256": new.blob_sha256,
        "generation_cost": new.generation_cost,
        "generation_metadata": new.generation_metadata,
        **new.imported.values(),
    }


def _new_errors(new: NewAsset, values: dict[str, Any]) -> list[Any]:
    type_errors = asset_type_errors(new.type)
    return (type_errors + source_errors(new.source)
            + (_field_errors(new.type, values) if not type_errors else name_errors(new.name))
            + new.imported.errors())


async def create_assets(tx: Transaction, news: Sequence[NewAsset]) -> list[AssetRecord]:
    """New assets, each validated as `create_asset` validates one (the first invalid one
    refuses them all, with its errors), inserted with their `asset.created` events in one
    statement; in the order given."""
    rows, events = [], []
    for new, asset_id in zip(news, uuid7s(len(news)), strict=True):
        values = _new_values(new)
        raise_if(_new_errors(new, values))
        rows.append({"id": asset_id, "created_by": tx.actor, **values})
        events.append(Event("asset.created", asset_id, {"type": new.type, "name": new.name}))
    return await queries.insert_assets(tx, rows, events)


async def create_asset(tx: Transaction, new: NewAsset) -> AssetRecord:
    return (await create_assets(tx, [new]))[0]


COPIED_FIELDS = ("type", "name", "description", "generation_prompt", "url", "blob_sha256",
                 "mime_type", "size", "duration", "metadata", "tags")


@dataclass(frozen=True)
class AssetCopy:
    """A new asset with `original`'s content and `changes` applied; `provenance` goes into
    its creation event."""

    original: AssetRecord
    source: AssetSource
    provenance: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)


def without_legacy(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata without an imported row's legacy identity (see `domain.legacy.keys`)."""
    return {k: v for k, v in metadata.items() if k != LEGACY}


async def copy_assets(tx: Transaction, copies: Sequence[AssetCopy]) -> list[AssetRecord]:
    """New assets with their originals' content (files shared, never copied), without the
    originals' `metadata.legacy` (see `domain.legacy.keys`), changes applied (every copy of
    one call changes the same fields; changed metadata is taken as given); inserted with
    their `asset.created` events in one statement, in the order given.

    For clones, promotions, forks and scene instances."""
    rows, events = [], []
    for copy, asset_id in zip(copies, uuid7s(len(copies)), strict=True):
        values = {name: getattr(copy.original, name) for name in COPIED_FIELDS}
        # An imported row's legacy identity is its own: a copy is not that legacy row.
        values["metadata"] = without_legacy(values["metadata"])
        values |= copy.changes
        rows.append({"id": asset_id, "source": copy.source, "created_by": tx.actor, **values})
        events.append(Event("asset.created", asset_id, {
            "type": values["type"], "name": values["name"], **copy.provenance}))
    return await queries.insert_assets(tx, rows, events)


async def copy_asset(
    tx: Transaction, original: AssetRecord, *, source: AssetSource, provenance: dict[str, Any],
    **changes: Any,
) -> AssetRecord:
    """One copy (`copy_assets`)."""
    return (await copy_assets(tx, [AssetCopy(original, source, provenance, changes)]))[0]


async def _get_for_update(tx: Transaction, asset_id: UUID, field: str = "id") -> AssetRecord:
    asset = await queries.get_asset_for_update(tx, asset_id)
    if asset is None:
        raise not_found("asset", field)
    return asset


async def get_live_asset_for_update(
    tx: Transaction, asset_id: UUID, field: str = "id"
) -> AssetRecord:
    asset = await _get_for_update(tx, asset_id, field)
    if asset.deleted_at is not None:
        raise DomainError.of(
            ErrorCode.INVALID, f"asset {asset.name!r} is deleted; restore it first", field
        )
    return asset


def refuse_if_locked(asset: AssetRecord) -> None:
    if asset.locked:
        raise DomainError.of(
            ErrorCode.LOCKED, f"asset {asset.name!r} is locked; unlock it first", "id"
        )


async def update_asset(
    tx: Transaction,
    asset_id: UUID,
    changes: dict[str, Any],
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> AssetRecord:
    """Apply the given fields; an edit that changes nothing writes nothing."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    asset = await get_live_asset_for_update(tx, asset_id)
    refuse_if_locked(asset)
    if expected_version is not None and expected_version != asset.version:
        raise DomainError.of(
            ErrorCode.CONFLICT,
            f"asset is at version {asset.version}, not {expected_version}",
            "expectedVersion",
        )
    if "tags" in changes:
        changes = {**changes, "tags": normalize_tags(changes["tags"])}
    raise_if(_field_errors(asset.type, changes) + text_errors(reason, "reason"))
    before = {name: getattr(asset, name) for name in changes}
    diff = changed_fields(before, changes)
    if not diff:
        return asset
    # The row lock makes the next version known: the event goes with the update.
    updated = await queries.update_asset(
        tx, asset_id, changes, bump_version=True, event=Event(
            "asset.updated", asset_id,
            {"changes": diff, "reason": reason, "version": asset.version + 1}))
    await note_overrides(tx, asset_id, list(diff))
    return updated


async def delete_asset(tx: Transaction, asset_id: UUID, *, force: bool = False) -> AssetRecord:
    """Soft delete, refused while live assets derive from this one unless forced."""
    asset = await _get_for_update(tx, asset_id)
    if asset.deleted_at is not None:
        return asset
    refuse_if_locked(asset)
    dependents = (await queries.live_dependents(tx, [asset_id]))[asset_id]
    if dependents and not force:
        names = ", ".join(repr(d.name) for d in dependents[:10])
        more = f" and {len(dependents) - 10} more" if len(dependents) > 10 else ""
        raise DomainError.of(
            ErrorCode.DEPENDENTS_EXIST,
            f"{len(dependents)} live asset(s) derive from {asset.name!r}: {names}{more}; "
            "delete them first or force",
            "id",
        )
    deleted = await queries.mark_deleted(tx, asset_id, deleted=True)
    await record_event(
        tx,
        "asset.deleted",
        asset_id,
        {"force": force, "dependents": [str(d.id) for d in dependents]},
    )
    return deleted


@contextmanager
def one_instance_per_scene(field: str) -> Iterator[None]:
    """A second live instance of a project asset in a scene is CONFLICT, however it came:
    the partial unique index `uq_assets_scene_instance` is the rule."""
    try:
        yield
    except IntegrityError as error:
        if "uq_assets_scene_instance" not in str(error.orig):
            raise
        raise DomainError.of(ErrorCode.CONFLICT, "the scene already has a live instance of "
                             "this project asset", field) from None


async def restore_asset(tx: Transaction, asset_id: UUID) -> AssetRecord:
    asset = await _get_for_update(tx, asset_id)
    if asset.deleted_at is None:
        return asset
    with one_instance_per_scene("id"):
        restored = await queries.mark_deleted(tx, asset_id, deleted=False)
    await record_event(tx, "asset.restored", asset_id, {})
    return restored


async def purge_asset(tx: Transaction, asset_id: UUID) -> tuple[AssetRecord, list[str]]:
    """Hard delete of a soft-deleted asset; its edges and memberships cascade.

    Also drops the workspace's row of its blob unless another asset (a clone, a promoted or
    generated asset) still uses it, and returns the hashes no workspace holds any more: their
    files may go once this commits.
    """
    asset = await _get_for_update(tx, asset_id)
    if asset.deleted_at is None:
        raise DomainError.of(
            ErrorCode.INVALID, f"asset {asset.name!r} is not deleted; delete it first", "id"
        )
    await queries.delete_asset_row(tx, asset_id)
    await record_event(tx, "asset.purged", asset_id, {"type": asset.type, "name": asset.name})
    if asset.blob_sha256 is None:
        return asset, []
    dropped = await drop_unused_blobs(tx, [asset.blob_sha256])
    return asset, sorted(set(dropped) - await hashes_still_held(tx, dropped))


async def set_locked_many(tx: Transaction, asset_ids: Sequence[UUID], *, locked: bool
                          ) -> list[AssetRecord]:
    """Lock (or unlock) many live assets, each as `set_locked` does one (the first refused
    refuses them all, with its error), in two statements: their row locks, one update of
    those that change with their `asset.locked` (`asset.unlocked`) events. The assets, in the
    order given."""
    found = await queries.get_assets_for_update(tx, asset_ids)
    for asset_id in asset_ids:
        asset = found.get(asset_id)
        if asset is None:
            raise not_found("asset", "id")
        if asset.deleted_at is not None:
            raise DomainError.of(
                ErrorCode.INVALID, f"asset {asset.name!r} is deleted; restore it first", "id")
    changing = list(dict.fromkeys(i for i in asset_ids if found[i].locked != locked))
    found.update(await queries.set_locked(tx, changing, locked=locked))
    return [found[asset_id] for asset_id in asset_ids]


async def set_locked(tx: Transaction, asset_id: UUID, *, locked: bool) -> AssetRecord:
    return (await set_locked_many(tx, [asset_id], locked=locked))[0]

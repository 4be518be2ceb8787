"""Pure sync rules: snapshots, overrides, conflicts and the sync plan.

Values are compared field by field on a flat snapshot: `name`, `description`,
`generation_prompt`, `url`, `file` (blob, MIME type and size together), `tags`, and one
`metadata.<key>` per metadata key. A scene instance's status tags and its `carry_forward` flag
are its own, as is an imported asset's `metadata.legacy`: they are never synced nor counted as
overrides.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.events import jsonable
from domain.graph.vocabulary import RelationshipType
from domain.legacy.keys import LEGACY
from domain.records import AssetRecord

INSTANCE_FLAG = "carry_forward"
# An instance's carry-forward flag and an imported row's legacy identity (`domain.legacy.keys`)
# belong to the asset: never synced, never overrides.
LOCAL_METADATA_KEYS = frozenset({INSTANCE_FLAG, LEGACY})
PLAIN_FIELDS = ("name", "description", "generation_prompt", "url")
SYNC_KEYS = ("source_version", "synced_at", "overridden_fields", "base")


def synced_plain_fields(relationship_type: RelationshipType) -> tuple[str, ...]:
    """Whole fields a sync source controls; a scene instance keeps its own status tags."""
    extra = ("file",) if relationship_type == RelationshipType.VARIANT_OF else ("file", "tags")
    return PLAIN_FIELDS + extra


def snapshot(asset: AssetRecord, relationship_type: RelationshipType) -> dict[str, Any]:
    """The flat, JSON-ready view of an asset's syncable values."""
    values: dict[str, Any] = {
        "name": asset.name,
        "description": asset.description,
        "generation_prompt": asset.generation_prompt,
        "url": asset.url,
        "file": (
            {"sha256": asset.blob_sha256, "mime_type": asset.mime_type, "size": asset.size}
            if asset.blob_sha256 else None
        ),
    }
    if relationship_type != RelationshipType.VARIANT_OF:
        values["tags"] = list(asset.tags)
    for key, value in asset.metadata.items():
        if key not in LOCAL_METADATA_KEYS:
            values[f"metadata.{key}"] = value
    return jsonable(values)  # type: ignore[no-any-return]


def is_syncable(field: str, relationship_type: RelationshipType) -> bool:
    if field.startswith("metadata."):
        return field.removeprefix("metadata.") not in LOCAL_METADATA_KEYS and len(field) > 9
    return field in synced_plain_fields(relationship_type)


def touched_fields(changed: Iterable[str], relationship_type: RelationshipType) -> list[str]:
    """The sync fields an edit touched (blob, MIME type and size edits touch `file`)."""
    touched = []
    for field in changed:
        mapped = "file" if field in ("blob_sha256", "mime_type", "size") else field
        if is_syncable(mapped, relationship_type) and mapped not in touched:
            touched.append(mapped)
    return touched


@dataclass(frozen=True)
class Conflict:
    field: str
    local_value: Any
    source_value: Any
    base_value: Any


def conflicts(
    local: Mapping[str, Any], source: Mapping[str, Any], base: Mapping[str, Any],
    overridden: Iterable[str],
) -> list[Conflict]:
    """Fields overridden here AND changed at the source since the last sync."""
    return [
        Conflict(field, local.get(field), source.get(field), base.get(field))
        for field in sorted(overridden)
        if source.get(field) != base.get(field)
    ]


@dataclass(frozen=True)
class SyncPlan:
    values: dict[str, Any]
    applied: list[str]
    kept_conflicts: list[Conflict]
    overridden: list[str]


def plan_sync(
    local: Mapping[str, Any], source: Mapping[str, Any], base: Mapping[str, Any],
    overridden: Iterable[str], take_source: set[str],
) -> SyncPlan:
    """Non-overridden fields take the source's value; overridden ones stay unless in
    `take_source`, which also drops their override. Conflicts not taken are kept and reported.
    """
    still_overridden = [f for f in overridden if f not in take_source]
    found = conflicts(local, source, base, overridden)
    values = dict(local)
    for field in set(local) | set(source):
        if field in still_overridden:
            continue
        if field in source:
            values[field] = source[field]
        else:
            values.pop(field, None)
    missing = object()
    applied = sorted(f for f in set(local) | set(values)
                     if local.get(f, missing) != values.get(f, missing))
    return SyncPlan(
        values=values,
        applied=applied,
        kept_conflicts=[c for c in found if c.field in still_overridden],
        overridden=sorted(still_overridden),
    )


def column_values(
    asset: AssetRecord, values: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, Any]:
    """Columns for `update_asset` that set `fields` of a flat snapshot on `asset`."""
    columns: dict[str, Any] = {}
    metadata = dict(asset.metadata)
    for field in fields:
        if field.startswith("metadata."):
            key = field.removeprefix("metadata.")
            if field in values:
                metadata[key] = values[field]
            else:
                metadata.pop(key, None)
            columns["metadata"] = metadata
        elif field == "file":
            file = values.get("file") or {}
            columns.update(blob_sha256=file.get("sha256"), mime_type=file.get("mime_type"),
                           size=file.get("size"))
        else:
            columns[field] = values.get(field)
    return columns


def sync_metadata(
    *, source_version: int, synced_at: str, overridden: Iterable[str], base: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "source_version": source_version,
        "synced_at": synced_at,
        "overridden_fields": sorted(set(overridden)),
        "base": dict(base),
    }

"""Where an imported row keeps its legacy identity, and the one SQL test of it.

Every asset and collection the legacy import writes carries `metadata.legacy`: the legacy
table and id it came from, the legacy project it belongs to (`project_id`, for the project's
rows) or user (`user_id`, for a library's), and a digest of the legacy row as last imported
(see `domain.legacy.mapping.digest`). Jobs carry the same object in `params.legacy`.

`has_legacy_id` is the filter `assets(filter: {legacyIds})` applies on both read paths: one
expression, built here, so the two paths cannot disagree. It reads each of the workspace's
assets once, whatever the number of ids: under row-level security (every request's role) no
jsonb operator may be an index condition, jsonb functions not being leakproof, so the GIN
index on `assets.metadata` cannot serve it, and a probe per id would be a scan per id.
"""

from typing import Any

from sqlalchemy import ColumnElement, Text, any_, func

LEGACY = "legacy"
"""The metadata key (and params key, for jobs) of an imported row's legacy identity."""


def legacy_pattern(**keys: str) -> dict[str, Any]:
    """The `metadata @>` pattern of rows whose legacy object holds these keys."""
    return {LEGACY: keys}


def legacy_id(asset: Any) -> ColumnElement[str]:
    """The asset row's `metadata.legacy.id` (null when it has none)."""
    found: ColumnElement[str] = func.jsonb_extract_path_text(asset.c.metadata, LEGACY, "id",
                                                             type_=Text)
    return found


def has_legacy_id(asset: Any, ids: Any) -> ColumnElement[bool]:
    """The asset row `asset` (a table, an alias or a page) has `metadata.legacy.id` in `ids`,
    a `text[]` expression (a bound parameter). An empty array matches none."""
    return legacy_id(asset) == any_(ids)

"""Where an imported row keeps its legacy identity, and the one SQL test of it.

Every asset and collection the legacy import writes carries `metadata.legacy`: the legacy
table and id it came from, the legacy project it belongs to (`project_id`, for the project's
rows) or user (`user_id`, for a library's), and a digest of the legacy row as last imported
(see `domain.legacy.mapping.digest`). Jobs carry the same object in `params.legacy`.

`has_legacy_id` is the filter `assets(filter: {legacyIds})` applies on both read paths: one
expression, built here, so the two paths cannot disagree. The look-up runs once per wanted id
through the GIN index on `assets.metadata` (jsonb_path_ops, `@>`), whatever the workspace's
size.
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from domain.tables import assets

LEGACY = "legacy"
"""The metadata key (and params key, for jobs) of an imported row's legacy identity."""


def legacy_pattern(**keys: str) -> dict[str, Any]:
    """The `metadata @>` pattern of rows whose legacy object holds these keys."""
    return {LEGACY: keys}


def has_legacy_id(asset: Any, ws: Any, ids: Any) -> ColumnElement[bool]:
    """The asset row `asset` (a table, an alias or a page) has `metadata.legacy.id` in `ids`,
    a `text[]` expression (a bound parameter). An empty array matches none."""
    wanted = func.unnest(ids).table_valued("legacy_id").render_derived()
    found = assets.alias()
    pattern = func.jsonb_build_object(LEGACY, func.jsonb_build_object("id", wanted.c.legacy_id))
    found_ids: ColumnElement[bool] = asset.c.id.in_(
        select(found.c.id)
        .select_from(wanted)
        .join(found, and_(found.c.workspace_id == ws, found.c.metadata.contains(pattern)))
    )
    return found_ids

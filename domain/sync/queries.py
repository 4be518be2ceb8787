"""SQL for sync-source edges: the edge whose metadata holds `source_version`.

A partial unique index keeps it to one per asset (migration 0002).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Integer, Text, and_, any_, bindparam, cast, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from domain.db import Transaction
from domain.graph.vocabulary import DERIVING_TYPES
from domain.records import AssetRecord, RelationshipRecord, labelled
from domain.tables import asset_relationships as rel
from domain.tables import assets


def is_sync_source(edge: Any) -> ColumnElement[bool]:
    """The edge (`asset_relationships` or an alias of it) is a sync source."""
    return edge.c.metadata.has_key("source_version")  # type: ignore[no-any-return]


IS_SYNC_SOURCE = is_sync_source(rel)
# One array parameter, not an expanding IN: the compiled read path binds it once.
_DERIVING = literal([t.value for t in DERIVING_TYPES], ARRAY(Text))


def is_outdated(asset: Any, ws: Any) -> ColumnElement[bool]:
    """"Update available": the asset row's sync source has a newer version than the edge's
    `source_version`, as `SyncSource.outdated` says of a loaded source (a deleted source
    counts too); false when the asset has no sync source. `asset` is anything whose `.c` has
    the asset's `id`; the look-up correlates to it wherever it sits."""
    edge, source = rel.alias(), assets.alias()
    return (
        select(edge.c.id)
        .join(source, and_(source.c.workspace_id == edge.c.workspace_id,
                           source.c.id == edge.c.parent_asset_id))
        .where(edge.c.workspace_id == ws, edge.c.child_asset_id == asset.c.id,
               edge.c.relationship_type == any_(_DERIVING), is_sync_source(edge),
               source.c.version > cast(edge.c.metadata["source_version"].astext, Integer))
        .correlate_except(edge, source)
        .exists()
    )


@dataclass(frozen=True)
class SyncSource:
    edge: RelationshipRecord
    source: AssetRecord

    @property
    def overridden(self) -> list[str]:
        return list(self.edge.metadata.get("overridden_fields", []))

    @property
    def base(self) -> dict[str, Any]:
        return dict(self.edge.metadata.get("base", {}))

    @property
    def source_version(self) -> int:
        return int(self.edge.metadata.get("source_version", 0))

    @property
    def outdated(self) -> bool:
        """"Update available" (the SQL of it: `is_outdated`)."""
        return self.source.version > self.source_version


_REL_LABELS = labelled(rel, "r_")


def _sync_source(row: Any) -> SyncSource:
    return SyncSource(edge=RelationshipRecord.from_row(row, "r_"),
                      source=AssetRecord.from_row(row))


async def sync_sources(tx: Transaction, asset_ids: Sequence[UUID]) -> dict[UUID, SyncSource]:
    """The sync source of each asset that has one, deleted sources included."""
    rows = await tx.execute(
        select(*_REL_LABELS, assets)
        .join(assets, and_(assets.c.workspace_id == rel.c.workspace_id,
                           assets.c.id == rel.c.parent_asset_id))
        .where(rel.c.workspace_id == tx.ws, rel.c.child_asset_id.in_(asset_ids),
               rel.c.relationship_type.in_(DERIVING_TYPES), IS_SYNC_SOURCE)
    )
    found = [_sync_source(row) for row in rows]
    return {s.edge.child_asset_id: s for s in found}


SYNC_SOURCE_FOR_UPDATE = (
    select(*_REL_LABELS, assets)
    .join(assets, and_(assets.c.workspace_id == rel.c.workspace_id,
                       assets.c.id == rel.c.parent_asset_id))
    .where(rel.c.workspace_id == bindparam("ws"), rel.c.child_asset_id == bindparam("id"),
           rel.c.relationship_type.in_(DERIVING_TYPES), IS_SYNC_SOURCE)
    .with_for_update(of=rel)
)  # built once: every edit of an asset looks it up


async def sync_source_for_update(tx: Transaction, asset_id: UUID) -> SyncSource | None:
    """The sync source with its edge row locked (the caller holds the asset's row lock)."""
    row = (await tx.execute(SYNC_SOURCE_FOR_UPDATE, {"ws": tx.ws, "id": asset_id})).one_or_none()
    return _sync_source(row) if row else None


async def set_edge_metadata(
    tx: Transaction, edge_id: UUID, metadata: dict[str, Any]
) -> RelationshipRecord:
    row = (
        await tx.execute(
            rel.update()
            .where(rel.c.workspace_id == tx.ws, rel.c.id == edge_id)
            .values(metadata=metadata)
            .returning(*rel.c)
        )
    ).one()
    return RelationshipRecord.from_row(row)

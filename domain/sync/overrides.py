"""Override tracking: an edit of a derived asset marks the edited syncable fields."""

from uuid import UUID

from domain.db import Transaction
from domain.sync import queries
from domain.sync.rules import touched_fields


async def note_overrides(tx: Transaction, asset_id: UUID, changed: list[str]) -> None:
    """Add the syncable fields among `changed` to the sync edge's `overridden_fields`.

    The caller holds the asset's row lock, which every writer of its sync state takes first.
    """
    sync = await queries.sync_source_for_update(tx, asset_id)
    if sync is None:
        return
    touched = touched_fields(changed, sync.edge.relationship_type)
    overridden = sorted(set(sync.overridden) | set(touched))
    if overridden != sorted(sync.overridden):
        await queries.set_edge_metadata(
            tx, sync.edge.id, {**sync.edge.metadata, "overridden_fields": overridden})

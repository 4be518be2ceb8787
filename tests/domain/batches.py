"""What the batch use cases' tests compare: the rows and events a unit of work wrote, with
every id replaced by a label, so that a batch and the single-row calls it stands for can be
compared row for row (`undone`: each written in a transaction rolled back after)."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from domain.db import Database, Transaction, transaction
from domain.events import jsonable
from domain.tables import asset_collection_members, asset_relationships, assets, events

VOLATILE = ("id", "workspace_id", "created_at", "updated_at", "synced_at", "relationship_id")


async def labels(tx: Transaction) -> dict[str, str]:
    """Each asset id of the workspace (as text) and its label: its name, and for an instance
    `<scene>/<name>`."""
    rows = (await tx.execute(select(assets.c.id, assets.c.name, assets.c.scene_id)
                             .where(assets.c.workspace_id == tx.ws))).all()
    names = {row.id: row.name for row in rows}
    return {str(row.id): f"{names[row.scene_id]}/{row.name}" if row.scene_id else row.name
            for row in rows}


def labelled(value: Any, names: dict[str, str]) -> Any:
    """`value` (a row, a payload) JSON-ready, ids as labels, volatile keys dropped."""
    value = jsonable(value)
    if isinstance(value, dict):
        return {k: labelled(v, names) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [labelled(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


async def written(tx: Transaction, after_event: int, asset_ids: set[UUID]
                  ) -> dict[str, list[Any]]:
    """The assets among `asset_ids`, the edges touching them, the memberships of them and
    the events after `after_event`, labelled and sorted (order of writing aside)."""
    names = await labels(tx)
    found = (await tx.execute(select(assets).where(
        assets.c.workspace_id == tx.ws, assets.c.id.in_(asset_ids)))).mappings().all()
    rel = asset_relationships
    edges = (await tx.execute(select(rel).where(
        rel.c.workspace_id == tx.ws,
        rel.c.child_asset_id.in_(asset_ids) | rel.c.parent_asset_id.in_(asset_ids))
    )).mappings().all()
    members = asset_collection_members
    memberships = (await tx.execute(select(members).where(
        members.c.workspace_id == tx.ws, members.c.asset_id.in_(asset_ids)))).mappings().all()
    logged = (await tx.execute(select(events.c.topic, events.c.subject_id, events.c.actor,
                                      events.c.payload)
                               .where(events.c.workspace_id == tx.ws,
                                      events.c.id > after_event))).mappings().all()

    def rows(found: Any) -> list[Any]:
        return sorted((labelled(dict(row), names) for row in found), key=repr)

    return {"assets": rows(found), "edges": rows(edges), "members": rows(memberships),
            "events": rows(logged)}


async def last_event(tx: Transaction) -> int:
    return int((await tx.execute(select(func.coalesce(func.max(events.c.id), 0)).where(
        events.c.workspace_id == tx.ws))).scalar_one())


class _Undo(Exception):
    def __init__(self, found: dict[str, list[Any]]) -> None:
        self.found = found


Write = Callable[[Transaction], Awaitable[set[UUID]]]


async def undone(database: Database, workspace_id: UUID, write: Write) -> dict[str, list[Any]]:
    """What `write` wrote (`written`, of the asset ids it returns), in a transaction then
    rolled back: two ways of writing the same thing start from the same state."""
    try:
        async with transaction(database, workspace_id=workspace_id, actor="editor") as tx:
            after = await last_event(tx)
            raise _Undo(await written(tx, after, await write(tx)))
    except _Undo as undo:
        return undo.found
    raise AssertionError("unreachable")

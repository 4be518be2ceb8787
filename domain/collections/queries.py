"""SQL over `asset_collections` and `asset_collection_members`."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, false, func, select, text, tuple_

from domain.db import Transaction
from domain.events import Event, insert_with_event, jsonable
from domain.ids import uuid7
from domain.pages import pages_by_owner
from domain.records import AssetRecord, CollectionRecord, Key, KeyShape, Page
from domain.tables import asset_collection_members as members
from domain.tables import asset_collections as collections
from domain.tables import assets


async def get_collections(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, CollectionRecord]:
    rows = await tx.execute(
        select(collections).where(collections.c.workspace_id == tx.ws, collections.c.id.in_(ids))
    )
    return {row.id: CollectionRecord.from_row(row) for row in rows}


def _type_filter(types: Sequence[str] | None) -> Any:
    if types is None:
        return collections.c.workspace_id.is_not(None)
    return collections.c.type.in_(types) if types else false()


COLLECTION_KEY: KeyShape = (datetime, UUID)
MEMBER_KEY: KeyShape = (int, UUID)


async def list_collections(
    tx: Transaction, *, types: Sequence[str] | None, first: int, after: Key | None
) -> Page[CollectionRecord]:
    query = select(collections).where(collections.c.workspace_id == tx.ws, _type_filter(types))
    if after is not None:
        query = query.where(tuple_(collections.c.created_at, collections.c.id) > tuple_(*after))
    rows = (
        await tx.execute(
            query.order_by(collections.c.created_at, collections.c.id).limit(first + 1)
        )
    ).all()
    return Page.cut([CollectionRecord.from_row(r) for r in rows], first,
                    lambda c: (c.created_at, c.id))


async def count_collections(tx: Transaction, *, types: Sequence[str] | None) -> int:
    result = await tx.execute(
        select(func.count())
        .select_from(collections)
        .where(collections.c.workspace_id == tx.ws, _type_filter(types))
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class Member:
    sequence: int
    member_id: UUID
    asset: AssetRecord


async def member_pages(
    tx: Transaction,
    collection_ids: Sequence[UUID],
    *,
    types: Sequence[str] | None,
    first: int,
    after: Key | None,
) -> dict[UUID, Page[Member]]:
    """The live member assets of many collections in order, with totals, in one statement."""
    live = (
        select(
            members.c.collection_id,
            members.c.sequence.label("member_sequence"),
            members.c.id.label("member_id"),
            assets,
        )
        .join(
            assets,
            and_(
                assets.c.workspace_id == members.c.workspace_id,
                assets.c.id == members.c.asset_id,
                assets.c.deleted_at.is_(None),
            ),
        )
        .where(members.c.workspace_id == tx.ws, members.c.collection_id.in_(collection_ids))
    )
    if types is not None:
        live = live.where(assets.c.type.in_(types) if types else false())
    live_cte = live.cte("live")
    return await pages_by_owner(
        tx, live_cte, owner="collection_id",
        key=(live_cte.c.member_sequence, live_cte.c.member_id), owners=collection_ids,
        first=first, after=after,
        record=lambda row: Member(row.member_sequence, row.member_id, AssetRecord.from_row(row)),
        record_key=lambda member: (member.sequence, member.member_id))


async def live_members(
    tx: Transaction, collection_id: UUID, *, asset_type: str
) -> list[AssetRecord]:
    """The live member assets of one type, in collection order."""
    rows = await tx.execute(
        select(assets)
        .join(members, and_(members.c.workspace_id == assets.c.workspace_id,
                            members.c.asset_id == assets.c.id))
        .where(members.c.workspace_id == tx.ws, members.c.collection_id == collection_id,
               assets.c.type == asset_type, assets.c.deleted_at.is_(None))
        .order_by(members.c.sequence, members.c.id)
    )
    return [AssetRecord.from_row(row) for row in rows]


async def collection_pages(
    tx: Transaction, asset_ids: Sequence[UUID], *, first: int, after: Key | None
) -> dict[UUID, Page[CollectionRecord]]:
    """The collections holding each of many assets, oldest first (`COLLECTION_KEY`), a page
    of each from the keyset `after`, with totals, in one statement."""
    holding = (
        select(members.c.asset_id.label("member_asset_id"), collections)
        .join(
            collections,
            and_(
                collections.c.workspace_id == members.c.workspace_id,
                collections.c.id == members.c.collection_id,
            ),
        )
        .where(members.c.workspace_id == tx.ws, members.c.asset_id.in_(asset_ids))
        .cte("holding")
    )
    return await pages_by_owner(
        tx, holding, owner="member_asset_id", key=(holding.c.created_at, holding.c.id),
        owners=asset_ids, first=first, after=after, record=CollectionRecord.from_row,
        record_key=lambda collection: (collection.created_at, collection.id))


async def get_collection_for_update(
    tx: Transaction, collection_id: UUID
) -> CollectionRecord | None:
    row = (
        await tx.execute(
            select(collections)
            .where(collections.c.workspace_id == tx.ws, collections.c.id == collection_id)
            .with_for_update()
        )
    ).one_or_none()
    return CollectionRecord.from_row(row) if row else None


async def insert_collection(tx: Transaction, values: dict[str, Any], *,
                            event: Event | None = None) -> CollectionRecord:
    """Insert the collection, and `event` in the same statement when given."""
    if event is not None:
        return CollectionRecord.from_row(
            await insert_with_event(tx, collections, {"workspace_id": tx.ws, **values}, event))
    row = (
        await tx.execute(
            collections.insert().values(workspace_id=tx.ws, **values).returning(*collections.c)
        )
    ).one()
    return CollectionRecord.from_row(row)


async def update_collection(
    tx: Transaction, collection_id: UUID, values: dict[str, Any]
) -> CollectionRecord:
    row = (
        await tx.execute(
            collections.update()
            .where(collections.c.workspace_id == tx.ws, collections.c.id == collection_id)
            .values(**values, updated_at=func.now())
            .returning(*collections.c)
        )
    ).one()
    return CollectionRecord.from_row(row)


async def delete_collection(tx: Transaction, collection_id: UUID) -> None:
    await tx.execute(
        collections.delete().where(
            collections.c.workspace_id == tx.ws, collections.c.id == collection_id
        )
    )


async def member_sequences(tx: Transaction, collection_id: UUID) -> dict[UUID, tuple[UUID, int]]:
    """asset id -> (member id, sequence) for every member, locked for a reorder."""
    rows = await tx.execute(
        select(members.c.asset_id, members.c.id, members.c.sequence)
        .where(members.c.workspace_id == tx.ws, members.c.collection_id == collection_id)
        .order_by(members.c.sequence, members.c.id)
        .with_for_update()
    )
    return {row.asset_id: (row.id, row.sequence) for row in rows}


async def insert_member(
    tx: Transaction, *, member_id: UUID, collection_id: UUID, asset_id: UUID,
    sequence: int | None,
) -> bool:
    """Add an asset at `sequence` (default: last); False when it already was a member."""
    result = await tx.execute(
        text(
            """
            INSERT INTO asset_collection_members
                (workspace_id, id, collection_id, asset_id, sequence)
            SELECT :ws, :id, :collection_id, :asset_id, COALESCE(
                CAST(:sequence AS int),
                (SELECT COALESCE(max(sequence), 0) + 1 FROM asset_collection_members
                 WHERE workspace_id = :ws AND collection_id = :collection_id))
            ON CONFLICT (workspace_id, collection_id, asset_id) DO NOTHING
            """
        ),
        {"ws": tx.ws, "id": member_id, "collection_id": collection_id, "asset_id": asset_id,
         "sequence": sequence},
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class NewMember:
    asset_id: UUID
    sequence: int
    metadata: dict[str, Any]


async def insert_members(tx: Transaction, collection_id: UUID,
                         new: Sequence[NewMember]) -> None:
    """Many members of a collection that holds none of them yet, in one statement."""
    if not new:
        return
    await tx.execute(
        text(
            """
            INSERT INTO asset_collection_members
                (workspace_id, id, collection_id, asset_id, sequence, metadata)
            SELECT :ws, m.id, :collection_id, m.asset_id, m.sequence, CAST(m.metadata AS jsonb)
            FROM unnest(CAST(:ids AS uuid[]), CAST(:asset_ids AS uuid[]),
                        CAST(:sequences AS int[]), CAST(:metadata AS text[]))
                AS m(id, asset_id, sequence, metadata)
            """
        ),
        {"ws": tx.ws, "collection_id": collection_id, "ids": [uuid7() for _ in new],
         "asset_ids": [m.asset_id for m in new], "sequences": [m.sequence for m in new],
         "metadata": [json.dumps(jsonable(m.metadata)) for m in new]},
    )


async def delete_member(tx: Transaction, *, collection_id: UUID, asset_id: UUID) -> bool:
    result = await tx.execute(
        members.delete().where(
            members.c.workspace_id == tx.ws,
            members.c.collection_id == collection_id,
            members.c.asset_id == asset_id,
        )
    )
    return result.rowcount == 1


async def set_member_sequences(tx: Transaction, sequences: dict[UUID, int]) -> None:
    if not sequences:
        return
    await tx.execute(
        text(
            """
            UPDATE asset_collection_members m SET sequence = s.sequence
            FROM unnest(CAST(:ids AS uuid[]), CAST(:seqs AS int[])) AS s(id, sequence)
            WHERE m.workspace_id = :ws AND m.id = s.id
            """
        ),
        {"ws": tx.ws, "ids": list(sequences), "seqs": list(sequences.values())},
    )

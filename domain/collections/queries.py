"""SQL over `asset_collections` and `asset_collection_members`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, false, func, select, text, tuple_

from domain.db import Transaction
from domain.events import EVENTS_CHANNEL, NOTICES, Event, insert_with_event, json_text
from domain.ids import uuid7s
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


@dataclass(frozen=True)
class NewMember:
    asset_id: UUID
    sequence: int | None  # None: after the collection's last member (`insert_new_members`)
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
        {"ws": tx.ws, "collection_id": collection_id, "ids": uuid7s(len(new)),
         "asset_ids": [m.asset_id for m in new], "sequences": [m.sequence for m in new],
         "metadata": [json_text(m.metadata) for m in new]},
    )


INSERT_NEW_MEMBERS = text("""
    WITH given AS (
        -- per new member: the highest sequence before it (the collection's, and those given
        -- earlier in the batch) and how many new members up to it have none
        SELECT g.*, greatest((
                   SELECT coalesce(max(sequence), 0) FROM asset_collection_members
                   WHERE workspace_id = :ws AND collection_id = :collection_id),
                   max(g.sequence) OVER (ORDER BY g.n ROWS BETWEEN UNBOUNDED PRECEDING
                                                           AND 1 PRECEDING)) AS highest,
               count(*) FILTER (WHERE g.sequence IS NULL) OVER (ORDER BY g.n) AS unset
        FROM unnest(CAST(:ids AS uuid[]), CAST(:asset_ids AS uuid[]), CAST(:sequences AS int[]),
                    CAST(:metadata AS text[]))
            WITH ORDINALITY AS g(id, asset_id, sequence, metadata, n)
        WHERE NOT EXISTS (SELECT 1 FROM asset_collection_members m
                          WHERE m.workspace_id = :ws AND m.collection_id = :collection_id
                            AND m.asset_id = g.asset_id)
    ), numbered AS (
        -- a member without a sequence goes after the last one before it, as if the batch's
        -- members were added one by one
        SELECT g.*, coalesce(g.sequence, max(g.highest - g.unset) FILTER (
                   WHERE g.sequence IS NULL) OVER (ORDER BY g.n) + g.unset + 1) AS assigned
        FROM given g
    ), inserted AS (
        INSERT INTO asset_collection_members
            (workspace_id, id, collection_id, asset_id, sequence, metadata)
        SELECT :ws, g.id, :collection_id, g.asset_id, g.assigned, CAST(g.metadata AS jsonb)
        FROM numbered g ORDER BY g.n
        ON CONFLICT (workspace_id, collection_id, asset_id) DO NOTHING
        RETURNING id, asset_id
    ), logged AS (
        INSERT INTO events (workspace_id, topic, subject_id, actor, payload)
        SELECT :ws, 'collection.asset_added', :collection_id, :actor,
               jsonb_build_object('asset_id', i.asset_id)
        FROM inserted i JOIN numbered g ON g.id = i.id ORDER BY g.n
        RETURNING workspace_id, id, topic
    )
    SELECT (SELECT count(*) FROM inserted) AS added, """ + NOTICES + """ AS notified
""")


async def insert_new_members(tx: Transaction, collection_id: UUID,
                             new: Sequence[NewMember]) -> int:
    """Add the assets that are not members of the collection yet (each listed once), a None
    sequence after the last member, the batch's earlier ones included (the sequences adding
    them one by one would give), each with its `collection.asset_added` event, NOTIFYed
    `NOTICE_IDS` at a time (`domain.events.NOTICES`), in one statement. How many were
    added."""
    if not new:
        return 0
    result = await tx.execute(INSERT_NEW_MEMBERS, {
        "ws": tx.ws, "actor": tx.actor, "channel": EVENTS_CHANNEL,
        "collection_id": collection_id, "ids": uuid7s(len(new)),
        "asset_ids": [m.asset_id for m in new], "sequences": [m.sequence for m in new],
        "metadata": [json_text(m.metadata) for m in new]})
    return int(result.one().added)


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

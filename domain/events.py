"""The append-only event log: asset history, modification tracking, the subscription source.

Every change writes its event in the same transaction as the change itself, so the log never
says something happened that was rolled back, and never misses something that was committed.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Text, bindparam, cast, func, select, text
from sqlalchemy.dialects.postgresql import distinct_on

from domain.db import Transaction
from domain.records import EventRecord, Key, KeyShape, Page
from domain.tables import events


def jsonable(value: Any) -> Any:
    """What a JSONB payload can hold: UUIDs and datetimes as strings, decimals as numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


EVENTS_CHANNEL = "assetgraph_events"


def parse_notice(payload: str) -> tuple[str, int, str] | None:
    """`(workspace id, event id, topic)` of an `EVENTS_CHANNEL` payload, or None."""
    workspace, _, rest = payload.partition(":")
    event_id, _, topic = rest.partition(":")
    return (workspace, int(event_id), topic) if event_id.isdigit() else None


def _record_statement() -> Any:
    inserted = (
        events.insert()
        .values({column: bindparam(column, type_=events.c[column].type)
                 for column in ("workspace_id", "topic", "subject_id", "actor", "payload")})
        .returning(events.c.id, events.c.workspace_id, events.c.topic)
        .cte("inserted")
    )
    notice = func.concat(cast(inserted.c.workspace_id, Text), ":", cast(inserted.c.id, Text),
                         ":", inserted.c.topic)
    return select(inserted.c.id, func.pg_notify(EVENTS_CHANNEL, notice).label("notified"))


RECORD_EVENT = _record_statement()


async def record_event(
    tx: Transaction, topic: str, subject_id: UUID | None, payload: dict[str, Any]
) -> int:
    """Append an event and, in the same statement, NOTIFY `<workspace>:<event id>:<topic>`
    (see `parse_notice`).

    PostgreSQL delivers the notification at commit, and never for a rolled-back event.
    """
    result = await tx.execute(RECORD_EVENT, {
        "workspace_id": tx.ws, "topic": topic, "subject_id": subject_id, "actor": tx.actor,
        "payload": jsonable(payload)})
    return int(result.one().id)


EVENT_KEY: KeyShape = (int,)
"""Events resume after their id: in an asset's history and in a resumed subscription alike."""


def event_key(event: EventRecord) -> Key:
    return (event.id,)


async def history_pages(
    tx: Transaction, subject_ids: Sequence[UUID], *, first: int, after: Key | None
) -> dict[UUID, Page[EventRecord]]:
    """The events of many subjects, oldest first, `first` per subject after the event id."""
    rows = await tx.execute(
        text(
            """
            SELECT * FROM (
                SELECT e.*, row_number() OVER (PARTITION BY e.subject_id ORDER BY e.id) AS rn
                FROM events e
                WHERE e.workspace_id = :ws AND e.subject_id = ANY(:ids) AND e.id > :after
            ) page
            WHERE rn <= :limit
            ORDER BY subject_id, id
            """
        ),
        {"ws": tx.ws, "ids": list(subject_ids), "after": after[0] if after else 0,
         "limit": first + 1},
    )
    grouped: dict[UUID, list[EventRecord]] = {subject: [] for subject in subject_ids}
    for row in rows:
        grouped[row.subject_id].append(EventRecord.from_row(row))
    return {
        subject: Page.cut(items, first, event_key)
        for subject, items in grouped.items()
    }


async def count_events(
    tx: Transaction, subject_ids: Sequence[UUID], topics: Sequence[str] | None = None
) -> dict[UUID, int]:
    query = (
        select(events.c.subject_id, func.count().label("events"))
        .where(events.c.workspace_id == tx.ws, events.c.subject_id.in_(subject_ids))
        .group_by(events.c.subject_id)
    )
    if topics is not None:
        query = query.where(events.c.topic.in_(topics))
    counts = {subject: 0 for subject in subject_ids}
    for row in await tx.execute(query):
        counts[row.subject_id] = row.events
    return counts


async def last_events(
    tx: Transaction, subject_ids: Sequence[UUID], topic: str
) -> dict[UUID, EventRecord]:
    rows = await tx.execute(
        select(events)
        .where(
            events.c.workspace_id == tx.ws,
            events.c.subject_id.in_(subject_ids),
            events.c.topic == topic,
        )
        .ext(distinct_on(events.c.subject_id))
        .order_by(events.c.subject_id, events.c.id.desc())
    )
    return {row.subject_id: EventRecord.from_row(row) for row in rows}


async def events_by_ids(tx: Transaction, ids: Sequence[int]) -> list[EventRecord]:
    """For the process's fan-out: the events a batch of notifications named, any workspace."""
    rows = await tx.execute(select(events).where(events.c.id.in_(ids)).order_by(events.c.id))
    return [EventRecord.from_row(row) for row in rows]


async def events_since(tx: Transaction, after: int, *, limit: int) -> list[EventRecord]:
    """For catching up after the listener reconnects: any workspace, by id."""
    rows = await tx.execute(
        select(events).where(events.c.id > after).order_by(events.c.id).limit(limit))
    return [EventRecord.from_row(row) for row in rows]


async def latest_event_id(tx: Transaction) -> int:
    return int((await tx.execute(select(func.coalesce(func.max(events.c.id), 0)))).scalar_one())


async def workspace_events_after(
    tx: Transaction, after: int, *, topics: Sequence[str] | None,
    subject_ids: Sequence[UUID] | None, limit: int,
) -> list[EventRecord]:
    """A workspace's events after an id, oldest first: the replay of a resumed subscription."""
    query = select(events).where(events.c.workspace_id == tx.ws, events.c.id > after)
    if topics is not None:
        query = query.where(events.c.topic.in_(topics))
    if subject_ids is not None:
        query = query.where(events.c.subject_id.in_(subject_ids))
    rows = await tx.execute(query.order_by(events.c.id).limit(limit))
    return [EventRecord.from_row(row) for row in rows]

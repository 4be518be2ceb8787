"""The append-only event log: asset history, modification tracking, the subscription source.

Every change writes its event in the same transaction as the change itself, so the log never
says something happened that was rolled back, and never misses something that was committed.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    DefaultClause,
    Row,
    Table,
    Text,
    TextClause,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from domain.db import Transaction
from domain.records import EventRecord, Key, KeyShape, Page
from domain.tables import events

_PLAIN = frozenset((str, int, float, bool))


def jsonable(value: Any) -> Any:
    """What a JSONB payload can hold: UUIDs and datetimes as strings, decimals as numbers."""
    if value is None or type(value) in _PLAIN:  # most values: no isinstance chain
        return value
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


def json_default(value: Any) -> Any:
    """`jsonable` of a value `json` cannot encode itself: `json.dumps(..., default=)`."""
    if type(value) is UUID:  # most of them: no isinstance chain
        return str(value)
    found = jsonable(value)
    if found is value:
        raise TypeError(f"not JSON: {type(value).__name__}")
    return found


def json_text(value: Any) -> str:
    """The JSON text of `jsonable(value)`, encoded without copying `value` first (the hot
    paths of batches encode thousands of payloads)."""
    try:
        return json.dumps(value, default=json_default)
    except TypeError:  # a key json cannot encode (an id): through the copy
        return json.dumps(jsonable(value))


EVENTS_CHANNEL = "assetgraph_events"


def parse_notice(payload: str) -> tuple[str, list[int], str] | None:
    """`(workspace id, event ids, topic)` of an `EVENTS_CHANNEL` payload, or None.

    One event's notice names its id; a batch's (`record_events`, `NOTICES`) names the ids of
    its events of one workspace and topic, comma-separated: one notification per batch (of
    `NOTICE_IDS` at most), not per event."""
    workspace, _, rest = payload.partition(":")
    listed, _, topic = rest.partition(":")
    ids = listed.split(",")
    return (workspace, [int(i) for i in ids], topic) if all(i.isdigit() for i in ids) else None


EVENT_COLUMNS = ("workspace_id", "topic", "subject_id", "actor", "payload")


def _inserted_event() -> Any:
    """The event's INSERT as a CTE (`inserted`), its values bound as `event_<column>`."""
    return (
        events.insert()
        .values({column: bindparam(f"event_{column}", type_=events.c[column].type)
                 for column in EVENT_COLUMNS})
        .returning(events.c.id, events.c.workspace_id, events.c.topic)
        .cte("inserted")
    )


def _notified(inserted: Any) -> Any:
    notice = func.concat(cast(inserted.c.workspace_id, Text), ":", cast(inserted.c.id, Text),
                         ":", inserted.c.topic)
    return func.pg_notify(EVENTS_CHANNEL, notice).label("notified")


_RECORD_EVENT = _inserted_event()
RECORD_EVENT = select(_RECORD_EVENT.c.id, _notified(_RECORD_EVENT))


@dataclass(frozen=True)
class Event:
    """An event to append with the change it reports (`execute_with_event`)."""

    topic: str
    subject_id: UUID | None
    payload: dict[str, Any]


def _event_params(tx: Transaction, event: Event) -> dict[str, Any]:
    return {"event_workspace_id": tx.ws, "event_topic": event.topic,
            "event_subject_id": event.subject_id, "event_actor": tx.actor,
            "event_payload": jsonable(event.payload)}


async def record_event(
    tx: Transaction, topic: str, subject_id: UUID | None, payload: dict[str, Any]
) -> int:
    """Append an event and, in the same statement, NOTIFY `<workspace>:<event id>:<topic>`
    (see `parse_notice`).

    PostgreSQL delivers the notification at commit, and never for a rolled-back event.
    """
    result = await tx.execute(RECORD_EVENT, _event_params(tx, Event(topic, subject_id, payload)))
    return int(result.one().id)


_RECORD_EVENTS = text(
    """
    WITH inserted AS (
        INSERT INTO events (workspace_id, topic, subject_id, actor, payload)
        SELECT e.workspace_id, :topic, e.subject_id, :actor, e.payload::jsonb
        FROM unnest(CAST(:workspaces AS uuid[]), CAST(:subjects AS uuid[]),
                    CAST(:payloads AS text[])) AS e(workspace_id, subject_id, payload)
        RETURNING id, workspace_id, topic
    )
    SELECT count(*) AS events, pg_notify(:channel, concat(
        workspace_id::text, ':', string_agg(id::text, ',' ORDER BY id), ':', topic))
    FROM inserted GROUP BY workspace_id, topic
    """
)


async def record_events(tx: Transaction, topic: str,
                        subjects: Sequence[tuple[UUID, UUID, dict[str, Any]]]) -> None:
    """Append one event of `topic` per `(workspace id, subject id, payload)`, of any
    workspaces, in one statement, and NOTIFY once per workspace with all their ids (the
    notice `parse_notice` reads). For the job queue's batches, whose transaction is bound to no
    workspace."""
    if not subjects:
        return
    await tx.execute(_RECORD_EVENTS, {
        "topic": topic, "actor": tx.actor, "channel": EVENTS_CHANNEL,
        "workspaces": [workspace for workspace, _, _ in subjects],
        "subjects": [subject for _, subject, _ in subjects],
        "payloads": [json.dumps(jsonable(payload)) for _, _, payload in subjects]})


@lru_cache(maxsize=64)
def _with_event(statement: Any) -> Any:
    changed = statement.cte("changed")
    inserted = _inserted_event()
    return (select(changed, inserted.c.id.label("event_id"), _notified(inserted))
            .select_from(changed).join(inserted, true()))


async def execute_with_event(tx: Transaction, statement: Any, params: dict[str, Any],
                             event: Event) -> Row[Any]:
    """The one row an INSERT or UPDATE ... RETURNING changes, and the event reporting it, in one
    statement (one round trip instead of two).

    `statement` is built once per shape (its combined form is kept per statement object) and
    its parameters must not be named like columns of `events` (prefix them): SQLAlchemy would
    add those columns to the event's INSERT. The event is appended even if the statement
    changes no row, so the caller must know that it changes exactly one."""
    result = await tx.execute(_with_event(statement), {**params, **_event_params(tx, event)})
    return result.one()


@lru_cache(maxsize=64)
def _insert(table: Table, columns: tuple[str, ...]) -> Any:
    values = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}
    return table.insert().values(values).returning(*table.c)


async def insert_with_event(tx: Transaction, table: Table, values: dict[str, Any],
                            event: Event) -> Row[Any]:
    """Insert one row of `table` (every column it is given) and `event`, in one statement."""
    statement = _insert(table, tuple(sorted(values)))
    return await execute_with_event(tx, statement, {f"v_{k}": v for k, v in values.items()},
                                    event)


def _row_value(value: Any) -> Any:
    """A column value in a JSON row (`rows_json`): text that PostgreSQL's input function of the
    column's type reads back exactly (a decimal stays exact)."""
    if type(value) is UUID or isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        # a naive time is UTC, as asyncpg sends one bound as a parameter
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    raise TypeError(f"not a column value: {type(value).__name__}")


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON array, for `jsonb_to_recordset` (one parameter, however many rows)."""
    return json.dumps(rows, default=_row_value, separators=(",", ":"))


def _logged(events_of: Any) -> Any:
    """The INSERT of the events `events_of` selects (topic, subject_id, payload text), as a CTE
    (`logged`) returning what their notices need."""
    return (
        events.insert()
        .from_select(list(EVENT_COLUMNS), select(
            bindparam("ws", type_=PG_UUID(as_uuid=True)), events_of.c.topic,
            events_of.c.subject_id, bindparam("actor", type_=Text),
            cast(events_of.c.payload, JSONB)))
        .returning(events.c.id, events.c.workspace_id, events.c.topic)
        .cte("logged")
    )


def _given_events() -> Any:
    """The events given as one JSON array (`_events_params`), a row each."""
    return (
        func.jsonb_to_recordset(cast(bindparam("events", type_=Text), JSONB))
        .table_valued(column("topic", Text), column("subject_id", PG_UUID(as_uuid=True)),
                      column("payload", JSONB))
        .render_derived("given_event", with_types=True)
    )


def _events_params(tx: Transaction, given: Sequence[Event]) -> dict[str, Any]:
    # One encoding of the whole batch: json.dumps' setup, paid per call, outweighs a small
    # payload's encoding (3,000 events: 6.6 ms one by one, 1.6 ms at once).
    return {"ws": tx.ws, "actor": tx.actor, "channel": EVENTS_CHANNEL, "events": json_text([
        {"topic": e.topic, "subject_id": e.subject_id, "payload": e.payload} for e in given])}


NOTICE_IDS = 300
"""The most event ids one notice names: its payload stays under PostgreSQL's 8,000 bytes."""


NOTICES = f"""(
    SELECT count(notice) FROM (
        SELECT pg_notify(:channel, concat(workspace_id, ':',
                                          string_agg(id::text, ',' ORDER BY id), ':', topic))
                   AS notice
        FROM (SELECT workspace_id, id, topic,
                     (row_number() OVER (PARTITION BY workspace_id, topic ORDER BY id) - 1)
                     / {NOTICE_IDS} AS chunk
              FROM logged) chunked
        GROUP BY workspace_id, topic, chunk) notices)"""
"""NOTIFY the events the CTE `logged` (workspace_id, id, topic) inserted: one notice for each
`NOTICE_IDS` of one workspace and topic, naming their ids (`parse_notice`), not one per event
(an imported project's 3,000 events: ~20 notices to every listening process instead of
3,000); `:channel` bound. A scalar subquery: the number of notices."""


def _notifying(statement: Any, logged: Any, label: str) -> Any:
    """`statement` with the `logged` CTE's events NOTIFYed (`NOTICES`) as column `label`."""
    return statement.add_columns(text(f"{NOTICES} AS {label}")).add_cte(logged)


RECORD_EACH = _notifying(select(), _logged(_given_events()), "notices")


async def record_each(tx: Transaction, given: Sequence[Event]) -> None:
    """Append many events of the transaction's workspace in one statement, NOTIFYed
    `NOTICE_IDS` at a time (`NOTICES`)."""
    if given:
        await tx.execute(RECORD_EACH, _events_params(tx, given))


def _or_default(column: Column[Any], given: Any) -> Any:
    """A given value, or (when null) the column's default, for a column that has one and
    may not be null: a batch's rows need not all name a value for it."""
    default = column.server_default
    if column.nullable or not isinstance(default, DefaultClause):
        return given
    value = default.arg
    if isinstance(value, str):
        value = cast(literal(value, Text), column.type)
    elif isinstance(value, TextClause):
        value = literal_column(value.text, column.type)
    return func.coalesce(given, value)


@lru_cache(maxsize=64)
def _insert_rows(table: Table, columns: tuple[str, ...]) -> Any:
    """INSERT of rows given as one JSON array (`rows_json`) with their events, built once per
    table and set of columns; the columns not given, and those given as null that may not be,
    take their defaults."""
    given = (
        func.jsonb_to_recordset(cast(bindparam("rows", type_=Text), JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in columns))
        .render_derived("given", with_types=True)
    )
    inserted = (
        table.insert()
        .from_select(["workspace_id", *columns], select(
            bindparam("ws", type_=PG_UUID(as_uuid=True)),
            *(_or_default(table.c[name], given.c[name]) for name in columns)))
        .returning(*table.c)
        .cte("inserted")
    )
    return _notifying(select(inserted), _logged(_given_events()), "notified")


async def insert_rows_with_events(tx: Transaction, table: Table, rows: Sequence[dict[str, Any]],
                                  given: Sequence[Event]) -> list[Row[Any]]:
    """Insert rows of `table` (each with the same columns, `workspace_id` aside) and append
    `given` events, NOTIFYed `NOTICE_IDS` at a time (`NOTICES`), in one statement: the
    many-row form of `insert_with_event`. The inserted rows, in no particular order."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        raise ValueError("every row of one insert names the same columns, in the same order")
    statement = _insert_rows(table, columns)
    result = await tx.execute(statement, {"rows": rows_json(rows), **_events_params(tx, given)})
    return list(result)


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

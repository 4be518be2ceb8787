"""SQL over `assets`. Every statement filters `workspace_id` explicitly (DESIGN §2)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from domain.assets.origin import origin_of
from domain.assets.vocabulary import AssetOrderField, AssetOrigin, OrderDirection
from domain.db import Transaction
from domain.events import (
    EVENTS_CHANNEL,
    NOTICES,
    Event,
    execute_with_event,
    insert_rows_with_events,
)
from domain.graph.vocabulary import DERIVING_TYPES
from domain.legacy.keys import has_legacy_id
from domain.records import AssetRecord, Key, KeyShape, Page
from domain.sync.queries import is_outdated
from domain.tables import asset_collection_members, asset_relationships, assets

ORDER_COLUMNS = {
    AssetOrderField.CREATED_AT: assets.c.created_at,
    AssetOrderField.UPDATED_AT: assets.c.updated_at,
    AssetOrderField.NAME: assets.c.name,
}


@dataclass(frozen=True)
class AssetFilter:
    types: Sequence[str] | None = None
    tags_all: Sequence[str] | None = None
    tags_any: Sequence[str] | None = None
    search: str | None = None
    collection_id: UUID | None = None
    sources: Sequence[str] | None = None
    include_deleted: bool = False
    # None: no condition. An empty list of origins matches none, as an empty list of types.
    origins: Sequence[AssetOrigin] | None = None
    outdated: bool | None = None
    locked: bool | None = None
    # Imported rows by their legacy id (`metadata.legacy.id`); an empty list matches none.
    legacy_ids: Sequence[str] | None = None


@dataclass(frozen=True)
class AssetOrder:
    field: AssetOrderField = AssetOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.ASC

    @property
    def descending(self) -> bool:
        return self.direction == OrderDirection.DESC

    @property
    def key_shape(self) -> KeyShape:
        return (str if self.field == AssetOrderField.NAME else datetime, UUID)

    def key(self, asset: AssetRecord) -> Key:
        return (getattr(asset, self.field), asset.id)


def _where(ws: UUID, f: AssetFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [assets.c.workspace_id == ws]
    if not f.include_deleted:
        clauses.append(assets.c.deleted_at.is_(None))
    if f.types is not None:
        clauses.append(assets.c.type.in_(f.types) if f.types else false())
    if f.sources is not None:
        clauses.append(assets.c.source.in_(f.sources) if f.sources else false())
    if f.tags_all:
        clauses.append(assets.c.tags.contains(list(f.tags_all)))
    if f.tags_any:
        clauses.append(assets.c.tags.overlap(list(f.tags_any)))
    if f.search and f.search.strip():
        term = f.search.strip()
        document = func.to_tsvector("english", assets.c.name + " " + assets.c.description)
        clauses.append(
            or_(
                assets.c.name.op("%")(term),
                assets.c.name.ilike("%" + _escape_like(term) + "%", escape="\\"),
                document.op("@@")(func.websearch_to_tsquery("english", term)),
            )
        )
    if f.collection_id is not None:
        clauses.append(
            exists().where(
                asset_collection_members.c.workspace_id == ws,
                asset_collection_members.c.collection_id == f.collection_id,
                asset_collection_members.c.asset_id == assets.c.id,
            )
        )
    if f.origins is not None:
        clauses.append(origin_of(assets, ws).in_([o.value for o in f.origins])
                       if f.origins else false())
    if f.outdated is not None:
        clauses.append(is_outdated(assets, ws) if f.outdated else ~is_outdated(assets, ws))
    if f.locked is not None:
        clauses.append(assets.c.locked.is_(f.locked))
    if f.legacy_ids is not None:
        clauses.append(has_legacy_id(assets, literal(list(f.legacy_ids), ARRAY(Text))))
    return clauses


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_assets(
    tx: Transaction,
    f: AssetFilter,
    order: AssetOrder,
    *,
    first: int,
    after: Key | None,
) -> Page[AssetRecord]:
    column = ORDER_COLUMNS[order.field]
    query: Select[Any] = select(assets).where(*_where(tx.ws, f))
    if after is not None:
        key = tuple_(column, assets.c.id)
        query = query.where(key < tuple_(*after) if order.descending else key > tuple_(*after))
    if order.descending:
        query = query.order_by(column.desc(), assets.c.id.desc())
    else:
        query = query.order_by(column, assets.c.id)
    rows = (await tx.execute(query.limit(first + 1))).all()
    return Page.cut([AssetRecord.from_row(r) for r in rows], first, order.key)


async def count_assets(tx: Transaction, f: AssetFilter) -> int:
    result = await tx.execute(select(func.count()).select_from(assets).where(*_where(tx.ws, f)))
    return int(result.scalar_one())


# The hot look-ups as statements built once (their SQL is compiled once, their cache key
# computed once): only the parameters change per call.
GET_ASSETS = select(assets).where(
    assets.c.workspace_id == bindparam("ws"),
    assets.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))))
GET_ASSET_FOR_UPDATE = select(assets).where(
    assets.c.workspace_id == bindparam("ws"), assets.c.id == bindparam("id")).with_for_update()


async def get_assets(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, AssetRecord]:
    """Assets by id, soft-deleted ones included: a direct look-up shows `deletedAt`."""
    rows = await tx.execute(GET_ASSETS, {"ws": tx.ws, "ids": list(ids)})
    return {row.id: AssetRecord.from_row(row) for row in rows}


async def get_asset_for_update(tx: Transaction, asset_id: UUID) -> AssetRecord | None:
    """The asset, row-locked until the transaction ends: concurrent writers queue, none is lost."""
    row = (await tx.execute(GET_ASSET_FOR_UPDATE, {"ws": tx.ws, "id": asset_id})).one_or_none()
    return AssetRecord.from_row(row) if row else None


GET_ASSETS_FOR_UPDATE = (
    select(assets)
    .where(assets.c.workspace_id == bindparam("ws"),
           assets.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))))
    .order_by(assets.c.id)
    .with_for_update()
)  # in id order: two writers locking overlapping sets queue instead of deadlocking


async def get_assets_for_update(tx: Transaction, ids: Sequence[UUID]
                                ) -> dict[UUID, AssetRecord]:
    """The assets by id (soft-deleted ones included), row-locked until the transaction ends."""
    rows = await tx.execute(GET_ASSETS_FOR_UPDATE, {"ws": tx.ws, "ids": list(ids)})
    return {row.id: AssetRecord.from_row(row) for row in rows}


SET_LOCKED = text("""
    WITH given AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS g(id, n)
    ), changed AS (
        UPDATE assets a SET locked = :locked, updated_at = now()
        FROM given g
        WHERE a.workspace_id = :ws AND a.id = g.id
        RETURNING a.*, g.n
    ), logged AS (
        INSERT INTO events (workspace_id, topic, subject_id, actor, payload)
        SELECT :ws, :topic, c.id, :actor, '{}'::jsonb FROM changed c ORDER BY c.n
        RETURNING workspace_id, id, topic
    )
    SELECT changed.*, """ + NOTICES + """ AS notified
    FROM changed
""")


async def set_locked(tx: Transaction, ids: Sequence[UUID], *, locked: bool
                     ) -> dict[UUID, AssetRecord]:
    """Set `locked` on these assets (the caller holds their row locks), each with its
    `asset.locked` (`asset.unlocked`) event, in one statement; the updated records by id."""
    if not ids:
        return {}
    rows = await tx.execute(SET_LOCKED, {
        "ws": tx.ws, "actor": tx.actor, "channel": EVENTS_CHANNEL, "ids": list(ids),
        "locked": locked, "topic": "asset.locked" if locked else "asset.unlocked"})
    return {row.id: AssetRecord.from_row(row) for row in rows}


async def insert_assets(tx: Transaction, values: Sequence[dict[str, Any]],
                        events: Sequence[Event]) -> list[AssetRecord]:
    """Insert the assets (each with the same columns, its `id` among them) and their events,
    in one statement; the records in the order of `values`."""
    rows = await insert_rows_with_events(tx, assets, values, events)
    found = {row.id: AssetRecord.from_row(row) for row in rows}
    return [found[v["id"]] for v in values]


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...], now: tuple[str, ...], bump_version: bool
                      ) -> Any:
    """The UPDATE of these columns (and of `now`'s to the transaction's time), built once per
    shape: its SQL is compiled once and only the parameters change per call."""
    values: dict[str, Any] = {name: bindparam(f"v_{name}", type_=assets.c[name].type)
                              for name in columns}
    values.update({name: func.now() for name in (*now, "updated_at")})
    if bump_version:
        values["version"] = assets.c.version + 1
    return (assets.update()
            .where(assets.c.workspace_id == bindparam("k_ws"),
                   assets.c.id == bindparam("k_id"))
            .values(values).returning(*assets.c))


async def update_asset(
    tx: Transaction, asset_id: UUID, values: dict[str, Any], *, bump_version: bool,
    now: tuple[str, ...] = (), event: Event | None = None,
) -> AssetRecord:
    """Update the asset (which the caller knows exists: it holds its row lock), and append
    `event` in the same statement when given."""
    statement = _update_statement(tuple(sorted(values)), now, bump_version)
    params = {"k_ws": tx.ws, "k_id": asset_id, **{f"v_{k}": v for k, v in values.items()}}
    if event is not None:
        return AssetRecord.from_row(await execute_with_event(tx, statement, params, event))
    return AssetRecord.from_row((await tx.execute(statement, params)).one())


async def mark_deleted(tx: Transaction, asset_id: UUID, *, deleted: bool) -> AssetRecord:
    if deleted:
        return await update_asset(tx, asset_id, {}, bump_version=False, now=("deleted_at",))
    return await update_asset(tx, asset_id, {"deleted_at": None}, bump_version=False)


async def delete_asset_row(tx: Transaction, asset_id: UUID) -> None:
    await tx.execute(
        assets.delete().where(assets.c.workspace_id == tx.ws, assets.c.id == asset_id)
    )


async def live_dependents(
    tx: Transaction, parent_ids: Sequence[UUID]
) -> dict[UUID, list[AssetRecord]]:
    """Live assets deriving from each parent (`derived_from`, `variant_of`), oldest first."""
    rel = asset_relationships
    rows = await tx.execute(
        select(rel.c.parent_asset_id.label("dependent_of"), assets)
        .join(
            assets,
            and_(assets.c.workspace_id == rel.c.workspace_id, assets.c.id == rel.c.child_asset_id),
        )
        .where(
            rel.c.workspace_id == tx.ws,
            rel.c.parent_asset_id.in_(parent_ids),
            rel.c.relationship_type.in_(DERIVING_TYPES),
            assets.c.deleted_at.is_(None),
        )
        .ext(distinct_on(rel.c.parent_asset_id, assets.c.created_at, assets.c.id))
        .order_by(rel.c.parent_asset_id, assets.c.created_at, assets.c.id)
    )
    grouped: dict[UUID, list[AssetRecord]] = {parent: [] for parent in parent_ids}
    for row in rows:
        grouped[row.dependent_of].append(AssetRecord.from_row(row))
    return grouped

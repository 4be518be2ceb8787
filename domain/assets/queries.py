"""SQL over `assets`. Every statement filters `workspace_id` explicitly (DESIGN §2)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on

from domain.assets.vocabulary import AssetOrderField, OrderDirection
from domain.db import Transaction
from domain.graph.vocabulary import DERIVING_TYPES
from domain.records import AssetRecord, Key, KeyShape, Page
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


async def get_assets(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, AssetRecord]:
    """Assets by id, soft-deleted ones included: a direct look-up shows `deletedAt`."""
    rows = await tx.execute(
        select(assets).where(assets.c.workspace_id == tx.ws, assets.c.id.in_(ids))
    )
    return {row.id: AssetRecord.from_row(row) for row in rows}


async def get_asset_for_update(tx: Transaction, asset_id: UUID) -> AssetRecord | None:
    """The asset, row-locked until the transaction ends: concurrent writers queue, none is lost."""
    row = (
        await tx.execute(
            select(assets)
            .where(assets.c.workspace_id == tx.ws, assets.c.id == asset_id)
            .with_for_update()
        )
    ).one_or_none()
    return AssetRecord.from_row(row) if row else None


INSERT_ASSET = assets.insert().returning(*assets.c)


async def insert_asset(tx: Transaction, values: dict[str, Any]) -> AssetRecord:
    # Values as parameters of one statement: no expression is built per call.
    row = (await tx.execute(INSERT_ASSET, {"workspace_id": tx.ws, **values})).one()
    return AssetRecord.from_row(row)


async def update_asset(
    tx: Transaction, asset_id: UUID, values: dict[str, Any], *, bump_version: bool
) -> AssetRecord:
    extra: dict[str, Any] = {"updated_at": func.now()}
    if bump_version:
        extra["version"] = assets.c.version + 1
    row = (
        await tx.execute(
            assets.update()
            .where(assets.c.workspace_id == tx.ws, assets.c.id == asset_id)
            .values(**values, **extra)
            .returning(*assets.c)
        )
    ).one()
    return AssetRecord.from_row(row)


async def mark_deleted(tx: Transaction, asset_id: UUID, *, deleted: bool) -> AssetRecord:
    value = func.now() if deleted else None
    return await update_asset(tx, asset_id, {"deleted_at": value}, bump_version=False)


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

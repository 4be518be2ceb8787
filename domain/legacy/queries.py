"""SQL of the legacy import on the graph's side: finding what an earlier run imported, and the
columns no use case writes (legacy timestamps and versions, job history), in batches.

Every statement filters `workspace_id`. A unit's look-ups are one statement each however
many rows the unit has; stamping is one statement per batch of rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    Text,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from domain.db import Transaction
from domain.legacy.keys import LEGACY, has_legacy_id
from domain.records import AssetRecord, CollectionRecord, JobRecord
from domain.tables import asset_collections, assets, blobs, jobs


async def assets_with(tx: Transaction, pattern: dict[str, Any]) -> list[AssetRecord]:
    """Assets (soft-deleted too) whose metadata contains `pattern` (the GIN index answers)."""
    rows = await tx.execute(select(assets).where(assets.c.workspace_id == tx.ws,
                                                 assets.c.metadata.contains(pattern))
                            .order_by(assets.c.id))
    return [AssetRecord.from_row(row) for row in rows]


async def assets_by_legacy_ids(tx: Transaction, ids: Sequence[str]) -> list[AssetRecord]:
    """Assets (soft-deleted too) whose `metadata.legacy.id` is one of `ids`, oldest first."""
    if not ids:
        return []
    wanted = bindparam("legacy_ids", list(ids), type_=ARRAY(Text))
    rows = await tx.execute(select(assets).where(assets.c.workspace_id == tx.ws,
                                                 has_legacy_id(assets, tx.ws, wanted))
                            .order_by(assets.c.id))
    return [AssetRecord.from_row(row) for row in rows]


async def collections_with(tx: Transaction, pattern: dict[str, Any]) -> list[CollectionRecord]:
    rows = await tx.execute(
        select(asset_collections).where(asset_collections.c.workspace_id == tx.ws,
                                        asset_collections.c.metadata.contains(pattern))
        .order_by(asset_collections.c.id))
    return [CollectionRecord.from_row(row) for row in rows]


async def held_blobs(tx: Transaction, hashes: Sequence[str]) -> set[str]:
    rows = await tx.execute(select(blobs.c.sha256).where(blobs.c.workspace_id == tx.ws,
                                                         blobs.c.sha256.in_(hashes)))
    return {row.sha256 for row in rows}


@dataclass(frozen=True)
class Stamp:
    """Legacy timestamps and version for a row the import wrote. `exact`: set the version as
    given (a row just created); else only raise it (an update must not lower a version)."""

    id: UUID
    created_at: datetime | None
    updated_at: datetime | None
    version: int | None = None
    exact: bool = True


def _stamped(stamps: Sequence[Stamp]) -> Any:
    return select(
        func.unnest(bindparam("ids", [s.id for s in stamps], type_=ARRAY(PG_UUID()))).label("id"),
        func.unnest(bindparam("created", [s.created_at for s in stamps],
                              type_=ARRAY(DateTime(timezone=True)))).label("created_at"),
        func.unnest(bindparam("updated", [s.updated_at for s in stamps],
                              type_=ARRAY(DateTime(timezone=True)))).label("updated_at"),
        func.unnest(bindparam("versions", [s.version for s in stamps],
                              type_=ARRAY(Integer))).label("version"),
        func.unnest(bindparam("exact", [s.exact for s in stamps],
                              type_=ARRAY(Boolean))).label("exact"),
    ).subquery("stamp")


async def stamp_assets(tx: Transaction, stamps: Sequence[Stamp]) -> None:
    if not stamps:
        return
    stamp = _stamped(stamps)
    version = func.coalesce(stamp.c.version, assets.c.version)
    await tx.execute(
        assets.update()
        .where(assets.c.workspace_id == tx.ws, assets.c.id == stamp.c.id)
        .values(created_at=func.coalesce(stamp.c.created_at, assets.c.created_at),
                updated_at=func.coalesce(stamp.c.updated_at, assets.c.updated_at),
                version=case((stamp.c.exact, version),
                             else_=func.greatest(assets.c.version, version))))


async def stamp_collections(tx: Transaction, stamps: Sequence[Stamp]) -> None:
    if not stamps:
        return
    stamp = _stamped(stamps)
    await tx.execute(
        asset_collections.update()
        .where(asset_collections.c.workspace_id == tx.ws, asset_collections.c.id == stamp.c.id)
        .values(created_at=func.coalesce(stamp.c.created_at, asset_collections.c.created_at),
                updated_at=func.coalesce(stamp.c.updated_at, asset_collections.c.updated_at)))


# -- jobs -------------------------------------------------------------------------------------

async def jobs_about(tx: Transaction, asset_ids: Sequence[UUID]) -> dict[str, JobRecord]:
    """The imported jobs about these assets, by legacy id."""
    if not asset_ids:
        return {}
    rows = await tx.execute(select(jobs).where(
        jobs.c.workspace_id == tx.ws,
        jobs.c.asset_id == func.any(bindparam("asset_ids", list(asset_ids),
                                               type_=ARRAY(PG_UUID()))),
        jobs.c.params.has_key(LEGACY)))
    found = [JobRecord.from_row(row) for row in rows]
    return {job.params[LEGACY]["id"]: job for job in found}


async def insert_jobs(tx: Transaction, values: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert finished jobs as they are; the ids inserted (a row whose idempotency key the
    workspace already uses is not)."""
    if not values:
        return set()
    rows = await tx.execute(
        insert(jobs).values([{"workspace_id": tx.ws, **v} for v in values])
        .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
        .returning(jobs.c.id))
    return {row.id for row in rows}


async def update_job(tx: Transaction, job_id: UUID, values: dict[str, Any]) -> None:
    """Overwrite an imported job's history (its `updated_at` is the legacy one)."""
    await tx.execute(jobs.update().where(jobs.c.workspace_id == tx.ws, jobs.c.id == job_id)
                     .values(**values))

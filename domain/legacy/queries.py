"""SQL of the legacy import on the graph's side: finding what an earlier run imported, and
what no use case writes, in batches: job history, and the legacy times and versions of rows
changed after they were written (an update, a lock, an instance's own image).

Every statement filters `workspace_id`. A unit's look-ups are one statement each however
many rows the unit has, and cost what the unit has, not what the workspace has; stamping is
one statement per batch of rows.
"""

import json
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
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from domain.db import Transaction
from domain.events import jsonable
from domain.graph.vocabulary import RelationshipType
from domain.legacy.keys import LEGACY, has_legacy_id
from domain.records import AssetRecord, CollectionRecord, JobRecord
from domain.tables import (
    asset_collection_members,
    asset_collections,
    asset_relationships,
    assets,
    blobs,
    jobs,
)


async def imported_into(tx: Transaction, collection_ids: Sequence[UUID]) -> list[AssetRecord]:
    """What an earlier run imported into these collections, soft-deleted assets too: their
    members (a film, scenes, project assets; a library's assets), the members' PART_OF parts
    (scenes of a film, shots of a scene) and the instances of the members, in one statement.

    Found through uuid equality, which row-level security lets the planner use in an index
    condition (jsonb operators, not being leakproof, may not: a look-up by `metadata @>`
    would read every asset of the workspace). An imported asset removed from its collection
    is not found: a later run imports its legacy row again."""
    if not collection_ids:
        return []
    members = select(asset_collection_members.c.asset_id).where(
        asset_collection_members.c.workspace_id == tx.ws,
        asset_collection_members.c.collection_id.in_(collection_ids))
    parts = select(asset_relationships.c.child_asset_id).where(
        asset_relationships.c.workspace_id == tx.ws,
        asset_relationships.c.relationship_type == RelationshipType.PART_OF,
        asset_relationships.c.parent_asset_id.in_(members))
    instance = assets.alias("instance")
    instances = select(instance.c.id).where(instance.c.workspace_id == tx.ws,
                                            instance.c.instance_of.in_(members))
    rows = await tx.execute(select(assets).where(
        assets.c.workspace_id == tx.ws,
        assets.c.id.in_(union_all(members, parts, instances))).order_by(assets.c.id))
    return [AssetRecord.from_row(row) for row in rows]


async def library_assets(tx: Transaction, ids: Sequence[str]) -> list[AssetRecord]:
    """The assets of the workspace's libraries whose legacy id is one of `ids` (global assets
    and styles a project names), oldest first; one pass over the libraries' members."""
    if not ids:
        return []
    rows = await tx.execute(
        select(assets)
        .join(asset_collection_members, and_(
            asset_collection_members.c.workspace_id == assets.c.workspace_id,
            asset_collection_members.c.asset_id == assets.c.id))
        .join(asset_collections, and_(
            asset_collections.c.workspace_id == asset_collection_members.c.workspace_id,
            asset_collections.c.id == asset_collection_members.c.collection_id,
            asset_collections.c.type == "library"))
        .where(assets.c.workspace_id == tx.ws,
               has_legacy_id(assets, bindparam("legacy_ids", list(ids), type_=ARRAY(Text))))
        .order_by(assets.c.id))
    return [AssetRecord.from_row(row) for row in rows]


async def collections_with(tx: Transaction, pattern: dict[str, Any]) -> list[CollectionRecord]:
    """Collections whose metadata contains `pattern` (a pass over the workspace's
    collections, a few per legacy project)."""
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
    """Legacy timestamps and version for a row the import wrote, and metadata keys to merge
    into it (its legacy identity, on an asset a use case made). `exact`: set the version as
    given (a row just created); else only raise it (an update must not lower a version)."""

    id: UUID
    created_at: datetime | None
    updated_at: datetime | None
    version: int | None = None
    exact: bool = True
    metadata: dict[str, Any] | None = None


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
        func.unnest(bindparam("metadata", [None if s.metadata is None else json.dumps(
            jsonable(s.metadata)) for s in stamps], type_=ARRAY(Text))).label("metadata"),
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
                             else_=func.greatest(assets.c.version, version)),
                metadata=assets.c.metadata.op("||")(func.coalesce(
                    cast(stamp.c.metadata, JSONB), cast(literal("{}"), JSONB)))))


async def stamp_collections(tx: Transaction, stamps: Sequence[Stamp]) -> None:
    if not stamps:
        return
    stamp = _stamped(stamps)
    await tx.execute(
        asset_collections.update()
        .where(asset_collections.c.workspace_id == tx.ws, asset_collections.c.id == stamp.c.id)
        .values(created_at=func.coalesce(stamp.c.created_at, asset_collections.c.created_at),
                updated_at=func.coalesce(stamp.c.updated_at, asset_collections.c.updated_at)))


async def analyze(tx: Transaction) -> None:
    """Fresh planner statistics for the tables an import fills: on a new database, plans made
    for near-empty tables scan what has since grown (PostgreSQL's advice after bulk loads).
    Needs the tables' owner: run it in a transaction bound to no workspace."""
    await tx.execute(text("ANALYZE assets, asset_relationships, asset_collection_members, "
                          "asset_collections, jobs"))


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
    # Many parameter sets: SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues")
    # from a statement compiled once (a `.values([...])` list is compiled at every call).
    rows = await tx.execute(_INSERT_JOBS, [{"workspace_id": tx.ws, **v} for v in values])
    return {row.id for row in rows}


_INSERT_JOBS = (insert(jobs).on_conflict_do_nothing(
    index_elements=["workspace_id", "idempotency_key"]).returning(jobs.c.id))


async def update_job(tx: Transaction, job_id: UUID, values: dict[str, Any]) -> None:
    """Overwrite an imported job's history (its `updated_at` is the legacy one)."""
    await tx.execute(jobs.update().where(jobs.c.workspace_id == tx.ws, jobs.c.id == job_id)
                     .values(**values))

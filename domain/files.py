"""Blob rows: which workspace holds which content, and which content no asset uses any more.

Rows are per workspace (a workspace reads only its own); files are shared by hash. Placing a
file with its row (`keep_blob`) and removing a file no row holds (`release_file`) both take a
transaction advisory lock on the hash, so a removal never takes a file whose row another
workspace is committing, and a rolled-back purge never loses content (files go only after
the commit that dropped their last row). Every function runs in the caller's transaction;
a caller releasing many files gives each its own, so no lock is held for all of them.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select, text
from sqlalchemy.dialects.postgresql import insert

from domain.db import Transaction
from domain.graph.queries import lock_graphs
from domain.records import BlobRecord
from domain.storage import BlobStore, PendingBlob
from domain.tables import assets, blobs


def _hash_key(sha256: str) -> int:
    value = int(sha256[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


async def lock_hash(tx: Transaction, sha256: str) -> None:
    await tx.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _hash_key(sha256)})


async def lock_hashes(tx: Transaction, sha256s: Sequence[str]) -> None:
    """`lock_hash` for each, in one statement, in one order: two transactions placing
    overlapping sets of files (two projects of one import) queue instead of deadlocking."""
    await lock_graphs(tx, [_hash_key(sha256) for sha256 in sha256s])


async def keep_blob(tx: Transaction, store: BlobStore, pending: PendingBlob, mime_type: str
                    ) -> None:
    """Record pending content in the workspace and move its file into place."""
    await lock_hash(tx, pending.sha256)
    await store.place(pending, mime_type=mime_type)
    await insert_blob_row(tx, sha256=pending.sha256, size=pending.size, mime_type=mime_type)


async def release_file(tx: Transaction, store: BlobStore, sha256: str) -> bool:
    """Remove this hash's file and its derived files unless some workspace holds it (checked
    under the lock); True when the file was there."""
    await lock_hash(tx, sha256)
    if await hashes_still_held(tx, [sha256]):
        return False
    return await store.delete(sha256)


async def insert_blob_row(tx: Transaction, *, sha256: str, size: int, mime_type: str) -> None:
    await tx.execute(
        insert(blobs)
        .values(workspace_id=tx.ws, sha256=sha256, size=size, mime_type=mime_type)
        .on_conflict_do_nothing(index_elements=["workspace_id", "sha256"])
    )


async def get_blob(tx: Transaction, sha256: str) -> BlobRecord | None:
    row = (
        await tx.execute(select(blobs).where(blobs.c.workspace_id == tx.ws,
                                             blobs.c.sha256 == sha256))
    ).one_or_none()
    return BlobRecord.from_row(row) if row else None


def _unused() -> ColumnElement[bool]:
    return ~exists().where(assets.c.workspace_id == blobs.c.workspace_id,
                           assets.c.blob_sha256 == blobs.c.sha256)


async def drop_unused_blobs(tx: Transaction, sha256s: Sequence[str] | None = None) -> list[str]:
    """Delete this workspace's blob rows no asset references (of `sha256s`, or all)."""
    query = blobs.delete().where(blobs.c.workspace_id == tx.ws, _unused())
    if sha256s is not None:
        query = query.where(blobs.c.sha256.in_(sha256s))
    rows = await tx.execute(query.returning(blobs.c.sha256))
    return [row.sha256 for row in rows]


async def drop_unused_blobs_everywhere(tx: Transaction) -> list[str]:
    """For `assetgraph gc`: every workspace's unreferenced rows."""
    rows = await tx.execute(
        blobs.delete().where(_unused()).returning(blobs.c.sha256)
    )
    return [row.sha256 for row in rows]


async def hashes_still_held(tx: Transaction, sha256s: Sequence[str]) -> set[str]:
    """Of these hashes, those some workspace still holds: their files must stay."""
    if not sha256s:
        return set()
    rows = await tx.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(sha256s)).distinct())
    return {row.sha256 for row in rows}


async def all_held_hashes(tx: Transaction) -> set[str]:
    rows = await tx.execute(select(blobs.c.sha256).distinct())
    return {row.sha256 for row in rows}

"""`assetgraph gc`: drop blob rows no asset references, then files no row holds (with the files
derived from them), in whichever store is configured.

The transactions are this module's: one to drop the rows, one to read which hashes are still
held, then one per file, so removing thousands of files never holds the hash locks of all of
them (an upload of the same content waits on one lock at a time, see `domain.files`).
"""

import time
from collections.abc import Sequence

from domain.db import Database, transaction
from domain.files import all_held_hashes, drop_unused_blobs_everywhere, release_file
from domain.storage import BlobStore


async def release_files(database: Database, store: BlobStore, sha256s: Sequence[str]) -> int:
    """Remove the files of these hashes that no workspace holds, each in its own transaction."""
    removed = 0
    for sha256 in sha256s:
        async with transaction(database, actor="gc") as tx:
            removed += await release_file(tx, store, sha256)
    return removed


async def collect_garbage(database: Database, store: BlobStore, *, grace_seconds: float = 3600
                          ) -> tuple[int, int]:
    """Files younger than `grace_seconds` stay: an upload or a generation may be between
    writing its file and committing its row."""
    async with transaction(database, actor="gc") as tx:
        dropped = await drop_unused_blobs_everywhere(tx)
    async with transaction(database, readonly=True) as tx:
        held = await all_held_hashes(tx)
    cutoff = time.time() - grace_seconds
    candidates = {stored.sha256: None async for stored in store.stored()
                  if stored.sha256 not in held and stored.modified < cutoff}
    return len(dropped), await release_files(database, store, list(candidates))

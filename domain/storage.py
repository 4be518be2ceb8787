"""Content-addressed blob files: a local directory sharded by hash prefix.

Files are shared by every workspace that holds the same content; the `blobs` table says which
workspace may read which hash. Writes go to a temporary file first (`PendingBlob`) and are
renamed into place only when their row is recorded (`domain.files.keep_blob`, under a lock on
the hash), so a reader never sees half a file and a concurrent removal cannot take a file
whose row is about to commit.
"""

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class PendingBlob:
    """Content written and hashed, not yet in place: `path` is a temporary file."""

    sha256: str
    size: int
    path: Path


class BlobTooLarge(Exception):
    pass


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def place(self, pending: PendingBlob) -> Path:
        """Move pending content into place (a file with this hash already holds the same)."""
        target = self.path(pending.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            pending.path.unlink(missing_ok=True)
        else:
            os.replace(pending.path, target)
        return target

    def discard(self, pending: PendingBlob) -> None:
        pending.path.unlink(missing_ok=True)

    def _temporary(self) -> tuple[int, Path]:
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.root / "tmp")
        return descriptor, Path(name)

    def put_bytes(self, data: bytes) -> PendingBlob:
        descriptor, temporary = self._temporary()
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        return PendingBlob(hashlib.sha256(data).hexdigest(), len(data), temporary)

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> PendingBlob:
        """Hash while writing; memory holds one chunk at a time, whatever the size."""
        digest = hashlib.sha256()
        size = 0
        descriptor, temporary = self._temporary()
        try:
            with os.fdopen(descriptor, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(f"larger than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return PendingBlob(digest.hexdigest(), size, temporary)

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every stored file with its hash (temporaries aside)."""
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64 and path.is_file():
                yield path.name, path

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

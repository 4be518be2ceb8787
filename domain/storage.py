"""Content-addressed blob files: a local directory sharded by hash prefix.

Files are shared by every workspace that holds the same content; the `blobs` table says which
workspace may read which hash. Writes go to a temporary file first and are renamed into
place, so a reader never sees half a file and a crash leaves only temporaries behind.
"""

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
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

    def _place(self, temporary: Path, sha256: str) -> Path:
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            temporary.unlink()
        else:
            os.replace(temporary, target)
        return target

    def _temporary(self) -> tuple[int, Path]:
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.root / "tmp")
        return descriptor, Path(name)

    def put_bytes(self, data: bytes) -> StoredBlob:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            descriptor, temporary = self._temporary()
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            self._place(temporary, sha256)
        return StoredBlob(sha256, len(data), self.path(sha256))

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob:
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
        sha256 = digest.hexdigest()
        return StoredBlob(sha256, size, self._place(temporary, sha256))

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every stored file with its hash (temporaries aside)."""
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64 and path.is_file():
                yield path.name, path

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

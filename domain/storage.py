"""Content-addressed blob files behind one interface (`BlobStore`), with two backends: a local
directory sharded by hash prefix (`LocalBlobStore`, the default) and any S3-compatible bucket
(`domain.storage_s3.S3BlobStore`).

Files are shared by every workspace that holds the same content; the `blobs` table says which
workspace may read which hash. Writes go to a local temporary file first (`PendingBlob`,
hashed while written) and are put under their content address only when their row is
recorded (`domain.files.keep_blob`, under a lock on the hash), so a reader never sees half a
file and a concurrent removal cannot take a file whose row is about to commit.

Beside each content a store keeps files derived from it (thumbnails) under a derived key,
`derived/<sha256[:2]>/<sha256>/<name>`: no blob row names them, and they go when their
content goes.
"""

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

CHUNK = 1024 * 1024
DERIVED = "derived"
SHOWN_TYPES = ("image/", "audio/", "video/")
SHOWN_EXACT = {"application/pdf", "text/plain", "application/json"}


@dataclass(frozen=True)
class PendingBlob:
    """Content written and hashed, not yet in place: `path` is a local temporary file."""

    sha256: str
    size: int
    path: Path


@dataclass(frozen=True)
class StoredFile:
    """A file in a store: the content it is (or derives from) and when it was written."""

    sha256: str
    modified: float  # seconds since the epoch


class BlobTooLarge(Exception):
    pass


def served_as(mime_type: str | None) -> tuple[str, bool]:
    """The type a file goes out as, and whether only as an attachment: content is whatever a
    client uploaded, so only images (not SVG, which can carry script), audio, video, PDF,
    plain text and JSON keep their type; anything else is an `application/octet-stream`
    attachment."""
    declared = (mime_type or "").split(";")[0].strip().lower()
    if declared in SHOWN_EXACT or (declared.startswith(SHOWN_TYPES)
                                   and declared != "image/svg+xml"):
        return declared, False
    return "application/octet-stream", True


class BlobStore(Protocol):
    """Where content lives. `derived` names a file derived from the content (a thumbnail);
    None is the content itself."""

    def put_bytes(self, data: bytes) -> PendingBlob:
        """Stage `data` (hashed) in a local temporary file."""

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> PendingBlob:
        """Stage a stream, hashing while writing: one chunk in memory whatever the size;
        `BlobTooLarge` past `max_bytes`."""

    def discard(self, pending: PendingBlob) -> None:
        """Drop staged content that will not be kept."""

    async def place(self, pending: PendingBlob, *, mime_type: str | None = None) -> None:
        """Put staged content under its address (content already there is the same: kept)."""

    async def put_derived(self, sha256: str, name: str, data: bytes, *, mime_type: str,
                          cache_control: str | None = None) -> None:
        """Store a derived file, atomically: a reader sees all of it or nothing."""

    async def exists(self, sha256: str, derived: str | None = None) -> bool: ...

    async def read(self, sha256: str) -> bytes: ...

    def local_path(self, sha256: str, derived: str | None = None) -> Path | None:
        """The local file holding it, when the store is a directory (served as a file)."""

    def stream(self, sha256: str, derived: str | None = None, *, start: int = 0,
               end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes `start` to `end` (exclusive; None: to the end), a chunk at a time."""

    async def signed_url(self, sha256: str, derived: str | None = None, *,
                         expires_in: timedelta) -> str | None:
        """A URL of the store itself that serves it without credentials until `expires_in`
        has passed; None when the store has none: then it is a directory, and this service
        serves the file at `local_path`."""

    async def delete(self, sha256: str) -> bool:
        """Remove the content and its derived files; True when the content was there."""

    def stored(self) -> AsyncIterator[StoredFile]:
        """Every stored file, contents and derived ones (staged ones aside)."""


class Staging:
    """Local temporary files for content on its way in."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _temporary(self) -> tuple[int, Path]:
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.directory)
        return descriptor, Path(name)

    def put_bytes(self, data: bytes) -> PendingBlob:
        descriptor, temporary = self._temporary()
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        return PendingBlob(hashlib.sha256(data).hexdigest(), len(data), temporary)

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> PendingBlob:
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

    def discard(self, pending: PendingBlob) -> None:
        pending.path.unlink(missing_ok=True)


class LocalBlobStore:
    """A directory: `<root>/<sha256[:2]>/<sha256[2:4]>/<sha256>`, derived files under
    `<root>/derived/`, staged files in `<root>/tmp` (the same file system, so that placing is
    a rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._staging = Staging(root / "tmp")

    def path(self, sha256: str, derived: str | None = None) -> Path:
        if derived is not None:
            return self.root / DERIVED / sha256[:2] / sha256 / derived
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_bytes(self, data: bytes) -> PendingBlob:
        return self._staging.put_bytes(data)

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> PendingBlob:
        return await self._staging.put_stream(chunks, max_bytes=max_bytes)

    def discard(self, pending: PendingBlob) -> None:
        self._staging.discard(pending)

    async def place(self, pending: PendingBlob, *, mime_type: str | None = None) -> None:
        target = self.path(pending.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            pending.path.unlink(missing_ok=True)
        else:
            os.replace(pending.path, target)

    async def put_derived(self, sha256: str, name: str, data: bytes, *, mime_type: str,
                          cache_control: str | None = None) -> None:
        target = self.path(sha256, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = self._staging.put_bytes(data)
        os.replace(staged.path, target)

    async def exists(self, sha256: str, derived: str | None = None) -> bool:
        return self.path(sha256, derived).is_file()

    async def read(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.path(sha256).read_bytes)

    def local_path(self, sha256: str, derived: str | None = None) -> Path | None:
        return self.path(sha256, derived)

    async def stream(self, sha256: str, derived: str | None = None, *, start: int = 0,
                     end: int | None = None) -> AsyncIterator[bytes]:
        with self.path(sha256, derived).open("rb") as source:
            source.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = await asyncio.to_thread(
                    source.read, CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def signed_url(self, sha256: str, derived: str | None = None, *,
                         expires_in: timedelta) -> str | None:
        return None

    async def delete(self, sha256: str) -> bool:
        path = self.path(sha256)
        existed = path.is_file()
        path.unlink(missing_ok=True)
        shutil.rmtree(self.root / DERIVED / sha256[:2] / sha256, ignore_errors=True)
        return existed

    async def stored(self) -> AsyncIterator[StoredFile]:
        for sha256, path in self.files():
            yield StoredFile(sha256, path.stat().st_mtime)
        for path in self.root.glob(f"{DERIVED}/??/*/*"):
            if len(path.parent.name) == 64 and path.is_file():
                yield StoredFile(path.parent.name, path.stat().st_mtime)

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every stored content with its hash (derived and staged files aside)."""
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64 and path.is_file():
                yield path.name, path

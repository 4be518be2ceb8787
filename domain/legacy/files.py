"""The files of one unit of the import: hashed before its transaction, kept inside it.

`prepare` reads each file a unit's rows name (`<files dir>/<object path>`, see
`mapping.object_path`) into the blob store's temporary area, hashing as it streams, before
the unit's transaction opens: no transaction waits on the disk. Inside the transaction,
`keep` records the blob in the workspace and moves the file into place
(`domain.files.keep_blob`), once per content; a dry run records the row (rolled back with the
rest) and never places a file. `discard` removes what was not kept.
"""

import asyncio
import mimetypes
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from domain.db import Transaction
from domain.errors import DomainError
from domain.files import insert_blob_row, keep_blob, lock_hashes
from domain.legacy import queries
from domain.legacy.mapping import object_path
from domain.legacy.report import FILES, Outcome, ProblemKind, Report
from domain.storage import CHUNK, BlobStore, BlobTooLarge, PendingBlob
from domain.uploads import IMAGE_MIME, image_facts_of


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime_type: str


@dataclass(frozen=True)
class FileSource:
    """Where the legacy bucket's export is, and what a file may be."""

    root: Path
    store: BlobStore
    max_bytes: int
    max_pixels: int
    place_files: bool = True  # False in a dry run


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, CHUNK):
            yield chunk


class UnitFiles:
    """The prepared files of one unit; without a source, rows have no files and none is
    reported missing."""

    def __init__(self, source: FileSource | None) -> None:
        self.source = source
        self._pending: dict[str, PendingBlob] = {}  # by object path
        self._files: dict[str, StoredFile] = {}
        self._problems: dict[str, str] = {}  # object path or URL -> why it has no file
        self._held: set[str] = set()
        self._kept: set[str] = set()

    async def prepare(self, urls: Iterable[str | None]) -> None:
        if self.source is None:
            return
        for url in {u for u in urls if u}:
            path = object_path(url)
            if path is None:
                self._problems[url] = "not a URL of the legacy bucket"
            elif path not in self._files and path not in self._problems:
                await self._read(self.source, path)

    async def _read(self, source: FileSource, path: str) -> None:
        file = source.root / path
        if not file.is_file():
            self._problems[path] = f"{path} is not in the files directory"
            return
        try:
            pending = await source.store.put_stream(_chunks(file), max_bytes=source.max_bytes)
        except (OSError, BlobTooLarge) as error:
            self._problems[path] = f"{path} could not be read: {error}"
            return
        try:
            facts = image_facts_of(pending.path, max_pixels=source.max_pixels)
        except DomainError as error:
            source.store.discard(pending)
            self._problems[path] = f"{path}: {error}"
            return
        mime = (IMAGE_MIME.get(facts["format"]) if facts else None) or mimetypes.guess_type(
            path)[0] or "application/octet-stream"
        if not facts and mime.startswith("image/"):
            mime = "application/octet-stream"  # content that is no image is never image/*
        self._pending[path] = pending
        self._files[path] = StoredFile(pending.sha256, pending.size, mime)

    def file(self, url: str | None) -> StoredFile | None:
        """The prepared file of a URL (None: no URL, no source, or missing)."""
        if url is None or self.source is None:
            return None
        path = object_path(url)
        return self._files.get(path) if path is not None else None

    async def load_held(self, tx: Transaction) -> None:
        """Which of the unit's contents the workspace already holds (one statement), read
        under their locks when the unit places files (taken first, all at once: see
        `domain.files.lock_hashes`)."""
        hashes = sorted({f.sha256 for f in self._files.values()})
        if not hashes:
            self._held = set()
            return
        if self.source is not None and self.source.place_files:
            await lock_hashes(tx, hashes)
        self._held = await queries.held_blobs(tx, hashes)

    async def keep(self, tx: Transaction, report: Report, url: str | None, table: str,
                   legacy_id: UUID) -> StoredFile | None:
        """Record the row's file in the workspace (counted under `files`); a missing file is
        reported and the row goes on without it."""
        if url is None or self.source is None:
            return None
        report.read(FILES)
        path = object_path(url)
        found = self._files.get(path) if path is not None else None
        if found is None:
            report.count(FILES, Outcome.SKIPPED)
            report.problem(ProblemKind.MISSING_FILE, table, legacy_id,
                           self._problems.get(path or url, "no file"))
            return None
        if found.sha256 in self._held:
            report.count(FILES, Outcome.UNCHANGED)
            return found
        if self.source.place_files:
            await keep_blob(tx, self.source.store, self._pending.pop(path), found.mime_type)  # type: ignore[arg-type]
        else:
            await insert_blob_row(tx, sha256=found.sha256, size=found.size,
                                  mime_type=found.mime_type)
        self._held.add(found.sha256)
        report.count(FILES, Outcome.CREATED)
        return found

    def discard(self) -> None:
        """Remove the temporary files nothing kept (after the unit, committed or not)."""
        if self.source is not None:
            for pending in self._pending.values():
                self.source.store.discard(pending)
        self._pending.clear()

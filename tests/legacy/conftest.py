"""Legacy import fixtures: a legacy studio database of its own per test (on the test server),
its bucket export, and the importer run in-process against the test's database."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.database import asyncpg_url
from api.import_legacy import Outcomes, run_import
from domain.db import Database
from domain.legacy.files import FileSource
from domain.storage import BlobStore, LocalBlobStore
from tests.fixtures.legacy import Studio, create_schema, fill_studio, scratch_database


@dataclass(frozen=True)
class Legacy:
    url: str
    files_dir: Path
    studio: Studio


@pytest.fixture
async def legacy(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Legacy]:
    async with scratch_database(engine) as url:
        await create_schema(url)
        files_dir = tmp_path / "bucket"
        files_dir.mkdir()
        yield Legacy(url, files_dir, await fill_studio(url, files_dir))


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return LocalBlobStore(tmp_path / "blobs")


async def import_legacy(database: Database, workspace_id: object, legacy: Legacy,
                        store: BlobStore, *, dry_run: bool = False,
                        concurrency: int = 1) -> Outcomes:
    """The import, one project at a time by default: a `SavepointDatabase` is one
    connection, whose savepoints nest, so its units cannot be in flight together (the
    concurrent import is tested on a database of its own, test_concurrency.py)."""
    source = create_async_engine(asyncpg_url(legacy.url), pool_size=1, max_overflow=0)
    files = FileSource(legacy.files_dir, store, max_bytes=10_000_000, max_pixels=10_000_000,
                       place_files=not dry_run)
    try:
        return await run_import(database, source, workspace_id,  # type: ignore[arg-type]
                                files=files, dry_run=dry_run, concurrency=concurrency)
    finally:
        await source.dispose()

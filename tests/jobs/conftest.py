"""Job fixtures: a worker over the test's database and blob directory."""

from pathlib import Path

import pytest

from api.worker import Worker
from domain.storage import LocalBlobStore
from tests.conftest import SavepointDatabase, dev_settings


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def worker(db: SavepointDatabase, store: LocalBlobStore) -> Worker:
    """Driven by hand (`run_once`, `reap`): the test decides when it works."""
    return Worker(db, listen_dsn=None, settings=dev_settings(lease_seconds=30).jobs, store=store,
                  name="test-worker")

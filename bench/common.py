"""Shared bench plumbing: a throwaway embedded PostgreSQL, a real server process."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from api.database import EmbeddedPostgres, create_engine
from api.settings import Settings
from domain.db import EngineDatabase


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(**env: str) -> Iterator[tuple[str, str, int]]:
    """`assetgraph serve` on a fresh data directory: (url, dev token, pid)."""
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGRAPH_")}
        environment.update({"ASSETGRAPH_RATE_LIMIT_PER_MINUTE": "0",
                            "ASSETGRAPH_COST_LIMIT_PER_MINUTE": "0", **env},
                           ASSETGRAPH_DATA_DIR=str(Path(directory) / "data"))
        log = (Path(directory) / "serve.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=environment,
            stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((Path(directory) / "serve.log").read_text())
                time.sleep(0.1)
            token = (Path(directory) / "data" / "dev-token").read_text().strip()
            yield url, token, process.pid
        finally:
            process.terminate()
            process.wait(timeout=60)
            log.close()


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    directory: Path
    engine: AsyncEngine
    database: EngineDatabase


@asynccontextmanager
async def embedded_database(settings: Settings) -> AsyncIterator[BenchDatabase]:
    """A migrated embedded PostgreSQL in a temporary directory, gone afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        embedded = EmbeddedPostgres(Path(directory))
        url = embedded.start()
        try:
            await migrations.upgrade(url)
            engine = create_engine(url, settings)
            try:
                yield BenchDatabase(url, Path(directory), engine, EngineDatabase(engine))
            finally:
                await engine.dispose()
        finally:
            embedded.stop()

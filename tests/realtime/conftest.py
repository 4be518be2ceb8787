"""A real server on loopback, in the test's event loop, with its event fan-out running."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import asyncpg_dsn
from api.realtime import Broker
from api.settings import Settings
from domain.db import EngineDatabase
from tests.conftest import WorkspaceTokens, dev_settings, make_workspace
from tests.e2e.test_serve import free_port


async def wait_until(condition: Callable[[], bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling a flag another task sets
            await asyncio.sleep(0.01)


@dataclass
class LiveServer:
    http: str
    ws: str
    broker: Broker
    a: WorkspaceTokens
    b: WorkspaceTokens


@asynccontextmanager
async def live_server(engine: AsyncEngine, committed_database: EngineDatabase,
                      settings: Settings | None = None,
                      workspaces: tuple[WorkspaceTokens, WorkspaceTokens] | None = None
                      ) -> AsyncIterator[LiveServer]:
    """A server of its own; with `workspaces`, serving those rather than two new ones."""
    settings = settings or dev_settings()
    broker = Broker(committed_database,
                    asyncpg_dsn(engine.url.render_as_string(hide_password=False)),
                    max_queue=settings.ws_max_backlog)
    await broker.start()
    await asyncio.wait_for(broker.connected.wait(), 10)
    port = free_port()
    app = create_app(settings, database=committed_database, broker=broker)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started)
    try:
        a, b = workspaces or (await make_workspace(committed_database, "Live A"),
                              await make_workspace(committed_database, "Live B"))
        yield LiveServer(http=f"http://127.0.0.1:{port}", ws=f"ws://127.0.0.1:{port}/graphql",
                         broker=broker, a=a, b=b)
    finally:
        server.should_exit = True
        await serving
        await broker.stop()


@pytest.fixture
async def live(engine: AsyncEngine, committed_database: EngineDatabase
               ) -> AsyncIterator[LiveServer]:
    async with live_server(engine, committed_database) as server:
        yield server

"""Test fixtures: one real PostgreSQL per run, migrated once; each test rolled back.

The database is `ASSETGRAPH_TEST_DATABASE_URL` when set, else an embedded server in a
temporary directory. A test's requests run on one connection inside an outer transaction:
each request's transaction becomes a savepoint, and the outer transaction is rolled back at
the end. Tests that need real concurrency use `committed_database` instead, which hands out
pooled connections and empties the tables afterwards.
"""

import asyncio
import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)

import migrations
from api.app import create_app
from api.database import EmbeddedPostgres, asyncpg_url
from api.settings import Settings
from domain.access import Role, create_token, create_workspace
from domain.db import (
    APP_ROLE,
    Database,
    EngineDatabase,
    OpenTransaction,
    count_statements,
    counted_statements,
    transaction,
)
from tests.lifespan import serving

T = TypeVar("T")


async def _to_the_end(statement: Awaitable[T]) -> T:
    """`statement`, finished even when the caller is cancelled (the cancellation is raised
    once it has): see `_Shielded`."""
    running = asyncio.ensure_future(statement)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await running
        raise


class _Shielded:
    """The test's one connection, whose statements run to their end even when the resolver
    that sent one is cancelled (graphql-core cancels the siblings of a field whose error nulls
    `data`). Interrupted mid-statement, the connection every request of a test shares would
    be unusable; in production such a connection is discarded by the pool instead."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_the_end(self._connection.execute(*args, **kwargs))

    async def exec_driver_sql(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_the_end(self._connection.exec_driver_sql(*args, **kwargs))

    async def begin_nested(self) -> Any:
        return await _to_the_end(self._connection.begin_nested())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


SEE_ONE_WORKSPACE = text("/* harness */ SELECT set_config('role', :role, true), "
                         "set_config('app.workspace_id', :workspace_id, true)")


class _Savepoint:
    def __init__(self, connection: AsyncConnection, nested: AsyncTransaction) -> None:
        self.connection = cast(AsyncConnection, _Shielded(connection))
        self._nested = nested

    async def close(self, *, commit: bool) -> None:
        await _to_the_end(self._nested.commit() if commit else self._nested.rollback())


class SavepointDatabase:
    """Every transaction is a savepoint inside the test's outer transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def open(self, *, readonly: bool) -> OpenTransaction:
        return _Savepoint(self.connection, await _to_the_end(self.connection.begin_nested()))

    async def read_one(self, sql: str, values: Sequence[Any], *, workspace_id: UUID) -> Any:
        """As production: as the role that sees one workspace (set for the rest of the test's
        transaction, until the next transaction sets its own; not counted as a statement)."""
        uncounted = counted_statements.set(None)
        try:
            await _to_the_end(self.connection.execute(SEE_ONE_WORKSPACE, {
                "role": APP_ROLE, "workspace_id": str(workspace_id)}))
        finally:
            counted_statements.reset(uncounted)
        result = await _to_the_end(self.connection.exec_driver_sql(sql, tuple(values)))
        return result.scalar_one()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    configured = os.environ.get("ASSETGRAPH_TEST_DATABASE_URL")
    if configured:
        yield asyncpg_url(configured)
        return
    with tempfile.TemporaryDirectory(prefix="assetgraph-test-") as directory:
        embedded = EmbeddedPostgres(Path(directory))
        try:
            yield embedded.start()
        finally:
            embedded.stop()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await migrations.upgrade(database_url)
    engine = create_async_engine(database_url, pool_size=25, max_overflow=10)
    count_statements(engine.sync_engine)  # each request's, for its metrics and log line
    yield engine
    await engine.dispose()


class StatementCounter:
    """Counts the SQL statements an engine runs, savepoint bookkeeping aside."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.active and not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|/\* harness \*/)",
                                        statement):
            self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.statements = []
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


@pytest.fixture(scope="session")
def statement_counter(engine: AsyncEngine) -> StatementCounter:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    return counter


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[SavepointDatabase]:
    async with engine.connect() as connection:
        outer = await connection.begin()
        try:
            yield SavepointDatabase(connection)
        finally:
            await outer.rollback()


@pytest.fixture
async def committed_database(engine: AsyncEngine) -> AsyncIterator[EngineDatabase]:
    database = EngineDatabase(engine)
    yield database
    await database.close()
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE workspaces CASCADE"))


@dataclass(frozen=True)
class WorkspaceTokens:
    id: UUID
    admin: str
    editor: str
    viewer: str


async def make_workspace(database: Database, name: str) -> WorkspaceTokens:
    async with transaction(database) as tx:
        workspace = await create_workspace(tx, name)
    tokens = {}
    async with transaction(database, workspace_id=workspace.id) as tx:
        for role in Role:
            tokens[role.value] = (await create_token(tx, name=role.value, role=role))[1]
    return WorkspaceTokens(workspace.id, tokens["admin"], tokens["editor"], tokens["viewer"])


@pytest.fixture
async def workspace(db: SavepointDatabase) -> WorkspaceTokens:
    return await make_workspace(db, "Studio A")


@pytest.fixture
async def other_workspace(db: SavepointDatabase) -> WorkspaceTokens:
    return await make_workspace(db, "Studio B")


BLOBS = Path(tempfile.mkdtemp(prefix="assetgraph-test-blobs-"))
FILE_URL_SECRET = "a-test-secret-of-signed-file-urls-0123456789"


@pytest.fixture(scope="session", autouse=True)
def blobs_removed() -> Iterator[None]:
    """`BLOBS` is made at import, for `dev_settings()` callers outside fixtures; the run
    removes it when it ends."""
    yield
    shutil.rmtree(BLOBS, ignore_errors=True)


def dev_settings(**overrides: Any) -> Settings:
    """Development settings whose files go to a temporary directory; no `.env` is read.
    Credentials stay cached for a test's length, so statement counts never depend on how long
    a test took."""
    return Settings(_env_file=None, **{"environment": "development", "blob_dir": BLOBS,
                                       "auth_cache_seconds": 600.0, **overrides})


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's) on a free port of this machine, for the run."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


S3_KEYS = {"s3_region": "us-east-1", "s3_access_key_id": "test",
           "s3_secret_access_key": "test-secret"}


@pytest.fixture
def s3_settings(s3_endpoint: str, tmp_path: Path) -> Settings:
    """Development settings whose blobs go to a new bucket of the S3 server, under a prefix."""
    import boto3

    bucket = f"blobs-{uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name=S3_KEYS["s3_region"],
                 aws_access_key_id=S3_KEYS["s3_access_key_id"],
                 aws_secret_access_key=S3_KEYS["s3_secret_access_key"]
                 ).create_bucket(Bucket=bucket)
    return dev_settings(blob_dir=None, blob_url=f"s3://{bucket}/assets", data_dir=tmp_path,
                        s3_endpoint_url=s3_endpoint, **S3_KEYS)


@pytest.fixture(scope="session", autouse=True)
def no_configuration() -> Iterator[None]:
    """Tests configure what they test: the shell's `ASSETGRAPH_*` variables are set aside."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ASSETGRAPH_") and name != "ASSETGRAPH_TEST_DATABASE_URL":
                patch.delenv(name)
        yield


def without_cost(body: dict[str, Any]) -> dict[str, Any]:
    """`body` without `extensions` when it holds only the cost every response carries."""
    extensions = body.get("extensions")
    if isinstance(extensions, dict) and set(extensions) == {"cost"}:
        del body["extensions"]
    return body


class GraphQLClient:
    """Posts GraphQL documents over real HTTP semantics (ASGI) and returns the JSON body."""

    def __init__(self, http: httpx.AsyncClient, token: str | None) -> None:
        self.http = http
        self.token = token

    async def post(self, query: str, variables: dict[str, Any] | None = None, *,
                   token: str | None = None) -> httpx.Response:
        bearer = token or self.token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *,
                       token: str | None = None) -> dict[str, Any]:
        """The body, without `extensions` when it holds only the cost every response carries
        (tests/api/test_cost_limit.py pins it; `post` keeps the whole body)."""
        response = await self.post(query, variables, token=token)
        return without_cost(response.json())


@asynccontextmanager
async def http_client(database: Database, settings: Settings | None = None, *,
                      client: tuple[str, int] = ("127.0.0.1", 123), dev_token: str | None = None
                      ) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app given `database`, its lifespan running around the block."""
    app = create_app(settings or dev_settings(), database=database, dev_token=dev_token)
    async with serving(app) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started, client=client),
            base_url="http://test") as http:
        yield http


@pytest.fixture
async def http(db: SavepointDatabase) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(db) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient, workspace: WorkspaceTokens) -> GraphQLClient:
    """A client of workspace A with the editor role."""
    return GraphQLClient(http, workspace.editor)


@pytest.fixture
async def racer(committed_database: EngineDatabase) -> AsyncIterator[GraphQLClient]:
    """An editor of a fresh workspace whose requests are real, concurrent transactions."""
    tokens = await make_workspace(committed_database, "Racing")
    async with http_client(committed_database) as http:
        yield GraphQLClient(http, tokens.editor)

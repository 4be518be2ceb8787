"""Database access: a pool (`Database`), a transaction (`Transaction`), and the owner of a
GraphQL request's transaction from open to after-commit (`RequestTransaction`).

A request is one transaction (DESIGN §2). Its first statement takes one pooled connection,
opens the transaction (`READ ONLY, REPEATABLE READ` for queries, read-write for mutations) and
sets `app.workspace_id` and `statement_timeout` locally. graphql-core resolves sibling fields
concurrently while a connection runs one statement at a time, so every statement goes through
an `asyncio.Lock`; loader batches queue on it.

Transactions begin and end here and in their callers (api/, a subscription's event scope);
domain functions take a `Transaction` and never commit.

Statements are counted for the request that sends them (`Statements`, in a context variable
its owner sets): SQLAlchemy's through a `before_cursor_execute` listener on the engine, the
single-statement reads of `read_one` where they run. One increment per statement, none per row.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from sqlalchemy import Engine, Executable, event, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

APP_ROLE = "assetgraph_app"  # sees one workspace's rows (migrations/versions/0004)
SET_LOCALS = text(
    "SELECT set_config('app.workspace_id', :workspace_id, true),"
    " set_config('statement_timeout', :statement_timeout, true),"
    " set_config('role', :role, true)"
)


AfterCommit = Callable[["Transaction"], Awaitable[object]]


class Statements:
    """How many statements a unit of work (a request) has sent so far."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


# Set by whoever wants a count (the API, per request); tasks spawned inside share the object.
counted_statements: ContextVar[Statements | None] = ContextVar("counted_statements",
                                                               default=None)


def _count_statement(*_: object) -> None:
    tally = counted_statements.get()
    if tally is not None:
        tally.count += 1


def count_statements(engine: Engine) -> None:
    """Count every statement `engine` sends into the current `counted_statements`."""
    if not event.contains(engine, "before_cursor_execute", _count_statement):
        event.listen(engine, "before_cursor_execute", _count_statement)


class OpenTransaction(Protocol):
    connection: AsyncConnection

    async def close(self, *, commit: bool) -> None: ...


class Database(Protocol):
    """Where transactions come from: the engine's pool in production, one connection in tests."""

    async def open(self, *, readonly: bool) -> OpenTransaction: ...

    async def read_one(self, sql: str, values: Sequence[Any], *, workspace_id: UUID) -> Any:
        """The one value of one read-only statement, run as its own transaction, as the role
        that sees only `workspace_id`'s rows."""
        ...


class _EngineTransaction:
    def __init__(self, connection: AsyncConnection, transaction: AsyncTransaction) -> None:
        self.connection = connection
        self._transaction = transaction

    async def close(self, *, commit: bool) -> None:
        try:
            if commit:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            await self.connection.close()


class EngineDatabase:
    """The engine's pool for transactions, and a plain asyncpg pool for single-statement reads.

    A read that is one statement needs no BEGIN, set_config, ping or ROLLBACK around it (four
    round trips SQLAlchemy's pool and transaction would add): it runs alone, in autocommit, on
    a connection whose `statement_timeout` and role (`APP_ROLE`, row-level security) were set
    when it was opened, so it is one transaction and one round trip. The workspace it may see
    is a session setting of the connection, set again only when a read for another workspace
    takes it (one more round trip then). A connection that broke (a database restart) is
    replaced and the read tried once more; a read is safe to repeat.
    """

    def __init__(self, engine: AsyncEngine, *, statement_timeout_ms: int = 10_000) -> None:
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms
        count_statements(engine.sync_engine)
        self._reads: asyncpg.Pool | None = None
        self._reads_lock = asyncio.Lock()
        # The workspace each read connection (by server process id) is set to see.
        self._workspace_of: dict[int, UUID | None] = {}

    async def read_one(self, sql: str, values: Sequence[Any], *, workspace_id: UUID) -> Any:
        pool = self._reads or await self._read_pool()
        for attempt in (1, 2):
            _count_statement()
            try:
                async with pool.acquire() as connection:
                    pid = connection.get_server_pid()
                    if self._workspace_of.get(pid) != workspace_id:
                        _count_statement()
                        self._workspace_of[pid] = None  # unknown until the server says so
                        await connection.execute(
                            "SELECT set_config('app.workspace_id', $1, false)", str(workspace_id))
                        self._workspace_of[pid] = workspace_id
                    return await connection.fetchval(sql, *values)
            except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError,
                    ConnectionError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read_pool(self) -> asyncpg.Pool:
        async with self._reads_lock:
            if self._reads is None:
                url = self.engine.url.set(drivername="postgresql")
                self._reads = await asyncpg.create_pool(
                    url.render_as_string(hide_password=False),
                    min_size=0, max_size=self.engine.pool.size(),  # type: ignore[attr-defined]
                    # The statements are a few shapes run many times: plan them once.
                    server_settings={"statement_timeout": str(self.statement_timeout_ms),
                                     "plan_cache_mode": "force_generic_plan",
                                     "role": APP_ROLE},
                    init=self._new_connection, reset=_keep_session)
            return self._reads

    async def _new_connection(self, connection: asyncpg.Connection) -> None:
        """A new server process may reuse a closed one's id: it sees no workspace yet. Ids of
        closed connections are forgotten now and then (a forgotten live one is set again)."""
        if len(self._workspace_of) > 1000:
            self._workspace_of.clear()
        self._workspace_of[connection.get_server_pid()] = None

    def connections_in_use(self) -> dict[str, int]:
        """Checked-out connections by pool: SQLAlchemy's for transactions, asyncpg's for
        single-statement reads."""
        reads = self._reads
        return {
            "transactions": self.engine.pool.checkedout(),  # type: ignore[attr-defined]
            "reads": 0 if reads is None else reads.get_size() - reads.get_idle_size(),
        }

    async def close(self) -> None:
        if self._reads is not None:
            pool, self._reads = self._reads, None
            await pool.close()

    async def open(self, *, readonly: bool) -> OpenTransaction:
        connection = await self.engine.connect()
        try:
            if readonly:
                connection = await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            transaction = await connection.begin()
        except BaseException:
            await connection.close()
            raise
        return _EngineTransaction(connection, transaction)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """No reset between reads: they change no session state (autocommit, no SET)."""


class Transaction:
    """The lazily opened, lock-guarded transaction of one request (or one CLI command)."""

    def __init__(
        self,
        database: Database,
        *,
        workspace_id: UUID | None,
        actor: str | None = None,
        readonly: bool = False,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self.database = database
        self.workspace_id = workspace_id
        self.actor = actor
        self.readonly = readonly
        self.statement_timeout_ms = statement_timeout_ms
        self._lock = asyncio.Lock()
        self._open: OpenTransaction | None = None
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once this transaction has committed (never if it rolls back), in a short
        transaction of its own: for effects outside the database that must follow the commit,
        such as removing a file no row refers to any more (under the lock its writers take)."""
        self._after_commit.append(action)

    @property
    def ws(self) -> UUID:
        """The workspace every domain query filters on explicitly."""
        if self.workspace_id is None:
            raise RuntimeError("this transaction is not bound to a workspace")
        return self.workspace_id

    async def _connection(self) -> AsyncConnection:
        if self._open is None:
            self._open = await self._begin()
        return self._open.connection

    async def _begin(self) -> OpenTransaction:
        """Open the transaction with its locals set: the workspace (empty when unbound) and
        the statement timeout. A pooled connection broken by a database restart fails that
        first statement; nothing has happened in the transaction yet, so it is opened once
        more on a fresh connection (the pool is not pinged before every checkout)."""
        values = {"workspace_id": str(self.workspace_id or ""),
                  "statement_timeout": str(self.statement_timeout_ms),
                  # Bound to a workspace: row-level security's second wall; else the login's.
                  "role": APP_ROLE if self.workspace_id is not None else "none"}
        for attempt in (1, 2):
            opened = await self.database.open(readonly=self.readonly)
            try:
                await opened.connection.execute(SET_LOCALS, values)
            except DBAPIError as error:
                with contextlib.suppress(Exception):
                    await opened.close(commit=False)
                if attempt == 2 or not error.connection_invalidated:
                    raise
                continue
            return opened
        raise AssertionError("unreachable")

    async def execute(
        self, statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        async with self._lock:
            connection = await self._connection()
            return await connection.execute(statement, params)

    async def scalar(self, sql: str, values: Sequence[Any]) -> Any:
        """The one value of a statement compiled ahead of time (`$n` placeholders).

        A read-only request whose first statement this is needs no transaction of its own:
        the statement runs alone (one round trip), and is the request's whole transaction."""
        async with self._lock:
            if self.readonly and self._open is None:
                return await self.database.read_one(sql, values, workspace_id=self.ws)
            connection = await self._connection()
            result = await connection.exec_driver_sql(sql, tuple(values))
            return result.scalar_one()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """All or nothing for one mutation inside the request's transaction.

        When nothing ran in the transaction yet (a request's first mutation), the transaction
        itself is the savepoint: no SAVEPOINT and RELEASE round trips, and on failure the whole
        transaction rolls back, so the next statement opens a fresh one."""
        async with self._lock:
            nested = None if self._open is None else await self._open.connection.begin_nested()
        pending_actions = len(self._after_commit)
        try:
            yield
        except BaseException:
            async with self._lock:
                if nested is not None:
                    await nested.rollback()
                elif self._open is not None:
                    opened, self._open = self._open, None
                    await opened.close(commit=False)
            del self._after_commit[pending_actions:]  # they belonged to what was undone
            raise
        if nested is not None:
            async with self._lock:
                await nested.commit()

    @property
    def started(self) -> bool:
        return self._open is not None

    async def close(self, *, commit: bool) -> None:
        async with self._lock:
            opened, self._open = self._open, None
            actions, self._after_commit = self._after_commit, []
            if opened is not None:
                await opened.close(commit=commit)
        if commit:
            await _run_after_commit(self.database, self.actor, actions)


async def _run_after_commit(database: Database, actor: str | None,
                            actions: Sequence[AfterCommit]) -> None:
    """Each action in its own transaction, bound to no workspace, so a long list never holds
    one transaction (or the locks its actions take) for all of them."""
    for action in actions:
        async with transaction(database, actor=actor) as tx:
            await action(tx)


class RequestTransaction:
    """The one transaction of a GraphQL request, one method per stage, in the order they run:

    1. `open`: bound to the caller's workspace and opened lazily by the first statement,
       read-only until told otherwise (the compiled read path runs before stage 2);
    2. `choose_mode`: once strawberry knows the operation (the schema's `TransactionMode`
       hook), a mutation writes; anything else reads one snapshot;
    3. `finish` commits what the response reports, or rolls back; `abandon` rolls back
       whatever `finish` did not end (a failure, a disconnected client, a compiled answer);
    4. after a commit, the actions registered with `tx.after_commit` run, each in a short
       transaction of its own (`_run_after_commit` above).
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    @classmethod
    def open(cls, database: Database, *, workspace_id: UUID, actor: str,
             statement_timeout_ms: int) -> "RequestTransaction":
        return cls(Transaction(database, workspace_id=workspace_id, actor=actor, readonly=True,
                               statement_timeout_ms=statement_timeout_ms))

    def choose_mode(self, *, writes: bool) -> None:
        """Queries read one snapshot (`READ ONLY, REPEATABLE READ`); mutations write."""
        if self.tx.started and self.tx.readonly == writes:
            raise RuntimeError("the transaction's mode is fixed by its first statement")
        self.tx.readonly = not writes

    async def finish(self, data: object) -> None:
        """Commit unless the client is told that nothing happened.

        Every mutation field ran in its own savepoint, so whatever a payload reports is exactly
        what was written. When an error nulls the whole `data` (a non-null payload failed), the
        client sees no success at all, so nothing is kept.
        """
        await self.tx.close(commit=data is not None)

    async def abandon(self) -> None:
        """Roll back; a no-op once `finish` has ended the transaction."""
        await self.tx.close(commit=False)


async def ping(database: Database) -> None:
    """Raises unless the database answers a trivial statement."""
    opened = await database.open(readonly=True)
    try:
        await opened.connection.execute(text("SELECT 1"))
    finally:
        await opened.close(commit=False)


@asynccontextmanager
async def transaction(
    database: Database,
    *,
    workspace_id: UUID | None = None,
    actor: str | None = None,
    readonly: bool = False,
) -> AsyncIterator[Transaction]:
    """One unit of work outside a GraphQL request (CLI, worker, start-up, an after-commit
    action): commit unless it raises."""
    tx = Transaction(database, workspace_id=workspace_id, actor=actor, readonly=readonly)
    try:
        yield tx
    except BaseException:
        await tx.close(commit=False)
        raise
    await tx.close(commit=True)

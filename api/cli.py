"""The `assetgraph` command: serve, migrate, workspace, token, schema, demo, config.

Every command that touches the database uses `ASSETGRAPH_DATABASE_URL`, or else the embedded
server of `--data-dir` (started for the command and stopped after it, unless a running
`assetgraph serve` shares it). Bad settings stop every command with status 2, one line each.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import migrations
from api.database import EmbeddedPostgres, asyncpg_url, create_engine, database_url
from api.devmode import ensure_dev_token
from api.settings import InvalidSettings, Settings, schema_options
from domain import access
from domain.db import EngineDatabase, transaction
from domain.errors import DomainError


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[EngineDatabase]:
    async with database_url(settings) as url:
        if settings.embedded:
            await migrations.upgrade(url)
        engine = create_engine(url, settings.model_copy(update={"pool_size": 2}))
        try:
            yield EngineDatabase(engine)
        finally:
            await engine.dispose()


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, default=str) if args.json else text)


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    async with database_url(settings) as url:
        await migrations.upgrade(url)
    _print(args, {"migrated": True}, "database is at the latest revision")


async def cmd_workspace_create(args: argparse.Namespace, settings: Settings) -> None:
    async with open_database(settings) as database:
        async with transaction(database, actor="cli") as tx:
            workspace = await access.create_workspace(tx, args.name, args.slug)
        async with transaction(database, workspace_id=workspace.id, actor="cli") as tx:
            _, secret = await access.create_token(tx, name="admin", role=access.Role.ADMIN)
    _print(
        args,
        {"workspace_id": str(workspace.id), "slug": workspace.slug, "token": secret},
        f"workspace {workspace.name} ({workspace.id})\nadmin token (shown once): {secret}",
    )


async def cmd_token_create(args: argparse.Namespace, settings: Settings) -> None:
    async with (
        open_database(settings) as database,
        transaction(database, workspace_id=args.workspace, actor="cli") as tx,
    ):
        token, secret = await access.create_token(tx, name=args.name, role=access.Role(args.role))
    _print(args, {"token": secret, "id": str(token.id), "role": token.role},
           f"{token.role} token (shown once): {secret}")


async def cmd_token_list(args: argparse.Namespace, settings: Settings) -> None:
    async with (
        open_database(settings) as database,
        transaction(database, workspace_id=args.workspace, readonly=True) as tx,
    ):
        tokens = await access.list_tokens(tx)
    rows = [
        {"id": str(t.id), "name": t.name, "role": t.role, "prefix": t.prefix,
         "created_at": t.created_at.isoformat(),
         "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
         "revoked": t.revoked_at is not None}
        for t in tokens
    ]
    if args.json:
        print(json.dumps({"tokens": rows}))
        return
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        print(f"{row['id']}  {row['prefix']}…  {row['role']:<6}  {state:<7}  {row['name']}")


async def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> None:
    async with (
        open_database(settings) as database,
        transaction(database, workspace_id=args.workspace, actor="cli") as tx,
    ):
        token = await access.revoke_token(tx, args.token_id)
    _print(args, {"id": str(token.id), "revoked": True}, f"revoked {token.id}")


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from api.demo import load_demo
    from api.devmode import ensure_dev_token

    async with open_database(settings) as database:
        if args.workspace is None:
            await ensure_dev_token(database, settings.data_dir)
        summary = await load_demo(database, args.workspace)
    _print(args, summary, "\n".join(f"{k}: {v}" for k, v in summary.items()))


async def cmd_gc(args: argparse.Namespace, settings: Settings) -> None:
    from api.gc import collect_garbage
    from domain.storage import BlobStore

    async with open_database(settings) as database:
        rows, files = await collect_garbage(database, BlobStore(settings.blobs),
                                            grace_seconds=args.grace_seconds)
    _print(args, {"blob_rows_removed": rows, "files_removed": files},
           f"removed {rows} unused blob row(s) and {files} file(s)")


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from schema.schema import build_schema

    print(build_schema(schema_options(settings)).as_str())


def cmd_config(args: argparse.Namespace, settings: Settings) -> None:
    values = settings.effective()
    if args.json:
        print(json.dumps(values))
        return
    width = max(map(len, values))
    for name, value in values.items():
        print(f"{name:<{width}}  {_shown(value)}")


def _shown(value: object) -> str:
    if value is None:
        return "(unset)"
    return str(value).lower() if isinstance(value, bool) else str(value)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    """One process, or N sharing the port (uvicorn's supervisor) and the database.

    With N, this process prepares what must happen once (the embedded server, migrations, the
    development token) and each worker process builds its own app, pool and listener from
    the same settings (`api.app:app_from_environment`)."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging

    # Our one line per request replaces uvicorn's access log; all lines go through our format.
    configure_logging(settings.log_format)
    processes = args.processes or settings.processes or os.cpu_count() or 1
    where = (f"embedded PostgreSQL in {settings.data_dir}" if settings.embedded
             else "ASSETGRAPH_DATABASE_URL")
    print(f"Asset Graph on http://{args.host}:{args.port}/graphql ({where}, "
          f"{processes} process{'es' if processes > 1 else ''})", flush=True)
    if processes == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                    lifespan="on", log_config=None, access_log=False)
        return
    os.environ["ASSETGRAPH_DATA_DIR"] = str(settings.data_dir.resolve())
    metrics_dir = _metrics_directory()
    embedded = EmbeddedPostgres(settings.data_dir) if settings.embedded else None
    url = embedded.start() if embedded is not None else asyncpg_url(str(settings.database_url))
    try:
        asyncio.run(_prepare(settings, url))
        uvicorn.run("api.app:app_from_environment", factory=True, workers=processes,
                    host=args.host, port=args.port, log_level="info", lifespan="on",
                    log_config=None, access_log=False)
    finally:
        if embedded is not None:
            embedded.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_directory() -> Path | None:
    """Where N processes keep their Prometheus samples, so that a scrape answered by any one
    of them reports all (set before they start; `api.metrics`). An operator's
    PROMETHEUS_MULTIPROC_DIR is emptied of a previous run's files; else a temporary directory
    is made, and removed at the end (the returned path)."""
    from api.metrics import MULTIPROCESS_DIR

    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="assetgraph-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(made)
    return made


async def _prepare(settings: Settings, url: str) -> None:
    """Once before the worker processes start: migrate and make the development token."""
    if not settings.development:
        return
    await migrations.upgrade(url)
    if settings.embedded:
        engine = create_engine(url, settings.model_copy(update={"pool_size": 1}))
        try:
            await ensure_dev_token(EngineDatabase(engine), settings.data_dir)
        finally:
            await engine.dispose()


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    import signal

    from api.worker import run_workers

    if settings.workers <= 0:  # ASSETGRAPH_WORKERS=0 is meant for serve
        settings = settings.model_copy(
            update={"workers": Settings.model_fields["workers"].default})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with database_url(settings) as url:
        if settings.embedded:
            await migrations.upgrade(url)
        engine = create_engine(url, settings)
        try:
            async with run_workers(settings, EngineDatabase(engine), url):
                print(f"worker running {settings.jobs.workers} job slot(s)", flush=True)
                await stop.wait()
        finally:
            await engine.dispose()


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="data directory (default ./.assetgraph)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    root = argparse.ArgumentParser(prog="assetgraph")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--processes", type=int, default=None,
                       help="server processes (default: ASSETGRAPH_PROCESSES, else one per core)")
    serve.set_defaults(run=cmd_serve)

    gc = commands.add_parser("gc", parents=[common], help="remove files no asset uses")
    gc.add_argument("--grace-seconds", type=float, default=3600,
                    help="keep files younger than this (uploads in flight)")
    gc.set_defaults(run=cmd_gc)
    worker = commands.add_parser("worker", parents=[common], help="run job workers only")
    worker.set_defaults(run=cmd_worker)
    commands.add_parser("migrate", parents=[common], help="migrate the database").set_defaults(
        run=cmd_migrate)
    commands.add_parser("schema", parents=[common], help="print the GraphQL SDL").set_defaults(
        run=cmd_schema)
    config = commands.add_parser("config", parents=[common],
                                 help="print the effective settings (secrets masked)")
    config.set_defaults(run=cmd_config)
    demo = commands.add_parser("demo", parents=[common], help="load the demo dataset")
    demo.add_argument("--workspace", type=UUID, help="default: the development workspace")
    demo.set_defaults(run=cmd_demo)

    workspace = commands.add_parser("workspace", help="manage workspaces").add_subparsers(
        dest="action", required=True)
    create = workspace.add_parser("create", parents=[common], help="create a workspace")
    create.add_argument("name")
    create.add_argument("--slug")
    create.set_defaults(run=cmd_workspace_create)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True)
    token_create = token.add_parser("create", parents=[common], help="create a token")
    token_create.add_argument("--workspace", type=UUID, required=True)
    token_create.add_argument("--role", choices=[r.value for r in access.Role], default="viewer")
    token_create.add_argument("--name", default="api")
    token_create.set_defaults(run=cmd_token_create)
    token_list = token.add_parser("list", parents=[common], help="list tokens")
    token_list.add_argument("--workspace", type=UUID, required=True)
    token_list.set_defaults(run=cmd_token_list)
    token_revoke = token.add_parser("revoke", parents=[common], help="revoke a token")
    token_revoke.add_argument("token_id", type=UUID)
    token_revoke.add_argument("--workspace", type=UUID, required=True)
    token_revoke.set_defaults(run=cmd_token_revoke)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    try:
        settings = Settings.from_env(**overrides)
    except InvalidSettings as error:
        print("\n".join(error.problems), file=sys.stderr)
        raise SystemExit(2) from None
    run: Callable[[argparse.Namespace, Settings], Awaitable[None] | None] = args.run
    try:
        outcome = run(args, settings)
        if outcome is not None:
            asyncio.run(outcome)  # type: ignore[arg-type]
    except DomainError as error:
        detail = [{"code": d.code.value, "field": d.field, "message": d.message}
                  for d in error.details]
        print(json.dumps({"errors": detail}) if args.json else f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()

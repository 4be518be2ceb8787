"""The `assetgraph` command: serve, migrate, workspace, token, schema, demo, import-legacy,
config.

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
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

import migrations
from api.database import EmbeddedPostgres, asyncpg_url, create_engine, database_url
from api.devmode import announce_dev_token, ensure_dev_token
from api.import_legacy import CONCURRENCY
from api.settings import InvalidSettings, Settings
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
    from api.blobs import open_blob_store
    from api.demo import load_demo
    from api.devmode import ensure_dev_token

    async with open_database(settings) as database:
        if args.workspace is None:
            await ensure_dev_token(database, settings.data_dir)
        summary = await load_demo(database, args.workspace, store=open_blob_store(settings),
                                  jobs=settings.jobs)
    _print(args, summary, "\n".join(f"{k}: {v}" for k, v in summary.items()))


async def cmd_import_legacy(args: argparse.Namespace, settings: Settings) -> None:
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    from api.blobs import open_blob_store
    from api.import_legacy import as_json, as_text, progress_bar, run_import
    from domain.access import get_workspace_by_slug
    from domain.errors import not_found
    from domain.legacy.files import FileSource

    if args.files_dir is not None and not args.files_dir.is_dir():
        print(f"--files-dir: {args.files_dir} is not a directory", file=sys.stderr)
        raise SystemExit(2)
    try:
        source_url = asyncpg_url(args.source_url)
    except ValueError:
        print("--source-url: expected a postgresql:// URL", file=sys.stderr)
        raise SystemExit(2) from None
    source = create_async_engine(source_url, pool_size=1, max_overflow=0)
    files = None if args.files_dir is None else FileSource(
        args.files_dir, open_blob_store(settings), max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels, place_files=not args.dry_run)
    # a connection for each project in flight, and one for the statistics between them
    pooled = settings.model_copy(update={"pool_size": max(settings.pool_size,
                                                          args.concurrency + 1)})
    try:
        async with open_database(pooled) as database:
            workspace_id = args.workspace
            if workspace_id is None:
                if settings.embedded:
                    await ensure_dev_token(database, settings.data_dir)
                async with transaction(database, readonly=True) as tx:
                    workspace = await get_workspace_by_slug(tx, "default")
                if workspace is None:
                    raise not_found("default workspace", "workspace")
                workspace_id = workspace.id
            show_progress = not args.json and sys.stderr.isatty()
            try:
                outcomes = await run_import(database, source, workspace_id, files=files,
                                            dry_run=args.dry_run,
                                            progress=progress_bar() if show_progress else None,
                                            concurrency=args.concurrency)
            except (OSError, DBAPIError) as error:
                print(f"import-legacy stopped: a database could not be read: {error}",
                      file=sys.stderr)
                raise SystemExit(2) from None
    finally:
        await source.dispose()
    _print(args, as_json(outcomes, workspace_id), as_text(outcomes))
    if outcomes.failed:
        raise SystemExit(1)


async def cmd_gc(args: argparse.Namespace, settings: Settings) -> None:
    from api.blobs import open_blob_store
    from api.gc import collect_garbage

    async with open_database(settings) as database:
        rows, files = await collect_garbage(database, open_blob_store(settings),
                                            grace_seconds=args.grace_seconds)
    _print(args, {"blob_rows_removed": rows, "files_removed": files},
           f"removed {rows} unused blob row(s) and {files} file(s)")


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from api.contract import current_sdl

    sys.stdout.write(current_sdl(settings))


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

    settings.check_serving()  # before anything starts

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
            announce_dev_token(await ensure_dev_token(EngineDatabase(engine), settings.data_dir),
                               settings.data_dir)
        finally:
            await engine.dispose()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    """One worker process, or N (`--processes`): then this process prepares the database once
    and supervises N `assetgraph worker` processes on it (each one `Worker`, its own pool and
    listener), restarts one that dies, and on SIGTERM or SIGINT stops them all and waits."""
    if settings.workers <= 0:  # ASSETGRAPH_WORKERS=0 is meant for serve
        settings = settings.model_copy(
            update={"workers": Settings.model_fields["workers"].default})
    processes: int = args.processes
    if processes == 1:
        asyncio.run(_run_worker(settings))
        return
    embedded = EmbeddedPostgres(settings.data_dir) if settings.embedded else None
    url = embedded.start() if embedded is not None else asyncpg_url(str(settings.database_url))
    try:
        if embedded is not None:
            asyncio.run(migrations.upgrade(url))
        _supervise(processes, {**os.environ, "ASSETGRAPH_DATABASE_URL": url,
                               "ASSETGRAPH_DATA_DIR": str(settings.data_dir.resolve()),
                               "ASSETGRAPH_WORKERS": str(settings.workers)})
    finally:
        if embedded is not None:
            embedded.stop()


def _supervise(processes: int, env: dict[str, str]) -> None:
    import signal
    import subprocess
    import time

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)

    def start() -> "subprocess.Popen[bytes]":
        return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=env)

    children = [start() for _ in range(processes)]
    print(f"{processes} worker processes: {' '.join(str(c.pid) for c in children)}", flush=True)
    try:
        while not stopping:
            for index, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    print(f"worker process {child.pid} exited ({child.returncode}); starting "
                          "another", file=sys.stderr, flush=True)
                    children[index] = start()
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait()


async def _run_worker(settings: Settings) -> None:
    import signal

    from api.worker import run_workers

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


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except None: those defaults come from the settings and
    their help says so."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path,
                        help="data directory of the embedded PostgreSQL, the blobs and the dev "
                             "token (default: ASSETGRAPH_DATA_DIR, else ./.assetgraph)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    root = argparse.ArgumentParser(
        prog="assetgraph", formatter_class=_HelpFormatter,
        description="Asset Graph: a GraphQL API over a universal asset graph. Settings come "
                    "from ASSETGRAPH_* variables (see `assetgraph config`).")
    root.add_argument("--version", action="version",
                      version=f"%(prog)s {metadata.version('assetgraph')}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(group: Any, name: str, summary: str, description: str,
                common_options: bool = True) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = group.add_parser(
            name, parents=[common] if common_options else [], help=summary,
            description=description, formatter_class=_HelpFormatter)
        return made

    serve = command(commands, "serve", "run the API server",
                    "Serve /graphql (HTTP and WebSocket), GraphiQL in development, /healthz "
                    "and /readyz; runs the job workers unless ASSETGRAPH_WORKERS=0.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--processes", type=int, default=None,
                       help="server processes (default: ASSETGRAPH_PROCESSES, else one per core)")
    serve.set_defaults(run=cmd_serve)

    gc = command(commands, "gc", "remove files no asset uses",
                 "Delete blob rows no asset references and the files no row holds.")
    gc.add_argument("--grace-seconds", type=float, default=3600,
                    help="keep files younger than this (uploads in flight)")
    gc.set_defaults(run=cmd_gc)
    worker = command(commands, "worker", "run job workers only",
                     "Run ASSETGRAPH_WORKERS job slots without serving HTTP, until SIGTERM or "
                     "SIGINT.")
    worker.add_argument("--processes", type=_at_least_one, default=1,
                        help="worker processes, each with ASSETGRAPH_WORKERS slots")
    worker.set_defaults(run=cmd_worker)
    command(commands, "migrate", "migrate the database",
            "Upgrade the database to the latest revision (alembic upgrade head)."
            ).set_defaults(run=cmd_migrate)
    command(commands, "schema", "print the GraphQL SDL",
            "Print the schema in GraphQL SDL, as the current settings build it."
            ).set_defaults(run=cmd_schema)
    command(commands, "config", "print the effective settings (secrets masked)",
            "Print every ASSETGRAPH_* setting with the value in effect; secrets are masked."
            ).set_defaults(run=cmd_config)
    demo = command(commands, "demo", "load the demo dataset",
                   "Load a small film with scenes, shots, characters and a style.")
    demo.add_argument("--workspace", type=UUID,
                      help="workspace to load into (default: the development workspace)")
    demo.set_defaults(run=cmd_demo)

    legacy = command(commands, "import-legacy", "import the legacy studio app's data",
                     "Read the legacy app's tables (one read-only snapshot) and write them "
                     "into a workspace: libraries, projects and their branches, scenes, "
                     "shots, project assets, scene asset instances, jobs and files; one "
                     "transaction per project. A second run changes only what changed in "
                     "legacy. Exits 1 when a project failed (rolled back; the others stand).")
    legacy.add_argument("--source-url", required=True,
                        help="postgresql:// URL of the legacy database (only read)")
    legacy.add_argument("--files-dir", type=Path,
                        help="export of the legacy storage bucket: the file of a row is "
                             "<dir>/<object path of its image_key_url> (default: no files)")
    legacy.add_argument("--workspace", type=UUID,
                        help="workspace to import into (default: the development workspace)")
    legacy.add_argument("--dry-run", action="store_true",
                        help="write nothing; print the report a real run would")
    legacy.add_argument("--concurrency", type=_at_least_one, default=CONCURRENCY,
                        help="projects written at once, each in its own transaction (a dry "
                             "run writes one at a time)")
    legacy.set_defaults(run=cmd_import_legacy)

    workspace = command(commands, "workspace", "manage workspaces", "Manage workspaces.",
                        common_options=False).add_subparsers(
        dest="action", required=True, metavar="ACTION")
    create = command(workspace, "create", "create a workspace",
                     "Create a workspace and print its first admin token (shown once).")
    create.add_argument("name", help="the workspace's display name")
    create.add_argument("--slug", help="URL name (default: derived from the name)")
    create.set_defaults(run=cmd_workspace_create)

    token = command(commands, "token", "manage API tokens", "Create, list and revoke API tokens.",
                    common_options=False).add_subparsers(
        dest="action", required=True, metavar="ACTION")
    token_create = command(token, "create", "create a token",
                           "Create an API token and print it (shown once).")
    token_create.add_argument("--workspace", type=UUID, required=True,
                              help="workspace the token belongs to")
    token_create.add_argument("--role", choices=[r.value for r in access.Role], default="viewer",
                              help="what the token may do")
    token_create.add_argument("--name", default="api", help="a label to recognise the token by")
    token_create.set_defaults(run=cmd_token_create)
    token_list = command(token, "list", "list tokens",
                         "List a workspace's tokens: prefix, role, state and name.")
    token_list.add_argument("--workspace", type=UUID, required=True, help="workspace to list")
    token_list.set_defaults(run=cmd_token_list)
    token_revoke = command(token, "revoke", "revoke a token",
                           "Revoke a token; requests with it fail from then on.")
    token_revoke.add_argument("token_id", type=UUID, help="id of the token (from `token list`)")
    token_revoke.add_argument("--workspace", type=UUID, required=True,
                              help="workspace the token belongs to")
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
    except InvalidSettings as error:  # settings fine alone, not for this command
        print("\n".join(error.problems), file=sys.stderr)
        raise SystemExit(2) from None
    except DomainError as error:
        detail = [{"code": d.code.value, "field": d.field, "message": d.message}
                  for d in error.details]
        print(json.dumps({"errors": detail}) if args.json else f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()

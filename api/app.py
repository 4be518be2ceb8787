"""The Starlette application: /graphql (+ GraphiQL), /healthz, /readyz, /metrics, static
GraphiQL files.

`create_app(settings)` owns its database: the lifespan starts the embedded PostgreSQL when no
URL is configured, migrates in development, and stops everything on shutdown (SIGTERM too).
Tests inject a ready `database=` (and a `dev_token=`, a `broker=`) instead and skip all of that.
Either way the lifespan yields them as its state, which Starlette copies into every request's
and socket's `state`: a server must run the lifespan (`lifespan="on"`, or
`tests.lifespan.serving` in-process).
"""

import ctypes
import ctypes.util
import gc
import logging
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from multiprocessing import parent_process
from pathlib import Path
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

import migrations
from api.admission import Admission
from api.auth import Authenticator
from api.database import asyncpg_dsn, create_engine, database_url
from api.devmode import announce_dev_token, ensure_dev_token, ensure_file_url_secret
from api.files import files_endpoint, signed_endpoint, thumbnail_endpoint
from api.limits import BodySizeLimit
from api.logs import configure_logging
from api.metrics import ProcessState, RequestMetrics, metrics_endpoint, sampling
from api.observe import Observe
from api.realtime import Broker
from api.settings import Settings, schema_options
from api.sockets import DirectSockets
from api.tracing import Tracing, from_environment
from api.worker import run_workers
from domain.db import Database, EngineDatabase, ping
from domain.file_urls import FileUrlSigner
from domain.thumbnails import Thumbnails
from schema.schema import build_schema

log = logging.getLogger("assetgraph")
STATIC = Path(__file__).parent / "static" / "graphiql"


class AppState(TypedDict):
    """What the lifespan yields, read by endpoints as `request.state.<key>`."""

    database: Database
    broker: Broker | None
    dev_token: str | None
    signer: FileUrlSigner  # of signed file URLs (`domain.file_urls`)


def app_from_environment() -> Starlette:
    """The app of one `serve --processes N` worker process, from the environment's settings.

    The process asks the kernel for SIGTERM when its parent dies: a supervisor killed outright
    (SIGKILL) must not leave workers serving on without it."""
    _terminate_with_parent()
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings)


def _terminate_with_parent() -> None:
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def create_app(
    settings: Settings, *, database: Database | None = None, dev_token: str | None = None,
    broker: Broker | None = None, tracing: Tracing | None = None,
) -> Starlette:
    settings.check_serving()
    tracing = from_environment() if tracing is None else tracing  # off unless OTEL_* ask
    schema = build_schema(schema_options(settings), extensions=tracing.extensions)
    authenticator = Authenticator(jwt_secret=settings.jwt_secret, ttl=settings.auth_cache_seconds)
    graphql = tracing.view(schema, settings=settings, authenticator=authenticator)
    process = ProcessState()

    def admission(app: ASGIApp) -> Admission:
        process.admission = Admission(app, limit=settings.max_in_flight,
                                      queue=settings.max_queued,
                                      wait_seconds=settings.queue_wait_seconds)
        return process.admission

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            await ping(request.state.database)
        except Exception as error:  # any failure means not ready; say which
            return JSONResponse({"status": "unavailable", "error": type(error).__name__},
                                status_code=503)
        return JSONResponse({"status": "ready"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        if database is not None:
            # Not a server of its own: signed URLs need not outlive it.
            secret = settings.file_url_secret or secrets.token_urlsafe(48)
            process.broker = broker
            yield AppState(database=tracing.database(database), broker=broker,
                           dev_token=dev_token, signer=FileUrlSigner(secret.encode()))
            return
        async with database_url(settings) as url:
            if settings.development:
                await migrations.upgrade(url)
            engine = create_engine(url, settings)
            owned = EngineDatabase(engine, statement_timeout_ms=settings.statement_timeout_ms)
            process.pools = owned
            # Production has one (`check_serving`); development keeps one in the data dir.
            secret = settings.file_url_secret or ensure_file_url_secret(settings.data_dir)
            signer = FileUrlSigner(secret.encode())
            try:
                token = None
                if settings.development and settings.embedded:
                    token = await ensure_dev_token(owned, settings.data_dir)
                    if parent_process() is None:  # `serve --processes N`: the parent says it
                        announce_dev_token(token, settings.data_dir)
                events = Broker(owned, asyncpg_dsn(url), max_queue=settings.ws_max_backlog)
                process.broker = events
                await events.start()
                try:
                    async with tracing.instrumenting(engine), \
                            run_workers(settings, owned, url, broker=events), \
                            authenticator.recording(owned), sampling(process):
                        # What startup made lives as long as the process: the collector's
                        # full passes (long with thousands of sockets open) skip it.
                        gc.freeze()
                        yield AppState(database=tracing.database(owned), broker=events,
                                       dev_token=token, signer=signer)
                finally:
                    await events.stop()
            finally:
                await owned.close()
                await engine.dispose()

    return Starlette(
        routes=[
            # Every method reaches the view, which refuses all but GET and POST with a JSON 405.
            Route("/graphql", graphql, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", graphql),
            Route("/files/{sha256}", files_endpoint(graphql.store, authenticator)),
            Route("/files/{sha256}/signed", signed_endpoint(graphql.store)),
            Route("/files/{sha256}/thumbnails/{size}", thumbnail_endpoint(
                Thumbnails(graphql.store, max_pixels=settings.max_image_pixels))),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(settings.metrics_token, process)),
            Mount("/graphiql", StaticFiles(directory=STATIC), name="graphiql"),
        ],
        middleware=[Middleware(DirectSockets), *tracing.middleware,
                    Middleware(Observe, metrics=RequestMetrics()),
                    Middleware(admission),
                    Middleware(BodySizeLimit, max_bytes=settings.limits.max_body_bytes,
                               max_upload_bytes=settings.max_upload_bytes)],
        lifespan=lifespan,
    )

"""Whether to trace, from the standard `OTEL_*` variables; off unless they ask for it.

Tracing is on when `OTEL_TRACES_EXPORTER` names exporters (`otlp`, `console`), or, with it
unset, when an OTLP endpoint is given (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, which then means `otlp`). `OTEL_SDK_DISABLED=true` and
`OTEL_TRACES_EXPORTER=none` keep it off whatever else is set; `OTEL_SERVICE_NAME` alone names
the service but switches nothing on.

Off, nothing of OpenTelemetry is imported (the `otel` extra need not be installed) and the app
gets no middleware, no schema extension and no wrapper: `TRACING_OFF` hands every piece back
as it was given, so a request runs exactly the code it runs without tracing. On, the pieces
come from `api.otel`.
"""

import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import TYPE_CHECKING, Protocol

from starlette.middleware import Middleware
from strawberry.extensions import SchemaExtension

from api.graphql_view import GraphQLView
from domain.db import Database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

EXPORTERS = frozenset({"otlp", "console"})
ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class Tracing(Protocol):
    """What the app asks of tracing, once, while it is built and started."""

    @property
    def middleware(self) -> Sequence[Middleware]: ...

    @property
    def extensions(self) -> Sequence[object]:
        """Schema extensions: `SchemaExtension` classes or factories."""
        ...

    @property
    def view(self) -> type[GraphQLView]: ...

    def database(self, database: Database) -> Database:
        """`database` as the requests see it."""
        ...

    def instrumenting(self, engine: "AsyncEngine") -> AbstractAsyncContextManager[None]:
        """The engine's statements traced while the block runs; spans flushed at its end."""
        ...


class _Off:
    middleware: Sequence[Middleware] = ()
    extensions: Sequence[type[SchemaExtension]] = ()
    view = GraphQLView

    def database(self, database: Database) -> Database:
        return database

    def instrumenting(self, engine: "AsyncEngine") -> AbstractAsyncContextManager[None]:
        return nullcontext()


TRACING_OFF: Tracing = _Off()


class InvalidTracing(Exception):
    """An `OTEL_*` value this server cannot honour, said at start-up rather than ignored."""


def exporters(environ: Mapping[str, str]) -> list[str]:
    """The span exporters the environment asks for; none means tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named:
        return ["otlp"] if any(environ.get(name, "").strip() for name in ENDPOINTS) else []
    chosen = [name.strip() for name in named.split(",") if name.strip()]
    if "none" in chosen:
        return []
    unknown = sorted(set(chosen) - EXPORTERS)
    if unknown:
        raise InvalidTracing(f"OTEL_TRACES_EXPORTER: expected otlp, console or none, "
                             f"got {', '.join(unknown)}")
    return list(dict.fromkeys(chosen))


def from_environment(environ: Mapping[str, str] = os.environ) -> Tracing:
    """Tracing as the environment asks, exporting to where it says; `TRACING_OFF` if it is
    silent. On, the tracer provider becomes the process's global one."""
    chosen = exporters(environ)
    if not chosen:
        return TRACING_OFF
    from api.otel import OpenTelemetry  # only now: the `otel` extra may not be installed

    return OpenTelemetry.exporting(chosen, environ)

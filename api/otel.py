"""Tracing switched on: the OpenTelemetry pieces `api.tracing` hands the app.

A request makes one HTTP server span (the ASGI middleware, without its per-message `send` and
`receive` spans), one span per GraphQL operation, `query Name` / `mutation Name`, and under
it one span per SQL statement: SQLAlchemy's instrumentation for statements on the engine, and
a span of our own around `Database.read_one`, the compiled read path's single statement on a
plain asyncpg pool. Never a span per resolver: a list of a hundred assets resolves thousands
of fields, and a span each would cost more than the fields do.

Imported only when tracing is on; it needs the `otel` extra.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Tracer
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware
from strawberry.extensions import SchemaExtension

from api.graphql_view import GraphQLView
from api.tracing import InvalidTracing
from domain.db import Database, OpenTransaction
from schema.compiled import CompiledQuery
from schema.context import Context

SERVICE = "assetgraph"
OPERATION = "GraphQL Operation"  # the semantic conventions' name when the type is unknown


class OpenTelemetry:
    """Tracing on, with `provider`'s processors and exporters (tests pass an in-memory one)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("assetgraph")
        self.middleware = (Middleware(OpenTelemetryMiddleware, tracer_provider=provider,
                                      exclude_spans=["receive", "send"]),)
        tracer = self.tracer
        self.extensions = (lambda: OperationSpan(tracer),)

        class TracedGraphQLView(GraphQLView):
            """The compiled read path runs no schema extension: its operation span is here."""

            async def read_compiled(self, query: CompiledQuery, context: Context
                                    ) -> str | None:
                name = query.operation_name
                with tracer.start_as_current_span(operation_span_name("query", name),
                                                  attributes=_operation_attributes("query", name)):
                    return await super().read_compiled(query, context)

        self.view = TracedGraphQLView

    @classmethod
    def exporting(cls, exporters: Sequence[str], environ: Mapping[str, str]) -> "OpenTelemetry":
        """Spans batched to `exporters`, as the process's global tracer provider."""
        resource = Resource.create()
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": SERVICE}))
        provider = TracerProvider(resource=resource)
        for name in exporters:
            provider.add_span_processor(BatchSpanProcessor(_exporter(name, environ)))
        trace.set_tracer_provider(provider)
        return cls(provider)

    def database(self, database: Database) -> Database:
        return TracedDatabase(database, self.tracer)

    @asynccontextmanager
    async def instrumenting(self, engine: AsyncEngine) -> AsyncIterator[None]:
        instrumentor = SQLAlchemyInstrumentor()
        # Its declared range stops short of SQLAlchemy 2.1, whose engine events are unchanged.
        instrumentor.instrument(engine=engine.sync_engine, tracer_provider=self.provider,
                                skip_dep_check=True)
        try:
            yield
        finally:
            instrumentor.uninstrument()
            await asyncio.to_thread(self.provider.force_flush)


class OperationSpan(SchemaExtension):
    """One span per GraphQL operation over HTTP, current while it runs, so that the statements
    of its resolvers are its children. A subscription is traced by its socket's span alone:
    its events resolve in scopes of their own, long after the operation began."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.span: Span | None = None

    def on_operation(self) -> Iterator[None]:
        if not isinstance(self.execution_context.context, Context):
            yield
            return
        with self.tracer.start_as_current_span(OPERATION) as span:
            self.span = span
            yield

    def on_execute(self) -> Iterator[None]:
        if self.span is not None:  # parsed and valid: the operation is known
            kind = self.execution_context.operation_type.value
            name = self.execution_context.operation_name
            self.span.update_name(operation_span_name(kind, name))
            self.span.set_attributes(_operation_attributes(kind, name))
        yield


def operation_span_name(kind: str, name: str | None) -> str:
    """`query AssetName`, or `query` for an anonymous one (the semantic conventions)."""
    return f"{kind} {name}" if name else kind


def _operation_attributes(kind: str, name: str | None) -> dict[str, str]:
    attributes = {"graphql.operation.type": kind}
    if name:
        attributes["graphql.operation.name"] = name
    return attributes


class TracedDatabase:
    """`database` with a client span around each single-statement read."""

    def __init__(self, database: Database, tracer: Tracer) -> None:
        self.database = database
        self.tracer = tracer

    async def open(self, *, readonly: bool) -> OpenTransaction:
        return await self.database.open(readonly=readonly)

    async def read_one(self, sql: str, values: Sequence[Any], *, workspace_id: UUID) -> Any:
        with self.tracer.start_as_current_span(
                "SELECT", kind=SpanKind.CLIENT,
                attributes={"db.system": "postgresql", "db.operation": "SELECT",
                            "db.statement": sql}):
            return await self.database.read_one(sql, values, workspace_id=workspace_id)


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    protocol = (environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").strip()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcSpanExporter,
            )
        except ImportError:
            raise InvalidTracing("OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the package "
                                 "opentelemetry-exporter-otlp-proto-grpc") from None
        return GrpcSpanExporter()  # type: ignore[no-any-return]
    raise InvalidTracing(f"OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or grpc, "
                         f"got {protocol!r}")


"""Tracing: off unless the OTEL_* variables ask for it; on, one span per HTTP request, per
GraphQL operation (either read path) and per SQL statement, nested in that order."""

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.graphql_view import GraphQLView
from api.otel import OpenTelemetry
from api.tracing import TRACING_OFF, InvalidTracing, exporters
from tests.conftest import GraphQLClient, SavepointDatabase, WorkspaceTokens, dev_settings
from tests.lifespan import serving


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, []),
    ({"OTEL_SERVICE_NAME": "assetgraph-eu"}, []),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ["otlp"]),
    ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
    ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ["otlp", "console"]),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, []),
    ({"OTEL_SDK_DISABLED": "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
    ({"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"}, ["otlp"]),
])
def test_tracing_is_on_only_when_the_otel_variables_ask(environ: dict[str, str],
                                                        expected: list[str]) -> None:
    assert exporters(environ) == expected


def test_an_exporter_this_server_lacks_is_refused_at_start() -> None:
    with pytest.raises(InvalidTracing) as refused:
        exporters({"OTEL_TRACES_EXPORTER": "otlp,zipkin"})
    assert str(refused.value) == "OTEL_TRACES_EXPORTER: expected otlp, console or none, got zipkin"


def test_off_the_app_has_no_middleware_extension_or_wrapper(
        monkeypatch: pytest.MonkeyPatch, db: SavepointDatabase) -> None:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    app = create_app(dev_settings(), database=db)
    assert [getattr(m.cls, "__name__", None) for m in app.user_middleware] == [
        "DirectSockets", "Observe", "admission", "BodySizeLimit"]
    view = app.routes[0].endpoint  # type: ignore[attr-defined]
    assert type(view) is GraphQLView
    # TransactionMode, the document cache and the cost limit, only
    assert len(view.schema.extensions) == 3
    assert TRACING_OFF.database(db) is db


def test_off_nothing_of_opentelemetry_is_imported() -> None:
    """So the server starts without the `otel` extra, and no tracer provider exists."""
    script = ("import sys; from api.app import create_app; from api.settings import Settings;"
              "create_app(Settings(_env_file=None));"
              "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True,
                          text=True, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


@pytest.fixture
async def traced(engine: AsyncEngine, db: SavepointDatabase, workspace: WorkspaceTokens
                 ) -> AsyncIterator[tuple[GraphQLClient, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = OpenTelemetry(provider)
    app = create_app(dev_settings(), database=db, tracing=tracing)
    async with tracing.instrumenting(engine), serving(app) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started), base_url="http://test") as http:
        gql = GraphQLClient(http, workspace.editor)
        await gql("{ viewer { role } }")  # credentials cached: the spans below are the query's
        exporter.clear()
        yield gql, exporter


def tree(spans: tuple[ReadableSpan, ...]) -> list[tuple[int, str, SpanKind]]:
    """(depth, name, kind) of each span, parents before children, in order of start."""
    by_id = {span.context.span_id: span for span in spans}

    def depth(span: ReadableSpan) -> int:
        parent = span.parent
        return 0 if parent is None else 1 + depth(by_id[parent.span_id])

    ordered = sorted(spans, key=lambda span: span.start_time or 0)
    return [(depth(span), span.name, span.kind) for span in ordered]


async def test_a_compiled_query_is_one_request_one_operation_one_statement(
        traced: tuple[GraphQLClient, InMemorySpanExporter]) -> None:
    gql, exporter = traced
    body = await gql("query AssetNames { assets(first: 5) { totalCount edges { node { name } } } }")
    assert body == {"data": {"assets": {"totalCount": 0, "edges": []}}}
    spans = exporter.get_finished_spans()
    # the compiled read's statement: our span on `read_one`, and under it SQLAlchemy's
    # (the tests' database reads through the engine, after the harness's role switch, which
    # a server's connection made once; a server reads through asyncpg alone)
    assert tree(spans) == [(0, "POST /graphql", SpanKind.SERVER),
                           (1, "query AssetNames", SpanKind.INTERNAL),
                           (2, "SELECT", SpanKind.CLIENT),
                           (3, "SELECT", SpanKind.CLIENT),
                           (3, "SELECT", SpanKind.CLIENT)]
    assert [str((s.attributes or {}).get("db.statement", ""))[:13] for s in spans
            if str((s.attributes or {}).get("db.statement", "")).startswith("/*")] == [
        "/* harness */"]
    operation = next(span for span in spans if span.name == "query AssetNames")
    assert dict(operation.attributes or {}) == {"graphql.operation.type": "query",
                                                "graphql.operation.name": "AssetNames"}
    read = next(span for span in spans if span.name == "SELECT" and span.parent
                and span.parent.span_id == operation.context.span_id)
    assert str((read.attributes or {})["db.statement"]).startswith("SELECT CAST(json_build_")


async def test_a_mutation_is_one_operation_span_over_its_statements(
        traced: tuple[GraphQLClient, InMemorySpanExporter]) -> None:
    gql, exporter = traced
    body = await gql('mutation MakeOne { createAsset(input: {type: "image", name: "Mara"}) '
                     "{ asset { name } errors { code } } }")
    assert body == {"data": {"createAsset": {"asset": {"name": "Mara"}, "errors": []}}}
    assert tree(exporter.get_finished_spans()) == [
        (0, "POST /graphql", SpanKind.SERVER),
        (1, "mutation MakeOne", SpanKind.INTERNAL),
        (2, "SAVEPOINT", SpanKind.CLIENT),  # the request's transaction (a savepoint in tests)
        (2, "SELECT", SpanKind.CLIENT),     # set_config of the workspace and the timeout
        (2, "WITH", SpanKind.CLIENT),       # the asset, its event and NOTIFY, one statement
                                            # (the first mutation needs no savepoint)
        (1, "RELEASE", SpanKind.CLIENT),    # the commit, once the response is known
    ]


async def test_the_resolver_path_makes_one_span_per_operation_not_per_field(
        traced: tuple[GraphQLClient, InMemorySpanExporter]) -> None:
    gql, exporter = traced
    body = await gql("{ costSummary { total byKind { kind } } viewer { role } }")
    assert body == {"data": {"costSummary": {"total": 0.0, "byKind": []},
                             "viewer": {"role": "editor"}}}
    spans = tree(exporter.get_finished_spans())
    assert spans[:2] == [(0, "POST /graphql", SpanKind.SERVER), (1, "query", SpanKind.INTERNAL)]
    # then statements only (the operation's, and the end of its transaction), no resolver's
    assert {kind for _, _, kind in spans[2:]} == {SpanKind.CLIENT}
    assert spans[-1] == (1, "RELEASE", SpanKind.CLIENT)

"""Structured logs: one line per request with exactly the documented keys and nothing secret,
the request id echoed or made and carried by every error, and background failures logged."""

import asyncio
import json
import logging
import re

import httpx
import pytest

from api.logs import JsonFormatter, TextFormatter
from api.realtime import Broker
from api.settings import Settings
from api.worker import Worker
from domain.db import OpenTransaction
from domain.storage import LocalBlobStore
from tests.conftest import BLOBS, GraphQLClient, WorkspaceTokens

REQUEST_KEYS = {"time", "level", "logger", "message", "requestId", "method", "path",
                "operation", "status", "outcome", "durationMs", "statements"}
SECRET = "hunter2-do-not-log-me"
GENERATED_ID = re.compile(r"[0-9a-f]{12}-[0-9a-f]+")


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "assetgraph.request"]


async def test_a_request_logs_one_json_line_of_the_documented_keys_and_no_secret(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, caplog: pytest.LogCaptureFixture
) -> None:
    # given an editor (credentials cached) sending a variable with a secret-looking value
    gql = GraphQLClient(http, workspace.editor)
    await gql("{ viewer { role } }")
    caplog.set_level(logging.INFO, logger="assetgraph.request")
    response = await gql.post(
        """mutation MakeSecret($name: String!) { createAsset(input: {type: "prop", name: $name})
           { asset { id } errors { code } } }""", {"name": SECRET})
    assert response.json()["data"]["createAsset"]["errors"] == []
    # when its log line is written as JSON
    [record] = request_lines(caplog)
    line = JsonFormatter().format(record)
    # then it is one line of exactly the documented keys, without the token or the value
    fields = json.loads(line)
    assert "\n" not in line
    assert set(fields) == REQUEST_KEYS
    assert {key: fields[key] for key in ("level", "logger", "message", "requestId", "method",
                                         "path", "operation", "status", "outcome")} == {
        "level": "INFO", "logger": "assetgraph.request", "message": "request",
        "requestId": response.headers["x-request-id"], "method": "POST", "path": "/graphql",
        "operation": "MakeSecret", "status": 200, "outcome": "ok"}
    assert fields["statements"] == 4  # as counted in test_metrics
    assert isinstance(fields["durationMs"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["time"])
    for text in (line, TextFormatter().format(record)):
        assert SECRET not in text
        assert workspace.editor not in text


async def test_a_sane_request_id_is_echoed_and_any_other_replaced(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assetgraph.request")
    # given a sane id, one with a space, and one too long
    for sent, echoed in (("trace-42.a:b_C", True), ("two words", False), ("x" * 129, False)):
        # when a request carries it
        response = await http.get("/healthz", headers={"X-Request-Id": sent})
        given = response.headers["x-request-id"]
        # then a sane one comes back, any other is replaced by a generated one
        assert (sent, given == sent) == (sent, echoed)
        if not echoed:
            assert GENERATED_ID.fullmatch(given)
        assert request_lines(caplog)[-1].fields["requestId"] == given  # type: ignore[attr-defined]


async def test_a_request_id_is_generated_when_none_is_sent(http: httpx.AsyncClient) -> None:
    # when two requests come without an id
    first, second = [(await http.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    # then each gets its own
    assert GENERATED_ID.fullmatch(first) and GENERATED_ID.fullmatch(second)
    assert first != second


async def test_graphql_errors_carry_the_request_id(
    http: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    gql = GraphQLClient(http, workspace.editor)
    # when a query fails validation, and a request comes without valid credentials
    invalid = await gql.post("{ viewer { rol } }")
    stranger = await gql.post("{ viewer { role } }", token="not-a-token")
    # then every error names its request's id
    for response in (invalid, stranger):
        assert [e["extensions"]["requestId"] for e in response.json()["errors"]] == [
            response.headers["x-request-id"]]
    assert stranger.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class UnreachableDatabase:
    """A database that is down."""

    async def open(self, *, readonly: bool) -> OpenTransaction:
        raise ConnectionRefusedError("the database is down")

    async def read_one(self, sql: str, values: object, *, workspace_id: object) -> object:
        raise ConnectionRefusedError("the database is down")


async def test_the_reaper_logs_its_failures(caplog: pytest.LogCaptureFixture) -> None:
    # given a worker whose database is down, with no slots, only the reaper
    settings = Settings(_env_file=None, workers=0, lease_seconds=2.0).jobs
    worker = Worker(UnreachableDatabase(), listen_dsn=None, settings=settings,
                    store=LocalBlobStore(BLOBS))
    stop = asyncio.Event()
    # when it runs for a moment
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.1)
    stop.set()
    await running
    # then the reaper's failure was logged with its traceback
    [failure] = [r for r in caplog.records if r.name == "assetgraph.worker"]
    assert (failure.levelname, failure.getMessage()) == (
        "ERROR", "job reaper failed; trying again later")
    assert failure.exc_info is not None and failure.exc_info[0] is ConnectionRefusedError


async def test_the_realtime_listener_logs_its_failures(caplog: pytest.LogCaptureFixture) -> None:
    # given a broker whose listening DSN asyncpg refuses (not a network error)
    broker = Broker(UnreachableDatabase(), "postgresql://127.0.0.1:1/db?sslmode=sometimes")
    # when its listener runs for a moment
    listening = asyncio.create_task(broker._listen())
    await asyncio.sleep(0.1)
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    # then the failure was logged with its traceback, and the listener kept trying
    failures = [r for r in caplog.records if r.name == "assetgraph.realtime"]
    assert failures[0].getMessage() == "realtime listener cannot connect; retrying"
    assert {(r.levelname, r.exc_info is not None) for r in failures} == {("ERROR", True)}

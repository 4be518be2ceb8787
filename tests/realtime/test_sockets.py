"""Socket limits and operations (issue 9, item 5): both protocols close a connection that does
not initialise in time, cap operations per connection and connections per token with the
protocol's own error, and run queries and mutations as well as subscriptions."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase
from tests.conftest import dev_settings
from tests.realtime.conftest import LiveServer, live_server
from tests.realtime.test_subscriptions import LEGACY_WS, TRANSPORT_WS, post

EVENTS = "subscription { events { topic } }"
START = {TRANSPORT_WS: "subscribe", LEGACY_WS: "start"}
RESULT = {TRANSPORT_WS: "next", LEGACY_WS: "data"}


@pytest.fixture
async def strict(engine: AsyncEngine, committed_database: EngineDatabase
                 ) -> AsyncIterator[LiveServer]:
    """A server whose sockets must initialise within 1 s (0.3 s was shorter than a token check
    on a loaded 2-core CI run), may run two operations each and be open two at a time per
    token."""
    settings = dev_settings(ws_init_timeout_seconds=1.0, ws_max_operations=2,
                            ws_max_connections_per_token=2)
    async with live_server(engine, committed_database, settings) as server:
        yield server


async def _open(live: LiveServer, token: str, protocol: str) -> Any:
    socket = await websockets.connect(live.ws, subprotocols=[protocol])
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
    return socket


async def _reply(socket: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] != "ka":
            return message


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_socket_that_never_initialises_is_closed(strict: LiveServer,
                                                         protocol: str) -> None:
    # given a socket that never sends connection_init
    async with websockets.connect(strict.ws, subprotocols=[protocol]) as socket:
        # when the timeout passes
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    # then the server closed it, saying why
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4408, "Connection initialisation timeout")


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_operation_past_the_cap_gets_the_protocols_error(strict: LiveServer,
                                                                   protocol: str) -> None:
    # given an initialised socket running two subscriptions
    socket = await _open(strict, strict.a.viewer, protocol)
    try:
        assert (await _reply(socket))["type"] == "connection_ack"
        for operation_id in ("1", "2", "3"):
            await socket.send(json.dumps({"id": operation_id, "type": START[protocol],
                                          "payload": {"query": EVENTS}}))
        # when a third is started, then it alone is refused, and the socket stays open
        refused = await _reply(socket)
        payload = {"message": "Subscription limit reached"}
        assert refused == {"id": "3", "type": "error",
                           "payload": [payload] if protocol == TRANSPORT_WS else payload}
        # and the two running ones still deliver
        await post(strict, strict.a.editor,
                   'mutation { createAsset(input: {type: "prop", name: "P"}) { errors { code } } }')
        delivered = {(m["id"], m["type"]) for m in [await _reply(socket), await _reply(socket)]}
        assert delivered == {("1", RESULT[protocol]), ("2", RESULT[protocol])}
    finally:
        await socket.close()


async def test_connections_past_the_cap_per_token_are_refused(strict: LiveServer) -> None:
    # given two initialised sockets of one token
    first = await _open(strict, strict.a.viewer, TRANSPORT_WS)
    second = await _open(strict, strict.a.viewer, TRANSPORT_WS)
    try:
        assert [(await _reply(s))["type"] for s in (first, second)] == ["connection_ack"] * 2
        # when a third initialises with the same token, then it is refused
        third = await _open(strict, strict.a.viewer, TRANSPORT_WS)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _reply(third)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")
        # and another token is not affected
        other = await _open(strict, strict.a.editor, LEGACY_WS)
        assert (await _reply(other))["type"] == "connection_ack"
        await other.close()
        # when one of the two closes, a new one of the token is accepted
        await first.close()
        await asyncio.sleep(0.2)  # the server notices the close
        again = await _open(strict, strict.a.viewer, TRANSPORT_WS)
        assert (await _reply(again))["type"] == "connection_ack"
        await again.close()
    finally:
        await first.close()
        await second.close()


async def test_a_legacy_refusal_names_the_reason(strict: LiveServer) -> None:
    sockets = [await _open(strict, strict.b.viewer, LEGACY_WS) for _ in range(2)]
    try:
        assert [(await _reply(s))["type"] for s in sockets] == ["connection_ack"] * 2
        third = await _open(strict, strict.b.viewer, LEGACY_WS)
        assert await _reply(third) == {"type": "connection_error", "payload": {
            "message": "more than 2 connections open with this token: close one first",
            "code": "TOO_MANY_CONNECTIONS"}}
        await third.close()
    finally:
        for socket in sockets:
            await socket.close()


async def test_queries_and_mutations_run_over_graphql_transport_ws(live: LiveServer) -> None:
    protocol = TRANSPORT_WS
    socket = await _open(live, live.a.editor, protocol)
    try:
        assert (await _reply(socket))["type"] == "connection_ack"
        # when a query is sent
        await socket.send(json.dumps({"id": "q", "type": START[protocol],
                                      "payload": {"query": "{ viewer { role } }"}}))
        # then its one result comes, and the operation completes
        assert await _reply(socket) == {"id": "q", "type": RESULT[protocol], "payload": {
            "data": {"viewer": {"role": "editor"}}, "extensions": {"cost": 1}}}
        assert await _reply(socket) == {"id": "q", "type": "complete"}
        # when a mutation is sent
        create = ('mutation { createAsset(input: {type: "prop", name: "Over WS"}) '
                  "{ asset { name } } }")
        await socket.send(json.dumps({"id": "m", "type": START[protocol],
                                      "payload": {"query": create}}))
        assert await _reply(socket) == {"id": "m", "type": RESULT[protocol], "payload": {
            "data": {"createAsset": {"asset": {"name": "Over WS"}}}, "extensions": {"cost": 2}}}
        assert await _reply(socket) == {"id": "m", "type": "complete"}
    finally:
        await socket.close()
    # then what the mutation wrote was committed: another connection reads it
    found = await post(live, live.a.viewer, '{ assets(filter: {search: "Over WS"}, first: 5) '
                                            "{ edges { node { name } } } }")
    assert found["data"] == {"assets": {"edges": [{"node": {"name": "Over WS"}}]}}


async def test_a_viewer_mutation_over_a_socket_writes_nothing(live: LiveServer) -> None:
    socket = await _open(live, live.a.viewer, TRANSPORT_WS)
    try:
        assert (await _reply(socket))["type"] == "connection_ack"
        create = ('mutation { createAsset(input: {type: "prop", name: "Nope"}) '
                  "{ asset { name } } }")
        await socket.send(json.dumps({"id": "m", "type": "subscribe",
                                      "payload": {"query": create}}))
        refused = await _reply(socket)
        assert refused["type"] == "next"
        assert refused["payload"]["data"] is None
        assert [(e["message"], e["extensions"]["code"]) for e in refused["payload"]["errors"]] \
            == [("this needs the editor role", "FORBIDDEN")]
    finally:
        await socket.close()
    found = await post(live, live.a.viewer, '{ assets(filter: {search: "Nope"}, first: 5) '
                                            "{ totalCount } }")
    assert found["data"] == {"assets": {"totalCount": 0}}


async def test_the_legacy_protocol_answers_a_query_with_its_error(live: LiveServer) -> None:
    socket = await _open(live, live.a.editor, LEGACY_WS)
    try:
        assert (await _reply(socket))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "q", "type": "start",
                                      "payload": {"query": "{ viewer { role } }"}}))
        refused = await _reply(socket)
    finally:
        await socket.close()
    assert (refused["id"], refused["type"], refused["payload"]["message"]) == (
        "q", "error", "queries are not allowed")

"""Subscriptions over real WebSockets: both protocols, replay, isolation (issue 4)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from api.realtime import Broker, SubscriberTooSlow
from api.worker import Worker
from domain.db import EngineDatabase
from domain.storage import LocalBlobStore
from tests.conftest import dev_settings
from tests.realtime.conftest import LiveServer, wait_until

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def ws(live: LiveServer, token: str, protocol: str = TRANSPORT_WS, *,
       in_header: bool = False) -> Client:
    auth = {"Authorization": f"Bearer {token}"}
    transport = WebsocketsTransport(
        url=live.ws, subprotocols=[protocol], headers=auth if in_header else None,
        # gql waits out close_timeout after a subscription it stopped early; keep it short.
        init_payload=None if in_header else auth, close_timeout=0.5)
    return Client(transport=transport)


async def post(live: LiveServer, token: str, query: str, variables: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=live.http) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                                   headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    return body


def request(document: str, **variables: Any) -> GraphQLRequest:
    built = gql(document)
    built.variable_values = variables
    return built


JOB_UPDATED = "subscription ($id: ID!) { jobUpdated(jobId: $id) { status attempts } }"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_job_updated_sends_the_state_then_each_change_then_ends(
    live: LiveServer, committed_database: EngineDatabase, tmp_path: Path, protocol: str
) -> None:
    queued = await post(live, live.a.editor,
                        'mutation { enqueueJob(input: {kind: "noop"}) { job { id } } }')
    job_id = queued["data"]["enqueueJob"]["job"]["id"]
    worker = Worker(committed_database, listen_dsn=None, settings=dev_settings().jobs,
                    store=LocalBlobStore(tmp_path))
    seen = []
    async with ws(live, live.a.viewer, protocol) as session:
        async for result in session.subscribe(request(JOB_UPDATED, id=job_id)):
            seen.append(result["jobUpdated"])
            if len(seen) == 1:
                asyncio.get_running_loop().create_task(worker.run_once())
    assert seen == [{"status": "QUEUED", "attempts": 0}, {"status": "RUNNING", "attempts": 1},
                    {"status": "SUCCEEDED", "attempts": 1}]


EVENTS = """subscription ($after: String, $topics: [String!]) {
  events(after: $after, filter: {topics: $topics}) { cursor topic subjectId payload } }"""
CREATE = ('mutation ($n: String!) { createAsset(input: {type: "prop", name: $n}) '
          "{ errors { code } } }")


async def first_events(live: LiveServer, token: str, count: int, **variables: Any
                       ) -> "asyncio.Task[list[dict[str, Any]]]":
    """Subscribe in the background; returns once the server holds the subscription."""
    before = live.broker.subscriber_count

    async def collect() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with ws(live, token) as session:
            async for result in session.subscribe(request(EVENTS, **variables)):
                found.append(result["events"])
                if len(found) == count:
                    return found
        return found

    task = asyncio.get_running_loop().create_task(collect())
    await wait_until(lambda: live.broker.subscriber_count > before or task.done())
    return task


async def test_events_go_live_and_replay_from_a_cursor(live: LiveServer) -> None:
    # given a subscriber, when assets are created, then it sees them as they commit
    listening = await first_events(live, live.a.viewer, 2, topics=["asset.created"])
    for name in ("First", "Second"):
        await post(live, live.a.editor, CREATE, {"n": name})
    seen = await asyncio.wait_for(listening, 10)
    assert [e["payload"]["name"] for e in seen] == ["First", "Second"]
    assert [e["topic"] for e in seen] == ["asset.created"] * 2
    # and resuming from the first event's cursor replays what came after it
    await post(live, live.a.editor, CREATE, {"n": "Third"})
    resumed = await first_events(live, live.a.viewer, 2, after=seen[0]["cursor"],
                                 topics=["asset.created"])
    assert [e["payload"]["name"] for e in await asyncio.wait_for(resumed, 10)] == [
        "Second", "Third"]


async def test_a_subscriber_sees_only_its_workspace(live: LiveServer) -> None:
    listening = await first_events(live, live.b.viewer, 1, topics=["asset.created"])
    await post(live, live.a.editor, CREATE, {"n": "Secret"})
    await post(live, live.b.editor, CREATE, {"n": "Mine"})
    assert [e["payload"]["name"] for e in await asyncio.wait_for(listening, 10)] == ["Mine"]


async def test_a_connection_without_a_valid_token_is_refused(live: LiveServer) -> None:
    async with websockets.connect(live.ws, subprotocols=[TRANSPORT_WS]) as socket:
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": "Bearer agt_wrong"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")


async def test_a_missing_job_is_an_error(live: LiveServer) -> None:
    missing = "Sm9iOjAxOTMwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMA"
    async with ws(live, live.a.viewer) as session:
        with pytest.raises(TransportQueryError) as error:
            async for _ in session.subscribe(request(JOB_UPDATED, id=missing)):
                pass
    assert "job not found" in str(error.value)


async def test_a_subscriber_that_falls_behind_is_closed(committed_database: EngineDatabase
                                                        ) -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from domain.records import EventRecord

    broker = Broker(committed_database, "unused", max_queue=2)
    workspace = uuid4()
    slow = broker.subscribe(workspace)
    events = [EventRecord(workspace, n, "asset.created", None, None, {},  # type: ignore
                          datetime.now(UTC)) for n in range(1, 4)]
    broker._dispatch(events)
    received = []
    with pytest.raises(SubscriberTooSlow):
        async for event in slow:
            received.append(event.id)
    assert received == [1, 2]
    assert broker.subscriber_count == 0

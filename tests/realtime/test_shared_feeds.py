"""Shared subscriptions (issue 12): subscribers of one shape share one execution and one
payload per event; each only filters and writes. Workspaces stay apart, a subscriber that
stops reading is dropped without holding the others, and what subscribers receive is what
they receive with sharing off."""

import asyncio
import json
import secrets
import socket
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import websockets
from graphql import parse, print_ast
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from api.realtime import Broker, Shape, SubscriberTooSlow
from api.worker import Worker
from domain.db import EngineDatabase
from domain.storage import LocalBlobStore
from tests.conftest import dev_settings
from tests.realtime.conftest import LiveServer, live_server, wait_until
from tests.realtime.test_subscriptions import (
    CREATE,
    EVENTS,
    JOB_UPDATED,
    TRANSPORT_WS,
    first_events,
    post,
    request,
    ws,
)


def payloads() -> float:
    return REGISTRY.get_sample_value("assetgraph_subscription_payloads_total") or 0.0


def dropped() -> float:
    return REGISTRY.get_sample_value("assetgraph_subscribers_dropped_total") or 0.0


async def test_subscribers_of_one_document_share_one_execution_per_event(
    live: LiveServer,
) -> None:
    # given three subscribers of one document and one of another, in one workspace
    same = [await first_events(live, live.a.viewer, 2, topics=["asset.created"])
            for _ in range(3)]
    other = await first_events(live, live.a.viewer, 2, topics=["asset.created", "x"])
    assert (live.broker.feed_count, live.broker.subscriber_count) == (2, 4)
    before = payloads()
    # when two assets are created
    for name in ("First", "Second"):
        await post(live, live.a.editor, CREATE, {"n": name})
    # then every subscriber gets both, and each event was executed once per document
    for listening in [*same, other]:
        seen = await asyncio.wait_for(listening, 10)
        assert [e["payload"]["name"] for e in seen] == ["First", "Second"]
    assert payloads() - before == 2 * 2
    await wait_until(lambda: live.broker.feed_count == 0)


async def test_two_workspaces_subscribed_to_one_document_never_see_each_other(
    live: LiveServer,
) -> None:
    # given subscribers of the same document, with the same variables, in two workspaces
    in_a = [await first_events(live, live.a.viewer, 2, topics=["asset.created"])
            for _ in range(2)]
    in_b = [await first_events(live, live.b.viewer, 2, topics=["asset.created"])
            for _ in range(2)]
    assert live.broker.feed_count == 2
    # when each workspace creates assets
    for token, name in ((live.a.editor, "A1"), (live.b.editor, "B1"), (live.b.editor, "B2"),
                        (live.a.editor, "A2")):
        await post(live, token, CREATE, {"n": name})
    # then each subscriber sees its own workspace's, in order
    for listening in in_a:
        assert [e["payload"]["name"] for e in await asyncio.wait_for(listening, 10)] == [
            "A1", "A2"]
    for listening in in_b:
        assert [e["payload"]["name"] for e in await asyncio.wait_for(listening, 10)] == [
            "B1", "B2"]


async def test_subscribers_of_one_job_share_its_changes_and_end_with_it(
    live: LiveServer, committed_database: EngineDatabase, tmp_path: Path,
) -> None:
    # given two subscribers of one queued job, each sent its state first
    queued = await post(live, live.a.editor,
                        'mutation { enqueueJob(input: {kind: "noop"}) { job { id } } }')
    job_id = queued["data"]["enqueueJob"]["job"]["id"]
    first_states: list[asyncio.Event] = [asyncio.Event(), asyncio.Event()]

    async def follow(ready: asyncio.Event) -> list[dict[str, Any]]:
        seen = []
        async with ws(live, live.a.viewer) as session:
            async for result in session.subscribe(request(JOB_UPDATED, id=job_id)):
                seen.append(result["jobUpdated"])
                ready.set()
        return seen

    following = [asyncio.create_task(follow(ready)) for ready in first_states]
    for ready in first_states:
        await asyncio.wait_for(ready.wait(), 10)
    assert live.broker.feed_count == 1
    before = payloads()
    # when the job runs
    worker = Worker(committed_database, listen_dsn=None, settings=dev_settings().jobs,
                    store=LocalBlobStore(tmp_path))
    await worker.run_once()
    # then both see every change, executed once for both, and both end with the job
    for task in following:
        assert await asyncio.wait_for(task, 10) == [
            {"status": "QUEUED", "attempts": 0}, {"status": "RUNNING", "attempts": 1},
            {"status": "SUCCEEDED", "attempts": 1}]
    assert payloads() - before == 2
    # and one who subscribes after the end gets the final state and the end
    assert await asyncio.wait_for(follow(asyncio.Event()), 10) == [
        {"status": "SUCCEEDED", "attempts": 1}]
    await wait_until(lambda: live.broker.feed_count == 0)


def _never_aborted() -> None:
    raise AssertionError("aborted")


async def _test_publishes(feed: Any) -> None:
    """A feed's runner that publishes nothing itself: the test does."""
    await asyncio.Event().wait()


async def test_what_a_subscriber_sent_itself_is_not_sent_again(
    committed_database: EngineDatabase,
) -> None:
    # given a feed with a member whose own first state covered keys up to 2
    broker = Broker(committed_database, "unused")
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    shape = Shape(uuid4(), "viewer", "http://x", "subscription { x }", None, "{}")
    member = broker.join(shape, _test_publishes, frame=lambda payload: f"<{payload}>", send=send,
                         abort=_never_aborted)
    feed = member.feed
    # when the feed publishes keys 1, 2 and 3 while the member sends its first state, and 2
    # and 4 once it is live
    for key in (1, 2, 3):
        feed.key = key
        feed.publish(f"p{key}")
    member.skip = lambda key: key <= 2
    running = asyncio.create_task(member.run())
    await wait_until(lambda: len(sent) == 1)
    for key in (2, 4):
        feed.key = key
        feed.publish(f"p{key}")
    # then only what its first state did not cover is sent, framed, in order
    assert sent == ["<p3>", "<p4>"]
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # and its leaving ends the feed
    assert (broker.feed_count, broker.subscriber_count) == (0, 0)


async def test_a_member_that_falls_behind_is_dropped_alone(committed_database: EngineDatabase
                                                           ) -> None:
    # given two live members of one feed that keeps 2 payloads at most per member, one of
    # which has a socket that takes nothing
    broker = Broker(committed_database, "unused", max_queue=2)
    shape = Shape(uuid4(), "viewer", "http://x", "subscription { x }", None, "{}")

    async def stuck(text: str) -> None:
        await asyncio.Event().wait()

    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    aborted: list[str] = []
    slow = broker.join(shape, _test_publishes, frame=str, send=stuck,
                       abort=lambda: aborted.append("slow"))
    fast = broker.join(shape, _test_publishes, frame=str, send=send, abort=_never_aborted)
    slow_task = asyncio.create_task(slow.run())
    fast_task = asyncio.create_task(fast.run())
    await asyncio.sleep(0)
    before = dropped()
    # when the feed publishes four payloads
    for n in range(4):
        slow.feed.publish(f"p{n}")
    # then the other got all four as they came; the slow one, one blocked write and two
    # waiting later, is dropped and its connection aborted
    assert sent == ["p0", "p1", "p2", "p3"]
    assert (slow.error, dropped() - before, aborted) == (
        "subscriber fell 2 events behind; resume from a cursor", 1, ["slow"])
    assert slow.feed.members == {fast}
    for task in (slow_task, fast_task):  # the connections' handlers end them
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_member_whose_socket_blocks_sends_the_rest_in_order_once_it_takes_them(
    committed_database: EngineDatabase,
) -> None:
    # given a live member whose socket takes one payload, then blocks until it drains
    broker = Broker(committed_database, "unused")
    shape = Shape(uuid4(), "viewer", "http://x", "subscription { x }", None, "{}")
    drained = asyncio.Event()
    sent: list[str] = []

    async def send(text: str) -> None:
        if sent and not drained.is_set():
            await drained.wait()
        sent.append(text)

    member = broker.join(shape, _test_publishes, frame=str, send=send, abort=_never_aborted)
    running = asyncio.create_task(member.run())
    await asyncio.sleep(0)
    # when four payloads are published, and then the socket drains
    for n in range(4):
        member.feed.publish(f"p{n}")
    assert sent == ["p0"]
    drained.set()
    # then the blocked one and those after it follow, in order, and later ones are written
    # at once again
    await wait_until(lambda: len(sent) == 4)
    member.feed.publish("p4")
    assert sent == ["p0", "p1", "p2", "p3", "p4"]
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_a_member_still_sending_its_first_state_that_falls_behind_ends_with_an_error(
    committed_database: EngineDatabase,
) -> None:
    # given a member of a feed that keeps 2 payloads at most, still sending its first state
    broker = Broker(committed_database, "unused", max_queue=2)
    shape = Shape(uuid4(), "viewer", "http://x", "subscription { x }", None, "{}")

    async def send(text: str) -> None:
        raise AssertionError("nothing is sent")

    member = broker.join(shape, _test_publishes, frame=str, send=send, abort=_never_aborted)
    # when the feed publishes three payloads
    for n in range(3):
        member.feed.publish(f"p{n}")
    # then it is dropped, and once it goes live it ends with the error, its socket intact
    assert broker.feed_count == 0
    with pytest.raises(SubscriberTooSlow) as error:
        await member.run()
    assert (error.value.message, error.value.extensions) == (
        "subscriber fell 2 events behind; resume from a cursor", {"code": "TOO_SLOW"})


async def _stalled(live: LiveServer, token: str, topics: list[str]
                   ) -> websockets.ClientConnection:
    """A subscriber (sending the document as gql does, offering no compression) whose
    socket takes little and that reads nothing once subscribed."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    host, port = live.http.removeprefix("http://").split(":")
    await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
    connection = await websockets.connect(live.ws, sock=raw, subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
                                          max_queue=1, ping_interval=None, compression=None)
    await connection.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await connection.recv())["type"] == "connection_ack"
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": print_ast(parse(EVENTS)), "variables": {"topics": topics}}}))
    return connection


async def test_a_subscriber_whose_socket_stops_reading_is_dropped_and_holds_no_one_up(
    engine: AsyncEngine, committed_database: EngineDatabase,
) -> None:
    async with live_server(engine, committed_database, dev_settings(ws_max_backlog=3)) as live:
        # given a subscriber that stops reading, and one that reads, of the same document
        created = await post(live, live.a.editor, 'mutation { createAsset(input: '
                             '{type: "prop", name: "Lamp"}) { asset { id } } }')
        lamp = created["data"]["createAsset"]["asset"]["id"]
        stalled = await _stalled(live, live.a.viewer, ["asset.updated"])
        await wait_until(lambda: live.broker.subscriber_count == 1)
        count = 26  # its socket's buffers take ~21 of them here, its backlog 3
        reading = await first_events(live, live.a.viewer, count, topics=["asset.updated"])
        assert (live.broker.feed_count, live.broker.subscriber_count) == (1, 2)
        before = dropped()
        # when the asset's description changes, each event ~200 KB that compression cannot
        # shrink, more than its buffers hold
        for n in range(count):
            described = f"{n}-" + secrets.token_hex(49_000)
            updated = await post(live, live.a.editor, 'mutation ($id: ID!, $d: String) { '
                                 'updateAsset(input: {id: $id, description: $d}) '
                                 '{ errors { code } } }', {"id": lamp, "d": described})
            assert updated["data"] == {"updateAsset": {"errors": []}}
        # then the reader gets every change, and the stalled one is dropped
        seen = await asyncio.wait_for(reading, 30)
        assert [e["payload"]["changes"]["description"]["after"].split("-")[0] for e in seen] == [
            f"{n}" for n in range(count)]
        assert (dropped() - before, live.broker.subscriber_count) == (1, 0)
        # and its connection was aborted: reading again, it finds the changes its socket held,
        # then the end of the connection, with no close frame
        held = []
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            while True:
                message = json.loads(await asyncio.wait_for(stalled.recv(), 10))
                held.append(message["payload"]["data"]["events"]["payload"]["changes"]
                            ["description"]["after"].split("-")[0])
        assert held == [f"{n}" for n in range(len(held))]
        assert (closed.value.rcvd, closed.value.sent) == (None, None)


async def test_sharing_delivers_what_each_subscriber_gets_alone(
    engine: AsyncEngine, committed_database: EngineDatabase, live: LiveServer, tmp_path: Path,
) -> None:
    # given the same subscriptions on a server that shares them and on one that does not
    async with live_server(engine, committed_database, dev_settings(shared_subscriptions=False),
                           workspaces=(live.a, live.b)) as alone:
        queued = await post(live, live.a.editor,
                            'mutation { enqueueJob(input: {kind: "noop"}) { job { id } } }')
        job_id = queued["data"]["enqueueJob"]["job"]["id"]
        events = {server.http: await first_events(server, live.a.viewer, 4, topics=None)
                  for server in (live, alone)}
        jobs = {}
        for server in (live, alone):
            ready = asyncio.Event()

            async def follow(server: LiveServer = server, ready: asyncio.Event = ready
                             ) -> list[dict[str, Any]]:
                seen = []
                async with ws(server, live.a.viewer) as session:
                    async for result in session.subscribe(request(JOB_UPDATED, id=job_id)):
                        seen.append(result["jobUpdated"])
                        ready.set()
                return seen

            jobs[server.http] = asyncio.create_task(follow())
            await asyncio.wait_for(ready.wait(), 10)
        # when the job runs and assets are created
        await Worker(committed_database, listen_dsn=None, settings=dev_settings().jobs,
                     store=LocalBlobStore(tmp_path)).run_once()
        for name in ("First", "Second"):
            await post(live, live.a.editor, CREATE, {"n": name})
        # then both servers deliver the same messages
        shared, own = [await asyncio.wait_for(events[s.http], 10) for s in (live, alone)]
        assert [e["topic"] for e in shared] == ["job.updated"] * 2 + ["asset.created"] * 2
        assert shared == own
        assert [await asyncio.wait_for(jobs[s.http], 10) for s in (live, alone)] == [[
            {"status": "QUEUED", "attempts": 0}, {"status": "RUNNING", "attempts": 1},
            {"status": "SUCCEEDED", "attempts": 1}]] * 2

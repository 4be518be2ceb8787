"""Admission: a limit on requests in flight, a bounded wait, 503 past it, and a client that
leaves cancels its request. Driven through the ASGI interface with real tasks and timers."""

import asyncio
import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from api.admission import Admission

SCOPE: Scope = {"type": "http", "path": "/graphql", "method": "POST", "headers": []}


class Handler:
    """An app that reads the body, then holds its request until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0
        self.cancelled = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        self.started += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class Client:
    """One request: its body, then (optionally) a disconnect after `leave_after` seconds."""

    def __init__(self, leave_after: float | None = None) -> None:
        self.leave_after = leave_after
        self.sent: list[Message] = []
        self._body_given = False

    async def receive(self) -> Message:
        if not self._body_given:
            self._body_given = True
            return {"type": "http.request", "body": b"{}", "more_body": False}
        if self.leave_after is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.leave_after or 0)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"),
                    None)


def _start(app: Admission, client: Client) -> "asyncio.Task[None]":
    return asyncio.ensure_future(app(dict(SCOPE), client.receive, client.send))


async def test_past_the_limit_requests_wait_then_past_the_queue_get_503() -> None:
    # given one request in flight and room for one more to wait
    handler = Handler()
    app = Admission(handler, limit=1, queue=1, wait_seconds=5)
    first, second, third = Client(), Client(), Client()
    tasks = [_start(app, first), _start(app, second)]
    await asyncio.sleep(0.05)
    # when a third arrives
    await _start(app, third)
    # then it is refused at once with a GraphQL-shaped 503 and Retry-After
    assert third.sent[0] == {"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", b"5")]}
    assert json.loads(third.sent[1]["body"]) == {"errors": [{
        "message": "the server is busy: retry later", "extensions": {"code": "OVERLOADED"}}]}
    # and the waiting one is served once the first finishes
    assert (handler.started, first.status, second.status) == (1, None, None)
    handler.release.set()
    await asyncio.gather(*tasks)
    assert (handler.started, first.status, second.status, app.in_flight) == (2, 200, 200, 0)


async def test_a_request_that_waits_too_long_gets_503() -> None:
    # given a request holding the only slot
    handler = Handler()
    app = Admission(handler, limit=1, queue=10, wait_seconds=0.1)
    holder = _start(app, Client())
    await asyncio.sleep(0.02)
    # when another waits past the deadline
    late = Client()
    await _start(app, late)
    # then it is answered 503 and the queue is empty again
    assert (late.status, len(app._waiting)) == (503, 0)
    handler.release.set()
    await holder
    assert app.in_flight == 0


async def test_a_client_that_leaves_cancels_its_request_and_frees_its_slot() -> None:
    # given a request whose client disconnects while it is being served
    handler = Handler()
    app = Admission(handler, limit=1, queue=1, wait_seconds=5)
    leaver, next_in_line = Client(leave_after=0.05), Client()
    tasks = [_start(app, leaver), _start(app, next_in_line)]
    # when the client is gone
    await asyncio.wait_for(tasks[0], 2)
    # then the handler was cancelled, nothing was sent, and the slot passed on
    assert (handler.cancelled, leaver.sent) == (1, [])
    await asyncio.sleep(0.02)
    assert handler.started == 2
    handler.release.set()
    await asyncio.wait_for(tasks[1], 2)
    assert (next_in_line.status, app.in_flight) == (200, 0)


async def test_other_paths_and_sockets_are_not_admitted() -> None:
    # given a full server
    handler = Handler()
    app = Admission(handler, limit=1, queue=0, wait_seconds=1)
    holder = _start(app, Client())
    await asyncio.sleep(0.02)
    seen: list[Any] = []

    async def health(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])

    app.app = health
    # when a health check arrives
    await app({"type": "http", "path": "/readyz", "headers": []}, Client().receive,
              Client().send)
    # then it passes without waiting
    assert seen == ["/readyz"]
    app.app = handler
    handler.release.set()
    await holder

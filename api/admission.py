"""Admission: load is admitted, not queued forever (DESIGN §2).

A process serves at most `limit` requests at once. Up to `queue` more wait, in arrival order,
each at most `wait` seconds; past that the answer is HTTP 503 with `Retry-After` and a
GraphQL-shaped body. A burst then queues briefly instead of interleaving hundreds of requests
whose latencies all grow together, and the connection pool is never oversubscribed.

A client that disconnects cancels its request: once the body has been read, the middleware
listens for `http.disconnect` and cancels the handler, whose transaction rolls back and whose
connection goes back to the pool. (A request whose body is never read is not watched.)
"""

import asyncio
import json
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observe import error_extensions


def _busy() -> bytes:
    return json.dumps({"errors": [{"message": "the server is busy: retry later",
                                   "extensions": error_extensions("OVERLOADED")}]}).encode()


class Admission:
    def __init__(self, app: ASGIApp, *, limit: int, queue: int, wait_seconds: float,
                 paths: tuple[str, ...] = ("/graphql", "/files")) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.paths = paths
        self.in_flight = 0
        self._waiting: deque[asyncio.Future[bool]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(max(1, round(self.wait_seconds))).encode())]})
            await send({"type": "http.response.body", "body": _busy()})
            return
        try:
            await _cancel_on_disconnect(self.app, scope, receive, send)
        finally:
            self._release()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def _admit(self) -> bool:
        if self.in_flight < self.limit and not self._waiting:
            self.in_flight += 1
            return True
        if len(self._waiting) >= self.queue:
            return False
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(turn)
        timer = loop.call_later(self.wait_seconds, self._expire, turn)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.result():
                self._release()  # the slot came as the client left: pass it on
            raise
        finally:
            timer.cancel()
            if turn in self._waiting:
                self._waiting.remove(turn)

    def _expire(self, turn: asyncio.Future[bool]) -> None:
        if not turn.done():
            turn.set_result(False)

    def _release(self) -> None:
        """A finished request hands its slot to the longest waiter, if any."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(True)
                return
        self.in_flight -= 1


async def _cancel_on_disconnect(app: ASGIApp, scope: Scope, receive: Receive,
                                send: Send) -> None:
    """Run the request in this task; once its body is read, one watcher task waits for the
    client to leave and cancels this one."""
    task = asyncio.current_task()
    assert task is not None
    gone = asyncio.Event()
    watcher: asyncio.Future[None] | None = None
    left = False

    async def watch() -> None:
        nonlocal left
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            left = True
            task.cancel()

    async def app_receive() -> Message:
        nonlocal watcher
        if watcher is not None:  # after the body only a disconnect can come
            await gone.wait()
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
        elif not message.get("more_body", False):
            watcher = asyncio.ensure_future(watch())
        return message

    try:
        await app(scope, app_receive, send)
    except asyncio.CancelledError:
        if not left or task.uncancel() > 0:
            raise  # cancelled from elsewhere (server shutdown), not by the client leaving
    finally:
        if watcher is not None:
            watcher.cancel()

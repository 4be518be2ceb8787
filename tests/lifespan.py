"""Runs an app's lifespan in-process, as a server would, for clients on `httpx.ASGITransport`
(which sends no lifespan events of its own).

The state the lifespan yields reaches every request and socket as a shallow copy, as the
ASGI lifespan spec asks of servers, so what one request puts in its `state` stays its own.
"""

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """The app with its lifespan started, stopped when the block ends."""
    state: MutableMapping[str, Any] = {}
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                 "state": state}
        await app(scope, to_app.get, from_app.put)

    lifespan = asyncio.create_task(run())

    async def reply(expected: str) -> None:
        message = await from_app.get()
        if message["type"] != expected:
            await asyncio.gather(lifespan, return_exceptions=True)
            raise RuntimeError(f"lifespan: {message.get('message') or message['type']}")

    await to_app.put({"type": "lifespan.startup"})
    await reply("lifespan.startup.complete")

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    try:
        yield with_state
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await reply("lifespan.shutdown.complete")
        await lifespan

"""WebSocket connections (graphql-transport-ws and the legacy graphql-ws): their limits, and
queries and mutations over them.

- A connection that has not sent `connection_init` within `ASSETGRAPH_WS_INIT_TIMEOUT_SECONDS`
  is closed: 4408 on both protocols (strawberry does it for graphql-transport-ws; the legacy
  handler below does it for graphql-ws).
- At most `ASSETGRAPH_WS_MAX_OPERATIONS` operations run at once on one connection (strawberry
  answers the protocol's error, "Subscription limit reached", to one more), and at most
  `ASSETGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN` connections per caller are open in a process
  (`Connections`): one more is refused at `connection_init` with the protocol's error.
- Over graphql-transport-ws, which allows any operation, a query or a mutation runs in its own
  `EventScope`: a transaction of its own, read-only for a query, committed before its result
  is sent unless the result's `data` is null (schema.schema.TransactionMode), rolled back
  otherwise. The legacy graphql-ws serves subscriptions only (strawberry answers anything else
  with the protocol's `error`); clients that need both use graphql-transport-ws.
- A subscription, with `ASSETGRAPH_SHARED_SUBSCRIPTIONS` on (the default), joins the shared
  feed of its shape (api.realtime): its task sends its own first state or replay through
  strawberry, then the feed writes its payloads in the protocol's frame straight to the
  server (`_share`, `DirectSockets`). The feed runs the same document through the same
  schema once, in a copy of the first subscriber's context.
"""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, replace
from typing import Any

from graphql import GraphQLError, OperationType
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from api.realtime import Broker, Feed, Shape
from schema.context import JOIN_FEED, EventScope, SubscriptionContext
from schema.cost import operation_of
from schema.documents import Documents

INIT_TIMEOUT_CODE = 4408
log = logging.getLogger("assetgraph.sockets")


class Connections:
    """Open WebSocket connections per caller (actor), in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def open(self, actor: str) -> bool:
        """Count one more connection of `actor`; False (nothing counted) past the limit."""
        if self._open[actor] >= self.limit:
            return False
        self._open[actor] += 1
        return True

    def close(self, actor: str) -> None:
        self._open[actor] -= 1
        if self._open[actor] <= 0:
            del self._open[actor]


def _operation_type(documents: Documents, query: Any, operation_name: Any
                    ) -> OperationType | None:
    if not isinstance(query, str):
        return None
    try:
        document = documents.parse(query)
    except GraphQLError:
        return None
    operation = operation_of(document, operation_name if isinstance(operation_name, str)
                             else None)
    return None if operation is None else operation.operation


def _payload(result: ExecutionResult) -> dict[str, Any]:
    """A result as both protocols' `next`/`data` payload (as strawberry builds it)."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


def _share(handler: Any, query: str, variables: Any, operation_name: str | None,
           frame: Callable[[str], str]) -> None:
    """Make this subscription's task join its shape's feed when its resolver goes live."""
    context = handler.context
    if not isinstance(context, SubscriptionContext) or context.principal is None \
            or not isinstance(context.events, Broker):
        return
    direct: Direct | None = handler.websocket.ws.scope.get(DIRECT)
    if direct is None:
        log.warning("no DirectSockets in front of the app: subscriptions are not shared")
        return
    principal = context.principal
    shape = Shape(principal.workspace_id, principal.role.value, context.base_url, query,
                  operation_name, json.dumps(variables or {}, sort_keys=True))
    schema: BaseSchema = handler.schema
    encode = handler.view.encode_json
    broker = context.events

    async def run(feed: Feed) -> None:
        results = await schema.subscribe(query, variable_values=variables,
                                         context_value=replace(context, feed=feed),
                                         operation_name=operation_name)
        if isinstance(results, ExecutionResult):
            raise RuntimeError(f"the shared subscription did not start: {results.errors}")
        async with aclosing(results):
            async for result in results:
                if isinstance(result, PreExecutionError):
                    raise RuntimeError(f"the shared subscription was refused: {result.errors}")
                encoded = encode(_payload(result))
                feed.publish(encoded if isinstance(encoded, str) else encoded.decode())

    async def send(text: str) -> None:
        await direct.send({"type": "websocket.send", "text": text})

    JOIN_FEED.set(lambda: broker.join(shape, run, frame=frame, send=send, abort=direct.abort))


DIRECT = "assetgraph.direct"


@dataclass(frozen=True)
class Direct:
    send: Send  # the server's own: no middleware's wrapper on the way
    abort: Callable[[], None]


class DirectSockets:
    """Gives a WebSocket's scope the server's own `send` and a way to drop its connection at
    once, unsent bytes and all (`scope[DIRECT]`). Shared feeds write each frame through the
    first (a feed writes to thousands of sockets per event: each layer on the way counts)
    and drop a subscriber whose socket is not read with the second: such a socket can take
    no close frame, and uvicorn's own close (its keepalive's too) waits for the unsent bytes.
    The `send` uvicorn passes is a method of its protocol, which holds the transport; this
    comes before any middleware that wraps `send`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None and hasattr(transport, "abort"):
                scope[DIRECT] = Direct(send, transport.abort)
        await self.app(scope, receive, send)


async def _in_scope(handler: Any, query: Any, operation_name: Any, variables: Any,
                    frame: Callable[[str], str], run: Any) -> None:
    """Run `run()`: in an `EventScope` of its own when it is a query or a mutation; sharing
    its shape's feed when it is a subscription and subscriptions are shared."""
    context = handler.context
    kind = _operation_type(handler.view.documents, query, operation_name)
    if kind == OperationType.SUBSCRIPTION and handler.view.settings.shared_subscriptions:
        _share(handler, query, variables, operation_name, frame)
    if (not isinstance(context, SubscriptionContext) or context.principal is None
            or kind not in (OperationType.QUERY, OperationType.MUTATION)):
        await run()
        return
    scope = EventScope.begin(context.database, context.principal,
                             writes=kind == OperationType.MUTATION)
    try:
        await run()
    finally:
        await scope.end()  # a no-op once TransactionMode has finished it


def _frame(operation_id: str, kind: str) -> Callable[[str], str]:
    """A payload (JSON text) in the protocol's message for this operation."""
    head = '{"id":' + json.dumps(operation_id) + ',"type":"' + kind + '","payload":'
    return lambda payload: head + payload + "}"


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        await _in_scope(self, operation.query, operation.operation_name, operation.variables,
                        _frame(operation.id, "next"),
                        lambda: super(TransportWSHandler, self).run_operation(operation))


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws with the init timeout graphql-transport-ws has."""

    async def handle_async_results(self, operation_id: str, query: str,
                                   operation_name: str | None,
                                   variables: dict[str, object] | None) -> None:
        await _in_scope(self, query, operation_name, variables, _frame(operation_id, "data"),
                        lambda: super(LegacyWSHandler, self).handle_async_results(
                            operation_id, query, operation_name, variables))

    async def handle(self) -> None:
        timer = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            timer.cancel()
            with suppress(asyncio.CancelledError):
                await timer

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            with suppress(Exception):  # the client may be gone already
                await self.websocket.close(code=INIT_TIMEOUT_CODE,
                                           reason="Connection initialisation timeout")

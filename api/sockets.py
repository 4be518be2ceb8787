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
"""

import asyncio
from collections import Counter
from contextlib import suppress
from typing import Any

from graphql import GraphQLError, OperationType
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.context import EventScope, SubscriptionContext
from schema.cost import operation_of
from schema.documents import Documents

INIT_TIMEOUT_CODE = 4408


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


async def _in_scope(context: Any, documents: Documents, query: Any, operation_name: Any,
                    run: Any) -> None:
    """Run `run()`, in an `EventScope` of its own when it is a query or a mutation."""
    kind = _operation_type(documents, query, operation_name)
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


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        await _in_scope(self.context, self.view.documents,  # type: ignore[attr-defined]
                        operation.query, operation.operation_name,
                        lambda: super(TransportWSHandler, self).run_operation(operation))


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws with the init timeout graphql-transport-ws has."""

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

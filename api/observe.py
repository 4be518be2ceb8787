"""Observation of each HTTP request: its id, its one log line, its metrics.

`Observe` is the outermost middleware and does O(1) work per request: it takes the id from a
sane incoming `X-Request-Id` or makes one, counts the request's SQL statements (through
`domain.db.counted_statements`), adds `X-Request-Id` to the response's start message (no body
is read or buffered) and, when the request ends, writes one log line and, for `/graphql`,
the request metrics. The GraphQL view tells it the operation's name and whether the response
carried errors (`current_request`).

The log line never holds headers, the query string or the body: no token, no variable.
"""

import itertools
import logging
import re
import secrets
import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import RequestMetrics
from domain.db import Statements, counted_statements

log = logging.getLogger("assetgraph.request")
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Unique without a system call per request: a random prefix per process, then a counter.
_PREFIX = secrets.token_hex(6)
_COUNTER = itertools.count(1)


class RequestRecord:
    """What one request's observers learn about it while it runs."""

    __slots__ = ("errors", "id", "operation", "statements", "status")

    def __init__(self, request_id: str) -> None:
        self.id = request_id
        self.operation: str | None = None
        self.errors = False
        self.status: int | None = None
        self.statements = Statements()


_current: ContextVar[RequestRecord | None] = ContextVar("request", default=None)


def current_request() -> RequestRecord | None:
    return _current.get()


def error_extensions(code: str) -> dict[str, str]:
    """A top-level error's `extensions`: its code, and the id of the request it answers."""
    request = _current.get()
    return {"code": code} if request is None else {"code": code, "requestId": request.id}


def outcome(status: int | None, errors: bool) -> str:
    """`ok`, `errors` (GraphQL errors, any other 4xx/5xx, a failure), `refused` (503 from
    admission), `unauthenticated` (401), or `cancelled` (the client left first)."""
    if status is None:
        return "cancelled"
    if status == 503:
        return "refused"
    if status == 401:
        return "unauthenticated"
    return "errors" if errors or status >= 400 else "ok"


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(given):
                return given
            break
    return f"{_PREFIX}-{next(_COUNTER):x}"


class Observe:
    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics,
                 metered: str = "/graphql") -> None:
        self.app = app
        self.metrics = metrics
        self.metered = metered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_request_id(scope))
        header = (b"x-request-id", record.id.encode())

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        started = time.perf_counter()
        request_token = _current.set(record)
        statements_token = counted_statements.set(record.statements)
        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            record.errors = True
            if record.status is None:
                record.status = 500  # what the server's error handler answers
            raise
        finally:
            counted_statements.reset(statements_token)
            _current.reset(request_token)
            self._finished(scope, record, time.perf_counter() - started)

    def _finished(self, scope: Scope, record: RequestRecord, seconds: float) -> None:
        result = outcome(record.status, record.errors)
        path = scope["path"]
        if path == self.metered:
            self.metrics.observe(record.operation, result, seconds, record.statements.count)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"fields": {
                "requestId": record.id, "method": scope["method"], "path": path,
                "operation": record.operation, "status": record.status, "outcome": result,
                "durationMs": round(seconds * 1000, 2), "statements": record.statements.count,
            }})

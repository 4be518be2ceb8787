"""The /graphql endpoint: strawberry's ASGI view bound to the request model of DESIGN §2.

Each HTTP request authenticates (from the per-process cache of `api.auth`), gets its
transaction (`domain.db.RequestTransaction`, which owns every stage of it) and fresh
dataloaders, and ends by committing what its response reports or rolling back. The database
and the event fan-out come from the lifespan's state (`request.state`, `websocket.state`).
A query the database can answer whole goes the compiled read path (`schema.compiled`): one
statement, its JSON spliced into the response, its plan remembered by body and by document
(`PreparedReads`, `ByIdTemplates`); everything else runs through strawberry's resolvers.
Every response reports its cost (`schema.cost`), charged to the caller's cost budget. Every
refusal is a JSON body. GraphiQL is served from files in the package, never a CDN.

It tells the request's observer (`api.observe`) the operation's name and whether errors were
answered, and puts the request's id in every error's `extensions.requestId`.
"""

import contextlib
import ipaddress
import json
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.auth import Authenticator
from api.blobs import open_blob_store
from api.boundary import BoundaryError, parse_body
from api.links import base_url
from api.metrics import INVALID, operation_label
from api.observe import current_request, error_extensions
from api.ratelimit import RateLimiter
from api.settings import Settings
from api.sockets import Connections, LegacyWSHandler, TransportWSHandler
from domain.db import Database, RequestTransaction
from domain.file_urls import FileLinks
from schema import compiled
from schema.context import Context, EventSource, Limits, SubscriptionContext
from schema.cost import estimate
from schema.dataloaders import Loaders
from schema.documents import Documents
from schema.schema import Schema

GRAPHIQL_PAGE = (Path(__file__).parent / "static" / "graphiql.html").read_text()


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: Schema,
        *,
        settings: Settings,
        authenticator: Authenticator,
    ) -> None:
        super().__init__(
            schema, graphql_ide="graphiql" if settings.graphiql else None,
            multipart_uploads_enabled=True,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_operations)
        self.connections = Connections(settings.ws_max_connections_per_token)
        self.settings = settings
        self.authenticator = authenticator
        self.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
        self.cost_limiter = RateLimiter(settings.cost_limit_per_minute)
        self.documents = schema.documents
        self.prepared = compiled.PreparedReads()
        self.templates = compiled.ByIdTemplates()
        self.max_cost = schema.max_cost
        self.store = open_blob_store(settings)
        self.limits = Limits(
            max_page_size=settings.limits.max_page_size,
            max_lineage_depth=settings.limits.max_lineage_depth,
            max_upload_bytes=settings.max_upload_bytes,
            max_image_pixels=settings.max_image_pixels,
            provider_costs=settings.jobs.cost_estimates, default_provider=settings.provider,
            max_queued_jobs=settings.max_queued_jobs,
        )

    async def run(
        self, request: Any, context: Any = UNSET, root_value: Any = UNSET
    ) -> Any:
        """Every refusal strawberry makes of a malformed request (not JSON, no query, a batch,
        an unsupported content type or method, a mutation over GET) is a JSON body too."""
        try:
            return await self._serve(request, context, root_value)
        except HTTPException as error:
            return JSONResponse({"errors": [{"message": error.reason,
                                             "extensions": error_extensions("BAD_REQUEST")}]},
                                status_code=error.status_code)

    async def _serve(self, request: Any, context: Any, root_value: Any) -> Any:
        if isinstance(request, WebSocket):
            try:
                return await super().run(request, context, root_value)
            finally:
                opened = getattr(request.state, "socket_context", None)
                if opened is not None and opened.counted_as is not None:
                    self.connections.close(opened.counted_as)
        if not isinstance(request, Request) or self._shows_graphiql(request):
            return await super().run(request, context, root_value)
        if request.method == "GET" and "query" not in request.query_params:
            return JSONResponse(self._get_without_query(), status_code=400)
        if _is_multipart(request) and not _preflighted(request):
            # A browser can send a multipart form cross-site without a preflight: refuse it
            # unless a header that forces one is there (the GraphQL multipart request spec).
            return JSONResponse({"errors": [{
                "message": "multipart requests need an Apollo-Require-Preflight or "
                           "X-Requested-With header", "extensions": error_extensions("CSRF")}]},
                status_code=400)
        database: Database = request.state.database
        auth = await self.authenticator.authenticate(database,
                                                     request.headers.get("authorization"))
        if auth.principal is None:
            return JSONResponse(
                {"errors": [{"message": auth.problem,
                             "extensions": error_extensions("UNAUTHENTICATED")}]},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        for limiter, what, take in ((self.rate_limiter, "requests", 1),
                                    (self.cost_limiter, "cost points", 0)):
            waiting = limiter.wait(auth.principal.actor, take)
            if waiting is not None:
                return JSONResponse(
                    {"errors": [{"message": f"more than {limiter.per_minute} {what} a minute "
                                            "with this token: retry later",
                                 "extensions": error_extensions("RATE_LIMITED")}]},
                    status_code=429, headers={"Retry-After": str(math.ceil(waiting))})
        transaction = RequestTransaction.open(
            database, workspace_id=auth.principal.workspace_id, actor=auth.principal.actor,
            statement_timeout_ms=self.settings.statement_timeout_ms)
        files = FileLinks(base_url(self.settings.public_url, request),
                          auth.principal.workspace_id, request.state.signer)
        context = Context(principal=auth.principal, transaction=transaction,
                          loaders=Loaders(transaction.tx), limits=self.limits, store=self.store,
                          files=files)
        request.state.context = context  # for process_result
        try:
            body = await _json_body(request)
            try:
                await _check_other_transports(request, self.settings.max_variables_depth)
                data = await self._compiled_read(body, context)
            except BoundaryError as error:
                return JSONResponse({"errors": [{"message": error.refused.message, "extensions": {
                    **error_extensions("INVALID"), "field": error.refused.field}}]},
                    status_code=400)
            except _Refused as refused:
                return JSONResponse({"errors": [{"message": str(refused),
                                                 "extensions": error_extensions("BAD_REQUEST")}]},
                                    status_code=400)
            if data is not None:
                return Response(data, media_type="application/json")
            return await super().run(request, context, root_value)
        finally:
            await transaction.abandon()

    async def _compiled_read(self, body: bytes | None, context: Context) -> bytes | None:
        """The response to a JSON POST the compiled read path can answer, else None.

        Raises `BoundaryError` or `_Refused` for a body no path may run."""
        principal = context.principal
        if body is None or principal is None:
            return None
        prepared = self.prepared.get(body, principal)
        if prepared is None:
            posted = _posted(body, max_depth=self.settings.max_variables_depth)
            refusal = _refusal(self.documents, posted)
            if refusal is not None:
                raise _Refused(refusal)
            if not self.settings.compiled_reads or posted is None:
                return None
            document = self.documents.valid(posted.query)
            _note_operation(document, posted.operation_name)
            if document is None:
                return None
            schema = self.documents.schema
            cost = estimate(schema, document, posted.operation_name, posted.variables,
                            page_size=self.limits.max_page_size)
            if cost is None or cost > self.max_cost:
                return None  # the resolver path refuses it, with the same words
            query = self.templates.get(posted.query, document, posted.operation_name,
                                       posted.variables, principal)
            if query is None:
                query = compiled.prepare(schema, document, posted.operation_name,
                                         posted.variables, limits=self.limits,
                                         principal=principal)
                if query is None:
                    return None
                self.templates.learn(posted.query, document, posted.operation_name,
                                     posted.variables, principal, query)
            prepared = compiled.Prepared(query, cost)
            self.prepared.put(body, principal, prepared)
        else:
            _note_name(prepared.query.operation_name)
        data = await self.read_compiled(prepared.query, context)
        if data is None:
            return None
        self.cost_limiter.charge(principal.actor, prepared.cost)
        return b'{"data":%s,"extensions":{"cost":%d}}' % (data.encode(), prepared.cost)

    async def read_compiled(self, query: compiled.CompiledQuery, context: Context
                            ) -> str | None:
        """The answer of a query the compiled read path took on (a hook for tracing)."""
        return await query.run(context.tx, download_prefix=context.files.download_prefix)

    async def get_context(self, request: Any, response: Any) -> Any:
        """WebSockets get a `SubscriptionContext`; its principal comes from the handshake's
        Authorization header, or later from the connection_init payload."""
        if not isinstance(request, WebSocket):
            return await super().get_context(request, response)
        context = SubscriptionContext(database=request.state.database,
                                      events=_events(request), limits=self.limits,
                                      store=self.store,
                                      base_url=base_url(self.settings.public_url, request),
                                      signer=request.state.signer)
        if request.headers.get("authorization"):
            auth = await self.authenticator.authenticate(context.database,
                                                         request.headers["authorization"])
            context.principal = auth.principal
        request.state.socket_context = context  # for `run`, once the socket ends
        return context

    async def on_ws_connect(self, context: Any) -> Any:
        if context.principal is None:
            params = context.connection_params or {}
            header = params.get("Authorization") or params.get("authorization") \
                if isinstance(params, dict) else None
            auth = await self.authenticator.authenticate(
                context.database, header if isinstance(header, str) else None)
            if auth.principal is None:
                raise ConnectionRejectionError({"message": auth.problem,
                                                "code": "UNAUTHENTICATED"})
            context.principal = auth.principal
        if context.counted_as is None:
            if not self.connections.open(context.principal.actor):
                raise ConnectionRejectionError({
                    "message": f"more than {self.connections.limit} connections open with this "
                               "token: close one first", "code": "TOO_MANY_CONNECTIONS"})
            context.counted_as = context.principal.actor
        return await super().on_ws_connect(context)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            try:  # parsed once: the schema's document cache keeps it for execution
                document = self.documents.parse(data.query) if data.query else None
            except GraphQLError:
                document = None
            _note_operation(document, data.operation_name)
        return data

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        """Stage 3 of the request's transaction: commit unless `data` is null."""
        context: Context = request.state.context
        await context.transaction.finish(result.data)
        cost = (result.extensions or {}).get("cost")
        if isinstance(cost, int) and context.principal is not None and not any(
                (e.extensions or {}).get("code") == "COST_LIMIT" for e in result.errors or ()):
            self.cost_limiter.charge(context.principal.actor, cost)
        response = await super().process_result(request, result)
        observed = current_request()
        if result.errors and observed is not None:
            observed.errors = True
            for error in response.get("errors") or ():
                if isinstance(error, dict):
                    error.setdefault("extensions", {})["requestId"] = observed.id
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # Unlike strawberry, a browser gets the page for a `?query=` link too: the link fills
        # the editors instead of running.
        return self._shows_graphiql(request)

    def _shows_graphiql(self, request: BaseRequestProtocol | Request) -> bool:
        return (self.graphql_ide is not None and request.method == "GET"
                and "text/html" in request.headers.get("accept", ""))

    def _get_without_query(self) -> dict[str, Any]:
        ways = ("send a POST with a JSON body {query, variables} (Content-Type: "
                "application/json), a GET with ?query=")
        ways += ", or open this URL in a browser for GraphiQL" if self.graphql_ide else ""
        return {"errors": [{"message": f"This is a GraphQL endpoint: {ways}.",
                            "extensions": {"code": "BAD_REQUEST"}}]}

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # The page hands out an admin token: only to a browser on this machine.
        local = request.client is not None and _is_loopback(request.client.host)
        token = request.state.dev_token if self.settings.development and local else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        page = GRAPHIQL_PAGE.replace("__FETCHER_HEADERS__", json.dumps(headers)).replace(
            "__DEFAULT_HEADERS__", json.dumps(json.dumps(headers, indent=2))
        )
        return HTMLResponse(page)


def _note_operation(document: DocumentNode | None, given: str | None) -> None:
    """The operation's name for the request's log line and metrics: the one asked for, else
    the name of the document's only operation."""
    name = given if isinstance(given, str) else None
    if name is None and document is not None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) == 1 and operations[0].name is not None:
            name = operations[0].name.value
    _note_name(name)


def _note_name(name: str | None) -> None:
    observed = current_request()
    if observed is None or name is None:
        return
    observed.operation = INVALID if operation_label(name) == INVALID else name


def _events(websocket: WebSocket) -> EventSource:
    broker: EventSource | None = websocket.state.broker
    if broker is None:
        raise RuntimeError("realtime is not running")
    return broker


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Posted:
    """A well-formed JSON POST's GraphQL request."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


class _Refused(Exception):
    """A valid document that cannot run over HTTP as asked (`_refusal`)."""


async def _json_body(request: Request) -> bytes | None:
    """The body of a JSON POST, or None for any other request."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
            "application/json"):
        return None
    return await request.body()


def _posted(body: bytes, *, max_depth: int) -> Posted | None:
    """The GraphQL request of a JSON POST's body, or None (strawberry reports what is
    malformed); raises `BoundaryError` for what no request may hold (`api.boundary`)."""
    try:
        parsed = parse_body(body, max_depth=max_depth)
    except ValueError:
        return None
    if parsed is None or isinstance(parsed, bool | int | float | str):
        raise _Refused("the body must be a JSON object: {query, variables, operationName}")
    if not isinstance(parsed, dict) or not isinstance(parsed.get("query"), str):
        return None
    variables, operation_name = parsed.get("variables"), parsed.get("operationName")
    if not (variables is None or isinstance(variables, dict)) or not (
            operation_name is None or isinstance(operation_name, str)):
        return None
    return Posted(parsed["query"], variables, operation_name)


def _refusal(documents: Documents, posted: Posted | None) -> str | None:
    """Why a valid document cannot run over HTTP: an operation name it does not have, several
    operations and no name, or a subscription (which needs a socket); None when it can."""
    document = None if posted is None else documents.valid(posted.query)
    if posted is None or document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if posted.operation_name is not None:
        chosen = [o for o in operations
                  if o.name is not None and o.name.value == posted.operation_name]
        if not chosen:
            return f"the document has no operation named {posted.operation_name!r}"
    elif len(operations) > 1:
        return "the document has several operations: say which in operationName"
    else:
        chosen = operations
    if chosen and chosen[0].operation == OperationType.SUBSCRIPTION:
        return ("subscriptions are served over WebSocket at /graphql (graphql-transport-ws or "
                "graphql-ws), not over HTTP")
    return None


async def _check_other_transports(request: Request, max_depth: int) -> None:
    """What a GET's `variables` or a multipart request's `operations` carries as JSON goes
    through the same input boundary as a JSON body; raises `BoundaryError`. A multipart form
    is parsed once: strawberry reads the same parsed form afterwards."""
    if request.method == "GET":
        variables = request.query_params.get("variables")
        given = None if variables is None else '{"variables":' + variables + "}"
    elif _is_multipart(request):
        operations = (await request.form()).get("operations")
        given = operations if isinstance(operations, str) else None
    else:
        return
    if given is not None:
        with contextlib.suppress(ValueError):  # not JSON: strawberry reports it
            parse_body(given.encode(), max_depth=max_depth)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def _preflighted(request: Request) -> bool:
    return bool(request.headers.get("apollo-require-preflight")
                or request.headers.get("x-requested-with"))

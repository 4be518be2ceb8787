"""The per-request context: who is asking, the request's transaction, its loaders, its limits."""

from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from strawberry.types import Info as StrawberryInfo

from domain.access import Principal
from domain.db import Database, RequestTransaction, Transaction
from domain.file_urls import FileLinks, FileUrlSigner
from domain.records import EventRecord
from domain.storage import BlobStore
from schema.dataloaders import Loaders


@dataclass(frozen=True)
class Limits:
    """Built from the API's settings, which own the defaults."""

    max_page_size: int
    max_lineage_depth: int
    max_upload_bytes: int
    max_image_pixels: int
    # What a generation is estimated to cost, by provider (what budgets reserve at enqueue),
    # and the provider a job without one uses.
    provider_costs: tuple[tuple[str, Decimal], ...] = ()
    default_provider: str = "placeholder"
    max_queued_jobs: int | None = None  # per workspace; None: no bound

    def estimated_cost(self, provider: str | None) -> Decimal:
        return dict(self.provider_costs).get(provider or self.default_provider, Decimal(0))


@dataclass
class Context:
    principal: Principal | None
    transaction: RequestTransaction
    loaders: Loaders
    limits: Limits
    store: BlobStore
    files: FileLinks

    @property
    def tx(self) -> Transaction:
        """What resolvers read and write through; its lifecycle is `transaction`'s."""
        return self.transaction.tx


Info = StrawberryInfo[Context, None]


class EventStream(Protocol):
    def __aiter__(self) -> AsyncIterator[EventRecord]: ...

    def close(self) -> None: ...


class EventSource(Protocol):
    """The process's event fan-out (api.realtime.Broker)."""

    def subscribe(self, workspace_id: UUID) -> EventStream: ...


class Publishing(Protocol):
    """The shared feed a subscription's execution serves (api.realtime.Feed): it reads
    `events` and says each value's `key` before yielding it."""

    key: Any

    @property
    def events(self) -> EventStream: ...


class Membership(Protocol):
    """A subscriber's place in its shape's feed (api.realtime.Member): the feed's payloads,
    held from the moment it joined until `run` sends them; `skip` passes over those whose
    key the subscriber's own first state or replay already covered."""

    skip: Callable[[Any], bool] | None

    async def run(self) -> None: ...

    def leave(self) -> None: ...


# Set by the socket handler in a subscription's task when subscriptions are shared: joins
# the feed of the operation's shape (api.sockets).
JOIN_FEED: ContextVar[Callable[[], Membership] | None] = ContextVar("assetgraph_join_feed",
                                                                    default=None)


_scope: ContextVar["EventScope | None"] = ContextVar("assetgraph_event_scope", default=None)


class EventScope:
    """The short transaction and fresh loaders one subscription event resolves with, or one
    query or mutation sent over a socket (`writes`: a mutation's)."""

    def __init__(self, database: Database, principal: Principal, *, writes: bool = False
                 ) -> None:
        self.tx = Transaction(database, workspace_id=principal.workspace_id,
                              actor=principal.actor, readonly=not writes)
        self.loaders = Loaders(self.tx)

    @classmethod
    def begin(cls, database: Database, principal: Principal, *, writes: bool = False
              ) -> "EventScope":
        """Make a new scope current for this operation's task (each operation has its own)."""
        scope = cls(database, principal, writes=writes)
        _scope.set(scope)
        return scope

    @staticmethod
    def current() -> "EventScope | None":
        return _scope.get()

    async def finish(self, data: object) -> None:
        """Commit unless the result's `data` is null (as `RequestTransaction.finish`)."""
        await self.tx.close(commit=data is not None)

    async def end(self) -> None:
        await self.tx.close(commit=False)


@dataclass
class SubscriptionContext:
    """A WebSocket connection's context. Subscriptions hold no transaction: each event they
    yield resolves in its own `EventScope`, found through a context variable because graphql
    resolves the event's fields in the operation's own task."""

    database: Database
    events: EventSource
    limits: Limits
    store: BlobStore
    base_url: str  # of the file links it hands out (`FileLinks`)
    signer: FileUrlSigner
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None
    counted_as: str | None = None  # the actor whose connections count it (api.sockets)
    feed: Publishing | None = None  # set for the one execution a shared feed runs

    @property
    def files(self) -> FileLinks:
        if self.principal is None:
            raise RuntimeError("the connection is not initialised")
        return FileLinks(self.base_url, self.principal.workspace_id, self.signer)

    @property
    def tx(self) -> Transaction:
        return self._current().tx

    @property
    def loaders(self) -> Loaders:
        return self._current().loaders

    def _current(self) -> EventScope:
        scope = _scope.get()
        if scope is None:
            raise RuntimeError("no event is being resolved")
        return scope

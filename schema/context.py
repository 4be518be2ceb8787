"""The per-request context: who is asking, the request's transaction, its loaders, its limits."""

from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
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

"""Builds the strawberry schema with the limits of DESIGN §10 and the request model's hook."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from schema.context import Context, EventScope, SubscriptionContext
from schema.cost import cost_limit
from schema.documents import Documents, document_cache
from schema.mutations import Mutation
from schema.queries import Query
from schema.subscriptions import Subscription
from schema.types.asset import Asset
from schema.types.collection import Collection
from schema.types.job import Job
from schema.types.relationship import Relationship


class TransactionMode(SchemaExtension):
    """Tells the request's transaction which operation it serves, the moment that is known
    (stage 2 of `domain.db.RequestTransaction`). A query or mutation sent over a socket runs
    in its own `EventScope` (api/sockets.py), committed here, before its result is sent."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):  # subscriptions resolve in read-only event scopes
            context.transaction.choose_mode(
                writes=self.execution_context.operation_type == OperationType.MUTATION)
        yield
        scope = EventScope.current()
        if isinstance(context, SubscriptionContext) and scope is not None and \
                self.execution_context.operation_type != OperationType.SUBSCRIPTION:
            result = self.execution_context.result
            await scope.finish(None if result is None else result.data)


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors that carry no code of ours: they may leak internals."""
    if error.original_error is None:
        return False  # a syntax or validation error about the client's own document
    return not (error.extensions or {}).get("code")


@dataclass(frozen=True)
class SchemaOptions:
    """Built from the API's settings, which own the defaults."""

    development: bool
    introspection: bool
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    page_size: int


class Schema(strawberry.Schema):
    """The strawberry schema, the `Documents` every operation is parsed and validated by, and
    the cost limit and page size every operation is measured with (`schema.cost`)."""

    documents: Documents
    max_cost: int
    page_size: int


def build_schema(options: SchemaOptions, *, extensions: Sequence[object] = ()) -> Schema:
    """`extensions` (classes or factories) run outermost, before ours."""
    documents = Documents(max_tokens=options.max_tokens, max_depth=options.max_depth,
                          max_aliases=options.max_aliases, introspection=options.introspection)
    extensions = [*extensions, TransactionMode, document_cache(documents),
                  cost_limit(limit=options.max_cost, page_size=options.page_size)]
    if not options.development:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Asset, Collection, Relationship, Job],
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(disable_field_suggestions=not options.development),
    )
    documents.bind(schema._schema)
    schema.documents = documents
    schema.max_cost, schema.page_size = options.max_cost, options.page_size
    return schema

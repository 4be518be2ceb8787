"""Builds the strawberry schema with the limits of DESIGN §10 and the request model's hook."""

from collections.abc import Iterator
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from schema.context import Context
from schema.mutations import Mutation
from schema.queries import Query
from schema.subscriptions import Subscription
from schema.types.asset import Asset
from schema.types.collection import Collection
from schema.types.job import Job
from schema.types.relationship import Relationship


class TransactionMode(SchemaExtension):
    """Queries read one snapshot (`READ ONLY, REPEATABLE READ`); mutations write."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):  # subscriptions resolve in read-only event scopes
            context.tx.readonly = self.execution_context.operation_type != OperationType.MUTATION
        yield


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


def build_schema(options: SchemaOptions) -> strawberry.Schema:
    extensions: list[object] = [
        TransactionMode,
        lambda: QueryDepthLimiter(max_depth=options.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=options.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
    ]
    if not options.introspection:
        extensions.append(DisableIntrospection)
    if not options.development:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Asset, Collection, Relationship, Job],
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(disable_field_suggestions=not options.development),
    )

"""Parsed and validated documents, cached per process by their text.

Clients send the same few documents over and over; parsing and validating one costs far more
than answering a small query. `Documents` owns the whole pre-execution step: the token limit
of the parser and every validation rule (graphql's, strawberry's, the depth and alias limits,
no introspection in production), so the general resolver path (through the `DocumentCache`
extension) and the compiled read path see the same document and the same errors. Both LRUs
are bounded: unique texts from a hostile client cannot grow memory.
"""

import contextlib
from collections.abc import Iterator, Sequence
from functools import lru_cache

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    StringValueNode,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from domain.rules import unstorable


class StorableStrings(ASTValidationRule):
    """A string literal of the document holding U+0000 or an unpaired surrogate (GraphQL's
    `\\u0000` escape decodes to one) is INVALID: no text can store it, and the JSON input
    boundary (api/boundary.py) sees only the escape."""

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        what = unstorable(node.value)
        if what is not None:
            self.report_error(GraphQLError(
                f"a string in the document holds {what}, which no text may hold", node,
                extensions={"code": "INVALID"}))


class Documents:
    def __init__(self, *, max_tokens: int, max_depth: int, max_aliases: int,
                 introspection: bool, maxsize: int = 1000) -> None:
        self.max_tokens = max_tokens
        extra: list[type[ASTValidationRule]] = [
            *QueryDepthLimiter(max_depth=max_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            StorableStrings,
        ]
        if not introspection:
            extra.append(NoSchemaIntrospectionCustomRule)
        self.rules: Sequence[type[ASTValidationRule]] = (*specified_rules, *extra)
        self._schema: GraphQLSchema | None = None
        self.parse = lru_cache(maxsize=maxsize)(self._parse)
        self._validate = lru_cache(maxsize=maxsize)(self._validate_text)

    def bind(self, schema: GraphQLSchema) -> None:
        self._schema = schema

    @property
    def schema(self) -> GraphQLSchema:
        assert self._schema is not None, "Documents.bind(schema) first"
        return self._schema

    def _parse(self, query: str) -> DocumentNode:
        """Raises `GraphQLSyntaxError` (not cached: lru_cache keeps results only)."""
        return parse(query, max_tokens=self.max_tokens)

    def _validate_text(self, query: str) -> tuple[GraphQLError, ...]:
        return tuple(validate(self.schema, self.parse(query), self.rules))

    def validate(self, query: str) -> list[GraphQLError]:
        """The validation errors of a document that parses."""
        return list(self._validate(query))

    def valid(self, query: str) -> DocumentNode | None:
        """The parsed document when it parses and validates, else None."""
        try:
            document = self.parse(query)
        except GraphQLError:
            return None
        return None if self._validate(query) else document


def document_cache(documents: Documents) -> type[SchemaExtension]:
    """A strawberry extension that parses and validates through `documents`."""

    class DocumentCache(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            context.parse_options["max_tokens"] = documents.max_tokens
            if context.query is not None:
                with contextlib.suppress(GraphQLError):  # strawberry parses it again to report
                    context.graphql_document = documents.parse(context.query)
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.query is not None:
                context.pre_execution_errors = documents.validate(context.query)
            yield

    return DocumentCache

"""The cost of an operation: an upper bound of the objects its response can hold, known before
anything runs (DESIGN §10's limits, issue 9).

Each object field counts once per time it can appear: its parent's count times the list's
bound. A connection's `edges` (and a lineage's `steps`) are bounded by the field's `first`, or
by the largest page when `first` is not given; `nodes(ids:)` by its ids; any other list of
objects by the largest page, except lists of leaf objects (errors, conflicts, per-day sums),
which hold no objects of their own and count once. Aliases count separately; `@skip` and
`@include` are ignored (an upper bound); scalars are free.

One function serves both read paths and every transport: `CostLimit` refuses an operation
over the limit before execution (`COST_LIMIT`, with `cost` and `limit` in `extensions`) and
puts the estimate in every response's `extensions.cost`; the compiled read path reports the
same number from the same function.
"""

import math
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_leaf_type,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension

PAGED_LISTS = frozenset({"edges", "steps"})  # bounded by their parent field's `first`


def operation_of(document: DocumentNode, operation_name: str | None
                 ) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == operation_name),
                None)


# A list's bound: a number, or read from a variable when the request comes: ("first", name)
# for a page size (null or absent: the largest page), ("count", name) for a list of ids.
Factor = int | tuple[str, str]
Term = tuple[Factor, ...]  # one object field: the product of the bounds along its path
# The operation, its terms, and their sum when no variable sets a bound.
Program = tuple[OperationDefinitionNode, list[Term], int | None]


def estimate(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             variables: dict[str, Any] | None, *, page_size: int) -> int | None:
    """The cost of a valid document's operation, or None when it cannot be told (no such
    operation, variables that do not coerce: execution reports those).

    The walk over the document is done once per (document, operation) into a sum of products
    (`_program`); a request only reads its variables into it."""
    program = _program(schema, document, operation_name, page_size)
    if program is None:
        return None
    operation, terms, constant = program
    if constant is not None:
        return constant  # no variable sets a bound: nothing to read
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    values = coerced.coerced

    def bound(factor: Factor) -> int:
        if isinstance(factor, int):
            return factor
        kind, name = factor
        value = values.get(name)
        if kind == "count":
            return len(value) if isinstance(value, list) else page_size
        return value if isinstance(value, int) and value >= 0 else page_size

    total = 0
    for term in terms:
        product = 1
        for factor in term:
            product *= bound(factor)
        total += product
    return total


_PROGRAMS: dict[tuple[int, str | None, int], tuple[DocumentNode, Any]] = {}
_MAX_PROGRAMS = 1000


def _program(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             page_size: int) -> "Program | None":
    """The operation and its terms, kept per document object (documents are cached by text,
    `schema.documents`; the entry holds the document, so its id is not reused meanwhile)."""
    key = (id(document), operation_name, page_size)
    kept = _PROGRAMS.get(key)
    if kept is not None and kept[0] is document:
        program: Program | None = kept[1]
        return program
    program = _compile(schema, document, operation_name, page_size)
    if len(_PROGRAMS) >= _MAX_PROGRAMS:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    _PROGRAMS[key] = (document, program)
    return program


def _compile(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             page_size: int) -> "Program | None":
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, page_size)
    walk.selection(root, operation.selection_set, (), None)
    numbers = [[f for f in term if isinstance(f, int)] for term in walk.terms]
    constant = sum(math.prod(n) for n in numbers) if all(
        len(n) == len(term) for n, term in zip(numbers, walk.terms, strict=True)) else None
    return operation, walk.terms, constant


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 page_size: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.page_size = page_size
        self.terms: list[Term] = []

    def fields(self, parent: Any, selection_set: SelectionSetNode | None, seen: frozenset[str]
               ) -> Iterator[tuple[Any, FieldNode]]:
        """Every field node under `selection_set`, fragments spread, with its parent type."""
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield parent, selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.schema.get_type(condition.name.value) if condition else parent
                yield from self.fields(named, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    named = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self.fields(named, fragment.selection_set, seen | {name})

    def selection(self, parent: Any, selection_set: SelectionSetNode | None, path: Term,
                  page: Factor | None) -> None:
        """A term for every object field under `selection_set`, whose parent appears as often
        as `path` multiplies to; `page` bounds a paged list (`edges`, `steps`) directly below."""
        for owner, node in self.fields(parent, selection_set, frozenset()):
            definition = getattr(owner, "fields", {}).get(node.name.value)
            if definition is None:  # __typename, or a field of another member of a union
                continue
            named = get_named_type(definition.type)
            if not is_composite_type(named):
                continue
            here = (*path, self.bound(node, definition, named, page)) \
                if _is_list(definition.type) else path
            self.terms.append(here)
            below = self.argument(node, "first", "first") if "first" in definition.args \
                else None
            self.selection(named, node.selection_set, here, below)

    def bound(self, node: FieldNode, definition: Any, named: Any, page: Factor | None
              ) -> Factor:
        name = node.name.value
        if name in PAGED_LISTS and page is not None:
            return page
        if name == "nodes" and "ids" in definition.args:
            return self.argument(node, "ids", "count")
        if isinstance(named, GraphQLObjectType) and all(
                is_leaf_type(get_named_type(f.type)) for f in named.fields.values()):
            return 1  # leaf objects (errors, conflicts): nothing multiplies below them
        return self.page_size

    def argument(self, node: FieldNode, name: str, kind: str) -> Factor:
        """A list's bound from an argument: a literal now, a variable when the request comes."""
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if isinstance(given, VariableNode):
            return (kind, given.name.value)
        if kind == "count":
            return len(given.values) if isinstance(given, ListValueNode) else self.page_size
        if isinstance(given, IntValueNode) and int(given.value) >= 0:
            return int(given.value)
        return self.page_size


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def cost_limit(*, limit: int, page_size: int) -> type[SchemaExtension]:
    """A strawberry extension: refuse an operation whose cost passes `limit` (after the
    document validated, before anything runs) and report the cost in `extensions`."""

    class CostLimit(SchemaExtension):
        cost: int | None = None

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None and context.pre_execution_errors == []:
                self.cost = estimate(context.schema._schema, document, context.operation_name,
                                     context.variables, page_size=page_size)
                if self.cost is not None and self.cost > limit:
                    context.pre_execution_errors = [over_limit(self.cost, limit)]
            yield

        def get_results(self) -> dict[str, Any]:
            return {} if self.cost is None else {"cost": self.cost}

    return CostLimit


def over_limit(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"this operation could return up to {cost} objects, more than the limit of {limit}: "
        "ask for smaller pages (first), a smaller maxDepth, or fewer nested lists",
        extensions={"code": "COST_LIMIT", "cost": cost, "limit": limit})

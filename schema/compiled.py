"""The compiled read path: a query whose every field the database can answer is planned ahead
over its selection set and answered by ONE statement that builds the response's JSON.

`prepare` walks the validated document (fragments, aliases, `@skip`/`@include`, type
conditions) into a `domain.reads.plan` tree, checking every argument exactly as the resolvers
do. Anything it does not know, or any argument the resolvers would refuse, makes it return
None and the general resolver path answers instead, with its own errors: a response never
depends on which path ran. The planner costs what the document costs, never what the rows
cost, and the SQL of a plan's shape is compiled once.

`PreparedReads` remembers the compiled query of a request body: clients send the same bodies
over and over (a panel polled, many users on one scene), and planning is a pure function of
the body and the caller's role and name, so an identical body skips parsing, the input
boundary, planning and compiling. Bodies that fall back are not kept.

`ByIdTemplates` serves the commonest different body: the same document asking for another
object by id (`asset(id: $id)`, `collection(id: $id)`). Where such a variable is used only
there, the plan cannot depend on its value beyond the UUID it decodes to, so a plan made for
one id is kept with the places that UUID took in its arguments, and another id only decodes
and takes those places. Anything not that simple plans again.
"""

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_variable_values

from domain.access import Principal, Role
from domain.db import Transaction
from domain.reads import plan as p
from domain.reads.queries import CompiledRead, Unsupported, compile_read, run_read
from domain.sync.rules import INSTANCE_FLAG
from schema.context import Limits
from schema.cost import operation_of
from schema.inputs import decode_cursor, decode_uuid, page_size, parse_global_id, query_id

NODE_KINDS: dict[str, p.RowKind] = {
    "Asset": "asset", "Collection": "collection", "Relationship": "relationship",
}
ASSET_COLUMNS = {
    "type": "type", "name": "name", "description": "description",
    "generationPrompt": "generation_prompt", "url": "url", "mimeType": "mime_type",
    "size": "size", "duration": "duration", "metadata": "metadata", "tags": "tags",
    "source": "source", "generationCost": "generation_cost",
    "generationMetadata": "generation_metadata", "locked": "locked", "version": "version",
    "createdAt": "created_at", "updatedAt": "updated_at", "deletedAt": "deleted_at",
    "createdBy": "created_by",
}
COLLECTION_COLUMNS = {
    "name": "name", "type": "type", "description": "description", "metadata": "metadata",
    "createdAt": "created_at", "updatedAt": "updated_at",
}
RELATIONSHIP_COLUMNS = {"sequence": "sequence", "metadata": "metadata", "createdAt": "created_at"}
FILE_COLUMNS = {"sha256": "blob_sha256", "size": "size", "mimeType": "mime_type"}
WORKSPACE_COLUMNS = {"name": "name", "slug": "slug", "createdAt": "created_at"}


class _Fallback(Exception):
    """This operation is answered by the general resolver path."""


class _Planner:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Any,
                 limits: Limits, principal: Principal) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables
        self.limits = limits
        self.principal = principal
        self.args: list[Any] = []

    def arg(self, value: Any) -> p.Arg:
        self.args.append(value)
        return p.Arg(len(self.args) - 1)

    # -- selection sets ---------------------------------------------------------------------

    def collect(self, type_: GraphQLObjectType, selection_set: SelectionSetNode | None,
                into: dict[str, list[FieldNode]]) -> None:
        """Fields by response key, in document order, as graphql's CollectFields does."""
        for selection in selection_set.selections if selection_set else ():
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                into.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if self.applies(condition.name.value if condition else None, type_):
                    self.collect(type_, selection.selection_set, into)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise _Fallback
                if self.applies(fragment.type_condition.name.value, type_):
                    self.collect(type_, fragment.selection_set, into)

    def applies(self, condition: str | None, type_: GraphQLObjectType) -> bool:
        if condition is None or condition == type_.name:
            return True
        named = self.schema.get_type(condition)
        return named is not None and self.schema.is_sub_type(named, type_)  # type: ignore[arg-type]

    def included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                raise _Fallback  # @defer, @stream, or one of our own
            condition = directive.arguments[0].value if len(directive.arguments) == 1 else None
            if isinstance(condition, BooleanValueNode):
                value = condition.value
            elif isinstance(condition, VariableNode):
                value = self.variables.coerced.get(condition.name.value)
            else:
                raise _Fallback
            if not isinstance(value, bool):
                raise _Fallback
            if value == (name == "skip"):
                return False
        return True

    def fields(self, type_: GraphQLObjectType, nodes: Iterable[FieldNode],
               handle: Callable[[str, GraphQLField, list[FieldNode]], p.Field]) -> p.Fields:
        groups: dict[str, list[FieldNode]] = {}
        for node in nodes:
            self.collect(type_, node.selection_set, groups)
        planned: list[tuple[str, p.Field]] = []
        for key, group in groups.items():
            name = group[0].name.value
            if name == "__typename":
                planned.append((key, p.Const(type_.name)))
                continue
            definition = type_.fields.get(name)
            if definition is None:
                raise _Fallback
            planned.append((key, handle(name, definition, group)))
        return tuple(planned)

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            values = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            raise _Fallback from None
        return {name: values.get(arg.out_name or name, values.get(name))
                for name, arg in definition.args.items()}

    def object_type(self, definition: GraphQLField) -> GraphQLObjectType:
        named: GraphQLNamedType = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            raise _Fallback
        return named

    # -- types ------------------------------------------------------------------------------

    def query(self, operation: OperationDefinitionNode) -> p.Fields:
        root = self.schema.query_type
        assert root is not None
        fake_root = FieldNode(name=NameNode(value="query"), selection_set=operation.selection_set,
                              directives=())

        def handle(name: str, definition: GraphQLField, nodes: list[FieldNode]) -> p.Field:
            args = self.arguments(definition, nodes[0])
            if name in ("asset", "collection"):
                type_name = name.capitalize()
                raw_id = _checked(lambda: query_id(args["id"], type_name))
                return p.ById(NODE_KINDS[type_name], self.arg(raw_id),
                              self.obj(type_name, self.object_type(definition), nodes))
            if name == "node":
                type_name, raw_id = _node_key(args["id"])
                if type_name not in NODE_KINDS:
                    if type_name == "Job":
                        raise _Fallback
                    return p.Const(None)
                return p.ById(NODE_KINDS[type_name], self.arg(raw_id),
                              self.obj(type_name, self._named(type_name), nodes))
            if name == "nodes":
                ids = args["ids"]
                if not ids or len(ids) > self.limits.max_page_size:
                    raise _Fallback
                keys = [_node_key(i) for i in ids]
                kinds = {t for t, _ in keys}
                if len(kinds) != 1 or next(iter(kinds)) not in NODE_KINDS:
                    raise _Fallback
                type_name = keys[0][0]
                return p.ManyById(NODE_KINDS[type_name], self.arg([i for _, i in keys]),
                                  self.obj(type_name, self._named(type_name), nodes))
            if name == "viewer":
                return p.Obj(self.viewer(self.object_type(definition), nodes))
            if name == "assets":
                return self.asset_list(definition, nodes, args)
            raise _Fallback

        return self.fields(root, [fake_root], handle)

    def _named(self, type_name: str) -> GraphQLObjectType:
        named = self.schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType)
        return named

    def obj(self, type_name: str, type_: GraphQLObjectType, nodes: list[FieldNode]) -> p.Obj:
        handlers = {"Asset": self.asset, "Collection": self.collection,
                    "Relationship": self.relationship}
        return p.Obj(self.fields(type_, nodes, handlers[type_name]))

    def viewer(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> p.Fields:
        def handle(name: str, definition: GraphQLField, group: list[FieldNode]) -> p.Field:
            if name == "role":
                return p.Value(self.arg(self.principal.role.value))
            if name == "actor":
                return p.Value(self.arg(self.principal.actor))
            if name == "workspace":
                return p.WorkspaceOf(p.Obj(self.fields(self.object_type(definition), group,
                                                       self.workspace)))
            raise _Fallback

        return self.fields(type_, nodes, handle)

    def workspace(self, name: str, definition: GraphQLField, nodes: list[FieldNode]) -> p.Field:
        if name == "id":
            return p.OpaqueId("Workspace")
        if name in WORKSPACE_COLUMNS:
            return p.Column(WORKSPACE_COLUMNS[name])
        raise _Fallback

    def asset(self, name: str, definition: GraphQLField, nodes: list[FieldNode]) -> p.Field:
        if name == "id":
            return p.OpaqueId("Asset")
        if name in ASSET_COLUMNS:
            return p.Column(ASSET_COLUMNS[name])
        if name == "carryForward":
            return p.Flag("metadata", INSTANCE_FLAG)
        if name == "origin":
            return p.Origin(_enum_names(definition))
        if name == "file":
            return p.ObjUnlessNull("blob_sha256", p.Obj(self.fields(
                self.object_type(definition), nodes, self.asset_file)))
        if name in ("children", "parents"):
            args = self.arguments(definition, nodes[0])
            first, after = self.page(args, int)
            return p.Edges(children=name == "children", types=self.enum_list(args["types"]),
                           first=first, after=after,
                           connection=self.connection(definition, nodes, args, "Relationship"))
        if name == "lineage":
            return self.lineage(definition, nodes)
        if name == "collections":
            args = self.arguments(definition, nodes[0])
            first, after = self.page(args, datetime)
            return p.AssetCollections(
                first=first, after=after,
                connection=self.connection(definition, nodes, args, "Collection"))
        if name == "instancesConnection":
            args = self.arguments(definition, nodes[0])
            first, after = self.page(args, datetime)
            return p.Instances(first=first, after=after,
                               connection=self.connection(definition, nodes, args, "Asset"))
        raise _Fallback

    def asset_file(self, name: str, definition: GraphQLField, nodes: list[FieldNode]
                   ) -> p.Field:
        if name in FILE_COLUMNS:
            return p.Column(FILE_COLUMNS[name])
        if name == "downloadUrl":
            return p.DownloadUrl("blob_sha256")
        raise _Fallback

    def collection(self, name: str, definition: GraphQLField, nodes: list[FieldNode]
                   ) -> p.Field:
        if name == "id":
            return p.OpaqueId("Collection")
        if name in COLLECTION_COLUMNS:
            return p.Column(COLLECTION_COLUMNS[name])
        if name == "assets":
            args = self.arguments(definition, nodes[0])
            first, after = self.page(args, int)
            types = args["types"]
            return p.Members(types=None if types is None else self.arg(list(types)),
                             first=first, after=after,
                             connection=self.connection(definition, nodes, args, "Asset"))
        raise _Fallback

    def relationship(self, name: str, definition: GraphQLField, nodes: list[FieldNode]
                     ) -> p.Field:
        if name == "id":
            return p.OpaqueId("Relationship")
        if name == "type":
            return p.EnumName("relationship_type", _enum_names(definition))
        if name in RELATIONSHIP_COLUMNS:
            return p.Column(RELATIONSHIP_COLUMNS[name])
        if name in ("parent", "child"):
            return p.EdgeEnd(parent=name == "parent",
                             obj=self.obj("Asset", self.object_type(definition), nodes))
        raise _Fallback

    def connection(self, definition: GraphQLField, nodes: list[FieldNode], args: dict[str, Any],
                   node_type: str) -> p.Connection:
        has_previous = args["after"] is not None

        def handle(name: str, field: GraphQLField, group: list[FieldNode]) -> Any:
            if name == "totalCount":
                return p.TotalCount()
            if name == "pageInfo":
                return p.PageInfo(self.fields(self.object_type(field), group,
                                              page_info))  # type: ignore[arg-type]
            if name == "edges":
                return p.EdgeList(self.fields(self.object_type(field), group, edge))
            raise _Fallback

        def page_info(name: str, field: GraphQLField, group: list[FieldNode]) -> Any:
            known = {"hasNextPage": "has_next", "startCursor": "start_cursor",
                     "endCursor": "end_cursor"}
            if name == "hasPreviousPage":
                return p.Const(has_previous)
            if name in known:
                return known[name]
            raise _Fallback

        def edge(name: str, field: GraphQLField, group: list[FieldNode]) -> p.Field:
            if name == "cursor":
                return p.Cursor()
            if name == "sequence" and node_type == "Asset":
                return p.MemberSequence()
            if name == "node":
                return p.EdgeNode(self.obj(node_type, self.object_type(field), group))
            raise _Fallback

        fields = self.fields(self.object_type(definition), nodes, handle)
        return p.Connection(fields)  # type: ignore[arg-type]

    def lineage(self, definition: GraphQLField, nodes: list[FieldNode]) -> p.Lineage:
        args = self.arguments(definition, nodes[0])
        max_depth = args["maxDepth"]
        if not isinstance(max_depth, int) or not 1 <= max_depth <= self.limits.max_lineage_depth:
            raise _Fallback
        first = _checked(lambda: page_size(args["first"], self.limits.max_page_size))
        direction = getattr(args["direction"], "name", None)

        def handle(name: str, field: GraphQLField, group: list[FieldNode]) -> p.Field:
            if name == "isPartial":
                return p.IsPartial()
            if name == "steps":
                return p.Steps(self.fields(self.object_type(field), group, step))
            raise _Fallback

        def step(name: str, field: GraphQLField, group: list[FieldNode]) -> p.Field:
            if name == "depth":
                return p.StepDepth()
            if name == "asset":
                return p.StepAsset(self.obj("Asset", self.object_type(field), group))
            if name == "relationship":
                return p.StepRelationship(self.obj("Relationship", self.object_type(field),
                                                   group))
            raise _Fallback

        return p.Lineage(upstream=direction == "UPSTREAM", types=self.enum_list(args["types"]),
                         max_depth=self.arg(max_depth), first=self.arg(first),
                         fields=self.fields(self.object_type(definition), nodes, handle))

    def asset_list(self, definition: GraphQLField, nodes: list[FieldNode],
                   args: dict[str, Any]) -> p.AssetList:
        given = args["filter"]
        order = args["orderBy"]
        field = _stored(_value(order, "field", "created_at"))
        descending = _stored(_value(order, "direction", "asc")) == "desc"
        search = _value(given, "search", None)
        if field not in ("created_at", "updated_at") or search is not None:
            raise _Fallback  # a name cursor escapes non-ASCII as Python's json does; search
        collection = _value(given, "collectionId", None)
        collection_id = None if collection is None else _checked(
            lambda: query_id(collection, "Collection", "filter.collectionId"))
        first = _checked(lambda: page_size(args["first"], self.limits.max_page_size))
        cursor = _checked(lambda: decode_cursor(args["after"], datetime, UUID))
        locked = _value(given, "locked", None)

        def listed(name: str, falsy_is_none: bool = False) -> p.Arg | None:
            values = _value(given, name, None)
            if values is None or (falsy_is_none and not values):
                return None
            return self.arg(list(values))

        return p.AssetList(
            types=listed("types"), sources=listed("sources"),
            tags_all=listed("tagsAll", True), tags_any=listed("tagsAny", True),
            collection_id=None if collection_id is None else self.arg(collection_id),
            include_deleted=bool(_value(given, "includeDeleted", False)),
            origins=self.enum_list(_value(given, "origin", None)),
            outdated=_value(given, "outdated", None),
            locked=None if locked is None else self.arg(locked),
            legacy_ids=listed("legacyIds"),
            order=field, descending=descending, first=self.arg(first),  # type: ignore[arg-type]
            after=(self.arg(cursor[0]), self.arg(cursor[1])) if cursor else None,
            connection=self.connection(definition, nodes, args, "Asset"))

    # -- arguments --------------------------------------------------------------------------

    def page(self, args: dict[str, Any], kind: type) -> tuple[p.Arg, tuple[p.Arg, p.Arg] | None]:
        first = _checked(lambda: page_size(args["first"], self.limits.max_page_size))
        cursor = _checked(lambda: decode_cursor(args["after"], kind, UUID))
        after = (self.arg(cursor[0]), self.arg(cursor[1])) if cursor else None
        return self.arg(first), after

    def enum_list(self, values: list[Any] | None) -> p.Arg | None:
        if values is None:
            return None
        return self.arg(list(dict.fromkeys(_stored(v) for v in values)))


def _stored(value: Any) -> str:
    """What the database stores for an enum value of the schema."""
    stored = getattr(value, "value", value)
    if not isinstance(stored, str):
        raise _Fallback
    return stored


def _enum_names(definition: GraphQLField) -> tuple[tuple[str, str], ...]:
    """The (stored value, name) pairs of an enum field's type, from the schema's own enum."""
    enum = get_named_type(definition.type)
    assert isinstance(enum, GraphQLEnumType)
    return tuple((_stored(value.value), name) for name, value in enum.values.items())


def _value(given: Any, name: str, default: Any) -> Any:
    """A field of a coerced input object (a dict keyed by the schema's camelCase names)."""
    if given is None:
        return default
    return given.get(name, default)


def _checked(check: Callable[[], Any]) -> Any:
    """A resolver's own argument check: where it would refuse, the resolver answers."""
    try:
        return check()
    except GraphQLError:
        raise _Fallback from None


def _node_key(value: Any) -> tuple[str, UUID]:
    parsed = parse_global_id(value) if isinstance(value, str) else None
    if parsed is None:
        raise _Fallback
    try:
        return parsed[0], UUID(parsed[1])
    except ValueError:
        raise _Fallback from None


def plan_query(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
               variables: dict[str, Any] | None, limits: Limits, principal: Principal
               ) -> tuple[OperationDefinitionNode, p.Fields, list[Any]] | None:
    """The plan of a query operation and its argument values, or None to fall back."""
    operation = operation_of(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    if not principal.role.allows(Role.VIEWER):
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    planner = _Planner(schema, document, coerced, limits, principal)
    try:
        fields = planner.query(operation)
    except _Fallback:
        return None
    return operation, fields, planner.args


@dataclass(frozen=True)
class CompiledQuery:
    """A query operation the compiled read path answers: its statement and argument values."""

    operation_name: str | None
    read: CompiledRead
    args: list[Any]

    async def run(self, tx: Transaction, *, download_prefix: str) -> str | None:
        """The response's `data` as JSON text, or None when the resolvers must answer after
        all (a value with no GraphQL form, see `run_read`). `download_prefix` is the request's
        (`FileLinks.download_prefix`): bound at run time, never part of a kept plan."""
        return await run_read(tx, self.read, self.args, download_prefix=download_prefix)


def prepare(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
            variables: dict[str, Any] | None, *, limits: Limits, principal: Principal
            ) -> CompiledQuery | None:
    """The compiled query of an operation, or None when the general path must answer.
    Touches no database: a query that is prepared is answered by this path."""
    planned = plan_query(schema, document, operation_name, variables, limits, principal)
    if planned is None:
        return None
    operation, fields, args = planned
    try:
        read = compile_read(fields)
    except Unsupported:
        return None
    return CompiledQuery(operation.name.value if operation.name else None, read, args)


@dataclass(frozen=True)
class Prepared:
    """A request body's compiled query and its cost (`schema.cost`)."""

    query: CompiledQuery
    cost: int


class PreparedReads:
    """A bounded LRU of prepared queries by (request body, role, actor)."""

    def __init__(self, *, maxsize: int = 1000, max_body_bytes: int = 16_384) -> None:
        self.maxsize = maxsize
        self.max_body_bytes = max_body_bytes
        self._entries: OrderedDict[tuple[bytes, Role, str], Prepared] = OrderedDict()

    def get(self, body: bytes, principal: Principal) -> Prepared | None:
        key = (body, principal.role, principal.actor)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, body: bytes, principal: Principal, prepared: Prepared) -> None:
        if len(body) > self.max_body_bytes:
            return
        self._entries[(body, principal.role, principal.actor)] = prepared
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)


ID_ROOTS = {"asset": "Asset", "collection": "Collection"}


def id_variables(document: DocumentNode, operation: OperationDefinitionNode
                 ) -> dict[str, tuple[str, int]] | None:
    """The variables used only as the `id` of root `asset`/`collection` fields: the type of ID
    each must be and how many fields use it. None when the document has fragments (spreads
    would hide uses; kept simple)."""
    if any(isinstance(d, FragmentDefinitionNode) for d in document.definitions):
        return None
    uses: dict[str, int] = {}
    _count_variables(operation.selection_set, uses)
    found: dict[str, tuple[str, int]] = {}
    for field in operation.selection_set.selections:
        if not isinstance(field, FieldNode) or field.name.value not in ID_ROOTS \
                or field.directives:
            continue
        type_name = ID_ROOTS[field.name.value]
        for argument in field.arguments or ():
            value = argument.value
            if argument.name.value == "id" and isinstance(value, VariableNode):
                kind, count = found.get(value.name.value, (type_name, 0))
                if kind != type_name:
                    return None
                found[value.name.value] = (type_name, count + 1)
    return {name: (kind, count) for name, (kind, count) in found.items()
            if count == uses.get(name)}


def _count_variables(node: Any, uses: dict[str, int]) -> None:
    """Count the variable usages under `node` (selections, arguments, directives, values)."""
    if isinstance(node, VariableNode):
        uses[node.name.value] = uses.get(node.name.value, 0) + 1
        return
    for key in getattr(node, "keys", ()):
        if key == "loc":
            continue
        child = getattr(node, key, None)
        for item in child if isinstance(child, tuple | list) else (child,):
            if hasattr(item, "keys"):
                _count_variables(item, uses)


@dataclass(frozen=True)
class _Template:
    query: CompiledQuery
    slots: tuple[tuple[str, str, tuple[int, ...]], ...]  # variable, ID type, argument indexes


class ByIdTemplates:
    """Plans by (document, operation, role, actor, the other variables), for any id."""

    def __init__(self, *, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, ...], _Template] = OrderedDict()
        self._ids: OrderedDict[tuple[int, str | None], tuple[DocumentNode, Any]] = OrderedDict()

    def _id_variables(self, document: DocumentNode, operation_name: str | None
                      ) -> dict[str, tuple[str, int]] | None:
        key = (id(document), operation_name)
        kept = self._ids.get(key)
        if kept is None or kept[0] is not document:
            operation = operation_of(document, operation_name)
            found = None if operation is None or operation.operation != OperationType.QUERY \
                else id_variables(document, operation)
            kept = (document, found or None)
            self._ids[key] = kept
            while len(self._ids) > self.maxsize:
                self._ids.popitem(last=False)
        result: dict[str, tuple[str, int]] | None = kept[1]
        return result

    def _key(self, query: str, document: DocumentNode, operation_name: str | None,
             variables: dict[str, Any] | None, principal: Principal
             ) -> tuple[tuple[Any, ...], dict[str, tuple[str, int]]] | None:
        ids = self._id_variables(document, operation_name)
        given = variables or {}
        if not ids or not all(isinstance(given.get(name), str) for name in ids):
            return None
        try:
            others = json.dumps({k: v for k, v in given.items() if k not in ids},
                                sort_keys=True)
        except (TypeError, ValueError):
            return None
        return (query, operation_name, principal.role, principal.actor, others), ids

    def get(self, query: str, document: DocumentNode, operation_name: str | None,
            variables: dict[str, Any] | None, principal: Principal) -> CompiledQuery | None:
        keyed = self._key(query, document, operation_name, variables, principal)
        template = None if keyed is None else self._entries.get(keyed[0])
        if template is None or variables is None:
            return None
        args = list(template.query.args)
        for name, kind, indexes in template.slots:
            decoded = decode_uuid(variables[name], kind)
            if decoded is None:
                return None  # the general planning reports it, as the resolvers do
            for index in indexes:
                args[index] = decoded
        return CompiledQuery(template.query.operation_name, template.query.read, args)

    def learn(self, query: str, document: DocumentNode, operation_name: str | None,
              variables: dict[str, Any] | None, principal: Principal,
              planned: CompiledQuery) -> None:
        keyed = self._key(query, document, operation_name, variables, principal)
        if keyed is None or variables is None:
            return
        key, ids = keyed
        decoded = {name: decode_uuid(variables[name], kind) for name, (kind, _) in ids.items()}
        if None in decoded.values() or len(set(decoded.values())) != len(decoded):
            return
        slots = []
        for name, (kind, uses) in ids.items():
            indexes = tuple(i for i, arg in enumerate(planned.args) if arg == decoded[name])
            if len(indexes) != uses:  # each id takes exactly its own places, or none is kept
                return
            slots.append((name, kind, indexes))
        self._entries[key] = _Template(planned, tuple(slots))
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

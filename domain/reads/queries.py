"""One statement per read: a plan (`domain.reads.plan`) compiled to SQL that builds the whole
response's JSON in PostgreSQL, as PostGraphile and Hasura do.

Each shape mirrors the query function the general path reads through, rule for rule:
`edge_pages` (live other ends, `(sequence, id)` or `(0, id)` keysets, totals), `member_pages`,
`lineages` (shortest depth per node, one level past `maxDepth` to learn `isPartial`),
`collection_pages`, `instances_of_scenes`, `get_assets` (soft-deleted included). The
differential tests (tests/schema/test_compiled_reads.py) hold the two paths equal.

A plan's SQL is compiled once per shape (`compile_read` is cached) and run through the
request's transaction with the values of its `Arg`s. JSON is built as `json` (not `jsonb`) so
keys keep the document's order, and returned as text, never decoded in Python.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, distinct_on
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.types import TypeEngine

from domain.assets.origin import origin_of
from domain.db import Transaction
from domain.legacy.keys import has_legacy_id
from domain.reads import plan as p
from domain.sync.queries import is_outdated
from domain.tables import asset_collection_members, asset_collections, asset_relationships, assets
from domain.tables import workspaces as workspaces_table

DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
TABLES = {"asset": assets, "collection": asset_collections, "relationship": asset_relationships}
EMPTY_ARRAY: ColumnElement[Any] = literal_column("'[]'::json")
# A function takes at most 100 arguments: json_build_object at most 50 keys.
MAX_KEYS = 50
# GraphQL's Int is 32 bits. A bigint past it is an error the resolvers report (the field null,
# an entry in `errors`), which one statement cannot build: the read puts this mark in its
# place, and `run_read` gives way to the resolvers. (User data holding the mark costs only that
# fallback, never a wrong answer.)
INT_RANGE = (-(2**31), 2**31 - 1)
OUT_OF_INT_RANGE = "assetgraph:int-out-of-32-bits:9f1c2a7e"


class Unsupported(Exception):
    """The plan cannot be compiled (the caller answers through the general path)."""


@dataclass(frozen=True)
class CompiledRead:
    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]


def _b64(text: ColumnElement[Any]) -> ColumnElement[Any]:
    """base64url without padding or line breaks, as `schema.inputs` encodes ids and cursors.
    Three `replace`s and an `rtrim` rather than one `translate`: the same text, at 0.47 µs
    a value instead of 1.24 (translate was a third of a 1,110-node read's database time)."""
    encoded = func.encode(func.convert_to(text, "UTF8"), "base64", type_=Text)
    unbroken = func.replace(func.rtrim(encoded, "=", type_=Text), "\n", "", type_=Text)
    return func.replace(func.replace(unbroken, "+", "-", type_=Text), "/", "_", type_=Text)


def _iso(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A timestamptz as Python's `datetime.isoformat()` of the UTC value."""
    utc = func.timezone("UTC", column)
    seconds = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=Text)
    fraction = case((func.date_trunc("second", utc) == utc, ""),
                    else_=func.to_char(utc, ".US", type_=Text))
    return seconds + fraction + "+00:00"


UUID_TYPE = postgresql.UUID(as_uuid=True)


def _from(row: Any) -> Any:
    """The FROM item behind a row: itself, or the page a wrapped row reads from."""
    return getattr(row, "page", row)


def _rows(row: Any) -> tuple[Any, ...]:
    return () if row is None else (_from(row),)


def _asks_cursor(connection: p.Connection) -> bool:
    for _, field in connection.fields:
        if isinstance(field, p.EdgeList) and any(
                isinstance(f, p.Cursor) for _, f in field.edge):
            return True
        if isinstance(field, p.PageInfo) and any(
                what in ("start_cursor", "end_cursor") for _, what in field.fields):
            return True
    return False


class _EdgeRow:
    """An edge's page row that also carries its live other end as `o_<column>`: `EdgeEnd`
    on that end reads the joined columns instead of looking the asset up again."""

    def __init__(self, page: Any, far_end: str) -> None:
        self.page = page
        self.c = page.c
        self.far_end = far_end
        self.far = _Prefixed(page, "o_")


class _Prefixed:
    """The `o_`-prefixed columns of a page, seen as a row of `assets`."""

    def __init__(self, page: Any, prefix: str) -> None:
        self.page = page
        self.c = _PrefixedColumns(page.c, prefix)


class _PrefixedColumns:
    def __init__(self, columns: Any, prefix: str) -> None:
        self._columns = columns
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._columns[self._prefix + name]

    def __getattr__(self, name: str) -> Any:
        return self._columns[self._prefix + name]


class _Compiler:
    def __init__(self) -> None:
        self.ws = bindparam("ws", type_=postgresql.UUID(as_uuid=True))
        self.download_prefix = bindparam("download_prefix", type_=Text)
        self._aliases = 0

    def alias(self, table: FromClause) -> Any:
        self._aliases += 1
        return table.alias(f"t{self._aliases}")

    def arg(self, arg: p.Arg, type_: TypeEngine[Any]) -> Any:
        return bindparam(f"arg_{arg.index}", type_=type_)

    def types_filter(self, column: Any, types: p.Arg | None) -> Any:
        if types is None:
            return true()
        return column == func.any(self.arg(types, ARRAY(Text)))

    # -- objects ----------------------------------------------------------------------------

    def obj(self, fields: p.Fields, row: Any) -> ColumnElement[Any]:
        if len(fields) > MAX_KEYS:
            raise Unsupported("too many keys in one object")
        args: list[Any] = []
        for key, field in fields:
            args.extend((literal(key, Text), self.field(field, row)))
        return func.json_build_object(*args, type_=JSON)

    def field(self, field: p.Field, row: Any) -> Any:
        match field:
            case p.Column(name):
                return self.column(row.c[name])
            case p.Const(value):
                return cast(literal(value), Boolean) if isinstance(value, bool) else (
                    null() if value is None else literal(value, Text))
            case p.Value(arg):
                return self.arg(arg, Text())
            case p.OpaqueId(type_name):
                return _b64(literal(type_name + ":", Text) + cast(row.c.id, Text))
            case p.EnumName(column, names):
                return case(*((row.c[column] == stored, name) for stored, name in names),
                            else_=null())
            case p.Origin(names):
                return case(dict(names), value=origin_of(row, self.ws), else_=null())
            case p.Flag(column, key):
                value = row.c[column][key]
                return case((func.jsonb_typeof(value) == "boolean", cast(value, JSON)),
                            else_=null())
            case p.DownloadUrl(column):
                return self.download_prefix + row.c[column]
            case p.Obj(fields):
                return self.obj(fields, row)
            case p.ObjUnlessNull(column, obj):
                return case((row.c[column].is_(None), null()), else_=self.obj(obj.fields, row))
            case p.Edges():
                return self.edges(field, row)
            case p.Lineage():
                return self.lineage(field, row)
            case p.AssetCollections():
                return self.asset_collections(field, row)
            case p.Instances():
                return self.instances(field, row)
            case p.EdgeEnd(parent, obj):
                if isinstance(row, _EdgeRow) and row.far_end == ("parent" if parent else "child"):
                    return self.obj(obj.fields, row.far)
                end = row.c.parent_asset_id if parent else row.c.child_asset_id
                return self.by_id("asset", end, obj, correlate=row)
            case p.Members():
                return self.members(field, row)
            case p.ById(kind, id_, obj):
                return self.by_id(kind, self.arg(id_, postgresql.UUID(as_uuid=True)), obj)
            case p.ManyById():
                return self.many_by_id(field)
            case p.AssetList():
                return self.asset_list(field)
            case p.WorkspaceOf(obj):
                workspace = self.alias(workspaces_table)
                return (select(self.obj(obj.fields, workspace))
                        .where(workspace.c.id == self.ws).scalar_subquery())
        raise Unsupported(f"{type(field).__name__} is not read from this row")

    def column(self, column: Any) -> Any:
        kind = column.type
        if isinstance(kind, postgresql.TIMESTAMP) or getattr(kind, "timezone", False):
            return _iso(column)
        if type(kind).__name__ == "Numeric":
            return cast(column, postgresql.DOUBLE_PRECISION)
        if isinstance(kind, BigInteger):
            return case((column.is_(None), null()),
                        (column.between(*INT_RANGE), func.to_json(column, type_=JSON)),
                        else_=func.to_json(literal(OUT_OF_INT_RANGE, Text), type_=JSON))
        return column

    def by_id(self, kind: p.RowKind, id_: Any, obj: p.Obj, *, correlate: Any = None) -> Any:
        row = self.alias(TABLES[kind])
        query = select(self.obj(obj.fields, row)).where(row.c.workspace_id == self.ws,
                                                        row.c.id == id_)
        return query.correlate(*_rows(correlate)).scalar_subquery()

    def many_by_id(self, field: p.ManyById) -> Any:
        row = self.alias(TABLES[field.kind])
        wanted = func.unnest(self.arg(field.ids, ARRAY(postgresql.UUID(as_uuid=True)))) \
            .table_valued("id", with_ordinality="n").render_derived(name=f"ids{self._aliases}")
        found = (
            select(func.json_agg(aggregate_order_by(
                case((row.c.id.is_(None), null()), else_=self.obj(field.obj.fields, row)),
                wanted.c.n)))
            .select_from(wanted.outerjoin(row, and_(row.c.workspace_id == self.ws,
                                                    row.c.id == wanted.c.id)))
        )
        return func.coalesce(found.scalar_subquery(), EMPTY_ARRAY)

    # -- pages ------------------------------------------------------------------------------

    def page(self, connection: p.Connection, live: Any, *, key: Sequence[Any],
             descending: bool, after: Any, first: Any, cursor: Any, correlate: Any,
             node_row: Callable[[Any], Any]) -> Any:
        """A connection over `live` (every row of the list, for `totalCount`): the `first`
        rows after the keyset `after` in `key` order, `hasNextPage` from one more row.

        Cursors are computed only when asked for. The page is selected with HAVING, so an
        empty page is one group: one row. `node_row` maps the page to the row an edge's node
        (and its other fields) read from."""
        needs_cursor = _asks_cursor(connection)
        keyed = live if after is None else live.where(after)
        ordering = [k.desc() for k in key] if descending else list(key)
        columns = [k.label(f"k{i}") for i, k in enumerate(key)]
        if needs_cursor:
            columns.append(cursor.label("cursor"))
        page = (keyed.add_columns(*columns).order_by(*ordering).limit(first)
                .correlate(*_rows(correlate)).subquery())
        page_key = [page.c[f"k{i}"] for i in range(len(key))]
        forward = [k.desc() for k in page_key] if descending else page_key
        backward = page_key if descending else [k.desc() for k in page_key]
        args: list[Any] = []
        for key_name, field in connection.fields:
            if isinstance(field, p.EdgeList):
                value: Any = func.coalesce(
                    func.json_agg(aggregate_order_by(
                        self.edge_json(field.edge, page, node_row(page)), *forward)),
                    EMPTY_ARRAY)
            elif isinstance(field, p.PageInfo):
                info: list[Any] = []
                for info_key, what in field.fields:
                    if isinstance(what, p.Const):
                        item: Any = self.field(what, page)
                    elif what == "has_next":
                        item = (keyed.order_by(*ordering).offset(first).limit(1)
                                .correlate(*_rows(correlate)).exists())
                    else:
                        order = forward if what == "start_cursor" else backward
                        item = func.array_agg(aggregate_order_by(page.c.cursor, *order),
                                              type_=ARRAY(Text))[1]
                    info.extend((literal(info_key, Text), item))
                value = func.json_build_object(*info, type_=JSON)
            elif isinstance(field, p.TotalCount):
                value = (select(func.count()).select_from(
                    live.correlate(*_rows(correlate)).subquery()).scalar_subquery())
            else:
                value = self.field(field, page)
            args.extend((literal(key_name, Text), value))
        query = select(func.json_build_object(*args, type_=JSON)).select_from(page).having(true())
        return query.correlate(*_rows(correlate)).scalar_subquery()

    def edge_json(self, fields: p.Fields, page: Any, node: Any) -> Any:
        args: list[Any] = []
        for key, field in fields:
            if isinstance(field, p.Cursor):
                value: Any = page.c.cursor
            elif isinstance(field, p.MemberSequence):
                value = page.c.member_sequence
            elif isinstance(field, p.EdgeNode):
                value = self.obj(field.obj.fields, node)
            else:
                value = self.field(field, page)
            args.extend((literal(key, Text), value))
        return func.json_build_object(*args, type_=JSON)

    def edges(self, field: p.Edges, owner: Any) -> Any:
        edge, other = self.alias(asset_relationships), self.alias(assets)
        near, far = ((edge.c.parent_asset_id, edge.c.child_asset_id) if field.children
                     else (edge.c.child_asset_id, edge.c.parent_asset_id))
        # The other end is joined (it must be live) and read from the page, never looked up
        # again: `far_end` marks which of `parent`/`child` it is.
        live = (select(edge, *[c.label(f"o_{c.name}") for c in other.c])
                .join(other, and_(other.c.workspace_id == edge.c.workspace_id,
                                  other.c.id == far, other.c.deleted_at.is_(None)))
                .where(edge.c.workspace_id == self.ws, near == owner.c.id,
                       self.types_filter(edge.c.relationship_type, field.types)))
        # (0, id) for parents: the cast keeps ORDER BY from reading 0 as a column position
        key = (edge.c.sequence if field.children else cast(literal_column("0"), Integer),
               edge.c.id)
        after = None
        if field.after is not None:
            after = tuple_(*key) > tuple_(self.arg(field.after[0], Integer()),
                                          self.arg(field.after[1], UUID_TYPE))
        cursor = _b64(literal("[", Text) + cast(key[0], Text) + literal(',"', Text)
                      + cast(edge.c.id, Text) + literal('"]', Text))
        far_end = "child" if field.children else "parent"
        return self.page(field.connection, live, key=key, descending=False, after=after,
                         first=self.arg(field.first, Integer()), cursor=cursor,
                         correlate=owner,
                         node_row=lambda page: _EdgeRow(page, far_end))

    def members(self, field: p.Members, collection: Any) -> Any:
        member, asset = self.alias(asset_collection_members), self.alias(assets)
        key = (member.c.sequence, member.c.id)
        live = (select(asset, member.c.sequence.label("member_sequence"),
                       member.c.id.label("member_id"))
                .select_from(member)
                .join(asset, and_(asset.c.workspace_id == member.c.workspace_id,
                                  asset.c.id == member.c.asset_id, asset.c.deleted_at.is_(None)))
                .where(member.c.workspace_id == self.ws, member.c.collection_id == collection.c.id,
                       self.types_filter(asset.c.type, field.types)))
        after = None
        if field.after is not None:
            after = tuple_(*key) > tuple_(self.arg(field.after[0], Integer()),
                                          self.arg(field.after[1], UUID_TYPE))
        cursor = _b64(literal("[", Text) + cast(member.c.sequence, Text) + literal(',"', Text)
                      + cast(member.c.id, Text) + literal('"]', Text))
        return self.page(field.connection, live, key=key, descending=False, after=after,
                         first=self.arg(field.first, Integer()), cursor=cursor,
                         correlate=collection, node_row=lambda page: page)

    def asset_list(self, field: p.AssetList) -> Any:
        asset = self.alias(assets)
        where: list[Any] = [asset.c.workspace_id == self.ws]
        if not field.include_deleted:
            where.append(asset.c.deleted_at.is_(None))
        if field.types is not None:
            where.append(asset.c.type == func.any(self.arg(field.types, ARRAY(Text))))
        if field.sources is not None:
            where.append(asset.c.source == func.any(self.arg(field.sources, ARRAY(Text))))
        # An empty list filters nothing (as a falsy list does in `AssetFilter`).
        if field.tags_all is not None:
            where.append(asset.c.tags.contains(self.arg(field.tags_all, ARRAY(Text))))
        if field.tags_any is not None:
            where.append(asset.c.tags.overlap(self.arg(field.tags_any, ARRAY(Text))))
        if field.collection_id is not None:
            member = self.alias(asset_collection_members)
            where.append(select(member.c.id).where(
                member.c.workspace_id == self.ws,
                member.c.collection_id == self.arg(field.collection_id, UUID_TYPE),
                member.c.asset_id == asset.c.id).correlate(_from(asset)).exists())
        if field.origins is not None:
            where.append(origin_of(asset, self.ws) == func.any(self.arg(field.origins,
                                                                        ARRAY(Text))))
        if field.outdated is not None:
            stale = is_outdated(asset, self.ws)
            where.append(stale if field.outdated else ~stale)
        if field.locked is not None:
            where.append(asset.c.locked == self.arg(field.locked, Boolean()))
        if field.legacy_ids is not None:
            where.append(has_legacy_id(asset, self.arg(field.legacy_ids, ARRAY(Text))))
        live = select(asset).where(*where)
        column = asset.c[field.order]
        after = None
        if field.after is not None:
            bound = tuple_(self.arg(field.after[0], DateTime(timezone=True)),
                           self.arg(field.after[1], UUID_TYPE))
            row_key = tuple_(column, asset.c.id)
            after = row_key < bound if field.descending else row_key > bound
        cursor = _b64(literal('["', Text) + _iso(column) + literal('","', Text)
                      + cast(asset.c.id, Text) + literal('"]', Text))
        return self.page(field.connection, live, key=(column, asset.c.id),
                         descending=field.descending, after=after,
                         first=self.arg(field.first, Integer()), cursor=cursor, correlate=None,
                         node_row=lambda page: page)

    # -- lists ------------------------------------------------------------------------------

    def asset_collections(self, field: p.AssetCollections, asset: Any) -> Any:
        member, collection = self.alias(asset_collection_members), self.alias(asset_collections)
        key = (collection.c.created_at, collection.c.id)
        live = (select(collection)
                .select_from(member)
                .join(collection, and_(collection.c.workspace_id == member.c.workspace_id,
                                       collection.c.id == member.c.collection_id))
                .where(member.c.workspace_id == self.ws, member.c.asset_id == asset.c.id))
        after = None
        if field.after is not None:
            after = tuple_(*key) > tuple_(self.arg(field.after[0], DateTime(timezone=True)),
                                          self.arg(field.after[1], UUID_TYPE))
        cursor = _b64(literal('["', Text) + _iso(collection.c.created_at) + literal('","', Text)
                      + cast(collection.c.id, Text) + literal('"]', Text))
        return self.page(field.connection, live, key=key, descending=False, after=after,
                         first=self.arg(field.first, Integer()), cursor=cursor,
                         correlate=asset, node_row=lambda page: page)

    def instances(self, field: p.Instances, owner: Any) -> Any:
        instance = self.alias(assets)
        key = (instance.c.created_at, instance.c.id)
        live = (select(instance)
                .where(instance.c.workspace_id == self.ws, instance.c.deleted_at.is_(None),
                       instance.c.scene_id.is_not(None),
                       or_(instance.c.scene_id == owner.c.id,
                           instance.c.instance_of == owner.c.id)))
        after = None
        if field.after is not None:
            after = tuple_(*key) > tuple_(self.arg(field.after[0], DateTime(timezone=True)),
                                          self.arg(field.after[1], UUID_TYPE))
        cursor = _b64(literal('["', Text) + _iso(instance.c.created_at) + literal('","', Text)
                      + cast(instance.c.id, Text) + literal('"]', Text))
        return self.page(field.connection, live, key=key, descending=False, after=after,
                         first=self.arg(field.first, Integer()), cursor=cursor,
                         correlate=owner, node_row=lambda page: page)

    def lineage(self, field: p.Lineage, root: Any) -> Any:
        max_depth = self.arg(field.max_depth, Integer())
        first = self.arg(field.first, Integer())

        def ends(edge: Any) -> tuple[Any, Any]:
            c = edge.c
            return ((c.child_asset_id, c.parent_asset_id) if field.upstream
                    else (c.parent_asset_id, c.child_asset_id))

        def live(far: Any, asset: Any) -> Any:
            return and_(asset.c.workspace_id == self.ws, asset.c.id == far,
                        asset.c.deleted_at.is_(None))

        edge, asset = self.alias(asset_relationships), self.alias(assets)
        near, far = ends(edge)
        walk = (
            select(far.label("node"), literal(1, Integer).label("depth"),
                   edge.c.id.label("edge"))
            .join(asset, live(far, asset))
            .where(edge.c.workspace_id == self.ws, near == root.c.id,
                   self.types_filter(edge.c.relationship_type, field.types))
            .correlate(_from(root))
            .cte(f"walk{self._aliases}", recursive=True, nesting=True)
        )
        edge, asset = self.alias(asset_relationships), self.alias(assets)
        near, far = ends(edge)
        walk = walk.union(
            select(far, walk.c.depth + 1, edge.c.id)
            .join(edge, and_(edge.c.workspace_id == self.ws, near == walk.c.node,
                             self.types_filter(edge.c.relationship_type, field.types)))
            .join(asset, live(far, asset))
            .where(walk.c.depth <= max_depth)
        )
        nearest = (
            select(walk).where(walk.c.node != root.c.id)
            .ext(distinct_on(walk.c.node))
            .order_by(walk.c.node, walk.c.depth, walk.c.edge)
            .correlate(_from(root))
            .cte(f"nearest{self._aliases}", nesting=True)
        )
        ranked = select(
            nearest,
            func.row_number().over(order_by=(nearest.c.depth, nearest.c.node)).label("n"),
            func.bool_or(nearest.c.depth > max_depth).over().label("cut"),
        ).cte(f"ranked{self._aliases}", nesting=True)
        node, relationship = self.alias(assets), self.alias(asset_relationships)
        steps = (
            select(ranked.c.depth, ranked.c.n, ranked.c.cut,
                   node.c.id.label("node_id"), relationship.c.id.label("edge_id"))
            .select_from(ranked)
            .join(node, and_(node.c.workspace_id == self.ws, node.c.id == ranked.c.node))
            .join(relationship, and_(relationship.c.workspace_id == self.ws,
                                     relationship.c.id == ranked.c.edge))
            .where(ranked.c.depth <= max_depth, ranked.c.n <= first + 1)
            .correlate(_from(root))
            .subquery()
        )
        args: list[Any] = []
        for key, item in field.fields:
            if isinstance(item, p.Steps):
                value: Any = func.coalesce(
                    func.json_agg(aggregate_order_by(self.step_json(item.step, steps), steps.c.n))
                    .filter(steps.c.n <= first), EMPTY_ARRAY)
            elif isinstance(item, p.IsPartial):
                value = func.coalesce(func.bool_or(steps.c.cut), false()) | (func.count() > first)
            else:
                value = self.field(item, steps)
            args.extend((literal(key, Text), value))
        # HAVING makes one group of the steps, so an empty walk still has a row.
        return (select(func.json_build_object(*args, type_=JSON)).select_from(steps)
                .having(true()).correlate(_from(root)).scalar_subquery())

    def step_json(self, fields: p.Fields, steps: Any) -> Any:
        args: list[Any] = []
        for key, field in fields:
            if isinstance(field, p.StepDepth):
                value: Any = steps.c.depth
            elif isinstance(field, p.StepAsset):
                value = self.by_id("asset", steps.c.node_id, field.obj, correlate=steps)
            elif isinstance(field, p.StepRelationship):
                value = self.by_id("relationship", steps.c.edge_id, field.obj, correlate=steps)
            else:
                value = self.field(field, steps)
            args.extend((literal(key, Text), value))
        return func.json_build_object(*args, type_=JSON)


@lru_cache(maxsize=1000)
def compile_read(fields: p.Fields) -> CompiledRead:
    """The statement answering a root selection: one text column holding the JSON object.

    Raises `Unsupported` when a shape cannot be compiled."""
    compiler = _Compiler()
    statement = select(cast(compiler.obj(fields, None), Text))
    compiled = statement.compile(dialect=DIALECT)
    names = tuple(compiled.positiontup or ())
    return CompiledRead(sql=str(compiled), names=names,
                        fixed={k: v for k, v in compiled.params.items() if v is not None})


async def run_read(tx: Transaction, read: CompiledRead, args: Sequence[Any], *,
                   download_prefix: str) -> str | None:
    """The JSON text of a compiled read, in the request's transaction, or None when a value
    has no GraphQL form (`OUT_OF_INT_RANGE`) and the resolvers must answer."""
    values: list[Any] = []
    for name in read.names:
        if name == "ws":
            values.append(tx.ws)
        elif name == "download_prefix":
            values.append(download_prefix)
        elif name.startswith("arg_"):
            values.append(args[int(name.removeprefix("arg_"))])
        else:
            values.append(read.fixed.get(name))
    text = await tx.scalar(read.sql, values)
    assert isinstance(text, str)
    return None if OUT_OF_INT_RANGE in text else text


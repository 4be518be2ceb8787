"""What a compiled read asks for: a tree of JSON shapes over the graph's rows.

A plan is pure, hashable data: the same document asks for the same plan, whatever the values
of its arguments, because every value supplied at run time is an `Arg` (the index of a bound
parameter). So the SQL a plan compiles to is built once per shape (see `domain.reads.queries`)
and reused with new values. Keys are the response's keys, in the response's order.

Each shape is read against a row of one table (an asset, a relationship, a collection) or a
computed row (a page, a lineage step); the names below say which.
"""

from dataclasses import dataclass
from typing import Literal, TypeAlias


@dataclass(frozen=True)
class Arg:
    """A value supplied at run time: the index of a bound parameter."""

    index: int


# -- values read from the current row --------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column as JSON: timestamps as ISO 8601 (Python's `isoformat`), numerics as numbers."""

    name: str


@dataclass(frozen=True)
class Const:
    """A value fixed by the document, such as a `__typename`."""

    value: str | bool | None


@dataclass(frozen=True)
class Value:
    """A string supplied at run time (who is asking)."""

    arg: Arg


@dataclass(frozen=True)
class OpaqueId:
    """The row's id as `base64url("<type_name>:<id>")` without padding."""

    type_name: str


@dataclass(frozen=True)
class EnumName:
    """A text column mapped to names: `(stored value, name)` pairs."""

    column: str
    names: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Origin:
    """On an asset row: its `AssetOrigin` (`domain.assets.origin`), mapped to names as
    `(stored value, name)` pairs."""

    names: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Flag:
    """A boolean kept under `key` in a jsonb column, or null when it is not a boolean."""

    column: str
    key: str


@dataclass(frozen=True)
class DownloadUrl:
    """The request's download prefix (`FileLinks.download_prefix`, a value bound at run time
    like the workspace) followed by a text column, or null when the column is null."""

    column: str


@dataclass(frozen=True)
class Obj:
    """An object built from the current row."""

    fields: "Fields"


@dataclass(frozen=True)
class ObjUnlessNull:
    """Null when `column` is null, else the object."""

    column: str
    obj: Obj


# -- relations of an asset row ---------------------------------------------------------------

@dataclass(frozen=True)
class Edges:
    """Children (by sequence) or parents (by link order) of an asset; live ends only."""

    children: bool
    types: Arg | None
    first: Arg
    after: tuple[Arg, Arg] | None
    connection: "Connection"


@dataclass(frozen=True)
class Lineage:
    """Ancestors (upstream) or descendants of an asset, nearest first: `Steps`, `IsPartial`."""

    upstream: bool
    types: Arg | None
    max_depth: Arg
    first: Arg
    fields: "Fields"


@dataclass(frozen=True)
class Steps:
    """The steps; a step row has `StepDepth`, `StepAsset` and `StepRelationship`."""

    step: "Fields"


@dataclass(frozen=True)
class IsPartial:
    pass


@dataclass(frozen=True)
class StepDepth:
    pass


@dataclass(frozen=True)
class StepAsset:
    obj: Obj


@dataclass(frozen=True)
class StepRelationship:
    obj: Obj


@dataclass(frozen=True)
class AssetCollections:
    """A page of the collections holding an asset, oldest first (`created_at`, id)."""

    first: Arg
    after: tuple[Arg, Arg] | None
    connection: "Connection"


@dataclass(frozen=True)
class Instances:
    """A page of live scene instances: a scene's, or a project asset's in every scene; oldest
    first (`created_at`, id)."""

    first: Arg
    after: tuple[Arg, Arg] | None
    connection: "Connection"


@dataclass(frozen=True)
class EdgeEnd:
    """On a relationship row: the asset at one end (`parent` or `child`), deleted or not."""

    parent: bool
    obj: Obj


# -- relations of a collection row -----------------------------------------------------------

@dataclass(frozen=True)
class Members:
    """A collection's live member assets in collection order."""

    types: Arg | None
    first: Arg
    after: tuple[Arg, Arg] | None
    connection: "Connection"


# -- connections (a page of rows) ------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    pass


@dataclass(frozen=True)
class MemberSequence:
    pass


@dataclass(frozen=True)
class EdgeNode:
    """The edge's node: the relationship row (`Edges`), the member asset (`Members`) or the
    collection (`AssetCollections`)."""

    obj: Obj


@dataclass(frozen=True)
class EdgeList:
    edge: "Fields"


PageField = Literal["has_next", "start_cursor", "end_cursor"]


@dataclass(frozen=True)
class PageInfo:
    """Keys mapped to what the page knows, or to a `Const` (e.g. `hasPreviousPage`)."""

    fields: tuple[tuple[str, "PageField | Const"], ...]


@dataclass(frozen=True)
class TotalCount:
    pass


@dataclass(frozen=True)
class Connection:
    fields: tuple[tuple[str, "EdgeList | PageInfo | TotalCount | Const"], ...]


# -- the roots -------------------------------------------------------------------------------

RowKind = Literal["asset", "collection", "relationship"]


@dataclass(frozen=True)
class ById:
    """One row of `kind` by id (soft-deleted assets included), or null."""

    kind: RowKind
    id: Arg
    obj: Obj


@dataclass(frozen=True)
class ManyById:
    """Rows of one `kind` for a list of ids, in the list's order, null where missing."""

    kind: RowKind
    ids: Arg
    obj: Obj


@dataclass(frozen=True)
class AssetList:
    """The workspace's assets by filter, ordered by `order` then id, from the keyset `after`.

    Filters mirror `domain.assets.queries.AssetFilter` (a free-text search is not compiled).
    `outdated` is part of the shape (an EXISTS or a NOT EXISTS), not a value."""

    types: Arg | None
    sources: Arg | None
    tags_all: Arg | None
    tags_any: Arg | None
    collection_id: Arg | None
    include_deleted: bool
    origins: Arg | None
    outdated: bool | None
    locked: Arg | None
    legacy_ids: Arg | None
    order: Literal["created_at", "updated_at"]
    descending: bool
    first: Arg
    after: tuple[Arg, Arg] | None
    connection: Connection


@dataclass(frozen=True)
class WorkspaceOf:
    """The asking workspace's row (`Column`s and `OpaqueId` read it)."""

    obj: Obj


Field: TypeAlias = (
    Column | Const | Value | OpaqueId | EnumName | Flag | DownloadUrl | Obj | ObjUnlessNull | Edges
    | Lineage | Steps | IsPartial | StepDepth | StepAsset | StepRelationship | AssetCollections
    | Instances | EdgeEnd | Members | Cursor | MemberSequence | EdgeNode | EdgeList
    | PageInfo | TotalCount | ById | ManyById | AssetList | WorkspaceOf | Origin
)
Fields: TypeAlias = tuple[tuple[str, Field], ...]

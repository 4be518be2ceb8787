"""Relay basics: the `Node` interface, `PageInfo` (built by `connection`), and the enums several
types share."""

from enum import Enum

import strawberry


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.enum(description="How the child stands to the parent, e.g. shot PART_OF film.")
class RelationshipType(Enum):
    USED_IN = "used_in"
    DERIVED_FROM = "derived_from"
    VARIANT_OF = "variant_of"
    PART_OF = "part_of"
    REFERENCE_FOR = "reference_for"
    GENERATED_FROM = "generated_from"


@strawberry.enum
class LineageDirection(Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


def type_values(types: list[RelationshipType] | None) -> tuple[str, ...] | None:
    return None if types is None else tuple(dict.fromkeys(t.value for t in types))

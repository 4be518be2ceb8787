"""Relay basics: the `Node` interface, `PageInfo` (built by `connection`), and the enums several
types share."""

import strawberry

from domain.assets.vocabulary import OrderDirection as OrderDirection
from domain.graph.vocabulary import LineageDirection as LineageDirection
from domain.graph.vocabulary import RelationshipType as RelationshipType


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


# `strawberry.enum` registers the domain's class in place and returns it: the GraphQL enum *is*
# the domain enum, so resolvers pass members through unconverted and mypy sees a real type.
strawberry.enum(RelationshipType, name="RelationshipType",
                description="How the child stands to the parent, e.g. shot PART_OF film.")
strawberry.enum(LineageDirection, name="LineageDirection")
strawberry.enum(OrderDirection, name="OrderDirection")


def distinct_types(types: list[RelationshipType] | None) -> tuple[RelationshipType, ...] | None:
    """A loader key (hashable); a type asked twice counts once."""
    return None if types is None else tuple(dict.fromkeys(types))

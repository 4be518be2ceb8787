"""The graph's closed sets: edge types and the directions a walk can take.

Each value is what `asset_relationships.relationship_type` stores; schema/ exposes these enums
as they are (`strawberry.enum`), so a new member is a new GraphQL value.
"""

from enum import StrEnum


class RelationshipType(StrEnum):
    """How the child stands to the parent, e.g. shot PART_OF film."""

    USED_IN = "used_in"
    DERIVED_FROM = "derived_from"
    VARIANT_OF = "variant_of"
    PART_OF = "part_of"
    REFERENCE_FOR = "reference_for"
    GENERATED_FROM = "generated_from"


# Edges through which an asset derives its content from another: they protect the parent
# from deletion while the child lives.
DERIVING_TYPES = (RelationshipType.DERIVED_FROM, RelationshipType.VARIANT_OF)


class EdgeDirection(StrEnum):
    """Which edges of an asset a page lists: to its children or to its parents."""

    CHILDREN = "children"
    PARENTS = "parents"


class LineageDirection(StrEnum):
    """Which way a lineage walk goes: towards parents (UPSTREAM) or children."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"

"""The assets' closed sets: where an asset came from, and how a list of assets is ordered.

`AssetSource` values are what `assets.source` stores (its CHECK constraint lists the same).
schema/ exposes the ordering enums and `AssetOrigin` as they are (`strawberry.enum`); the
source stays a String in GraphQL.
"""

from enum import StrEnum


class AssetSource(StrEnum):
    UPLOAD = "upload"
    GENERATION = "generation"
    IMPORT = "import"
    DERIVATIVE = "derivative"


class AssetOrigin(StrEnum):
    """Where an asset stands in the production, computed from the graph (never stored): see
    `domain.assets.origin`, whose one SQL expression decides it."""

    LIBRARY = "library"
    PROJECT = "project"
    INSTANCE = "instance"
    OTHER = "other"


class AssetOrderField(StrEnum):
    """The column a list of assets is ordered by (then by id)."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"


class OrderDirection(StrEnum):
    ASC = "asc"
    DESC = "desc"

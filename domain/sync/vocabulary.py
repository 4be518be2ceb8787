"""The closed sets of clone, sync and promote: what a caller may choose, what a promotion did.

schema/ exposes these enums as they are (`strawberry.enum`), so a new member is a new GraphQL
value.
"""

from enum import StrEnum


class NameStrategy(StrEnum):
    """How a clone is named: as its source, as its source plus the collection, or as given."""

    SOURCE = "source"
    SOURCE_WITH_COLLECTION = "source_with_collection"
    CUSTOM = "custom"


class SyncTake(StrEnum):
    """How a sync resolves a conflicting field: keep the local value or take the source's."""

    KEEP_LOCAL = "keep_local"
    TAKE_SOURCE = "take_source"


class PromoteConflict(StrEnum):
    """What a promotion does when the library already holds an asset of the same name."""

    CREATE_NEW = "create_new"
    OVERWRITE = "overwrite"
    SKIP = "skip"


class PromoteOutcome(StrEnum):
    """What a promotion did."""

    CREATED = "created"
    OVERWRITTEN = "overwritten"
    SKIPPED = "skipped"

"""The closed sets of scene authoring; schema/ exposes them as they are (`strawberry.enum`)."""

from enum import StrEnum


class InheritMode(StrEnum):
    """What `inheritSceneAssets` does with a scene that already has instances."""

    CREATE = "create"
    MERGE = "merge"
    REPLACE = "replace"


class SkipReason(StrEnum):
    """Why propagation stopped at a later scene's instance (the chain ends there)."""

    LOCAL_EDIT = "local_edit"
    LOCKED = "locked"
    NOT_INHERITED = "not_inherited"


class StaleReason(StrEnum):
    """Why an instance no longer reflects what it was inherited from."""

    SCENE_ORDER_CHANGED = "scene_order_changed"
    SOURCE_CHANGED = "source_changed"
    SOURCE_REMOVED = "source_removed"

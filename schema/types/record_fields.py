"""GraphQL objects built from their domain record: each field is said once, in the type.

A type's plain fields named like its record's are read from the record by name; only the
others (the global ID, enums, numbers the schema shows as floats) are passed explicitly.
Values are copied once at construction, so every plain field still resolves with strawberry's
default attribute resolver: no resolver call per field on lists of hundreds of nodes.
"""

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def _shared_names(graphql_type: type, record_type: type) -> tuple[str, ...]:
    record_names = {f.name for f in dataclasses.fields(record_type)}
    return tuple(
        f.name for f in dataclasses.fields(graphql_type)
        if f.init and f.name != "record" and f.name in record_names
    )


def build(graphql_type: Callable[..., T], record: Any, **converted: Any) -> T:
    """An instance of `graphql_type` holding `record` (its private `record` field), with every
    field the record shares by name copied and `converted` overriding or adding the rest."""
    values = {name: getattr(record, name)
              for name in _shared_names(graphql_type, type(record))}  # type: ignore[arg-type]
    values.update(converted)
    return graphql_type(record=record, **values)

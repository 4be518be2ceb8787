"""Argument handling shared by resolvers: global IDs, cursors, page sizes.

Bad arguments of a query are top-level errors with `extensions.code = INVALID` and the field;
inside a mutation the same checks raise `DomainError` and land in the payload's `errors`.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError, ErrorCode

# The paging arguments of every connection, described once.
First = Annotated[int | None, strawberry.argument(
    description="At most this many edges, 0 to 100 (more is an INVALID error, never a silent "
                "cut); default 100.")]
After = Annotated[str | None, strawberry.argument(
    description="Start after this cursor: an edge's `cursor` or `pageInfo.endCursor` of the "
                "same list with the same arguments. Omit for the first page.")]


def bad_input(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.INVALID.value, "field": field})


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _b64decode(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def to_global_id(type_name: str, raw_id: UUID | int) -> str:
    return _b64encode(f"{type_name}:{raw_id}")


def parse_global_id(value: str) -> tuple[str, str] | None:
    try:
        type_name, _, raw = _b64decode(value).partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (type_name, raw) if type_name and raw else None


def decode_uuid(value: str, type_name: str) -> UUID | None:
    """The UUID inside a global ID of `type_name`, or None if it is not one."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return UUID(parsed[1])
    except ValueError:
        return None


def query_id(value: str, type_name: str, field: str = "id") -> UUID:
    """For queries: a malformed ID is an error; a well-formed unknown one resolves to null."""
    decoded = decode_uuid(value, type_name)
    if decoded is None:
        raise bad_input(f"{value[:100]!r} is not a valid {type_name} ID", field)
    return decoded


def mutation_id(value: str, type_name: str, field: str) -> UUID:
    decoded = decode_uuid(value, type_name)
    if decoded is None:
        raise DomainError.of(
            ErrorCode.INVALID, f"{value[:100]!r} is not a valid {type_name} ID", field
        )
    return decoded


def page_size(first: int | None, limit: int, default: int | None = None) -> int:
    """`first` must lie in 0..limit: more is an error, never a silent clamp."""
    if first is None:
        return default if default is not None else limit
    if not 0 <= first <= limit:
        raise bad_input(f"first must be between 0 and {limit}, got {first}", "first")
    return first


def encode_cursor(*values: Any) -> str:
    def plain(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v

    return _b64encode(json.dumps([plain(v) for v in values], separators=(",", ":")))


def decode_cursor(cursor: str | None, *kinds: type) -> tuple[Any, ...] | None:
    """The keyset behind a cursor, each value parsed as the expected kind."""
    if cursor is None:
        return None
    try:
        values = json.loads(_b64decode(cursor))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        parsed: list[Any] = []
        for kind, value in zip(kinds, values, strict=True):
            if kind is datetime:
                parsed.append(datetime.fromisoformat(value))
            elif kind is UUID:
                parsed.append(UUID(value))
            elif type(value) is kind and kind in (int, str):
                parsed.append(value)
            else:
                raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad_input("after is not a cursor this list produced", "after") from None
    return tuple(parsed)

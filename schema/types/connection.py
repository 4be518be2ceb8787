"""The one builder of every `…Connection`: edges with their cursors, `pageInfo`, `totalCount`.

A cursor is the domain page's key for its item, encoded and nothing more: the key's shape
belongs to the domain, which also names the kinds a cursor decodes back to
(`decode_cursor(after, *SHAPE)`).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from domain.records import Page
from schema.inputs import encode_cursor
from schema.types.common import PageInfo

T = TypeVar("T")
C = TypeVar("C")


def connection(
    connection_type: Callable[..., C],
    page: Page[T],
    edge: Callable[[str, T], object],
    *,
    has_previous: bool,
    **extra: Any,
) -> C:
    """`edge(cursor, item)` builds one edge. A page that carries its total fills `totalCount`;
    connections whose total is counted only when asked (a separate query) resolve it
    themselves from `extra`."""
    cursors = [encode_cursor(*key) for key in page.keys]
    fields: dict[str, Any] = {
        "edges": [edge(cursor, item) for cursor, item in zip(cursors, page.items, strict=True)],
        "page_info": PageInfo(
            has_next_page=page.has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    }
    if page.total is not None:
        fields["total_count"] = page.total
    return connection_type(**fields, **extra)

"""A page per owner, for many owners, in one statement: the shape every batched list shares
(an asset's edges and its jobs, a collection's members, the collections holding an asset).

`pages_by_owner` takes the list's live rows (a CTE carrying an owner column) and runs one
statement that numbers each owner's rows in key order after the keyset `after`, keeps
`first + 1` of them (the extra one only says there is a next page) and counts the whole list
per owner; the rows come back realigned to the asked owners as `Page`s.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import CTE, and_, func, select, tuple_
from sqlalchemy.engine import Row

from domain.db import Transaction
from domain.records import Key, Page

T = TypeVar("T")


async def pages_by_owner(
    tx: Transaction, live: CTE, *, owner: str, key: Sequence[Any], owners: Sequence[UUID],
    first: int, after: Key | None, record: Callable[[Row[Any]], T],
    record_key: Callable[[T], Key], descending: bool = False,
) -> dict[UUID, Page[T]]:
    """`live`'s rows as a page per owner (`owner` names its column; `key` are expressions over
    `live`, newest first when `descending`), with each owner's total; owners with no row get
    an empty page."""
    owner_column = live.c[owner]
    totals = (select(owner_column.label("page_owner"), func.count().label("total"))
              .group_by(owner_column).cte("totals"))
    ordering = [k.desc() for k in key] if descending else list(key)
    numbered = select(live, func.row_number().over(partition_by=owner_column,
                                                   order_by=ordering).label("rn"))
    if after is not None:
        bound = tuple_(*after)
        numbered = numbered.where(tuple_(*key) < bound if descending else tuple_(*key) > bound)
    page = numbered.cte("page")
    rows = await tx.execute(
        select(totals.c.page_owner, totals.c.total, page)
        .select_from(totals.outerjoin(page, and_(page.c[owner] == totals.c.page_owner,
                                                 page.c.rn <= first + 1)))
        .order_by(totals.c.page_owner, page.c.rn)
    )
    collected: dict[UUID, tuple[int, list[T]]] = {}
    for row in rows:
        _, found = collected.setdefault(row.page_owner, (row.total, []))
        if row.rn is not None:
            found.append(record(row))
    pages = {}
    for owner_id in owners:
        total, found = collected.get(owner_id, (0, []))
        pages[owner_id] = Page.cut(found, first, record_key, total=total)
    return pages

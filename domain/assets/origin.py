"""The origin of an asset (`AssetOrigin`), as ONE SQL expression.

The `origin` filter of asset lists, the `Asset.origin` field's loader and the compiled read
path all build it here, so the rule has one owner and the two read paths cannot disagree:

1. INSTANCE: a scene instance (`instance_of` is set);
2. else LIBRARY: a member of a collection of type `library`;
3. else PROJECT: a member of a collection of type `project`;
4. else OTHER.

An asset in both a library and a project is LIBRARY: it is the library's asset, the project
only uses it.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, and_, any_, bindparam, case, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from domain.assets.vocabulary import AssetOrigin
from domain.db import Transaction
from domain.tables import asset_collection_members, asset_collections, assets


def _value(origin: AssetOrigin) -> ColumnElement[str]:
    return literal(origin.value, Text)


def origin_of(asset: Any, ws: Any) -> ColumnElement[str]:
    """The `AssetOrigin` value of the asset row `asset`: a table, an alias or a page, anything
    whose `.c` has the asset's `id` and `instance_of`. `ws` is the workspace (a value or a
    bound parameter); the membership look-up correlates to the row wherever it sits."""
    member, collection = asset_collection_members.alias(), asset_collections.alias()
    membership = (
        select(case((func.bool_or(collection.c.type == "library"), _value(AssetOrigin.LIBRARY)),
                    (func.bool_or(collection.c.type == "project"), _value(AssetOrigin.PROJECT))))
        .select_from(member)
        .join(collection, and_(collection.c.workspace_id == member.c.workspace_id,
                               collection.c.id == member.c.collection_id))
        .where(member.c.workspace_id == ws, member.c.asset_id == asset.c.id)
        .correlate_except(member, collection)
        .scalar_subquery()
    )
    return case((asset.c.instance_of.is_not(None), _value(AssetOrigin.INSTANCE)),
                else_=func.coalesce(membership, _value(AssetOrigin.OTHER)))


ORIGINS = select(assets.c.id, origin_of(assets, bindparam("ws")).label("origin")).where(
    assets.c.workspace_id == bindparam("ws"),
    assets.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))))


async def asset_origins(tx: Transaction, ids: Sequence[UUID]) -> dict[UUID, AssetOrigin]:
    """The origin of each asset, soft-deleted ones included. An id with no row (an asset
    purged earlier in the same request) has left every collection: OTHER."""
    rows = await tx.execute(ORIGINS, {"ws": tx.ws, "ids": list(ids)})
    found = {row.id: AssetOrigin(row.origin) for row in rows}
    return {asset_id: found.get(asset_id, AssetOrigin.OTHER) for asset_id in ids}

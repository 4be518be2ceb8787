"""What generation has cost: the jobs a scope has spent on, and their sums (DESIGN §6).

A scope is an asset, a collection, or the whole workspace. An asset's scope is the asset and
every asset below it through PART_OF and USED_IN edges, at any depth (a film's scenes, their
shots and scene instances); a collection's is its members and theirs. A style is never reached
through an edge (it is USED_IN what it styles, not a part of it), and a walk never continues
from one, even one named directly. Soft-deleted assets count and are walked through: money
spent stays spent.

`spent_jobs` is the one definition of "spent": the summary here and anything that compares
spending with a budget count the same jobs. Each function is one statement, whatever the size
of the graph below the scope.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Select,
    Text,
    Uuid,
    and_,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from domain.db import Transaction
from domain.graph.vocabulary import RelationshipType
from domain.tables import asset_collection_members as members
from domain.tables import asset_relationships as rel
from domain.tables import assets, jobs

SCOPE_EDGES = (RelationshipType.PART_OF, RelationshipType.USED_IN)
NEVER_A_PART = "style"


@dataclass(frozen=True)
class CostScope:
    """Whose jobs count: an asset's, a collection's, or (neither given) the workspace's."""

    asset_id: UUID | None = None
    collection_id: UUID | None = None

    def __post_init__(self) -> None:
        if self.asset_id is not None and self.collection_id is not None:
            raise ValueError("a cost scope is an asset or a collection, not both")


def assets_in_scope(ws: UUID, scope: CostScope, *, name: str = "scope"
                    ) -> Select[tuple[UUID]] | None:
    """The ids of the assets in an asset's or a collection's scope, each once; None for the
    workspace's scope, which restricts nothing (it keeps the jobs of purged assets too).

    The walk's UNION keeps one row per asset, so an asset reached by several paths counts
    once, and a cycle across PART_OF and USED_IN (each alone is acyclic) ends the walk.
    `name` names its CTE: one statement holding several scopes needs a name for each."""
    if scope.asset_id is not None:
        roots = select(assets.c.id, assets.c.type).where(
            assets.c.workspace_id == ws, assets.c.id == scope.asset_id)
    elif scope.collection_id is not None:
        roots = (
            select(assets.c.id, assets.c.type)
            .join(members, and_(members.c.workspace_id == assets.c.workspace_id,
                                members.c.asset_id == assets.c.id))
            .where(assets.c.workspace_id == ws, members.c.workspace_id == ws,
                   members.c.collection_id == scope.collection_id)
        )
    else:
        return None
    walk = roots.cte(name, recursive=True)
    edge, child = rel.alias(f"{name}_edge"), assets.alias(f"{name}_child")
    walk = walk.union(
        select(child.c.id, child.c.type)
        .select_from(walk)
        .join(edge, and_(edge.c.workspace_id == ws, edge.c.parent_asset_id == walk.c.id,
                         edge.c.relationship_type.in_(SCOPE_EDGES)))
        .join(child, and_(child.c.workspace_id == ws, child.c.id == edge.c.child_asset_id,
                          child.c.type != NEVER_A_PART))
        .where(walk.c.type != NEVER_A_PART)
    )
    return select(walk.c.id)


def spent_jobs(ws: UUID, scope: CostScope, *, name: str = "scope"
               ) -> Select[tuple[UUID, str, UUID | None, Decimal, datetime | None]]:
    """The jobs a scope has spent on: those with a cost (cost > 0), about an asset in scope
    (any job of the workspace for the workspace's scope). Columns: id, kind, asset_id, cost,
    finished_at."""
    query = select(jobs.c.id, jobs.c.kind, jobs.c.asset_id, jobs.c.cost, jobs.c.finished_at
                   ).where(jobs.c.workspace_id == ws, jobs.c.cost > 0)
    in_scope = assets_in_scope(ws, scope, name=name)
    if in_scope is not None:
        query = query.where(jobs.c.asset_id.in_(in_scope))
    return query


@dataclass(frozen=True)
class CostSummary:
    total: Decimal
    by_kind: list[tuple[str, Decimal, int]]
    """(kind, total, jobs), by kind."""
    by_day: list[tuple[datetime, Decimal]]
    """(start of the day the jobs finished, total), oldest first."""
    by_asset: list[tuple[UUID, Decimal, int]]
    """(asset id, total, jobs), costliest first, then by id; jobs of purged assets in none."""


async def cost_summary(tx: Transaction, scope: CostScope, *, by_asset_limit: int
                       ) -> CostSummary:
    """The sums of `spent_jobs`, per kind, per day and per asset (the `by_asset_limit`
    costliest), in one statement: the scope is walked and the jobs read once."""
    spent = spent_jobs(tx.ws, scope).cte("spent")
    total, count = func.sum(spent.c.cost).label("total"), func.count().label("jobs")
    no_kind, no_asset = cast(null(), Text), cast(null(), Uuid)
    no_day = cast(null(), DateTime(timezone=True))
    day = func.date_trunc("day", spent.c.finished_at).label("day")
    by_asset = (
        select(spent.c.asset_id, total, count).where(spent.c.asset_id.is_not(None))
        .group_by(spent.c.asset_id).order_by(total.desc(), spent.c.asset_id)
        .limit(by_asset_limit).subquery("by_asset")
    )
    sums = union_all(
        select(literal("kind").label("part"), spent.c.kind, no_day.label("day"),
               no_asset.label("asset_id"), total, count).group_by(spent.c.kind),
        select(literal("day"), no_kind, day, no_asset, total, count).group_by(day),
        select(literal("asset"), no_kind, no_day, by_asset.c.asset_id, by_asset.c.total,
               by_asset.c.jobs),
    ).subquery("sums")
    rows = (await tx.execute(select(sums).order_by(
        sums.c.part, sums.c.kind, sums.c.day, sums.c.total.desc(), sums.c.asset_id))).all()
    by_kind = [(r.kind, r.total, r.jobs) for r in rows if r.part == "kind"]
    return CostSummary(
        total=sum((t for _, t, _ in by_kind), Decimal(0)), by_kind=by_kind,
        by_day=[(r.day, r.total) for r in rows if r.part == "day"],
        by_asset=[(r.asset_id, r.total, r.jobs) for r in rows if r.part == "asset"])

"""Budgets: what a workspace or a collection may spend on generation, and the reservations
that keep concurrent enqueues from spending past it.

A budget's scope is a `CostScope` (domain/jobs/costs.py): its `spent` is what costSummary
counts for the same scope (the jobs with a cost; for a MONTH budget, those that finished this
calendar month, UTC). Its `reserved` is the estimate (`jobs.reserved_cost`) of every queued or
running job in scope: the actual cost replaces it when the job succeeds, and a failed or
cancelled job holds none (a retried one holds it again).

Enqueueing a costed job locks every budget row of the workspace (`FOR UPDATE`, in id order)
and is refused with BUDGET_EXCEEDED, writing nothing, when spent + reserved + the estimate
would pass the limit of any budget whose scope holds the job's asset. The row locks serialise
enqueues against budgets, and each check reads the sums after the lock is taken (READ
COMMITTED: the statement sees what earlier holders committed), so concurrent enqueues never
overspend.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert

from domain.collections.queries import get_collections
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import record_event
from domain.ids import uuid7
from domain.jobs.costs import CostScope, assets_in_scope, spent_jobs
from domain.jobs.rules import JobStatus
from domain.records import FromRow
from domain.tables import budgets, jobs

LIMIT_MAX = Decimal("1000000000")
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class BudgetPeriod(StrEnum):
    """Over what a budget's spending is counted; the value is what `budgets.period` stores."""

    MONTH = "month"
    TOTAL = "total"


@dataclass(frozen=True)
class BudgetRecord(FromRow):
    workspace_id: UUID
    id: UUID
    collection_id: UUID | None
    limit_amount: Decimal
    period: str
    created_at: datetime
    updated_at: datetime

    @property
    def scope(self) -> CostScope:
        return CostScope(collection_id=self.collection_id)


@dataclass(frozen=True)
class BudgetStatus:
    budget: BudgetRecord
    spent: Decimal
    reserved: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.budget.limit_amount - self.spent - self.reserved)


def _sums(ws: UUID, budget: BudgetRecord, index: int) -> tuple[Any, Any]:
    """Scalar subqueries: what the budget's scope spent in its period, and holds reserved
    (`index` names their scope walks apart within one statement)."""
    spent = spent_jobs(ws, budget.scope, name=f"spent_scope{index}").subquery(f"spent{index}")
    spent_sum = select(func.coalesce(func.sum(spent.c.cost), 0))
    if budget.period == BudgetPeriod.MONTH:
        spent_sum = spent_sum.where(
            spent.c.finished_at >= func.date_trunc("month", func.now(), "UTC"))
    reserved = select(func.coalesce(func.sum(jobs.c.reserved_cost), 0)).where(
        jobs.c.workspace_id == ws, jobs.c.status.in_(ACTIVE), jobs.c.reserved_cost > 0)
    in_scope = assets_in_scope(ws, budget.scope, name=f"reserved_scope{index}")
    if in_scope is not None:
        reserved = reserved.where(jobs.c.asset_id.in_(in_scope))
    return spent_sum.scalar_subquery(), reserved.scalar_subquery()


async def statuses(tx: Transaction, found: list[BudgetRecord]) -> list[BudgetStatus]:
    """Each budget with its spent and reserved sums, in one statement."""
    if not found:
        return []
    columns = []
    for index, budget in enumerate(found):
        spent, reserved = _sums(tx.ws, budget, index)
        columns += [spent.label(f"s{index}"), reserved.label(f"r{index}")]
    row = (await tx.execute(select(*columns))).one()
    return [BudgetStatus(budget, Decimal(row[2 * i]), Decimal(row[2 * i + 1]))
            for i, budget in enumerate(found)]


async def budgets_of(tx: Transaction, collection_ids: list[UUID | None]
                     ) -> dict[UUID | None, BudgetRecord]:
    """The budgets of these scopes (None: the workspace's), where one is set."""
    wanted = [c for c in collection_ids if c is not None]
    condition: ColumnElement[bool] = budgets.c.collection_id.in_(wanted)
    if None in collection_ids:
        condition = or_(condition, budgets.c.collection_id.is_(None))
    rows = await tx.execute(select(budgets).where(budgets.c.workspace_id == tx.ws, condition))
    return {row.collection_id: BudgetRecord.from_row(row) for row in rows}


async def set_budget(tx: Transaction, *, collection_id: UUID | None, limit: Decimal | None,
                     period: BudgetPeriod) -> BudgetRecord | None:
    """Set (or with `limit` None, remove) the budget of a collection or of the workspace."""
    if collection_id is not None and not (await get_collections(tx, [collection_id])):
        raise not_found("collection", "collectionId")
    if limit is not None and not Decimal(0) <= limit <= LIMIT_MAX:
        raise DomainError.of(ErrorCode.INVALID, f"limit must be between 0 and {LIMIT_MAX}",
                             "limit")
    scope = (budgets.c.collection_id == collection_id if collection_id is not None
             else budgets.c.collection_id.is_(None))
    if limit is None:
        await tx.execute(delete(budgets).where(budgets.c.workspace_id == tx.ws, scope))
        await record_event(tx, "budget.removed", collection_id or tx.ws,
                           {"collection_id": collection_id})
        return None
    row = (await tx.execute(
        insert(budgets).values(workspace_id=tx.ws, id=uuid7(), collection_id=collection_id,
                               limit_amount=limit, period=period)
        .on_conflict_do_update(index_elements=["workspace_id", "collection_id"],
                               set_={"limit_amount": limit, "period": period,
                                     "updated_at": func.now()})
        .returning(*budgets.c))).one()
    await record_event(tx, "budget.set", collection_id or tx.ws, {
        "collection_id": collection_id, "limit": limit, "period": period})
    return BudgetRecord.from_row(row)


async def reservation_errors(tx: Transaction, asset_id: UUID | None, amount: Decimal,
                             field: str) -> list[ErrorDetail]:
    """Lock the workspace's budgets; BUDGET_EXCEEDED for each whose scope holds the asset and
    that `amount` more would pass. Nothing to check (and one statement) without budgets."""
    if amount <= 0:
        return []
    found = [BudgetRecord.from_row(row) for row in await tx.execute(
        select(budgets).where(budgets.c.workspace_id == tx.ws)
        .order_by(budgets.c.id).with_for_update())]
    if asset_id is not None:
        found = [b for b in found if b.collection_id is None] + await _holding(
            tx, [b for b in found if b.collection_id is not None], asset_id)
    else:
        found = [b for b in found if b.collection_id is None]
    errors = []
    for status in await statuses(tx, found):
        if status.spent + status.reserved + amount > status.budget.limit_amount:
            whose = ("the workspace's" if status.budget.collection_id is None
                     else "the collection's")
            errors.append(ErrorDetail(
                ErrorCode.BUDGET_EXCEEDED,
                f"{whose} {status.budget.period} budget of {status.budget.limit_amount} has "
                f"{status.remaining} left (spent {status.spent}, reserved {status.reserved}); "
                f"this needs {amount}", field))
    return errors


async def _holding(tx: Transaction, found: list[BudgetRecord], asset_id: UUID
                   ) -> list[BudgetRecord]:
    """The collection budgets whose scope holds the asset, in one statement."""
    if not found:
        return []
    checks = []
    for index, budget in enumerate(found):
        in_scope = assets_in_scope(tx.ws, budget.scope, name=f"scope{index}")
        assert in_scope is not None
        checks.append(literal(asset_id).in_(in_scope).label(f"h{index}"))
    row = (await tx.execute(select(*checks))).one()
    return [budget for index, budget in enumerate(found) if row[index]]



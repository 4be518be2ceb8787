"""Typed mutation errors (`errors { code field message }`) and the mutation runner."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from domain.errors import DomainError, ErrorCode
from schema.context import Info
from schema.types.common import enum_type

T = TypeVar("T")

ErrorCodeType = enum_type(
    ErrorCode, name="ErrorCode", description="Why a mutation was refused.", values={
        ErrorCode.NOT_FOUND: "An object it names does not exist in the workspace.",
        ErrorCode.INVALID: "An argument is malformed or breaks a rule (see `field`).",
        ErrorCode.CONFLICT: "The state changed underneath (expectedVersion, a duplicate).",
        ErrorCode.LOCKED: "The asset is locked: unlock it first.",
        ErrorCode.DEPENDENTS_EXIST: "Live assets derive from it: pass force, or remove them.",
        ErrorCode.CYCLE: "The link would close a cycle within its relationship type.",
        ErrorCode.FORBIDDEN: "The token's role may not do this.",
        ErrorCode.STYLE_REQUIRED: "The asset's project requires a style for generation and "
                                  "none applies: setStyle on the asset, its scene, its film "
                                  "or the project.",
        ErrorCode.BUDGET_EXCEEDED: "The job's estimated cost would take a budget (the "
                                   "workspace's or a collection's holding the asset) past its "
                                   "limit: raise the limit or wait for running jobs.",
        ErrorCode.QUEUE_FULL: "The workspace has as many queued jobs as it may "
                              "(ASSETGRAPH_MAX_QUEUED_JOBS): retry once some have run.",
    })


@strawberry.type(description="An expected failure: nothing of the mutation was written.")
class UserError:
    code: ErrorCodeType = strawberry.field(  # type: ignore[valid-type]
        description="What kind of failure, for programs.")
    field: str | None = strawberry.field(
        description="The input field at fault, e.g. `name`, `assetId`, `inputs.2.assetId`; "
                    "null when no one field is.")
    message: str = strawberry.field(description="What went wrong, for people.")


async def run_mutation(
    info: Info, use_case: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run a use case all-or-nothing inside the request's transaction.

    A `DomainError` rolls back to the savepoint and becomes the payload's `errors`; anything
    else propagates and rolls back the whole request. Cached reads are dropped either way.
    """
    context = info.context
    try:
        async with context.tx.savepoint():
            result = await use_case()
    except DomainError as error:
        return None, [UserError(code=d.code, field=d.field, message=d.message)
                      for d in error.details]
    finally:
        context.loaders.forget()
    return result, []

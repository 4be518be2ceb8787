"""Typed mutation errors (`errors { code field message }`) and the mutation runner."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from domain.errors import DomainError, ErrorCode
from schema.context import Info

T = TypeVar("T")

ErrorCodeType = strawberry.enum(ErrorCode, name="ErrorCode")


@strawberry.type(description="An expected failure: nothing of the mutation was written.")
class UserError:
    code: ErrorCodeType  # type: ignore[valid-type]
    field: str | None
    message: str


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

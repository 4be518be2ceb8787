"""Expected failures: a code the clients can switch on, the field at fault, a message.

Use cases raise `DomainError`; the GraphQL layer turns it into `errors { code field message }`
in the mutation payload. Anything else that escapes is unexpected and surfaces as a top-level
error (masked in production).
"""

from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    CONFLICT = "CONFLICT"
    LOCKED = "LOCKED"
    DEPENDENTS_EXIST = "DEPENDENTS_EXIST"
    CYCLE = "CYCLE"
    FORBIDDEN = "FORBIDDEN"
    STYLE_REQUIRED = "STYLE_REQUIRED"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    QUEUE_FULL = "QUEUE_FULL"


@dataclass(frozen=True)
class ErrorDetail:
    code: ErrorCode
    message: str
    field: str | None = None


class DomainError(Exception):
    """One or more expected failures; nothing the use case did before raising may be kept."""

    def __init__(self, *details: ErrorDetail) -> None:
        super().__init__("; ".join(d.message for d in details))
        self.details = list(details)

    @classmethod
    def of(cls, code: ErrorCode, message: str, field: str | None = None) -> "DomainError":
        return cls(ErrorDetail(code, message, field))


def not_found(what: str, field: str | None = "id") -> DomainError:
    return DomainError.of(ErrorCode.NOT_FOUND, f"{what} not found", field)


def invalid(message: str, field: str | None) -> DomainError:
    return DomainError.of(ErrorCode.INVALID, message, field)

"""The input boundary of a JSON request body: checked once, before anything else reads it.

A body nested deeper than the limit (Python's JSON reader would recurse until it fails),
`NaN` or `Infinity` (not JSON; PostgreSQL refuses them), and a string holding U+0000 or an
unpaired surrogate (PostgreSQL stores neither) are refused here as `INVALID` with the path of
the value at fault, so no such value ever reaches a resolver or the database.
"""

import json
from dataclasses import dataclass
from typing import Any

from domain.rules import UNSTORABLE, unstorable

# The request object and its `variables` add two levels to the variables' own nesting.
ENVELOPE = 2


@dataclass(frozen=True)
class Refused:
    message: str
    field: str


def parse_body(body: bytes, *, max_depth: int) -> Any:
    """The parsed body; raises `Refused`-carrying `BoundaryError`, or `ValueError` when it is
    not JSON at all (the GraphQL layer reports that)."""
    if body.count(b"[") + body.count(b"{") > max_depth + ENVELOPE and (
            _depth(body) > max_depth + ENVELOPE):
        raise BoundaryError(Refused(f"the request is nested more than {max_depth} levels deep",
                                    "variables"))
    parsed = json.loads(body, parse_constant=_not_a_number)
    problem = _bad_string(parsed, "")
    if problem is not None:
        raise BoundaryError(problem)
    return parsed


class BoundaryError(Exception):
    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.message)
        self.refused = refused


def _not_a_number(constant: str) -> float:
    raise BoundaryError(Refused(f"{constant} is not a JSON number", "variables"))


def _depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects, strings skipped (a linear scan)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _bad_string(value: Any, path: str) -> Refused | None:
    if isinstance(value, str):
        return _refuse_string(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            problem = _refuse_string(key, inner) or _bad_string(item, inner)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = _bad_string(item, f"{path}.{index}")
            if problem is not None:
                return problem
    return None


def _refuse_string(text: str, path: str) -> Refused | None:
    what = unstorable(text)
    if what is None:
        return None
    shown = _printable(path)  # the path itself may hold the character
    return Refused(f"{shown} holds {what}, which no text may hold", shown)


def _printable(path: str) -> str:
    return UNSTORABLE.sub("\ufffd", path)

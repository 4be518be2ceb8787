"""Identifiers: time-ordered UUIDv7 (index locality) and advisory-lock keys."""

import os
import threading
import time
import uuid

_RAND_B = (1 << 62) - 1
_last = (0, 0, 0)  # (millis, rand_a, rand_b) of the last id this process made
_lock = threading.Lock()


def _pack(millis: int, rand_a: int, rand_b: int) -> uuid.UUID:
    return uuid.UUID(int=(millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64
                     | 0x2 << 62 | rand_b)


def uuid7s(count: int) -> list[uuid.UUID]:
    """`count` UUIDv7s (RFC 9562): 48 bits of Unix milliseconds, then random bits; monotonic
    within the process (RFC 9562 §6.2): an id made in the same millisecond as the last is the
    last one plus one, so ids made in one transaction sort in the order they were made. One
    read of randomness for all of them."""
    global _last
    millis = time.time_ns() // 1_000_000
    randomness = os.urandom(10 * count)
    made = []
    with _lock:
        last = _last
        for start in range(0, 10 * count, 10):
            rand = int.from_bytes(randomness[start:start + 10], "big")
            found = (millis, (rand >> 62) & 0xFFF, rand & _RAND_B)
            if found <= last:
                last_millis, rand_a, rand_b = last
                rand_b = (rand_b + 1) & _RAND_B
                rand_a = (rand_a + (rand_b == 0)) & 0xFFF
                found = (last_millis + (rand_a == 0 and rand_b == 0), rand_a, rand_b)
            last = found
            made.append(_pack(*found))
        _last = last
    return made


def uuid7() -> uuid.UUID:
    """One UUIDv7 (`uuid7s`)."""
    return uuid7s(1)[0]


def lock_key(workspace_id: uuid.UUID, scope: str) -> int:
    """A signed 64-bit key for `pg_advisory_xact_lock`, one per (workspace, scope)."""
    mixed = uuid.uuid5(workspace_id, scope).int >> 64
    return mixed - (1 << 64) if mixed >= 1 << 63 else mixed

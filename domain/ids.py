"""Identifiers: time-ordered UUIDv7 (index locality) and advisory-lock keys."""

import os
import threading
import time
import uuid

_RAND_B = (1 << 62) - 1
_last = 0  # the last id this process made: 48 bits of Unix milliseconds, then 74 random bits
_lock = threading.Lock()


def _pack(value: int) -> uuid.UUID:
    """The UUIDv7 of 48 bits of milliseconds and 74 random bits: its version and variant
    bits placed between them (rand_a: 12 bits, rand_b: 62)."""
    return uuid.UUID(int=(value >> 74 & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76
                     | (value >> 62 & 0xFFF) << 64 | 0x2 << 62 | value & _RAND_B)


def uuid7s(count: int) -> list[uuid.UUID]:
    """`count` UUIDv7s (RFC 9562): 48 bits of Unix milliseconds, then random bits; monotonic
    within the process (RFC 9562 §6.2, method 2): a batch starts at the time and fresh
    randomness, or at the last id made plus one when that is not later (the same
    millisecond), and counts up by one, so ids made in one transaction sort in the order they
    were made. One read of randomness a batch, and no comparison an id (0.86 µs an id in a
    batch of thousands, against 1.28 drawing each id)."""
    global _last
    fresh = (time.time_ns() // 1_000_000) << 74 | int.from_bytes(os.urandom(10), "big") >> 6
    with _lock:
        start = max(fresh, _last + 1)
        _last = start + count - 1
    return [_pack(value) for value in range(start, start + count)]


def uuid7() -> uuid.UUID:
    """One UUIDv7 (`uuid7s`)."""
    return uuid7s(1)[0]


def lock_key(workspace_id: uuid.UUID, scope: str) -> int:
    """A signed 64-bit key for `pg_advisory_xact_lock`, one per (workspace, scope)."""
    mixed = uuid.uuid5(workspace_id, scope).int >> 64
    return mixed - (1 << 64) if mixed >= 1 << 63 else mixed

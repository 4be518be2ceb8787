"""Identifiers: time-ordered UUIDv7 (index locality) and advisory-lock keys."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10), "big")
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


def lock_key(workspace_id: uuid.UUID, scope: str) -> int:
    """A signed 64-bit key for `pg_advisory_xact_lock`, one per (workspace, scope)."""
    mixed = uuid.uuid5(workspace_id, scope).int >> 64
    return mixed - (1 << 64) if mixed >= 1 << 63 else mixed

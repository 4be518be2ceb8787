"""Pure job rules: kinds and statuses, limits, backoff, sizes."""

import random
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domain.errors import ErrorCode, ErrorDetail
from domain.rules import json_object_errors


class JobKind(StrEnum):
    """What a job does; the value is what `jobs.kind` stores."""

    GENERATE_IMAGE = "generate_image"
    NOOP = "noop"


class JobStatus(StrEnum):
    """QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; the value is what `jobs.status`
    stores."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


PROVIDERS = ("placeholder", "thumbnail", "http")
TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
MAX_ATTEMPTS = 20
PRIORITY_RANGE = (-100, 100)
KEY_MAX = 200
BATCH_MAX = 100

# DESIGN §6: the image's size follows the type of what it depicts.
ASPECT_SIZES = {"character_ref": (512, 768), "location": (1024, 576), "prop": (512, 512)}
DEFAULT_SIZE = (768, 768)


def image_size(asset_type: str) -> tuple[int, int]:
    return ASPECT_SIZES.get(asset_type, DEFAULT_SIZE)


def backoff_seconds(
    attempt: int, *, base: float = 2.0, cap: float = 300.0,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Exponential (base * 2^(attempt-1), capped) with +-25% jitter, so retries spread out."""
    delay = min(cap, base * 2.0 ** max(0, attempt - 1))
    return float(delay * (0.75 + 0.5 * jitter()))


def enqueue_errors(
    *, kind: str, params: Any, priority: int, max_attempts: int, idempotency_key: str | None,
    prefix: str = "",
) -> list[ErrorDetail]:
    errors = []
    if kind not in tuple(JobKind):
        errors.append(ErrorDetail(ErrorCode.INVALID,
                                  f"unknown job kind {kind!r}; one of {', '.join(JobKind)}",
                                  f"{prefix}kind"))
    if params_errors := json_object_errors(params, f"{prefix}params"):
        errors += params_errors
    elif params.get("provider") is not None and params["provider"] not in PROVIDERS:
        errors.append(ErrorDetail(ErrorCode.INVALID,
                                  f"unknown provider; one of {', '.join(PROVIDERS)}",
                                  f"{prefix}params.provider"))
    if not PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]:
        errors.append(ErrorDetail(ErrorCode.INVALID, "priority must be between -100 and 100",
                                  f"{prefix}priority"))
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        errors.append(ErrorDetail(ErrorCode.INVALID,
                                  f"maxAttempts must be between 1 and {MAX_ATTEMPTS}",
                                  f"{prefix}maxAttempts"))
    if idempotency_key is not None and not 0 < len(idempotency_key) <= KEY_MAX:
        errors.append(ErrorDetail(ErrorCode.INVALID,
                                  f"idempotencyKey must be 1 to {KEY_MAX} characters",
                                  f"{prefix}idempotencyKey"))
    return errors

"""Requests per minute per token: a token bucket per caller, per process.

Each caller (a token, a JWT subject) may send `per_minute` requests a minute, in bursts of up
to that many; past it the answer is HTTP 429 with `Retry-After`. Buckets live in the process:
with `serve --processes N` a caller may reach N times the limit (documented). The table is
bounded: the callers seen longest ago are forgotten first (they start again with a full
bucket).
"""

import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, *, max_callers: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.max_callers = max_callers
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait(self, caller: str) -> float | None:
        """None when `caller` may go on (taking one request), else the seconds until it may."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        tokens, then = self._buckets.pop(caller, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * self.rate)
        waiting = None
        if tokens >= 1:
            tokens -= 1
        else:
            waiting = (1 - tokens) / self.rate
        self._buckets[caller] = (tokens, now)
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        return waiting

"""Requests and cost per minute per token: token buckets per caller, per process.

Each caller (a token, a JWT subject) may send `per_minute` requests a minute, in bursts of up
to that many; past it the answer is HTTP 429 with `Retry-After`. The same bucket, filled with
cost points (`schema.cost`) instead of requests, bounds the work a caller asks for: each
response's cost is charged once it is known, even past empty, and a caller in debt waits
until the bucket has refilled to zero. Buckets live in the process: with
`serve --processes N` a caller may reach N times the limits (documented). The table is
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

    def wait(self, caller: str, take: float = 1) -> float | None:
        """None when `caller` may go on (taking `take`), else the seconds until it may."""
        if self.per_minute <= 0:
            return None
        tokens, now = self._refilled(caller)
        waiting = None
        if tokens >= take:
            tokens -= take
        else:
            waiting = (take - tokens) / self.rate
        self._keep(caller, tokens, now)
        return waiting

    def charge(self, caller: str, amount: float) -> None:
        """Take `amount` now, past empty if need be: the caller then waits off the debt."""
        if self.per_minute <= 0:
            return
        tokens, now = self._refilled(caller)
        self._keep(caller, tokens - amount, now)

    def _refilled(self, caller: str) -> tuple[float, float]:
        now = self.clock()
        tokens, then = self._buckets.pop(caller, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - then) * self.rate), now

    def _keep(self, caller: str, tokens: float, now: float) -> None:
        self._buckets[caller] = (tokens, now)
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)

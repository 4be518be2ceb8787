"""Requests per minute per token: a bucket per caller, 429 with Retry-After past it."""

from api.ratelimit import RateLimiter
from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_may_burst_the_minute_then_waits_for_the_refill() -> None:
    # given 60 requests a minute (one a second)
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    # when a caller sends 61 at once
    waits = [limiter.wait("token:a") for _ in range(61)]
    # then 60 go, the 61st waits a second, and another caller is not affected
    assert waits[:60] == [None] * 60
    assert waits[60] == 1.0
    assert limiter.wait("token:b") is None
    # and half a second later it still waits half a second; a second later it goes
    clock.now += 0.5
    assert limiter.wait("token:a") == 0.5
    clock.now += 1.0
    assert limiter.wait("token:a") is None


def test_zero_means_no_limit_and_forgotten_callers_start_full() -> None:
    assert [RateLimiter(0).wait("x") for _ in range(5)] == [None] * 5
    clock = Clock()
    limiter = RateLimiter(1, max_callers=1, clock=clock)
    assert (limiter.wait("a"), limiter.wait("b"), limiter.wait("a")) == (None, None, None)


async def test_past_the_limit_a_token_gets_429_with_retry_after(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    # given a server allowing two requests a minute per token
    async with http_client(db, dev_settings(rate_limit_per_minute=2)) as http:
        editor = GraphQLClient(http, workspace.editor)
        # when a token sends three, and another token one
        statuses = [(await editor.post("{ viewer { role } }")).status_code for _ in range(2)]
        refused = await editor.post("{ viewer { role } }")
        other = await editor.post("{ viewer { role } }", token=workspace.viewer)
    # then the third is refused, saying when to come back; the other token is not affected
    assert statuses == [200, 200]
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "30")
    assert [(e["message"], e["extensions"]["code"]) for e in refused.json()["errors"]] == [
        ("more than 2 requests a minute with this token: retry later", "RATE_LIMITED")]
    assert other.json() == {"data": {"viewer": {"role": "viewer"}}, "extensions": {"cost": 1}}

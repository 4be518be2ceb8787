"""Requests and cost per minute per token: a bucket per caller, 429 with Retry-After past it."""

import pytest

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


def test_a_charge_past_empty_is_waited_off() -> None:
    # given 60 cost points a minute (one a second), and a caller charged 90 at once
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    assert limiter.wait("token:a", 0) is None
    limiter.charge("token:a", 90)
    # when it asks again, then it waits until the debt of 30 is paid back
    assert limiter.wait("token:a", 0) == 30.0
    clock.now += 30
    assert limiter.wait("token:a", 0) is None


@pytest.mark.parametrize("compiled_reads", [True, False])
async def test_past_the_cost_budget_a_token_gets_429(
    db: SavepointDatabase, workspace: WorkspaceTokens, compiled_reads: bool
) -> None:
    # given a server allowing 250 cost points a minute per token (on either read path)
    settings = dev_settings(cost_limit_per_minute=250, compiled_reads=compiled_reads)
    async with http_client(db, settings) as http:
        editor = GraphQLClient(http, workspace.editor)
        page = "{ assets(first: 100) { edges { node { name } } } }"  # costs 201
        # when the token reads the page twice (the second goes: the budget is not spent
        # before it), then sends a trivial query, and another token one
        pages = [await editor.post(page) for _ in range(2)]
        refused = await editor.post("{ viewer { role } }")
        other = await editor.post("{ viewer { role } }", token=workspace.viewer)
    # then both pages were answered and charged, and the third request waits off the debt of
    # 152 points at 250 a minute (37 s); the other token is not affected
    assert [r.json()["extensions"] for r in pages] == [{"cost": 201}] * 2
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "37")
    assert [(e["message"], e["extensions"]["code"]) for e in refused.json()["errors"]] == [
        ("more than 250 cost points a minute with this token: retry later", "RATE_LIMITED")]
    assert other.status_code == 200

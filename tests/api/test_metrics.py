"""/metrics: token-protected, Prometheus' text format, and the request counters, latencies and
statement counts of each operation by name and outcome."""

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)

METRICS_TOKEN = "scrape-only-secret"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
CREATE = """mutation MakeLamp($name: String!) {
  createAsset(input: {type: "prop", name: $name}) { asset { id } errors { code } } }"""
READ = "query LampName($id: ID!) { asset(id: $id) { id name } }"


@pytest.fixture
async def metered(db: SavepointDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """An app serving /metrics to METRICS_TOKEN."""
    async with http_client(db, dev_settings(metrics_token=METRICS_TOKEN)) as client:
        yield client


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_refuse_requests_without_the_metrics_token(
    metered: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    # given no token, a wrong one, and an admin token of the API
    for headers in ({}, {"Authorization": "Bearer nope"},
                    {"Authorization": f"Bearer {workspace.admin}"}):
        # when /metrics is asked
        refused = await metered.get("/metrics", headers=headers)
        # then it is refused
        assert (refused.status_code, refused.headers["www-authenticate"]) == (
            401, 'Bearer realm="metrics"')
    # when asked with the metrics token, then it answers in Prometheus' text format
    served = await metered.get("/metrics", headers=SCRAPER)
    assert (served.status_code, served.headers["content-type"]) == (
        200, "text/plain; version=1.0.0; charset=utf-8")
    families = {family.name for family in text_string_to_metric_families(served.text)}
    assert {"assetgraph_requests", "assetgraph_request_duration_seconds",
            "assetgraph_request_statements", "assetgraph_requests_in_flight",
            "assetgraph_requests_waiting", "assetgraph_subscribers",
            "assetgraph_subscribers_dropped", "assetgraph_subscription_feeds",
            "assetgraph_subscription_payloads", "assetgraph_event_fanout_lag_seconds",
            "assetgraph_job_duration_seconds", "assetgraph_jobs"} <= families


async def test_metrics_are_not_served_without_a_configured_token(http: httpx.AsyncClient
                                                                ) -> None:
    # given the default settings (no metrics token), when /metrics is asked, then it is absent
    response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404


async def test_a_query_and_a_mutation_each_count_once_by_name_and_outcome(
    metered: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    # given an editor whose credentials are cached, and the counters before
    gql = GraphQLClient(metered, workspace.editor)
    await gql("{ viewer { role } }")
    before = await scrape(metered)
    # when it creates an asset, reads it, sends a broken query, and a stranger asks
    created = await gql(CREATE, {"name": "Lamp"})
    assert created["data"]["createAsset"]["errors"] == []
    asset_id = created["data"]["createAsset"]["asset"]["id"]
    read = await gql(READ, {"id": asset_id})
    assert read == {"data": {"asset": {"id": asset_id, "name": "Lamp"}}}
    broken = await gql("query Broken { viewer { rol } }")
    assert [e["message"] for e in broken["errors"]] == [
        "Cannot query field 'rol' on type 'Viewer'. Did you mean 'role'?"]
    stranger = await gql("query LampName { viewer { role } }", token="not-a-token")
    assert stranger["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = await scrape(metered)
    # then each request counted once, under its operation's name and outcome
    counted = [("MakeLamp", "ok"), ("LampName", "ok"), ("Broken", "errors"),
               ("(anonymous)", "unauthenticated")]  # the name is not read before credentials
    for operation, outcome in counted:
        for name in ("assetgraph_requests_total", "assetgraph_request_duration_seconds_count"):
            labels = {"operation": operation, "outcome": outcome}
            assert (name, operation, outcome, value(after, name, **labels)
                    - value(before, name, **labels)) == (name, operation, outcome, 1.0)


async def test_the_statement_histogram_observes_each_requests_statements(
    metered: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    # given an editor whose credentials are cached, and an asset
    gql = GraphQLClient(metered, workspace.editor)
    await gql("{ viewer { role } }")
    before = await scrape(metered)
    # when it creates an asset and reads it by id (the compiled read path)
    created = await gql(CREATE, {"name": "Lamp"})
    read = await gql(READ, {"id": created["data"]["createAsset"]["asset"]["id"]})
    assert read["data"]["asset"]["name"] == "Lamp"
    after = await scrape(metered)

    def observed(operation: str) -> tuple[float, float]:
        name = "assetgraph_request_statements"
        return (value(after, f"{name}_count", operation=operation)
                - value(before, f"{name}_count", operation=operation),
                value(after, f"{name}_sum", operation=operation)
                - value(before, f"{name}_sum", operation=operation))

    # then the read sent one statement; the mutation four: its transaction (a savepoint
    # here, a BEGIN in production, which asyncpg sends without a statement), its set_config,
    # the asset's insert with its event, and the release (the commit); the first mutation of
    # a request needs no savepoint of its own
    assert observed("LampName") == (1.0, 1.0)
    assert observed("MakeLamp") == (1.0, 4.0)

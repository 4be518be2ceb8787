"""Prometheus metrics: what a process counts, and the token-protected `/metrics` endpoint.

The request path pays for three observations (`RequestMetrics.observe`), with the labelled
children of each (operation, outcome) looked up once and kept; everything else is read when
scraped: connections in use, requests in flight and waiting, subscribers (`ProcessState`) and
the job queue's depth (one query through `domain.jobs.queries`).

Multi-process: `serve --processes N` sets `PROMETHEUS_MULTIPROC_DIR` before its processes
start (api/cli.py), so each writes its samples to files there and whichever process answers a
scrape reports the sum over all of them. A process's own state cannot be read by another, so
with N processes each also writes its gauges every second (`sampling`), summed over the live
processes; one process writes them when scraped.
"""

import asyncio
import hmac
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from domain.db import Database, transaction
from domain.jobs.queries import queue_depth

log = logging.getLogger("assetgraph.metrics")
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("assetgraph_requests", "GraphQL HTTP requests by operation name and outcome",
                   ["operation", "outcome"])
REQUEST_SECONDS = Histogram(
    "assetgraph_request_duration_seconds", "GraphQL HTTP request latency",
    ["operation", "outcome"],
    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
REQUEST_STATEMENTS = Histogram(
    "assetgraph_request_statements", "SQL statements sent by one GraphQL HTTP request",
    ["operation"], buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100))
CONNECTIONS_IN_USE = Gauge("assetgraph_db_connections_in_use",
                           "Database connections checked out, by pool", ["pool"],
                           multiprocess_mode="livesum")
IN_FLIGHT = Gauge("assetgraph_requests_in_flight", "Requests admitted and not yet finished",
                  multiprocess_mode="livesum")
WAITING = Gauge("assetgraph_requests_waiting", "Requests waiting for admission",
                multiprocess_mode="livesum")
SUBSCRIBERS = Gauge("assetgraph_subscribers", "Subscriptions receiving events",
                    multiprocess_mode="livesum")
FEEDS = Gauge("assetgraph_subscription_feeds",
              "Shared subscription feeds: one per shape (document, variables, workspace, role)",
              multiprocess_mode="livesum")
SHARED_PAYLOADS = Counter(
    "assetgraph_subscription_payloads",
    "Subscription payloads executed and serialised by shared feeds: one per event per shape")
SUBSCRIBERS_DROPPED = Counter("assetgraph_subscribers_dropped",
                              "Subscriptions closed for falling too far behind")
FANOUT_LAG = Histogram(
    "assetgraph_event_fanout_lag_seconds",
    "From an event's created_at to its delivery to the subscriber queues",
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60))
JOB_SECONDS = Histogram(
    "assetgraph_job_duration_seconds",
    "One run of a job, claim to end, by kind and the status it ended in (queued: to be retried)",
    ["kind", "status"], buckets=(.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))

# Operation names come from clients: a bounded number of them become label values.
MAX_OPERATIONS = 500
ANONYMOUS, INVALID, OTHER = "(anonymous)", "(invalid)", "(other)"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def operation_label(name: str | None) -> str:
    if name is None:
        return ANONYMOUS
    return name if _NAME.fullmatch(name) else INVALID


class RequestMetrics:
    """The observations of one finished request: count, latency, statements."""

    def __init__(self) -> None:
        self._children: dict[tuple[str | None, str], tuple[Any, Any, Any]] = {}

    def observe(self, operation: str | None, outcome: str, seconds: float,
                statements: int) -> None:
        children = self._children.get((operation, outcome))
        if children is None:
            children = self._children_of(operation, outcome)
        count, latency, statement_count = children
        count.inc()
        latency.observe(seconds)
        statement_count.observe(statements)

    def _children_of(self, operation: str | None, outcome: str) -> tuple[Any, Any, Any]:
        label = operation_label(operation) if len(self._children) < MAX_OPERATIONS else OTHER
        children = (REQUESTS.labels(label, outcome), REQUEST_SECONDS.labels(label, outcome),
                    REQUEST_STATEMENTS.labels(label))
        if label != OTHER:
            self._children[(operation, outcome)] = children
        return children


class Admitting(Protocol):
    in_flight: int

    @property
    def waiting(self) -> int: ...


class Pools(Protocol):
    def connections_in_use(self) -> dict[str, int]: ...


class Subscribers(Protocol):
    @property
    def subscriber_count(self) -> int: ...

    @property
    def feed_count(self) -> int: ...


class ProcessState:
    """What this process is doing right now, registered by the owners of each part."""

    def __init__(self) -> None:
        self.admission: Admitting | None = None
        self.pools: Pools | None = None
        self.broker: Subscribers | None = None

    def sample(self) -> None:
        if self.admission is not None:
            IN_FLIGHT.set(self.admission.in_flight)
            WAITING.set(self.admission.waiting)
        if self.pools is not None:
            for pool, count in self.pools.connections_in_use().items():
                CONNECTIONS_IN_USE.labels(pool).set(count)
        if self.broker is not None:
            SUBSCRIBERS.set(self.broker.subscriber_count)
            FEEDS.set(self.broker.feed_count)


def multiprocess_mode() -> bool:
    return MULTIPROCESS_DIR in os.environ


@asynccontextmanager
async def sampling(state: ProcessState, every: float = 1.0) -> AsyncIterator[None]:
    """With several processes, write this one's gauges every `every` seconds while the block
    runs, and take them out of the sums when it ends."""
    if not multiprocess_mode():
        yield
        return

    async def loop() -> None:
        while True:
            state.sample()
            await asyncio.sleep(every)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Families:
    """A scrape's one-off metrics, computed before it is exposed."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


async def _queue_families(database: Database) -> list[Metric]:
    try:
        async with transaction(database, readonly=True) as tx:
            depth = await queue_depth(tx)
    except Exception:  # the rest of the metrics still tell what is wrong
        log.exception("could not read the job queue's depth for /metrics")
        return []
    family = GaugeMetricFamily("assetgraph_jobs", "Jobs waiting and running, by status",
                               labels=["status"])
    for status, count in depth.items():
        family.add_metric([status.value], count)
    return [family]


def metrics_endpoint(token: str | None, state: ProcessState
                     ) -> Callable[[Request], Any]:
    """`GET /metrics` in Prometheus' text format, for `Authorization: Bearer <token>` only;
    not served at all (404) unless a token is configured."""
    expected = f"Bearer {token}".encode() if token else None

    async def endpoint(request: Request) -> Response:
        if expected is None:
            return PlainTextResponse("metrics are off: set ASSETGRAPH_METRICS_TOKEN",
                                     status_code=404)
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("a metrics token is required", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        state.sample()
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = REGISTRY
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Families(await _queue_families(request.state.database)))
        return Response(generate_latest(registry) + generate_latest(scrape),
                        media_type=CONTENT_TYPE_LATEST)

    return endpoint

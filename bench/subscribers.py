"""Subscribers: event-to-client latency at 1,000, 5,000 and 10,000 WebSocket subscribers of
one `events` document in one workspace, shared feeds against the previous design (issue 12).

Each mode runs on a fresh `assetgraph serve` in ONE process (ASSETGRAPH_PROCESSES=1: the
pid's RSS is then the server's), without job workers, 20,000 connections allowed per token:
`baseline` is ASSETGRAPH_SHARED_SUBSCRIPTIONS=false (every subscriber executes and serialises
each event itself, the previous design), `shared` is true (one execution and one payload per
event for the shape). The clients run in this process, apart from the server: one lean
`asyncio.Protocol` per connection (handshake, masking and framing by hand, no task or JSON
decoding per message), each holding `events(filter: {topics: ["asset.created"]})` over
graphql-transport-ws. Subscribers are added in batches of 250 up to each count, and one
warm-up event reaches every one of them before timing starts.

A round creates one asset whose name carries a sequence number. A subscriber's latency runs
from just before the mutation's POST to the read that completes the frame carrying that
number: the mutation, the server's fan-out and this process' own reading of every socket are
in it (its CPU per frame is shown). p50/p99/max are over every subscriber and round; a
subscriber without its frame 30 s after the POST is missed. Server RSS is the serve process'
own, after the rounds of each count. Ratios are shared / baseline of the same run. A round
delays all its subscribers alike, so with 5 rounds the p99 is about the slowest round's 95th
percentile: one pause of the server (a full garbage collection, at 10,000) decides it, in some
runs and not others; `--rounds 20` gives a steadier figure.

Stall, per mode on a fresh server with ASSETGRAPH_WS_MAX_BACKLOG=10 (the default, 1,000
events, would outlast the rounds): 1,000 subscribers; 20 rounds, then 40 rounds with one more
connection (SO_RCVBUF 4096) that subscribes alike, asks an 8 MB query and stops reading, so
that the server's writes to it block from its first event on; then it is closed and 20 rounds
more. Compared: p99 of the 1,000 in the 40 rounds with it against the 40 without (before and
after, so that the machine's drift weighs on both alike). Reported:
the round after which the server dropped its subscription (assetgraph_subscribers_dropped_total
on /metrics) and whether the server closed its socket (psutil on the server's connections).

A full default run takes about 1.5 minutes on 2 cores (the baseline at 10,000 subscribers,
~3.5 s an event, is the longest part); timeouts bound it at a few minutes more.
"""

import argparse
import asyncio
import math
import resource
import socket
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import uvloop

from bench.common import server
from bench.wsclient import MARK, Round, Subscriber

CREATE = ("mutation ($input: CreateAssetInput!) { createAsset(input: $input) "
          "{ errors { code message } } }")
# Assets of TEXT_MAX characters, read by the stalled client's query: 8 MB, more than the
# kernel's socket buffers take (tcp_wmem's 4 MB at most), so the server's own buffer fills.
FILLERS = 80
FILLER_QUERY = {"id": "2", "type": "subscribe", "payload": {
    "query": f'{{ assets(filter: {{tagsAny: ["filler"]}}, first: {FILLERS}) '
             "{ edges { node { description } } } }"}}
BATCH = 250
TIMEOUT = 30.0
STALL_COUNT, STALL_ROUNDS, STALL_BACKLOG = 1000, 40, 10
METRICS_TOKEN = "bench-subscribers"
MODES = {"baseline": "false", "shared": "true"}


@dataclass
class Bench:
    """One server and the clients connected to it."""

    url: str
    token: str
    pid: int
    http: httpx.AsyncClient
    round: Round = field(default_factory=Round)
    connections: list[Subscriber] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)  # the measured ones
    seq: int = 0

    async def connect(self, rcvbuf: int | None = None) -> Subscriber:
        address = urlsplit(self.url)
        host, port = address.hostname or "", address.port or 80
        sock = socket.socket()
        if rcvbuf is not None:  # before connecting, so the window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, port))
        _, subscriber = await loop.create_connection(
            lambda: Subscriber(address.netloc, self.token, self.round), sock=sock)
        self.connections.append(subscriber)
        await asyncio.wait_for(subscriber.ready, TIMEOUT)
        return subscriber

    async def grow(self, count: int) -> None:
        """Connect subscribers, a batch at a time, until there are `count`."""
        while len(self.subscribers) < count:
            batch = min(BATCH, count - len(self.subscribers))
            self.subscribers += await asyncio.gather(*(self.connect() for _ in range(batch)))

    async def create(self, name: str, **fields: Any) -> None:
        response = await self.http.post("/graphql", json={
            "query": CREATE, "variables": {"input": {"type": "prop", "name": name, **fields}}})
        result = response.json()
        if result.get("errors") or result["data"]["createAsset"]["errors"]:
            raise RuntimeError(f"createAsset failed: {result}")

    async def event(self, measured: Sequence[Subscriber]) -> tuple[list[float], int]:
        """One numbered event: each subscriber's latency in ms, and how many missed it."""
        self.seq += 1
        self.round.expect(self.seq, len(measured))
        started = time.perf_counter()
        await self.create(f"{MARK.decode()}{self.seq:08d}")
        with suppress(TimeoutError):  # who has not had it by then is missed
            await asyncio.wait_for(self.round.done.wait(), TIMEOUT)
        latencies = [(s.arrived_at - started) * 1000 for s in measured if s.seq == self.seq]
        return latencies, len(measured) - len(latencies)

    async def warm_up(self, measured: Sequence[Subscriber]) -> None:
        """Until one event reaches every subscriber: all subscriptions are registered."""
        for _ in range(3):
            if (await self.event(measured))[1] == 0:
                break
        await settle(psutil.Process(self.pid))

    async def rounds(self, count: int, measured: Sequence[Subscriber],
                     watch: Callable[[int], Awaitable[None]] | None = None
                     ) -> tuple[list[list[float]], int]:
        """Each round's latencies, sorted, and how many missed in all; `watch(n)` after
        round n."""
        latencies: list[list[float]] = []
        missed = 0
        for n in range(1, count + 1):
            arrived, lost = await self.event(measured)
            latencies.append(sorted(arrived))
            missed += lost
            if watch is not None:
                await watch(n)
        return latencies, missed


async def settle(process: psutil.Process) -> None:
    """Wait (at most 30 s) until the server is idle, so no earlier work is timed."""
    process.cpu_percent()
    for _ in range(60):
        await asyncio.sleep(0.5)
        if process.cpu_percent() < 10:
            return


@asynccontextmanager
async def running(mode: str, **env: str) -> AsyncIterator[Bench]:
    """A fresh server in `mode`, and a bench on it whose connections are closed at the end."""
    with server(ASSETGRAPH_SHARED_SUBSCRIPTIONS=MODES[mode], ASSETGRAPH_WORKERS="0",
                ASSETGRAPH_PROCESSES="1", ASSETGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN="20000",
                ASSETGRAPH_METRICS_TOKEN=METRICS_TOKEN, **env) as (url, token, pid):
        headers = {"Authorization": f"Bearer {token}"}
        # A connection idle for uvicorn's keep-alive (5 s; a baseline round at 10,000 lasts
        # about that) may be closed as it is reused: never reuse one idle for a second.
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120,
                                     limits=httpx.Limits(keepalive_expiry=1)) as http:
            bench = Bench(url, token, pid, http)
            try:
                yield bench
            finally:
                for subscriber in bench.connections:
                    subscriber.transport.abort()


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


@dataclass(frozen=True)
class Row:
    mode: str
    count: int
    p50: float
    p99: float
    max: float
    missed: int
    rss_mb: float
    client_us: float  # this process' CPU per frame received


async def measure_counts(mode: str, counts: Sequence[int], rounds: int) -> list[Row]:
    rows = []
    async with running(mode) as bench:
        for count in sorted(counts):
            await bench.grow(count)
            await bench.warm_up(bench.subscribers)
            cpu = time.process_time()
            each, missed = await bench.rounds(rounds, bench.subscribers)
            values = sorted(chain.from_iterable(each))
            per_frame = (time.process_time() - cpu) / max(1, len(values)) * 1e6
            rows.append(Row(mode, count, percentile(values, 0.5), percentile(values, 0.99),
                            values[-1] if values else float("nan"), missed,
                            psutil.Process(bench.pid).memory_info().rss / 2**20, per_frame))
            print(row_line(rows[-1]), flush=True)
            ended = [s.refusal for s in bench.subscribers if s.refusal]
            if ended:
                print(f"  {len(ended)} of them ended by the server; first: {ended[0]}")
    return rows


@dataclass(frozen=True)
class Stall:
    mode: str
    without: list[list[float]]  # each round's latencies, before the stalled client and after
    with_stall: list[list[float]]
    missed: tuple[int, int]  # without, with
    dropped_after: int | None  # rounds with the stalled client, when the server dropped it
    closed_after: int | None
    seconds: float  # from when it stopped reading to the end of its rounds

    @staticmethod
    def p99(rounds: list[list[float]]) -> float:
        return percentile(sorted(chain.from_iterable(rounds)), 0.99)

    @staticmethod
    def typical_p99(rounds: list[list[float]]) -> float:
        """The median round's p99: a pause of the server's in one round does not decide it."""
        return statistics.median(percentile(latencies, 0.99) for latencies in rounds)

    @property
    def ratio(self) -> float:
        return self.p99(self.with_stall) / self.p99(self.without)

    @property
    def typical_ratio(self) -> float:
        return self.typical_p99(self.with_stall) / self.typical_p99(self.without)


async def dropped(bench: Bench) -> float:
    response = await bench.http.get("/metrics",
                                    headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    for line in response.text.splitlines():
        if line.startswith("assetgraph_subscribers_dropped_total "):
            return float(line.split()[1])
    raise RuntimeError("no assetgraph_subscribers_dropped_total in /metrics")


def holds_socket(pid: int, port: int) -> bool:
    """Whether the server still has a socket to this local port of ours."""
    return any(c.raddr and c.raddr.port == port
               for c in psutil.Process(pid).net_connections("tcp"))


@dataclass
class Stalled:
    """A subscriber that stopped reading, and the rounds after which the server dropped its
    subscription and closed its socket."""

    bench: Bench
    subscriber: Subscriber
    dropped_before: float
    stopped: float
    dropped_after: int | None = None
    closed_after: int | None = None

    @classmethod
    async def start(cls, bench: Bench) -> "Stalled":
        """Once its subscription is registered, it asks the fillers' query, stops reading."""
        subscriber = await bench.connect(rcvbuf=4096)
        await bench.warm_up([*bench.subscribers, subscriber])
        subscriber.send(FILLER_QUERY)
        subscriber.transport.pause_reading()
        stopped = time.monotonic()
        await settle(psutil.Process(bench.pid))  # the query answered: not in the first round
        return cls(bench, subscriber, await dropped(bench), stopped)

    async def watch(self, round_: int) -> None:
        if self.dropped_after is None and await dropped(self.bench) > self.dropped_before:
            self.dropped_after = round_
        port = self.subscriber.transport.get_extra_info("sockname")[1]
        if self.closed_after is None and not holds_socket(self.bench.pid, port):
            self.closed_after = round_

    async def stop(self) -> float:
        """Close it: the seconds it was stalled."""
        seconds = time.monotonic() - self.stopped
        self.subscriber.transport.abort()
        await settle(psutil.Process(self.bench.pid))
        return seconds


async def measure_stall(mode: str) -> Stall:
    """Rounds without the stalled client before and after the rounds with it."""
    async with running(mode, ASSETGRAPH_WS_MAX_BACKLOG=str(STALL_BACKLOG)) as bench:
        for n in range(FILLERS):
            await bench.create(f"filler {n}", description="x" * 100_000, tags=["filler"])
        await bench.grow(STALL_COUNT)
        await bench.warm_up(bench.subscribers)
        before, missed = await bench.rounds(STALL_ROUNDS // 2, bench.subscribers)
        stalled = await Stalled.start(bench)
        with_stall, missed_with = await bench.rounds(STALL_ROUNDS, bench.subscribers,
                                                     stalled.watch)
        seconds = await stalled.stop()
        after, missed_after = await bench.rounds(STALL_ROUNDS // 2, bench.subscribers)
    return Stall(mode, before + after, with_stall, (missed + missed_after, missed_with),
                 stalled.dropped_after, stalled.closed_after, seconds)


def row_line(row: Row) -> str:
    return (f"{row.mode:<9} {row.count:>11} {row.p50:>8.1f} {row.p99:>8.1f} {row.max:>8.1f} "
            f"{row.missed:>7} {row.rss_mb:>13.0f} {row.client_us:>15.1f}")


def report(rows: list[Row], stalls: list[Stall]) -> None:
    by = {(row.mode, row.count): row for row in rows}
    counts = sorted({row.count for row in rows})
    if all(m in {r.mode for r in rows} for m in MODES):
        print("\nshared / baseline  subscribers   p50 ratio   p99 ratio")
        for count in counts:
            shared, baseline = by["shared", count], by["baseline", count]
            print(f"{'':<18} {count:>11} {shared.p50 / baseline.p50:>11.3f} "
                  f"{shared.p99 / baseline.p99:>11.3f}")
    for stall in stalls:
        print(f"\nstall, {stall.mode}: {STALL_COUNT} subscribers, {STALL_ROUNDS} rounds without "
              f"and {STALL_ROUNDS} with one that stops reading (backlog {STALL_BACKLOG}): "
              f"p99 {stall.p99(stall.without):.1f} -> {stall.p99(stall.with_stall):.1f} ms "
              f"({stall.ratio:.2f}x; the median round's "
              f"{stall.typical_p99(stall.without):.1f} -> "
              f"{stall.typical_p99(stall.with_stall):.1f} ms, {stall.typical_ratio:.2f}x), "
              f"missed {stall.missed[0]} -> {stall.missed[1]}; its subscription dropped "
              + (f"after round {stall.dropped_after}" if stall.dropped_after else "never")
              + ", its socket closed by the server "
              + (f"after round {stall.closed_after}" if stall.closed_after else
                 f"never ({stall.seconds:.0f} s)"))
    for mode in dict.fromkeys(row.mode for row in rows):
        print(f"\ntargets, {mode}:")
        for line in targets(mode, by, [s for s in stalls if s.mode == mode]):
            print("  " + line)


def targets(mode: str, by: dict[tuple[str, int], Row], stalls: list[Stall]) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    if (large := by.get((mode, 10_000))) is not None:
        lines += [f"10,000 p99 {large.p99:.1f} ms <= 250: {verdict(large.p99 <= 250)}",
                  f"10,000 server RSS {large.rss_mb:.0f} MB <= 1024: "
                  f"{verdict(large.rss_mb <= 1024)}"]
    if (small := by.get((mode, 1_000))) is not None:
        lines.append(f"1,000 p99 {small.p99:.1f} ms <= 50: {verdict(small.p99 <= 50)}")
    lines += [f"stalled client p99 change {stall.ratio - 1:+.1%} <= 10 %: "
              f"{verdict(stall.ratio <= 1.10)} (the median round's "
              f"{stall.typical_ratio - 1:+.1%})" for stall in stalls]
    return lines


async def main(counts: list[int], rounds: int, modes: list[str], stall: bool) -> None:
    print(f"{'mode':<9} {'subscribers':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'missed':>7} {'server RSS MB':>13} {'client us/frame':>15}", flush=True)
    rows: list[Row] = []
    stalls: list[Stall] = []
    for mode in modes:
        rows += await measure_counts(mode, counts, rounds)
        if stall:
            stalls.append(await measure_stall(mode))
    report(rows, stalls)


def modes(text: str) -> list[str]:
    unknown = set(text.split(",")) - MODES.keys()
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown mode(s) {', '.join(sorted(unknown))}")
    return text.split(",")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1000,5000,10000",
                        type=lambda text: [int(n) for n in text.split(",")])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="baseline,shared", type=modes)
    parser.add_argument("--no-stall", dest="stall", action="store_false")
    return parser.parse_args()


if __name__ == "__main__":
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args = arguments()
    uvloop.run(main(args.counts, args.rounds, args.modes, args.stall))

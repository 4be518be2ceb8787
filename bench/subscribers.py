"""Subscribers per process: event-to-client latency with 1, 1,000 and 5,000 WebSocket
subscribers on one `assetgraph serve` (issue 4).

Every subscriber holds `events(filter: {topics: ["asset.created"]})` over graphql-transport-ws;
each round creates one asset and times, for every subscriber, from the mutation request to
the event's arrival. Clients run in this one process, so the spread includes their own
reading time; the ratio is against a single subscriber in the same run.
"""

import asyncio
import json
import statistics
import time

import httpx
import websockets

from bench.common import server

SUBSCRIBE = {"id": "1", "type": "subscribe", "payload": {
    "query": 'subscription { events(filter: {topics: ["asset.created"]}) { topic payload } }'}}
ROUNDS = 5


async def connect(url: str, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                      open_timeout=60, ping_interval=None)
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps(SUBSCRIBE))
    return socket


async def arrived(task: "asyncio.Task[object]", started: float) -> float:
    await task
    return time.perf_counter() - started


async def measure(http_url: str, token: str, count: int) -> list[float]:
    ws_url = http_url.replace("http://", "ws://") + "/graphql"
    sockets: list[websockets.ClientConnection] = []
    for start in range(0, count, 250):
        sockets += await asyncio.gather(*(connect(ws_url, token)
                                          for _ in range(min(250, count - start))))
    await asyncio.sleep(1.0)  # every subscribe message handled
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=http_url) as http:
        for round_ in range(ROUNDS):
            arrivals = [asyncio.create_task(s.recv()) for s in sockets]
            started = time.perf_counter()
            await http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                "query": 'mutation ($n: String!) { createAsset(input: {type: "prop", name: $n})'
                         " { errors { code } } }", "variables": {"n": f"round {round_}"}})

            latencies += await asyncio.gather(*(arrived(t, started) for t in arrivals))
    await asyncio.gather(*(s.close() for s in sockets))
    return [value * 1000 for value in latencies]


async def main() -> None:
    with server(ASSETGRAPH_WORKERS="0") as (url, token, _):
        print(f"{'subscribers':>11} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} "
              f"{'median vs 1':>12}")
        baseline = None
        for count in (1, 1000, 5000):
            values = sorted(await measure(url, token, count))
            median = statistics.median(values)
            baseline = baseline or median
            print(f"{count:>11} {median:>10.1f} {values[int(len(values) * 0.95) - 1]:>8.1f} "
                  f"{values[-1]:>8.1f} {median / baseline:>12.1f}")


if __name__ == "__main__":
    asyncio.run(main())

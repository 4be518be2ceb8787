"""`python -m bench.peers`: assetgraph, PostGraphile 5 and raw SQL on one embedded PostgreSQL.

Builds the data once, starts each contender as one process on loopback, checks one response of
every (workload, contender), then interleaves rounds (round -> workload -> contender) of wrk
runs and prints medians over rounds. Every process it starts is stopped on exit, error, Ctrl-C
or SIGTERM.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

import migrations
from api.database import EmbeddedPostgres, asyncpg_dsn, create_engine
from api.settings import Settings
from bench.common import free_port
from bench.peers.data import Dataset, build
from bench.peers.load import (
    Measurement,
    Process,
    find_wrk,
    postmaster_pid,
    run_wrk,
    settle,
    tree_ticks,
)
from bench.peers.workloads import CONTENDERS, WORKLOADS, Request, Workload, requests
from domain.access import Role, create_token, create_workspace
from domain.db import EngineDatabase, transaction

HERE = Path(__file__).resolve().parent
NODE = HERE / "node_modules" / "node" / "bin" / "node"
POSTGRAPHILE = HERE / "node_modules" / "postgraphile"


def ensure_postgraphile() -> None:
    if NODE.exists() and POSTGRAPHILE.exists():
        return
    print("installing PostGraphile 5 and Node 22 into bench/peers/node_modules (npm install)")
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       timeout=900)
    except (OSError, subprocess.SubprocessError) as error:
        raise SystemExit(f"npm install failed ({error}); run it in bench/peers by hand") from None
    if not NODE.exists():
        raise SystemExit(f"{NODE} is missing after npm install (its install script must run)")


def _socket_dir(url: str) -> str:
    return parse_qs(urlsplit(url).query)["host"][0]


def start(name: str, url: str, work: Path) -> tuple[Process, str]:
    """Start one contender; (process, base URL) once it answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGRAPH_")}
    log = work / f"{name}.log"
    if name == "assetgraph":
        # One process, as each peer runs; capacity, not the per-token rate limit.
        env.update(ASSETGRAPH_DATABASE_URL=url, ASSETGRAPH_ENV="production",
                   ASSETGRAPH_WORKERS="0", ASSETGRAPH_PROCESSES="1",
                   ASSETGRAPH_RATE_LIMIT_PER_MINUTE="0",
                   ASSETGRAPH_COST_LIMIT_PER_MINUTE="0",
                   ASSETGRAPH_DATA_DIR=str(work / "assetgraph-data"),
                   # production mode needs it to sign file URLs (none is signed here)
                   ASSETGRAPH_FILE_URL_SECRET=secrets.token_urlsafe(48))
        process = Process(name, [sys.executable, "-m", "api.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env, log)
        process.wait_ready(lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200)
    elif name == "raw":
        env.update(BENCH_RAW_DSN=asyncpg_dsn(url))
        process = Process(name, [sys.executable, "-m", "uvicorn", "bench.peers.raw_app:app",
                                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                                 "--log-level", "warning"], env, log)
        process.wait_ready(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200)
    elif name == "postgraphile":
        env.update(NODE_ENV="production")
        connection = f"postgresql://postgres:@/postgres?host={_socket_dir(url)}"
        process = Process(name, [str(NODE), str(HERE / "postgraphile.mjs"), str(port),
                                 connection], env, log, cwd=HERE)
        process.wait_ready(lambda: httpx.post(
            f"{base}/graphql", json={"query": "{ __typename }"}, timeout=5).status_code == 200)
    else:
        raise ValueError(name)
    return process, base


def check(base: str, request: Request) -> str | None:
    """None when one response is right, else why not."""
    try:
        response = httpx.post(base + request.path, content=request.body, timeout=120,
                              headers={"Content-Type": "application/json", **request.headers})
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    if body.get("errors"):
        return f"errors: {json.dumps(body['errors'])[:300]}"
    found = request.count(body)
    if found != request.expected:
        return f"expected {request.expected} nodes, got {found}"
    return None


CREATE = """mutation ($i: CreateAssetInput!) { createAsset(input: $i) {
  asset { id version } errors { code message } } }"""
UPDATE = """mutation ($i: UpdateAssetInput!) { updateAsset(input: $i) {
  asset { id version } errors { code message } } }"""
LINK = """mutation ($i: LinkAssetsInput!) { linkAssets(input: $i) {
  relationship { id } errors { code message } } }"""


def _mutate(client: httpx.Client, query: str, variables: dict[str, Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": query, "variables": {"i": variables}})
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    payload = next(iter(body["data"].values()))
    if payload["errors"]:
        raise RuntimeError(json.dumps(payload["errors"])[:300])
    return elapsed, payload


def run_mutations(base: str, token: str, duration: float, app_pid: int, pg_pid: int,
                  round_number: int) -> dict[str, Measurement]:
    """createAsset, updateAsset, linkAssets one after another for `duration` seconds."""
    times: dict[str, list[float]] = {"createAsset": [], "updateAsset": [], "linkAssets": []}
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            _, anchor = _mutate(client, CREATE,
                                {"type": "film", "name": f"M anchor {round_number}"})
            app0, pg0 = tree_ticks(app_pid), tree_ticks(pg_pid, reaped=True)
            deadline = time.monotonic() + duration
            n = 0
            while time.monotonic() < deadline:
                n += 1
                name = f"M prop {round_number}.{n}"
                elapsed, created = _mutate(client, CREATE, {"type": "prop", "name": name})
                times["createAsset"].append(elapsed)
                asset_id = created["asset"]["id"]
                elapsed, _ = _mutate(client, UPDATE, {"id": asset_id, "name": name + " (v2)",
                                                      "reason": "bench"})
                times["updateAsset"].append(elapsed)
                elapsed, _ = _mutate(client, LINK, {"parentId": anchor["asset"]["id"],
                                                    "childId": asset_id, "type": "USED_IN"})
                times["linkAssets"].append(elapsed)
            app1, pg1 = tree_ticks(app_pid), tree_ticks(pg_pid, reaped=True)
    except (httpx.HTTPError, RuntimeError) as error:
        return {kind: Measurement(error=str(error)[:300]) for kind in times}
    total = sum(len(t) for t in times.values())
    ticks = os.sysconf("SC_CLK_TCK")
    result = {}
    for kind, values in times.items():
        ordered = sorted(values)
        result[kind] = Measurement(
            requests=len(values), rps=1000 / statistics.mean(values),
            p50_ms=statistics.median(values),
            p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            app_cpu_ms=(app1 - app0) / ticks * 1000 / total,
            pg_cpu_ms=(pg1 - pg0) / ticks * 1000 / total)
    return result


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarize(rounds: dict[tuple[str, str], list[Measurement]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for (label, contender), ms in rounds.items():
        ok = [m for m in ms if m.error is None]
        rows.append({
            "workload": label, "contender": contender, "rounds": len(ok),
            "rps": _median([m.rps for m in ok]),
            "p50_ms": _median([m.p50_ms for m in ok]),
            "p99_ms": _median([m.p99_ms for m in ok]),
            "app_cpu_ms_per_req": _median([m.app_cpu_ms for m in ok]),
            "pg_cpu_ms_per_req": _median([m.pg_cpu_ms for m in ok]),
            "timeouts": sum(m.timeouts for m in ms), "non_2xx": sum(m.non_2xx for m in ms),
            "errors": sorted({m.error for m in ms if m.error is not None}
                             | {f"refused: {m.sample}" for m in ms if m.sample}),
            "notes": sorted({f"{m.note} ({sum(1 for n in ms if n.note == m.note)} of "
                             f"{len(ms)} rounds)" for m in ms if m.note}),
        })
    by_key = {(r["workload"], r["contender"]): r for r in rows}
    for row in rows:
        own = by_key.get((row["workload"], "assetgraph"))
        for peer in ("postgraphile", "raw"):
            other = by_key.get((row["workload"], peer))
            ratio = None
            if own and other and own["rps"] is not None and other["rps"]:
                ratio = own["rps"] / other["rps"]
            row[f"rps_assetgraph_over_{peer}"] = ratio
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[dict[str, Any]], failures: dict[str, str]) -> None:
    print()
    print(f"{'workload':<18} {'contender':<13} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'app ms/req':>10} {'pg ms/req':>10} {'t/o,!2xx':>9} {'ag/pgl':>7} {'ag/raw':>7}")
    for r in rows:
        print(f"{r['workload']:<18} {r['contender']:<13} {_fmt(r['rps']):>9} "
              f"{_fmt(r['p50_ms'], 2):>9} {_fmt(r['p99_ms'], 2):>9} "
              f"{_fmt(r['app_cpu_ms_per_req'], 2):>10} {_fmt(r['pg_cpu_ms_per_req'], 2):>10} "
              f"{r['timeouts']:>4},{r['non_2xx']:<4} "
              f"{_fmt(r['rps_assetgraph_over_postgraphile'], 3):>7} "
              f"{_fmt(r['rps_assetgraph_over_raw'], 3):>7}")
        for error in r["errors"]:
            print(f"{'':<33} error: {error}")
        for note in r["notes"]:
            print(f"{'':<33} note: {note}")
    for key, reason in failures.items():
        print(f"not measured: {key}: {reason}")


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure(args: argparse.Namespace, url: str, pgdata: Path, data: Dataset, viewer: str,
            editor: str) -> dict[str, Any]:
    wrk = find_wrk()
    keys = set(args.only.split(",")) if args.only else None
    contenders = [c for c in args.contenders.split(",") if c]
    workloads = [w for w in WORKLOADS if keys is None or w.key in keys]
    reqs = requests(data, viewer)
    pg_pid = postmaster_pid(pgdata)
    failures: dict[str, str] = {}
    rounds: dict[tuple[str, str], list[Measurement]] = {}
    with tempfile.TemporaryDirectory() as work, ExitStack() as stack:
        servers: dict[str, tuple[Process, str]] = {}
        for name in contenders:
            if not any(name in w.contenders for w in workloads):
                continue
            print(f"starting {name}")
            try:
                process, base = start(name, url, Path(work))
            except RuntimeError as error:
                failures[name] = str(error)[-500:]
                continue
            stack.callback(process.stop)
            servers[name] = (process, base)
        plan: list[tuple[Workload, str]] = []
        for workload in workloads:
            for name in contenders:
                if name not in workload.contenders or name not in servers:
                    continue
                if not workload.mutation:
                    problem = check(servers[name][1], reqs[(workload.key, name)])
                    if problem is not None:
                        problem += servers[name][0].last_error()
                        failures[f"{workload.label} {name}"] = problem
                        print(f"check failed: {workload.label} {name}: {problem}")
                        continue
                plan.append((workload, name))
        for round_number in range(1, args.rounds + 1):
            for workload, name in plan:
                process, base = servers[name]
                if not settle(process.pid, pg_pid):
                    print(f"note: {name} still busy after 30 s, measuring {workload.label} anyway")
                if workload.mutation:
                    for kind, m in run_mutations(base, editor, args.duration, process.pid, pg_pid,
                                                 round_number).items():
                        rounds.setdefault((f"M {kind}", name), []).append(m)
                        print(f"round {round_number} M {kind} {name}: {_fmt(m.p50_ms, 2)} ms "
                              f"p50 {m.error or ''}")
                    continue
                request = reqs[(workload.key, name)]
                m = run_wrk(wrk, base + request.path, request.body, request.headers,
                            clients=workload.clients, duration=args.duration,
                            app_pid=process.pid, pg_pid=pg_pid)
                rounds.setdefault((workload.label, name), []).append(m)
                print(f"round {round_number} {workload.label} {name}: {_fmt(m.rps)} req/s "
                      f"p50 {_fmt(m.p50_ms, 2)} ms {m.error or m.note or ''}")
    rows = summarize(rounds)
    print_table(rows, failures)
    return {"rounds": args.rounds, "duration_s": args.duration, "cores": os.cpu_count(),
            "results": rows, "not_measured": failures,
            "raw_rounds": {f"{k[0]} {k[1]}": [asdict(m) for m in v] for k, v in rounds.items()}}


async def setup(url: str) -> tuple[Dataset, str, str]:
    """Migrate, create the workspace and its tokens, build the data: (data, viewer, editor)."""
    await migrations.upgrade(url)
    engine = create_engine(url, Settings(environment="production"))
    database = EngineDatabase(engine)
    try:
        async with transaction(database) as tx:
            workspace = await create_workspace(tx, "Bench peers")
        async with transaction(database, workspace_id=workspace.id) as tx:
            _, viewer = await create_token(tx, name="bench viewer", role=Role.VIEWER)
            _, editor = await create_token(tx, name="bench editor", role=Role.EDITOR)
        print("building the data set (domain use cases)")
        started = time.monotonic()
        data = await build(database, workspace.id)
        print(f"built in {time.monotonic() - started:.0f} s")
    finally:
        await engine.dispose()
    return data, viewer, editor


def run(args: argparse.Namespace) -> dict[str, Any]:
    # Synchronous around the embedded server (EmbeddedPostgres, as bench.common uses), so that
    # Ctrl-C and SIGTERM unwind through every stop below whatever is running.
    with tempfile.TemporaryDirectory() as directory:
        embedded = EmbeddedPostgres(Path(directory))
        url = embedded.start()
        try:
            data, viewer, editor = asyncio.run(setup(url))
            return measure(args, url, Path(directory) / "pg", data, viewer, editor)
        finally:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--only", help="workloads, e.g. W1,W3 (W1 W2 W3 W4 T M)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    keys = set(args.only.split(",")) if args.only else set()
    names = {c for c in args.contenders.split(",") if c}
    unknown = keys - {w.key for w in WORKLOADS} | names - set(CONTENDERS)
    if unknown:
        raise SystemExit(f"unknown workload or contender: {', '.join(sorted(unknown))}")
    find_wrk()
    if "postgraphile" in args.contenders.split(","):
        ensure_postgraphile()
    with _terminate_as_interrupt():
        try:
            report = run(args)
        except KeyboardInterrupt:
            print("interrupted: every started process was stopped", file=sys.stderr)
            raise SystemExit(130) from None
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

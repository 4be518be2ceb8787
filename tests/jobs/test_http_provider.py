"""The http provider against a real HTTP server on loopback (issue 4)."""

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from api.worker import Worker
from domain.storage import LocalBlobStore
from tests.conftest import GraphQLClient, SavepointDatabase, dev_settings
from tests.helpers import create_asset


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 12), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


class Script:
    """What the fake generator answers, per path, request after request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], str | None]] = []
        self.answers: dict[str, list[tuple[int, str, bytes]]] = {}

    def answer(self, path: str) -> tuple[int, str, bytes]:
        queue = self.answers[path]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def generator() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append((self.path, body, self.headers.get("X-Api-Key")))
            status, content_type, payload = script.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def http_worker(db: SavepointDatabase, store: LocalBlobStore, url: str) -> Worker:
    settings = dev_settings(provider="http", http_provider_url=url,
                            http_provider_auth_header="X-Api-Key: k3y", http_provider_timeout=5,
                            backoff_base_seconds=0).jobs
    return Worker(db, listen_dsn=None, settings=settings, store=store, name="http-worker")


JOB = "query ($id: ID!) { job(id: $id) { status attempts cost error { code class } } }"


async def _run(gql: GraphQLClient, worker: Worker, runs: int) -> dict[str, Any]:
    lamp = await create_asset(gql, "Lamp", "prop", description="a brass lamp")
    body = await gql("mutation ($a: ID!) { enqueueJob(input: {kind: \"generate_image\", "
                     "assetId: $a}) { job { id } } }", {"a": lamp})
    job_id = body["data"]["enqueueJob"]["job"]["id"]
    for _ in range(runs):
        await worker.run_once()
    state: dict[str, Any] = (await gql(JOB, {"id": job_id}))["data"]["job"]
    return state


async def test_an_image_answer_succeeds(generator: tuple[str, Script], gql: GraphQLClient,
                                        db: SavepointDatabase, store: LocalBlobStore) -> None:
    url, script = generator
    script.answers["/gen"] = [(200, "image/png", png())]
    state = await _run(gql, http_worker(db, store, f"{url}/gen"), 1)
    assert state == {"status": "SUCCEEDED", "attempts": 1, "cost": 0.0, "error": None}
    path, body, key = script.requests[0]
    assert (path, key) == ("/gen", "k3y")
    assert body == {"prompt": "a brass lamp", "width": 512, "height": 512,
                    "reference_image_url": None, "params": {}}


async def test_429_then_json_succeeds_after_a_retry(
    generator: tuple[str, Script], gql: GraphQLClient, db: SavepointDatabase, store: LocalBlobStore
) -> None:
    url, script = generator
    answer = json.dumps({"image_base64": base64.b64encode(png()).decode(), "cost": 0.04})
    script.answers["/gen"] = [(429, "text/plain", b"slow down"),
                              (200, "application/json", answer.encode())]
    state = await _run(gql, http_worker(db, store, f"{url}/gen"), 2)
    assert state == {"status": "SUCCEEDED", "attempts": 2, "cost": 0.04, "error": None}


async def test_500_forever_fails_after_max_attempts(
    generator: tuple[str, Script], gql: GraphQLClient, db: SavepointDatabase, store: LocalBlobStore
) -> None:
    url, script = generator
    script.answers["/gen"] = [(500, "text/plain", b"boom")]
    state = await _run(gql, http_worker(db, store, f"{url}/gen"), 5)
    assert state == {"status": "FAILED", "attempts": 3, "cost": 0.0,
                     "error": {"code": "PROVIDER_UNAVAILABLE", "class": "transient"}}
    assert len(script.requests) == 3


async def test_400_fails_at_once(generator: tuple[str, Script], gql: GraphQLClient,
                                 db: SavepointDatabase, store: LocalBlobStore) -> None:
    url, script = generator
    script.answers["/gen"] = [(400, "application/json", b'{"error": "bad prompt"}')]
    state = await _run(gql, http_worker(db, store, f"{url}/gen"), 3)
    assert state == {"status": "FAILED", "attempts": 1, "cost": 0.0,
                     "error": {"code": "PROVIDER_REJECTED", "class": "permanent"}}
    assert len(script.requests) == 1

"""Jobs across real processes on one database: two servers, one worker (issue 4)."""

import hashlib
from pathlib import Path
from typing import Any

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase
from tests.conftest import make_workspace
from tests.e2e.processes import environment, serve, worker

JOB_UPDATED = """subscription ($id: ID!) { jobUpdated(jobId: $id) { status
  resultAsset { id file { sha256 downloadUrl } } } }"""
EVENTS = "subscription ($after: String) { events(after: $after) { topic subjectId payload } }"


def request(document: str, **variables: Any) -> GraphQLRequest:
    built = gql(document)
    built.variable_values = variables
    return built


def subscriber(url: str, token: str) -> Client:
    return Client(transport=WebsocketsTransport(
        url=url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
        init_payload={"Authorization": f"Bearer {token}"}, close_timeout=0.5))


async def post(url: str, token: str, query: str, variables: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                                   headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    return body


async def test_two_servers_and_a_worker_share_one_queue(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    tokens = await make_workspace(committed_database, "E2E")
    env = environment(ASSETGRAPH_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                      ASSETGRAPH_BLOB_DIR=str(tmp_path / "blobs"), ASSETGRAPH_WORKERS="0",
                      ASSETGRAPH_POLL_SECONDS="0.2")
    with serve(tmp_path, "server1", env) as one, serve(tmp_path, "server2", env) as two:
        # given a character and a cursor from before the job
        created = await post(two, tokens.editor, 'mutation { createAsset(input: {type: '
                             '"character_ref", name: "Mara", description: "a detective"}) '
                             "{ asset { id history { edges { cursor } } } } }")
        mara = created["data"]["createAsset"]["asset"]
        cursor = mara["history"]["edges"][-1]["cursor"]
        # when a job is enqueued through server 2 and followed on server 1
        job = (await post(two, tokens.editor, 'mutation ($a: ID!) { enqueueJob(input: {kind: '
                          '"generate_image", assetId: $a}) { job { id } } }', {"a": mara["id"]})
               )["data"]["enqueueJob"]["job"]["id"]
        states: list[dict[str, Any]] = []
        async with subscriber(one, tokens.viewer) as session:
            updates = session.subscribe(request(JOB_UPDATED, id=job))
            states.append((await anext(updates))["jobUpdated"])
            with worker(tmp_path, "worker", {**env, "ASSETGRAPH_WORKERS": "1"}):
                async for update in updates:
                    states.append(update["jobUpdated"])
        # then server 1 saw every state, ending with the image
        assert [s["status"] for s in states] == ["QUEUED", "RUNNING", "SUCCEEDED"]
        image = states[-1]["resultAsset"]
        async with httpx.AsyncClient(base_url=one) as http:
            download = await http.get(image["file"]["downloadUrl"],
                                      headers={"Authorization": f"Bearer {tokens.viewer}"})
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == image["file"]["sha256"]
        # and server 2 replays every event since the cursor
        replayed: list[tuple[str, str]] = []
        async with subscriber(two, tokens.viewer) as session:
            async for event in session.subscribe(request(EVENTS, after=cursor)):
                e = event["events"]
                replayed.append((e["topic"], e["payload"].get("status", "")))
                if e["topic"] == "job.updated" and e["payload"]["status"] == "succeeded":
                    break
        assert [r for r in replayed if r[0] == "job.updated"] == [
            ("job.updated", "queued"), ("job.updated", "running"), ("job.updated", "succeeded")]
        assert sorted({topic for topic, _ in replayed}) == [
            "asset.created", "asset.linked", "asset.updated", "job.updated"]

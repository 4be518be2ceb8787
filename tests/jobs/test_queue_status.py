"""The queue as dashboards see it, and back-pressure at enqueue (issue 12, item 4)."""

from api.worker import Worker
from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)

ENQUEUE = """mutation { enqueueJob(input: {kind: "noop"}) { job { id }
  errors { code field message } } }"""
QUEUE = """{ queue { queued running byKind { kind queued running } maxQueued
  oldest: oldestQueuedAt } }"""


async def test_a_full_queue_refuses_and_the_queue_says_where_it_stands(
    db: SavepointDatabase, workspace: WorkspaceTokens, worker: Worker,
) -> None:
    async with http_client(db, dev_settings(max_queued_jobs=2)) as http:
        gql = GraphQLClient(http, workspace.editor)
        # given an empty queue
        assert (await gql(QUEUE))["data"]["queue"] == {
            "queued": 0, "running": 0, "byKind": [], "maxQueued": 2, "oldest": None}
        # when three jobs are enqueued into a workspace that may queue two
        results = [(await gql(ENQUEUE))["data"]["enqueueJob"] for _ in range(3)]
        # then the third is refused and not written
        assert [r["errors"] for r in results] == [[], [], [{
            "code": "QUEUE_FULL", "field": "kind",
            "message": "the workspace already has 2 queued jobs: wait for some to run"}]]
        queue = (await gql(QUEUE))["data"]["queue"]
        assert {k: v for k, v in queue.items() if k != "oldest"} == {
            "queued": 2, "running": 0, "maxQueued": 2,
            "byKind": [{"kind": "noop", "queued": 2, "running": 0}]}
        assert queue["oldest"] is not None
        # when a worker runs one, there is room again
        assert await worker.run_once() is not None
        assert (await gql(ENQUEUE))["data"]["enqueueJob"]["errors"] == []
        assert (await gql(QUEUE))["data"]["queue"]["queued"] == 2

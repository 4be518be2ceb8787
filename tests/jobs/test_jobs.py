"""The job queue through GraphQL, with a worker run step by step (issue 4)."""

import hashlib

from api.worker import Worker
from domain.db import transaction
from domain.jobs import use_cases
from domain.jobs.rules import backoff_seconds
from domain.storage import LocalBlobStore
from tests.conftest import GraphQLClient, SavepointDatabase, dev_settings
from tests.helpers import add_to_collection, create_asset, create_collection, link

ENQUEUE = """mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) {
  job { id kind status attempts maxAttempts priority } errors { code field message } } }"""
JOB = """query ($id: ID!) { job(id: $id) { status progress attempts cost
  error { code message class } asset { id version }
  resultAsset { id type source generationPrompt generationCost metadata
    parents(types: [GENERATED_FROM]) { edges { node { parent { id } } } } }
  startedAt finishedAt } }"""


async def _enqueue(gql: GraphQLClient, **fields: object) -> dict[str, object]:
    body = await gql(ENQUEUE, {"input": {"kind": "generate_image", **fields}})
    payload: dict[str, object] = body["data"]["enqueueJob"]
    return payload


async def test_generate_image_end_to_end_on_one_worker(
    gql: GraphQLClient, worker: Worker, store: LocalBlobStore
) -> None:
    # given a character styled by a noir style, in a project
    project = await create_collection(gql, "Pilot", "project")
    mara = await create_asset(gql, "Mara", "character_ref", description="a weary detective",
                              generationPrompt="detective in the rain")
    await add_to_collection(gql, project, mara)
    style = await create_asset(gql, "Noir", "style", metadata={"prompt_suffix": "film noir"})
    await link(gql, mara, style, "USED_IN")
    # when a generation job is enqueued and a worker runs it
    queued = await _enqueue(gql, assetId=mara)
    assert queued["errors"] == []
    job = queued["job"]
    assert isinstance(job, dict)
    assert (job["status"], job["attempts"], job["maxAttempts"]) == ("QUEUED", 0, 3)
    finished = await worker.run_once()
    assert finished is not None and finished.status == "succeeded"
    # then the job succeeded with an image generated from Mara, now her file
    state = (await gql(JOB, {"id": job["id"]}))["data"]["job"]
    assert (state["status"], state["progress"], state["attempts"], state["cost"],
            state["error"]) == ("SUCCEEDED", 1.0, 1, 0.01, None)
    image = state["resultAsset"]
    assert (image["type"], image["source"], image["generationPrompt"],
            image["generationCost"]) == ("image", "generation", "detective in the rain, film noir",
                                         0.01)
    assert image["metadata"] == {"width": 512, "height": 768, "format": "png",
                                 "placeholder": True}
    assert image["parents"]["edges"] == [{"node": {"parent": {"id": mara}}}]
    assert state["asset"] == {"id": mara, "version": 2}
    files = await gql("query ($a: ID!, $b: ID!) { a: asset(id: $a) { file { sha256 size "
                      "mimeType } } b: asset(id: $b) { file { sha256 } } }",
                      {"a": mara, "b": image["id"]})
    sha = files["data"]["a"]["file"]["sha256"]
    assert files["data"]["b"]["file"]["sha256"] == sha
    assert hashlib.sha256(await store.read(sha)).hexdigest() == sha
    assert files["data"]["a"]["file"]["mimeType"] == "image/png"
    # and the cost rolls up to the project and the workspace
    costs = await gql("query ($c: ID!) { project: costSummary(collectionId: $c) { total "
                      "byKind { kind total count } byDay { total } } all: costSummary { total } }",
                      {"c": project})
    assert costs["data"]["project"] == {"total": 0.01, "byKind": [
        {"kind": "generate_image", "total": 0.01, "count": 1}], "byDay": [{"total": 0.01}]}
    assert costs["data"]["all"] == {"total": 0.01}
    # the worker finds nothing more to do
    assert await worker.run_once() is None


async def test_the_placeholder_is_deterministic(gql: GraphQLClient, worker: Worker) -> None:
    a = await create_asset(gql, "A", "prop", description="a brass lamp")
    b = await create_asset(gql, "B", "prop", description="a brass lamp")
    for asset in (a, b):
        await _enqueue(gql, assetId=asset)
        await worker.run_once()
    files = await gql("query ($a: ID!, $b: ID!) { a: asset(id: $a) { file { sha256 } } "
                      "b: asset(id: $b) { file { sha256 } } }", {"a": a, "b": b})
    assert files["data"]["a"] == files["data"]["b"]


async def test_a_repeated_idempotency_key_returns_the_same_job(gql: GraphQLClient) -> None:
    asset = await create_asset(gql, "Lamp", "prop")
    first = await _enqueue(gql, assetId=asset, idempotencyKey="lamp-v1")
    second = await _enqueue(gql, assetId=asset, idempotencyKey="lamp-v1", priority=50)
    assert first["job"] == second["job"]
    listed = await gql("{ jobs { totalCount } }")
    assert listed["data"]["jobs"]["totalCount"] == 1


async def test_enqueue_refuses_bad_input(gql: GraphQLClient) -> None:
    lamp = await create_asset(gql, "Lamp", "prop")
    await gql("mutation ($id: ID!) { lockAsset(id: $id) { errors { code } } }", {"id": lamp})
    bad = await gql(ENQUEUE, {"input": {"kind": "paint", "maxAttempts": 50, "priority": 500,
                                        "params": {"provider": "oracle"}}})
    assert bad["data"]["enqueueJob"]["errors"] == [
        {"code": "INVALID", "field": "kind",
         "message": "unknown job kind 'paint'; one of generate_image, noop"},
        {"code": "INVALID", "field": "params.provider",
         "message": "unknown provider; one of placeholder, thumbnail, http"},
        {"code": "INVALID", "field": "priority",
         "message": "priority must be between -100 and 100"},
        {"code": "INVALID", "field": "maxAttempts",
         "message": "maxAttempts must be between 1 and 20"}]
    locked = await _enqueue(gql, assetId=lamp)
    assert locked["errors"] == [{"code": "LOCKED", "field": "assetId",
                                 "message": "asset 'Lamp' is locked; unlock it first"}]
    missing = await _enqueue(gql)
    assert missing["errors"] == [{"code": "INVALID", "field": "assetId",
                                  "message": "generate_image needs an assetId"}]


async def test_enqueue_jobs_is_all_or_nothing(gql: GraphQLClient) -> None:
    lamp = await create_asset(gql, "Lamp", "prop")
    batch = """mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) {
      jobs { status } errors { code field message } } }"""
    body = await gql(batch, {"inputs": [{"kind": "generate_image", "assetId": lamp},
                                        {"kind": "noop"}, {"kind": "generate_image"}]})
    assert body["data"]["enqueueJobs"] == {"jobs": [], "errors": [
        {"code": "INVALID", "field": "inputs.2.assetId",
         "message": "generate_image needs an assetId"}]}
    assert (await gql("{ jobs { totalCount } }"))["data"]["jobs"]["totalCount"] == 0
    good = await gql(batch, {"inputs": [{"kind": "noop"}] * 3})
    assert good["data"]["enqueueJobs"] == {"jobs": [{"status": "QUEUED"}] * 3, "errors": []}
    too_many = await gql(batch, {"inputs": [{"kind": "noop"}] * 101})
    assert too_many["data"]["enqueueJobs"]["errors"] == [
        {"code": "INVALID", "field": "inputs", "message": "at most 100 jobs at once"}]


CANCEL = """mutation ($id: ID!) { cancelJob(id: $id) { job { status error { code } }
  errors { code field message } } }"""
RETRY = """mutation ($id: ID!) { retryJob(id: $id) { job { status attempts error { code } }
  errors { code field message } } }"""


async def test_cancel_a_queued_job_then_retry_it(gql: GraphQLClient, worker: Worker) -> None:
    job = (await _enqueue(gql, kind="noop"))["job"]
    assert isinstance(job, dict)
    cancelled = await gql(CANCEL, {"id": job["id"]})
    assert cancelled["data"]["cancelJob"] == {"job": {"status": "CANCELLED",
                                                      "error": {"code": "CANCELLED"}},
                                              "errors": []}
    again = await gql(CANCEL, {"id": job["id"]})
    assert again["data"]["cancelJob"]["errors"] == [
        {"code": "CONFLICT", "field": "id", "message": "the job already cancelled"}]
    assert await worker.run_once() is None
    retried = await gql(RETRY, {"id": job["id"]})
    assert retried["data"]["retryJob"] == {"job": {"status": "QUEUED", "attempts": 0,
                                                   "error": None}, "errors": []}
    refused = await gql(RETRY, {"id": job["id"]})
    assert refused["data"]["retryJob"]["errors"] == [
        {"code": "CONFLICT", "field": "id",
         "message": "only failed or cancelled jobs can be retried; this one is queued"}]
    done = await worker.run_once()
    assert done is not None and done.status == "succeeded"


async def test_jobs_list_filters_and_asset_jobs(gql: GraphQLClient, worker: Worker) -> None:
    lamp = await create_asset(gql, "Lamp", "prop")
    await _enqueue(gql, assetId=lamp)
    await _enqueue(gql, kind="noop")
    await worker.run_once()  # the older one: the lamp
    listing = await gql("""query ($lamp: ID!) {
      done: jobs(filter: {statuses: [SUCCEEDED]}) { totalCount edges { node { kind } } }
      noop: jobs(filter: {kinds: ["noop"]}) { totalCount }
      lamp: jobs(filter: {assetId: $lamp}) { totalCount }
      asset(id: $lamp) { jobs { totalCount edges { node { status } } }
        queued: jobs(statuses: [QUEUED]) { totalCount edges { node { status } } } } }""",
                        {"lamp": lamp})
    assert listing["data"] == {
        "done": {"totalCount": 1, "edges": [{"node": {"kind": "generate_image"}}]},
        "noop": {"totalCount": 1}, "lamp": {"totalCount": 1},
        "asset": {"jobs": {"totalCount": 1, "edges": [{"node": {"status": "SUCCEEDED"}}]},
                  "queued": {"totalCount": 0, "edges": []}}}


ASSET_JOBS = """query ($id: ID!, $after: String) { asset(id: $id) {
  jobs(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { params } } } } }"""


async def test_an_assets_jobs_page_newest_first(gql: GraphQLClient) -> None:
    # given three jobs about one asset
    lamp = await create_asset(gql, "Lamp", "prop")
    for n in range(3):
        await _enqueue(gql, assetId=lamp, params={"prompt": f"lamp {n}"})
    # when its jobs are read two at a time
    first = (await gql(ASSET_JOBS, {"id": lamp}))["data"]["asset"]["jobs"]
    second = (await gql(ASSET_JOBS, {"id": lamp, "after": first["pageInfo"]["endCursor"]})
              )["data"]["asset"]["jobs"]
    # then the newest come first, the second page has the rest, and both know the total
    assert [e["node"]["params"]["prompt"] for e in first["edges"] + second["edges"]] == [
        "lamp 2", "lamp 1", "lamp 0"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    assert (second["totalCount"], second["pageInfo"]["hasNextPage"]) == (3, False)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert [backoff_seconds(n, jitter=lambda: 0.5) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff_seconds(20, jitter=lambda: 0.5) == 300
    assert (backoff_seconds(3, jitter=lambda: 0.0), backoff_seconds(3, jitter=lambda: 1.0)) == (
        6.0, 10.0)


async def test_an_expired_lease_is_reaped_and_the_job_finished_by_another(
    gql: GraphQLClient, db: SavepointDatabase, store: LocalBlobStore
) -> None:
    job = (await _enqueue(gql, kind="noop"))["job"]
    assert isinstance(job, dict)
    # a worker claims it with a lease that has already run out, then dies
    async with transaction(db, actor="doomed") as tx:
        claimed = await use_cases.claim(tx, worker="doomed", lease_seconds=-1)
    assert claimed is not None
    rescuer = Worker(db, listen_dsn=None, settings=dev_settings().jobs, store=store, name="rescuer")
    assert await rescuer.reap() == 1
    done = await rescuer.run_once()
    assert done is not None
    assert (done.status, done.attempts, done.locked_by) == ("succeeded", 2, None)
    state = await gql("query ($id: ID!) { job(id: $id) { status error { code } } }",
                      {"id": job["id"]})
    assert state["data"]["job"] == {"status": "SUCCEEDED", "error": None}

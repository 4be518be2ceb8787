"""Workers on real, concurrent transactions: cooperative cancel, distinct claims."""

import asyncio
from decimal import Decimal
from pathlib import Path

from api.worker import Worker
from domain.db import EngineDatabase
from domain.jobs.providers import GeneratedImage, ImageRequest, PlaceholderProvider
from domain.storage import LocalBlobStore
from tests.conftest import GraphQLClient, dev_settings
from tests.helpers import create_asset


class SlowProvider:
    """Renders like the placeholder, once `release` is set."""

    name = "placeholder"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        self.started.set()
        await self.release.wait()
        return await PlaceholderProvider(Decimal("0.01")).generate(request)


async def test_a_running_job_stops_when_cancelled(
    racer: GraphQLClient, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    slow = SlowProvider()
    worker = Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                    settings=dev_settings(lease_seconds=0.3).jobs, providers={"placeholder": slow},
                    name="slow-worker")
    lamp = await create_asset(racer, "Lamp", "prop")
    job = (await racer("mutation ($a: ID!) { enqueueJob(input: {kind: \"generate_image\", "
                       "assetId: $a}) { job { id } } }", {"a": lamp}))["data"]["enqueueJob"]["job"]
    running = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(slow.started.wait(), 5)
    asked = await racer("mutation ($id: ID!) { cancelJob(id: $id) { job { status } errors { "
                        "code } } }", {"id": job["id"]})
    assert asked["data"]["cancelJob"] == {"job": {"status": "RUNNING"}, "errors": []}
    finished = await asyncio.wait_for(running, 5)
    assert finished is not None and finished.status == "cancelled"
    state = await racer("query ($id: ID!, $a: ID!) { job(id: $id) { status error { code } "
                        "resultAsset "
                        "{ id } } asset(id: $a) { version file { sha256 } } }",
                        {"id": job["id"], "a": lamp})
    assert state["data"] == {"job": {"status": "CANCELLED", "error": {"code": "CANCELLED"},
                                     "resultAsset": None},
                             "asset": {"version": 1, "file": None}}


async def test_concurrent_workers_claim_distinct_jobs(
    racer: GraphQLClient, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    batch = await racer("mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) "
                        "{ jobs { id } } }", {"inputs": [{"kind": "noop"}] * 20})
    assert len(batch["data"]["enqueueJobs"]["jobs"]) == 20
    workers = [Worker(committed_database, listen_dsn=None, store=LocalBlobStore(tmp_path),
                      settings=dev_settings().jobs, name=f"w{i}") for i in range(4)]

    async def drain(worker: Worker) -> list[str]:
        done = []
        while (job := await worker.run_once()) is not None:
            done.append(str(job.id))
        return done

    results = await asyncio.gather(*(drain(w) for w in workers))
    claimed = [job for result in results for job in result]
    assert len(claimed) == len(set(claimed)) == 20
    states = await racer('{ jobs(filter: {statuses: [SUCCEEDED]}) { totalCount } }')
    assert states["data"]["jobs"]["totalCount"] == 20

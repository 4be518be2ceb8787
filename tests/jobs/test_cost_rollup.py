"""costSummary rolled up by the graph (issue 10): a collection's cost holds its members' and
every asset below them through PART_OF and USED_IN edges."""

from decimal import Decimal

from domain.db import transaction
from domain.jobs import use_cases
from tests.conftest import GraphQLClient, SavepointDatabase
from tests.helpers import add_to_collection, create_asset, create_collection, link

ENQUEUE = """mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) {
  errors { code field message } } }"""


async def spend(gql: GraphQLClient, db: SavepointDatabase, asset: str, cost: str,
                kind: str = "generate_image") -> None:
    """A job about `asset` that finished having cost `cost`: enqueued through the API, then
    claimed and finished as a worker does, without calling a provider."""
    body = await gql(ENQUEUE, {"input": {"kind": kind, "assetId": asset}})
    assert body["data"]["enqueueJob"]["errors"] == []
    async with transaction(db, actor="cost-test") as tx:
        job = await use_cases.claim(tx, worker="cost-test", lease_seconds=30)
        assert job is not None
        done = await use_cases.succeed(tx, job, worker="cost-test", cost=Decimal(cost),
                                       result_asset_id=None)
        assert done is not None


async def test_a_project_counts_its_members_and_everything_below_them(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given a project holding a film whose scene has a shot, an instance and a style
    project = await create_collection(gql, "Pilot project")
    pilot = await create_asset(gql, "Pilot", "film")
    scene = await create_asset(gql, "Scene 1", "scene")
    shot = await create_asset(gql, "Shot 1.1", "shot")
    instance = await create_asset(gql, "Mara@1", "character_ref")
    style = await create_asset(gql, "Noir", "style")
    await add_to_collection(gql, project, pilot)
    await link(gql, pilot, scene, "PART_OF")
    await link(gql, scene, shot, "PART_OF")
    await link(gql, scene, instance, "USED_IN")
    await link(gql, scene, style, "USED_IN")
    for asset, cost in ((pilot, "1"), (scene, "0.5"), (shot, "0.25"), (instance, "2"),
                        (style, "4")):
        await spend(gql, db, asset, cost)
    # when the project's cost is asked
    body = await gql("query ($c: ID!) { costSummary(collectionId: $c) { total "
                     "byKind { kind total count } } }", {"c": project})
    # then the film, its scene, shot and instance count; the style is not a part of it
    assert body == {"data": {"costSummary": {"total": 3.75, "byKind": [
        {"kind": "generate_image", "total": 3.75, "count": 4}]}}}

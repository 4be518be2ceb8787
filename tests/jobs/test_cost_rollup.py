"""costSummary rolled up by the graph (issue 10): an asset's cost holds every asset below it
through PART_OF and USED_IN edges, a collection's its members' and theirs."""

from decimal import Decimal
from typing import Any

import httpx

from domain.db import transaction
from domain.jobs import use_cases
from tests.conftest import GraphQLClient, SavepointDatabase, StatementCounter, WorkspaceTokens
from tests.helpers import add_to_collection, create_asset, create_collection, link

SUMMARY = """query ($asset: ID, $collection: ID) {
  costSummary(assetId: $asset, collectionId: $collection) {
    total byKind { kind total count } byAsset { asset { name } total count } } }"""
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


async def summary(gql: GraphQLClient, *, asset: str | None = None,
                  collection: str | None = None) -> dict[str, Any]:
    body = await gql(SUMMARY, {"asset": asset, "collection": collection})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["costSummary"]
    return result


def by_asset(*entries: tuple[str, float, int]) -> list[dict[str, Any]]:
    return [{"asset": {"name": name}, "total": total, "count": count}
            for name, total, count in entries]


async def film(gql: GraphQLClient, db: SavepointDatabase) -> dict[str, str]:
    """Pilot: Scene 1 (Shot 1.1, the instance Mara@1, styled by Noir) and Scene 2 (Shot 2.1),
    each with a job that cost something; Other, an unrelated film, too."""
    ids = {
        "Pilot": await create_asset(gql, "Pilot", "film"),
        "Scene 1": await create_asset(gql, "Scene 1", "scene"),
        "Scene 2": await create_asset(gql, "Scene 2", "scene"),
        "Shot 1.1": await create_asset(gql, "Shot 1.1", "shot"),
        "Shot 2.1": await create_asset(gql, "Shot 2.1", "shot"),
        "Mara@1": await create_asset(gql, "Mara@1", "character_ref"),
        "Noir": await create_asset(gql, "Noir", "style"),
        "Other": await create_asset(gql, "Other", "film"),
    }
    await link(gql, ids["Pilot"], ids["Scene 1"], "PART_OF", 1)
    await link(gql, ids["Pilot"], ids["Scene 2"], "PART_OF", 2)
    await link(gql, ids["Scene 1"], ids["Shot 1.1"], "PART_OF")
    await link(gql, ids["Scene 2"], ids["Shot 2.1"], "PART_OF")
    await link(gql, ids["Scene 1"], ids["Mara@1"], "USED_IN")
    await link(gql, ids["Scene 1"], ids["Noir"], "USED_IN")
    for name, cost in (("Pilot", "1"), ("Scene 1", "0.5"), ("Scene 2", "0.25"),
                       ("Shot 1.1", "0.125"), ("Shot 2.1", "0.0625"), ("Mara@1", "1.5"),
                       ("Noir", "4"), ("Other", "8")):
        await spend(gql, db, ids[name], cost)
    await spend(gql, db, ids["Mara@1"], "0.5", kind="noop")
    return ids


async def test_a_films_cost_holds_its_scenes_shots_and_instances(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given a film of two scenes, with shots, an instance and a style, and another film
    ids = await film(gql, db)
    # when its cost is asked
    cost = await summary(gql, asset=ids["Pilot"])
    # then every job on the film and below it counts, the style's and the other film's not
    assert cost == {
        "total": 3.9375,
        "byKind": [{"kind": "generate_image", "total": 3.4375, "count": 6},
                   {"kind": "noop", "total": 0.5, "count": 1}],
        "byAsset": by_asset(("Mara@1", 2.0, 2), ("Pilot", 1.0, 1), ("Scene 1", 0.5, 1),
                            ("Scene 2", 0.25, 1), ("Shot 1.1", 0.125, 1),
                            ("Shot 2.1", 0.0625, 1)),
    }


async def test_a_scenes_cost_holds_its_shots_and_instances_only(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given the film
    ids = await film(gql, db)
    # when the first scene's cost is asked
    cost = await summary(gql, asset=ids["Scene 1"])
    # then its shot and instance count, neither the film above it nor the other scene
    assert (cost["total"], cost["byAsset"]) == (2.625, by_asset(
        ("Mara@1", 2.0, 2), ("Scene 1", 0.5, 1), ("Shot 1.1", 0.125, 1)))


async def test_a_project_counts_its_members_and_everything_below_them(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given a project holding the film, its style Noir and the project asset Mara, whose
    # scene instance Mara@1 is a variant (not a member of the project)
    ids = await film(gql, db)
    project = await create_collection(gql, "Pilot project")
    mara = await create_asset(gql, "Mara", "character_ref")
    await link(gql, mara, ids["Mara@1"], "VARIANT_OF")
    await spend(gql, db, mara, "16")
    for member in (ids["Pilot"], ids["Noir"], mara):
        await add_to_collection(gql, project, member)
    # when the project's cost is asked
    cost = await summary(gql, collection=project)
    # then the film's scenes, shots and instance count with the members, each once
    assert (cost["total"], cost["byAsset"]) == (23.9375, by_asset(
        ("Mara", 16.0, 1), ("Noir", 4.0, 1), ("Mara@1", 2.0, 2), ("Pilot", 1.0, 1),
        ("Scene 1", 0.5, 1), ("Scene 2", 0.25, 1), ("Shot 1.1", 0.125, 1),
        ("Shot 2.1", 0.0625, 1)))
    # and the workspace counts everything, as before
    assert (await summary(gql))["total"] == 31.9375


async def test_a_style_counts_only_when_named_and_the_walk_stops_at_it(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given the film, whose first scene Noir styles, and a reference image used in Noir
    ids = await film(gql, db)
    reference = await create_asset(gql, "Noir reference", "image")
    await link(gql, ids["Noir"], reference, "USED_IN")
    await spend(gql, db, reference, "32")
    # when the scene's cost and the style's are asked
    scene = await summary(gql, asset=ids["Scene 1"])
    style = await summary(gql, asset=ids["Noir"])
    # then the scene holds neither the style nor what is used in it; the style named
    # directly holds its own jobs only
    assert (scene["total"], [e["asset"]["name"] for e in scene["byAsset"]]) == (
        2.625, ["Mara@1", "Scene 1", "Shot 1.1"])
    assert (style["total"], style["byAsset"]) == (4.0, by_asset(("Noir", 4.0, 1)))


async def test_an_asset_reached_by_two_paths_counts_once(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given the film, whose instance Mara@1 is used in both scenes, and a collection holding
    # the film and its first scene
    ids = await film(gql, db)
    await link(gql, ids["Scene 2"], ids["Mara@1"], "USED_IN")
    both = await create_collection(gql, "Both", "storyboard")
    for member in (ids["Pilot"], ids["Scene 1"]):
        await add_to_collection(gql, both, member)
    # when the film's and the collection's costs are asked
    pilot = await summary(gql, asset=ids["Pilot"])
    collection = await summary(gql, collection=both)
    # then the instance's two jobs count once each, and so does every scene
    expected = by_asset(("Mara@1", 2.0, 2), ("Pilot", 1.0, 1), ("Scene 1", 0.5, 1),
                        ("Scene 2", 0.25, 1), ("Shot 1.1", 0.125, 1), ("Shot 2.1", 0.0625, 1))
    assert (pilot["total"], pilot["byAsset"]) == (3.9375, expected)
    assert (collection["total"], collection["byAsset"]) == (3.9375, expected)


async def test_a_cycle_across_part_of_and_used_in_ends_the_walk(
    gql: GraphQLClient, db: SavepointDatabase
) -> None:
    # given a scene PART_OF a film that is itself USED_IN the scene (each type acyclic)
    pilot = await create_asset(gql, "Pilot", "film")
    scene = await create_asset(gql, "Scene 1", "scene")
    await link(gql, pilot, scene, "PART_OF")
    await link(gql, scene, pilot, "USED_IN")
    await spend(gql, db, pilot, "1")
    await spend(gql, db, scene, "0.5")
    # when the cost of either is asked
    from_film = await summary(gql, asset=pilot)
    from_scene = await summary(gql, asset=scene)
    # then the walk ends, and each counts once
    expected = (1.5, by_asset(("Pilot", 1.0, 1), ("Scene 1", 0.5, 1)))
    assert (from_film["total"], from_film["byAsset"]) == expected
    assert (from_scene["total"], from_scene["byAsset"]) == expected


async def test_soft_deleted_assets_still_count(gql: GraphQLClient, db: SavepointDatabase) -> None:
    # given the film whose second scene is deleted (its shot below it is not)
    ids = await film(gql, db)
    deleted = await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }",
                        {"id": ids["Scene 2"]})
    assert deleted["data"]["deleteAsset"]["errors"] == []
    # when the film's cost is asked
    body = await gql("query ($id: ID!) { costSummary(assetId: $id) { total "
                     "byAsset { asset { name deletedAt } total } } }", {"id": ids["Pilot"]})
    cost = body["data"]["costSummary"]
    # then the deleted scene and the shot below it still count: money spent stays spent
    assert cost["total"] == 3.9375
    assert [(e["asset"]["name"], e["asset"]["deletedAt"] is not None, e["total"])
            for e in cost["byAsset"]] == [
        ("Mara@1", False, 2.0), ("Pilot", False, 1.0), ("Scene 1", False, 0.5),
        ("Scene 2", True, 0.25), ("Shot 1.1", False, 0.125), ("Shot 2.1", False, 0.0625)]


async def test_an_asset_and_a_collection_together_are_refused(gql: GraphQLClient) -> None:
    # given an asset and a collection
    pilot = await create_asset(gql, "Pilot", "film")
    project = await create_collection(gql, "Pilot project")
    # when both are given
    body = await gql(SUMMARY, {"asset": pilot, "collection": project})
    # then the query is refused as bad input, naming the argument
    assert body["data"] is None
    assert [(e["message"], e["path"], e["extensions"]["code"], e["extensions"]["field"])
            for e in body["errors"]] == [
        ("give collectionId or assetId, not both", ["costSummary"], "INVALID", "assetId")]


async def test_ids_of_another_workspace_give_an_empty_summary(
    gql: GraphQLClient, db: SavepointDatabase, http: httpx.AsyncClient,
    other_workspace: WorkspaceTokens,
) -> None:
    # given a film and a project with a cost in another workspace
    other = GraphQLClient(http, other_workspace.editor)
    theirs = await create_asset(other, "Their film", "film")
    their_project = await create_collection(other, "Their project")
    await add_to_collection(other, their_project, theirs)
    await spend(other, db, theirs, "1")
    # when this workspace asks their costs
    by_film = await summary(gql, asset=theirs)
    by_project = await summary(gql, collection=their_project)
    # then it finds nothing, as an ID of nothing here would; they see their own
    empty = {"total": 0.0, "byKind": [], "byAsset": []}
    assert (by_film, by_project) == (empty, empty)
    assert (await summary(other, asset=theirs))["byAsset"] == by_asset(("Their film", 1.0, 1))


async def _film_of(gql: GraphQLClient, db: SavepointDatabase, scenes: int) -> str:
    """A film of `scenes` scenes, each with a shot and an instance, every one with a cost."""
    film_id = await create_asset(gql, f"Film of {scenes}", "film")
    await spend(gql, db, film_id, "1")
    for s in range(scenes):
        scene = await create_asset(gql, f"Scene {s}", "scene")
        await link(gql, film_id, scene, "PART_OF", s + 1)
        for child, type_, edge in ((f"Shot {s}", "shot", "PART_OF"),
                                   (f"Instance {s}", "character_ref", "USED_IN")):
            asset = await create_asset(gql, child, type_)
            await link(gql, scene, asset, edge)
            await spend(gql, db, asset, "0.5")
    return film_id


async def test_the_summary_costs_a_fixed_count_of_statements(
    gql: GraphQLClient, db: SavepointDatabase, statement_counter: StatementCounter
) -> None:
    # given a film of 2 scenes and one of 5
    small, large = await _film_of(gql, db, 2), await _film_of(gql, db, 5)
    counts = []
    for film_id, entries in ((small, 5), (large, 11)):
        # when each one's summary is asked, with and without the assets of byAsset
        with statement_counter.counting() as statements:
            cost = await summary(gql, asset=film_id)
        with statement_counter.counting() as without_assets:
            await gql("query ($id: ID!) { costSummary(assetId: $id) { total byDay { total } "
                      "byAsset { total count } } }", {"id": film_id})
        assert len(cost["byAsset"]) == entries
        counts.append((len(statements), len(without_assets)))
    # then both cost the same: set_config and the summary, and one more for byAsset's assets
    assert counts == [(3, 2), (3, 2)]

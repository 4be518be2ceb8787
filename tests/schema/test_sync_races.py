"""Concurrent sync, edit and inheritance on real transactions (issue 3)."""

import asyncio

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset
from tests.schema.test_library_sync import SYNC, UPDATE, _john_doe, _update
from tests.schema.test_scene_authoring import ADD, PROPAGATE
from tests.schema.test_scenes import INHERIT, _film, _instances


async def test_concurrent_syncs_and_an_edit_lose_nothing(racer: GraphQLClient) -> None:
    # given a clone whose library source changed
    john, clone, _ = await _john_doe(racer)
    await _update(racer, john, description="navy suit",
                  metadata={"attributes": {"build": "tall", "hair": "red"}})
    # when two syncs and an edit of the clone race
    first, second, edit = await asyncio.gather(
        racer(SYNC, {"input": {"id": clone}}),
        racer(SYNC, {"input": {"id": clone}}),
        racer(UPDATE, {"input": {"id": clone, "tags": ["muddy"]}}),
    )
    # then all three landed, each in the history, and the state holds every change
    assert [first["data"]["syncAsset"]["errors"], second["data"]["syncAsset"]["errors"],
            edit["data"]["updateAsset"]["errors"]] == [[], [], []]
    state = await racer("""query ($id: ID!) { asset(id: $id) { description tags metadata version
      sync { outdated overriddenFields } history(first: 20) { edges { node { topic } } } } }""",
                        {"id": clone})
    asset = state["data"]["asset"]
    assert (asset["description"], asset["tags"], asset["metadata"]) == (
        "navy suit", ["muddy"], {"attributes": {"build": "tall", "hair": "red"}})
    assert asset["sync"] == {"outdated": False, "overriddenFields": ["tags"]}
    topics = [e["node"]["topic"] for e in asset["history"]["edges"]]
    assert sorted(topics) == sorted(["asset.created", "asset.linked", "asset.synced",
                                     "asset.synced", "asset.updated"])
    # one sync applied the source, the edit added one version; the other sync had nothing to do
    assert asset["version"] == 3


async def test_concurrent_inheritance_of_one_scene_makes_one_set(racer: GraphQLClient) -> None:
    f = await _film(racer, scenes=1)
    results = await asyncio.gather(*(racer(INHERIT, {"input": {"sceneId": f.scenes[0]}})
                                     for _ in range(2)))
    outcomes = sorted(
        (r["data"]["inheritSceneAssets"]["count"],
         [e["code"] for e in r["data"]["inheritSceneAssets"]["errors"]]) for r in results)
    assert outcomes == [(0, ["CONFLICT"]), (2, [])]
    listed = await racer("query ($id: ID!) { asset(id: $id) { instancesConnection { edges { node {"
                         " name } } } } }", {"id": f.scenes[0]})
    assert listed["data"]["asset"]["instancesConnection"]["edges"] == [
        {"node": {"name": "John Doe"}}, {"node": {"name": "Lamp"}}]


async def test_concurrent_adds_of_one_scene_asset_make_one_instance(racer: GraphQLClient) -> None:
    # given a scene with inherited instances and a project asset not in it yet
    f = await _film(racer, scenes=2)
    await racer(INHERIT, {"input": {"sceneId": f.scenes[0]}})
    hat = await create_asset(racer, "Hat", "prop")
    await add_to_collection(racer, f.project, hat)
    # when four clients add it to scene 1 at once
    results = await asyncio.gather(*(racer(ADD, {"input": {
        "sceneId": f.scenes[0], "projectAssetId": hat}}) for _ in range(4)))
    # then one instance was made and the other three were told CONFLICT
    outcomes = sorted([e["code"] for e in r["data"]["addSceneAsset"]["errors"]]
                      for r in results)
    assert outcomes == [[], ["CONFLICT"], ["CONFLICT"], ["CONFLICT"]]
    assert sorted(await _instances(racer, f.scenes[0])) == ["Hat", "John Doe", "Lamp"]


async def test_an_edit_racing_a_propagation_is_never_overwritten(racer: GraphQLClient) -> None:
    # given three inherited scenes and scene 1's John muddy
    f = await _film(racer)
    for scene in f.scenes:
        await racer(INHERIT, {"input": {"sceneId": scene}})
    johns = [(await _instances(racer, s))["John Doe"]["id"] for s in f.scenes]
    await _update(racer, johns[0], tags=["muddy"])
    # when scene 2's John is edited while scene 1's is propagated
    edit, pushed = await asyncio.gather(
        racer(UPDATE, {"input": {"id": johns[1], "description": "soaked"}}),
        racer(PROPAGATE, {"id": johns[0]}))
    # then the edit landed whatever the order: either propagation came first (and the edit
    # followed it) or it saw the edit and stopped there
    assert edit["data"]["updateAsset"]["errors"] == []
    assert pushed["data"]["propagateSceneAsset"]["errors"] == []
    two = (await _instances(racer, f.scenes[1]))["John Doe"]
    assert two["description"] == "soaked"

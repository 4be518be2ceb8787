"""Concurrent sync, edit and inheritance on real transactions (issue 3)."""

import asyncio

from tests.conftest import GraphQLClient
from tests.schema.test_library_sync import SYNC, UPDATE, _john_doe, _update
from tests.schema.test_scenes import INHERIT, _film


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
    listed = await racer("query ($id: ID!) { asset(id: $id) { instances { edges { node {"
                         " name } } } } }", {"id": f.scenes[0]})
    assert listed["data"]["asset"]["instances"]["edges"] == [
        {"node": {"name": "John Doe"}}, {"node": {"name": "Lamp"}}]

"""Scenes 1-3: bootstrap, carry forward, reset, refusals, provenance, context (issue 3)."""

from dataclasses import dataclass

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection, link
from tests.schema.test_library_sync import CLONE, _update

INHERIT = """mutation ($input: InheritSceneAssetsInput!) { inheritSceneAssets(input: $input) {
  scene { name } count instances { id name } errors { code field message } } }"""
INSTANCES = """query ($id: ID!) { asset(id: $id) { instancesConnection { edges { node { id name
  description tags
  carryForward sync { relationshipType overriddenFields outdated source { id } }
  inherited: parents(types: [DERIVED_FROM]) { edges { node { parent { id } } } } } } } } }"""


@dataclass
class Film:
    library: str
    project: str
    film: str
    scenes: list[str]
    library_john: str
    john: str
    lamp: str


async def _lock(gql: GraphQLClient, asset: str) -> None:
    body = await gql("mutation ($id: ID!) { lockAsset(id: $id) { errors { code } } }",
                     {"id": asset})
    assert body["data"]["lockAsset"]["errors"] == []


async def _film(gql: GraphQLClient, scenes: int = 3) -> Film:
    """A project with a film of `scenes` scenes; John (cloned from the library) and a lamp are
    locked project assets, a hat is not."""
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    library_john = await create_asset(gql, "John Doe", "character_ref",
                                      description="a tall man in a clean suit")
    await add_to_collection(gql, library, library_john)
    john = (await gql(CLONE, {"input": {"sourceId": library_john, "collectionId": project}}))[
        "data"]["cloneAsset"]["asset"]["id"]
    lamp = await create_asset(gql, "Lamp", "prop", description="a brass lamp", tags=["prop"])
    hat = await create_asset(gql, "Hat", "prop", description="a felt hat")
    film = await create_asset(gql, "Night Ledger", "film")
    for asset in (lamp, hat, film):
        await add_to_collection(gql, project, asset)
    await _lock(gql, john)
    await _lock(gql, lamp)
    scene_ids = []
    for number in range(1, scenes + 1):
        scene = await create_asset(gql, f"Scene {number}", "scene")
        await link(gql, film, scene, sequence=number)
        scene_ids.append(scene)
    return Film(library, project, film, scene_ids, library_john, john, lamp)


async def _inherit(gql: GraphQLClient, scene: str, replace: bool = False) -> dict[str, object]:
    body = await gql(INHERIT, {"input": {"sceneId": scene, "replace": replace}})
    payload: dict[str, object] = body["data"]["inheritSceneAssets"]
    return payload


async def _instances(gql: GraphQLClient, scene: str) -> dict[str, dict[str, object]]:
    found = (await gql(INSTANCES, {"id": scene}))["data"]["asset"]["instancesConnection"]["edges"]
    return {i["node"]["name"]: i["node"] for i in found}


async def test_scene_one_bootstraps_from_the_locked_project_assets(gql: GraphQLClient) -> None:
    f = await _film(gql)
    inherited = await _inherit(gql, f.scenes[0])
    assert (inherited["errors"], inherited["count"], inherited["scene"]) == (
        [], 2, {"name": "Scene 1"})
    instances = await _instances(gql, f.scenes[0])
    assert sorted(instances) == ["John Doe", "Lamp"]
    lamp = instances["Lamp"]
    assert {k: v for k, v in lamp.items() if k != "id"} == {
        "name": "Lamp", "description": "a brass lamp", "tags": [], "carryForward": True,
        "sync": {"relationshipType": "VARIANT_OF", "overriddenFields": [], "outdated": False,
                 "source": {"id": f.lamp}},
        "inherited": {"edges": []}}
    assert instances["John Doe"]["sync"]["source"] == {"id": f.john}


async def test_status_carries_forward_and_a_reset_keeps_its_link(gql: GraphQLClient) -> None:
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    one = await _instances(gql, f.scenes[0])
    # scene 1: John gets muddy, with a description override
    await _update(gql, str(one["John Doe"]["id"]), tags=["muddy"],
                  description="a tall man in a muddy suit")
    # scene 2 inherits it
    assert (await _inherit(gql, f.scenes[1]))["count"] == 2
    two = await _instances(gql, f.scenes[1])
    john2 = two["John Doe"]
    assert (john2["description"], john2["tags"], john2["carryForward"]) == (
        "a tall man in a muddy suit", ["muddy"], True)
    assert john2["sync"] == {"relationshipType": "VARIANT_OF", "overriddenFields": ["description"],
                             "outdated": False, "source": {"id": f.john}}
    assert john2["inherited"] == {"edges": [{"node": {"parent": {"id": one["John Doe"]["id"]}}}]}
    # scene 2: the lamp breaks, but it is not carried forward
    await _update(gql, str(two["Lamp"]["id"]), tags=["broken"], description="a broken lamp")
    carry = await gql("""mutation ($input: SetCarryForwardInput!) { setCarryForward(input:
      $input) { asset { carryForward } errors { code } } }""",
                      {"input": {"id": two["Lamp"]["id"], "carryForward": False}})
    assert carry["data"]["setCarryForward"] == {"asset": {"carryForward": False}, "errors": []}
    # scene 3: John stays muddy, the lamp resets yet keeps its inheritance link
    assert (await _inherit(gql, f.scenes[2]))["count"] == 2
    three = await _instances(gql, f.scenes[2])
    assert three["John Doe"]["tags"] == ["muddy"]
    lamp3 = three["Lamp"]
    assert (lamp3["description"], lamp3["tags"], lamp3["carryForward"]) == (
        "a brass lamp", [], False)
    assert lamp3["sync"]["overriddenFields"] == []
    assert lamp3["inherited"] == {"edges": [{"node": {"parent": {"id": two["Lamp"]["id"]}}}]}


async def test_inheritance_refusals(gql: GraphQLClient) -> None:
    f = await _film(gql)
    # scene 2 before scene 1
    early = await _inherit(gql, f.scenes[1])
    assert early["errors"] == [{"code": "INVALID", "field": "sceneId", "message":
                                "the scene to inherit from, 'Scene 1', has no instances; "
                                "inherit it first"}]
    await _inherit(gql, f.scenes[0])
    await _inherit(gql, f.scenes[1])
    again = await _inherit(gql, f.scenes[1])
    assert again["errors"] == [{"code": "CONFLICT", "field": "sceneId", "message":
                                "scene 'Scene 2' already has 2 instance(s); merge or replace"}]
    replaced = await _inherit(gql, f.scenes[1], replace=True)
    assert (replaced["errors"], replaced["count"]) == ([], 2)
    assert len(await _instances(gql, f.scenes[1])) == 2
    orphan = await create_asset(gql, "Orphan", "scene")
    assert (await _inherit(gql, orphan))["errors"] == [
        {"code": "INVALID", "field": "sceneId",
         "message": "scene 'Orphan' is not part_of a film"}]
    loose_film = await create_asset(gql, "Loose", "film")
    loose_scene = await create_asset(gql, "Loose scene", "scene")
    await link(gql, loose_film, loose_scene)
    assert (await _inherit(gql, loose_scene))["errors"] == [
        {"code": "INVALID", "field": "sceneId",
         "message": "film 'Loose' is in no project collection"}]
    assert (await _inherit(gql, f.film))["errors"] == [
        {"code": "INVALID", "field": "sceneId",
         "message": "'Night Ledger' is a film, not a scene"}]


async def test_provenance_from_scene_three_reaches_the_library(gql: GraphQLClient) -> None:
    f = await _film(gql)
    for scene in f.scenes:
        await _inherit(gql, scene)
    johns = [(await _instances(gql, s))["John Doe"]["id"] for s in f.scenes]
    body = await gql("""query ($id: ID!) { asset(id: $id) { lineage(direction: UPSTREAM,
      types: [DERIVED_FROM, VARIANT_OF]) { isPartial steps { depth asset { id }
      relationship { type } } } } }""", {"id": johns[2]})
    steps = body["data"]["asset"]["lineage"]["steps"]
    assert sorted((s["depth"], s["asset"]["id"], s["relationship"]["type"]) for s in steps) == \
        sorted([(1, johns[1], "DERIVED_FROM"), (1, f.john, "VARIANT_OF"),
                (2, johns[0], "DERIVED_FROM"), (2, f.library_john, "DERIVED_FROM")])


async def test_a_changed_project_asset_outdates_instances_without_changing_them(
    gql: GraphQLClient,
) -> None:
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    await _inherit(gql, f.scenes[1])
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": f.lamp})
    await _update(gql, f.lamp, description="a silver lamp")
    for scene in f.scenes[:2]:
        lamp = (await _instances(gql, scene))["Lamp"]
        assert (lamp["description"], lamp["sync"]["outdated"]) == ("a brass lamp", True)


async def test_scene_context_and_neighbours(gql: GraphQLClient) -> None:
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    john = (await _instances(gql, f.scenes[0]))["John Doe"]
    await _update(gql, str(john["id"]), tags=["muddy"], url="https://img.example/john-1.png")
    context = await gql("""query ($id: ID!) { sceneContext(sceneId: $id) { name type
      description statusTags imageUrl assetId projectAssetId } }""", {"id": f.scenes[0]})
    assert context["data"]["sceneContext"] == [
        {"name": "John Doe", "type": "character_ref", "description": "a tall man in a clean suit",
         "statusTags": ["muddy"], "imageUrl": "https://img.example/john-1.png",
         "assetId": john["id"], "projectAssetId": f.john},
        {"name": "Lamp", "type": "prop", "description": "a brass lamp", "statusTags": [],
         "imageUrl": None, "assetId": (await _instances(gql, f.scenes[0]))["Lamp"]["id"],
         "projectAssetId": f.lamp}]
    neighbours = await gql("""query ($a: ID!, $b: ID!, $c: ID!) {
      a: asset(id: $a) { previousScene { name } nextScene { name } }
      b: asset(id: $b) { previousScene { name } nextScene { name } }
      c: asset(id: $c) { previousScene { name } nextScene { name } } }""",
                           dict(zip("abc", f.scenes, strict=True)))
    assert neighbours["data"] == {
        "a": {"previousScene": None, "nextScene": {"name": "Scene 2"}},
        "b": {"previousScene": {"name": "Scene 1"}, "nextScene": {"name": "Scene 3"}},
        "c": {"previousScene": {"name": "Scene 2"}, "nextScene": None}}


async def test_an_instance_syncs_from_its_project_asset_keeping_its_status(
    gql: GraphQLClient,
) -> None:
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    lamp = (await _instances(gql, f.scenes[0]))["Lamp"]
    await _update(gql, str(lamp["id"]), tags=["lit"])
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": f.lamp})
    await _update(gql, f.lamp, description="a silver lamp", tags=["silver"])
    synced = await gql("""mutation ($id: ID!) { syncAsset(input: {id: $id}) { applied
      asset { description tags carryForward sync { outdated } } errors { code } } }""",
                       {"id": lamp["id"]})
    assert synced["data"]["syncAsset"] == {"applied": ["description"], "errors": [], "asset": {
        "description": "a silver lamp", "tags": ["lit"], "carryForward": True,
        "sync": {"outdated": False}}}

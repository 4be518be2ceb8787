"""Scene authoring mid-film: add, remove, propagate, merge, staleness, scene numbers (issue 10)."""

from typing import Any

from tests.conftest import GraphQLClient, StatementCounter, WorkspaceTokens
from tests.helpers import add_to_collection, create_asset, link
from tests.schema.test_library_sync import _update
from tests.schema.test_scenes import Film, _film, _inherit, _instances, _lock

ADD = """mutation ($input: AddSceneAssetInput!) { addSceneAsset(input: $input) {
  instance { id name description tags carryForward sync { overriddenFields } }
  propagated { id tags description }
  errors { code field message } } }"""
REMOVE = """mutation ($id: ID!, $propagate: Boolean!) {
  removeSceneAsset(instanceId: $id, propagate: $propagate) {
  instance { id deletedAt } removed { id } kept { instance { id } reason }
  errors { code field message } } }"""
PROPAGATE = """mutation ($id: ID!) { propagateSceneAsset(instanceId: $id) {
  instance { id } updated { id tags description } skipped { instance { id } reason }
  errors { code field message } } }"""
INHERIT = """mutation ($input: InheritSceneAssetsInput!) { inheritSceneAssets(input: $input) {
  count instances { name } errors { code field message } } }"""
INHERITANCE = """query ($id: ID!) { asset(id: $id) { sceneNumber inheritance {
  fromInstance { id deletedAt } fromScene { name } stale staleReason } } }"""


async def _add(gql: GraphQLClient, **given: Any) -> dict[str, Any]:
    body = await gql(ADD, {"input": given})
    payload: dict[str, Any] = body["data"]["addSceneAsset"]
    return payload


async def _inheritance(gql: GraphQLClient, asset: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql(INHERITANCE, {"id": asset}))["data"]["asset"]
    return found


async def _hat(gql: GraphQLClient, f: Film) -> str:
    hat = await create_asset(gql, "Hat", "prop", description="a felt hat")
    await add_to_collection(gql, f.project, hat)
    return hat


async def _scene_names(gql: GraphQLClient, f: Film) -> list[list[str]]:
    return [sorted(await _instances(gql, s)) for s in f.scenes]


async def test_an_asset_first_seen_in_scene_two_is_added_and_propagated(
    gql: GraphQLClient,
) -> None:
    # given a film of four scenes, the first three inherited, and a hat new to the project
    f = await _film(gql, scenes=4)
    for scene in f.scenes[:3]:
        await _inherit(gql, scene)
    hat = await _hat(gql, f)
    # when the hat is added to scene 2, wet, and propagated
    added = await _add(gql, sceneId=f.scenes[1], projectAssetId=hat, statusTags=["wet"],
                       descriptionOverride="a wet felt hat", propagate=True)
    # then scene 2 has it with the override recorded, and scene 3 (already inherited) got its
    # own copy; scene 4, never inherited, got none
    assert added["errors"] == []
    instance = added["instance"]
    assert {k: v for k, v in instance.items() if k != "id"} == {
        "name": "Hat", "description": "a wet felt hat", "tags": ["wet"], "carryForward": True,
        "sync": {"overriddenFields": ["description"]}}
    assert [(p["tags"], p["description"]) for p in added["propagated"]] == [
        (["wet"], "a wet felt hat")]
    assert await _scene_names(gql, f) == [["John Doe", "Lamp"], ["Hat", "John Doe", "Lamp"],
                                          ["Hat", "John Doe", "Lamp"], []]
    third = await _inheritance(gql, added["propagated"][0]["id"])
    assert third == {"sceneNumber": 3, "inheritance": {
        "fromInstance": {"id": instance["id"], "deletedAt": None},
        "fromScene": {"name": "Scene 2"}, "stale": False, "staleReason": None}}
    assert await _inheritance(gql, instance["id"]) == {"sceneNumber": 2, "inheritance": {
        "fromInstance": None, "fromScene": None, "stale": False, "staleReason": None}}
    # and a second instance of the hat in scene 2 is a conflict that writes nothing
    again = await _add(gql, sceneId=f.scenes[1], projectAssetId=hat)
    assert again == {"instance": None, "propagated": [], "errors": [
        {"code": "CONFLICT", "field": "projectAssetId",
         "message": "scene 'Scene 2' already has an instance of 'Hat'"}]}
    # and the scene's history says what was added
    history = await gql("""query ($id: ID!) { asset(id: $id) { history(first: 100) {
      edges { node { topic } } } } }""", {"id": f.scenes[1]})
    topics = [e["node"]["topic"] for e in history["data"]["asset"]["history"]["edges"]]
    assert topics.count("asset.scene_asset_added") == 1


async def test_adding_stops_at_a_scene_that_already_has_one(gql: GraphQLClient) -> None:
    # given three inherited scenes and the hat already added to scene 3
    f = await _film(gql)
    for scene in f.scenes:
        await _inherit(gql, scene)
    hat = await _hat(gql, f)
    assert (await _add(gql, sceneId=f.scenes[2], projectAssetId=hat))["errors"] == []
    # when it is added to scene 1 and propagated
    added = await _add(gql, sceneId=f.scenes[0], projectAssetId=hat, propagate=True)
    # then scene 2 gets a copy and scene 3 keeps its own
    assert (added["errors"], len(added["propagated"])) == ([], 1)
    assert await _scene_names(gql, f) == [["Hat", "John Doe", "Lamp"]] * 3


async def test_add_scene_asset_refusals_write_nothing(
    gql: GraphQLClient, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
    http: Any,
) -> None:
    # given an inherited scene, an asset outside the project and another workspace's prop
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    stray = await create_asset(gql, "Stray", "prop")
    theirs = await create_asset(GraphQLClient(http, other_workspace.editor), "Theirs", "prop")
    instance = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    cases = [
        ({"sceneId": f.film, "projectAssetId": f.lamp},
         ("INVALID", "sceneId", "'Night Ledger' is a film, not a scene")),
        ({"sceneId": f.scenes[0], "projectAssetId": stray},
         ("INVALID", "projectAssetId", "'Stray' is not an asset of this film's project")),
        ({"sceneId": f.scenes[0], "projectAssetId": instance},
         ("INVALID", "projectAssetId", "'Lamp' is not an asset of this film's project")),
        ({"sceneId": f.scenes[0], "projectAssetId": theirs},
         ("NOT_FOUND", "projectAssetId", "asset not found")),
        ({"sceneId": f.scenes[0], "projectAssetId": "bm9wZQ"},
         ("INVALID", "projectAssetId", "'bm9wZQ' is not a valid Asset ID")),
        ({"sceneId": f.scenes[0], "projectAssetId": f.lamp, "statusTags": ["x" * 65]},
         ("INVALID", "statusTags", f"tags must be 1 to 64 characters: {'x' * 65!r}")),
        ({"sceneId": f.scenes[0], "projectAssetId": f.lamp},
         ("CONFLICT", "projectAssetId", "scene 'Scene 1' already has an instance of 'Lamp'")),
    ]
    for given, (code, field, message) in cases:
        # when each is sent
        refused = await _add(gql, **given)
        # then it is refused with its typed error
        assert refused == {"instance": None, "propagated": [], "errors": [
            {"code": code, "field": field, "message": message}]}, given
    # and nothing was written
    assert await _scene_names(gql, f) == [["John Doe", "Lamp"], [], []]


async def test_removing_keeps_later_instances_unless_propagated(gql: GraphQLClient) -> None:
    # given three inherited scenes
    f = await _film(gql)
    for scene in f.scenes:
        await _inherit(gql, scene)
    johns = [(await _instances(gql, s))["John Doe"]["id"] for s in f.scenes]
    lamps = [(await _instances(gql, s))["Lamp"]["id"] for s in f.scenes]
    # when scene 2's John is removed (scene 3's was inherited from it)
    removed = (await gql(REMOVE, {"id": johns[1], "propagate": False}))["data"][
        "removeSceneAsset"]
    # then it is soft-deleted, no DEPENDENTS_EXIST; scene 3 keeps its John, whose
    # inheritance shows the removed source
    assert (removed["errors"], removed["removed"], removed["kept"]) == ([], [], [])
    assert removed["instance"]["deletedAt"] is not None
    third = (await _inheritance(gql, johns[2]))["inheritance"]
    assert (third["fromInstance"]["id"], third["stale"], third["staleReason"]) == (
        johns[1], True, "SOURCE_REMOVED")
    assert third["fromInstance"]["deletedAt"] == removed["instance"]["deletedAt"]
    # when scene 3's lamp is edited and scene 1's lamp is removed with propagate
    await _update(gql, lamps[2], description="a dented lamp")
    cascade = (await gql(REMOVE, {"id": lamps[0], "propagate": True}))["data"][
        "removeSceneAsset"]
    # then scene 2's unedited copy goes too, and the edited one in scene 3 stays
    assert (cascade["errors"], cascade["removed"], cascade["kept"]) == (
        [], [{"id": lamps[1]}], [{"instance": {"id": lamps[2]}, "reason": "LOCAL_EDIT"}])
    assert await _scene_names(gql, f) == [["John Doe"], [], ["John Doe", "Lamp"]]


async def test_remove_refusals(gql: GraphQLClient) -> None:
    # given an inherited scene whose lamp is locked
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    lamp = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    await _lock(gql, lamp)
    for asset, (code, message) in (
            (lamp, ("LOCKED", "asset 'Lamp' is locked; unlock it first")),
            (f.lamp, ("INVALID", "'Lamp' is not a scene instance"))):
        # when it (or a project asset) is removed
        body = (await gql(REMOVE, {"id": asset, "propagate": True}))["data"]["removeSceneAsset"]
        # then it is refused
        assert body["errors"] == [{"code": code, "field": "id" if code == "LOCKED"
                                   else "instanceId", "message": message}]
    assert await _scene_names(gql, f) == [["John Doe", "Lamp"], [], []]


async def test_propagation_reaches_unedited_instances_and_stops_at_an_edit(
    gql: GraphQLClient,
) -> None:
    # given four inherited scenes; John gets muddy in scene 2; scene 4's John is edited
    f = await _film(gql, scenes=4)
    for scene in f.scenes:
        await _inherit(gql, scene)
    johns = [(await _instances(gql, s))["John Doe"]["id"] for s in f.scenes]
    await _update(gql, johns[1], tags=["muddy"], description="a tall man, muddy")
    await _update(gql, johns[3], description="a tall man, dry again")
    # then scene 3's John is stale: its source changed
    assert (await _inheritance(gql, johns[2]))["inheritance"]["staleReason"] == "SOURCE_CHANGED"
    # when scene 2's John is propagated
    body = (await gql(PROPAGATE, {"id": johns[1]}))["data"]["propagateSceneAsset"]
    # then scene 3 takes its state; scene 4, edited, is skipped and left as it was
    assert body == {"instance": {"id": johns[1]}, "errors": [],
                    "updated": [{"id": johns[2], "tags": ["muddy"],
                                 "description": "a tall man, muddy"}],
                    "skipped": [{"instance": {"id": johns[3]}, "reason": "LOCAL_EDIT"}]}
    three = await _instances(gql, f.scenes[2])
    assert three["John Doe"]["sync"]["overriddenFields"] == ["description"]
    assert (await _inheritance(gql, johns[2]))["inheritance"]["stale"] is False
    four = await _instances(gql, f.scenes[3])
    assert (four["John Doe"]["description"], four["John Doe"]["tags"]) == (
        "a tall man, dry again", [])
    # and propagating again changes nothing more
    again = (await gql(PROPAGATE, {"id": johns[1]}))["data"]["propagateSceneAsset"]
    assert [u["id"] for u in again["updated"]] == [johns[2]]


async def test_a_carry_forward_toggle_flows_forward_by_propagation(gql: GraphQLClient) -> None:
    # given three inherited scenes where the lamp is broken in scene 1
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    lamp1 = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    await _update(gql, lamp1, tags=["broken"])
    for scene in f.scenes[1:]:
        await _inherit(gql, scene)
    assert [(await _instances(gql, s))["Lamp"]["tags"] for s in f.scenes] == [["broken"]] * 3
    # when scene 1's lamp stops carrying forward and is propagated
    await gql("""mutation ($input: SetCarryForwardInput!) { setCarryForward(input: $input) {
      errors { code } } }""", {"input": {"id": lamp1, "carryForward": False}})
    body = (await gql(PROPAGATE, {"id": lamp1}))["data"]["propagateSceneAsset"]
    # then scenes 2 and 3 reset to the project asset, as inheritance would have made them
    assert (body["errors"], len(body["updated"]), body["skipped"]) == ([], 2, [])
    lamps = [(await _instances(gql, s))["Lamp"] for s in f.scenes]
    assert [(lamp["tags"], lamp["carryForward"]) for lamp in lamps] == [
        (["broken"], False), ([], False), ([], False)]


async def test_inherit_modes_merge_replace_and_from_scene(gql: GraphQLClient) -> None:
    # given scenes 1 and 2 inherited, scene 2's John edited, and a hat locked in later
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    await _inherit(gql, f.scenes[1])
    john2 = (await _instances(gql, f.scenes[1]))["John Doe"]["id"]
    await _update(gql, john2, description="a tall man, soaked")
    hat = await _hat(gql, f)
    await _lock(gql, hat)
    assert (await _add(gql, sceneId=f.scenes[0], projectAssetId=hat))["errors"] == []
    # when scene 2 is inherited again in MERGE mode
    merged = (await gql(INHERIT, {"input": {"sceneId": f.scenes[1], "mode": "MERGE"}}))[
        "data"]["inheritSceneAssets"]
    # then only the hat is added and the edit is kept
    assert merged == {"count": 1, "instances": [{"name": "Hat"}], "errors": []}
    two = await _instances(gql, f.scenes[1])
    assert (sorted(two), two["John Doe"]["description"]) == (
        ["Hat", "John Doe", "Lamp"], "a tall man, soaked")
    # and the other modes and their refusals
    refusals = [
        ({"sceneId": f.scenes[1]}, ("CONFLICT", "sceneId",
                                    "scene 'Scene 2' already has 3 instance(s); merge or replace")),
        ({"sceneId": f.scenes[1], "mode": "MERGE", "replace": True},
         ("INVALID", "replace", "replace: true means mode: REPLACE; give one of them")),
        ({"sceneId": f.scenes[1], "mode": "MERGE", "fromSceneId": f.scenes[2]},
         ("INVALID", "fromSceneId",
          "inheritance flows forward: fromSceneId must come before the scene")),
        ({"sceneId": f.scenes[1], "mode": "MERGE", "fromSceneId": f.lamp},
         ("INVALID", "fromSceneId", "fromSceneId is not a live scene of this scene's film")),
    ]
    for given, (code, field, message) in refusals:
        body = (await gql(INHERIT, {"input": given}))["data"]["inheritSceneAssets"]
        assert body == {"count": 0, "instances": [], "errors": [
            {"code": code, "field": field, "message": message}]}, given
    # when scene 3 inherits from scene 1 rather than scene 2
    skipped = (await gql(INHERIT, {"input": {"sceneId": f.scenes[2], "fromSceneId":
                                             f.scenes[0]}}))["data"]["inheritSceneAssets"]
    assert skipped["count"] == 3
    three = await _instances(gql, f.scenes[2])
    assert three["John Doe"]["description"] == "a tall man in a clean suit"
    # and REPLACE (or replace: true) soft-deletes and inherits afresh
    replaced = (await gql(INHERIT, {"input": {"sceneId": f.scenes[1], "mode": "REPLACE"}}))[
        "data"]["inheritSceneAssets"]
    assert (replaced["errors"], replaced["count"]) == ([], 3)
    assert (await _instances(gql, f.scenes[1]))["John Doe"]["description"] == \
        "a tall man in a clean suit"


async def test_a_reorder_makes_inherited_instances_stale(gql: GraphQLClient) -> None:
    # given three inherited scenes
    f = await _film(gql)
    for scene in f.scenes:
        await _inherit(gql, scene)
    john3 = (await _instances(gql, f.scenes[2]))["John Doe"]["id"]
    assert (await _inheritance(gql, john3))["inheritance"]["stale"] is False
    # when scene 3 moves before scene 2
    body = await gql("""mutation ($input: ReorderChildrenInput!) { reorderChildren(input:
      $input) { errors { code } } }""", {"input": {"parentId": f.film, "type": "PART_OF",
                                                  "childIds": [f.scenes[0], f.scenes[2],
                                                               f.scenes[1]]}})
    assert body["data"]["reorderChildren"]["errors"] == []
    # then scene 3 is second, and its instances say they inherited from a scene that no
    # longer comes before them
    assert await _inheritance(gql, john3) == {"sceneNumber": 2, "inheritance": {
        "fromInstance": {"id": (await _instances(gql, f.scenes[1]))["John Doe"]["id"],
                         "deletedAt": None},
        "fromScene": {"name": "Scene 2"}, "stale": True,
        "staleReason": "SCENE_ORDER_CHANGED"}}


async def test_scene_number_film_and_scene_of_shots_and_instances(gql: GraphQLClient) -> None:
    # given a film with three scenes and a shot in scene 2
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    shot = await create_asset(gql, "Shot 2.1", "shot")
    await link(gql, f.scenes[1], shot)
    lamp = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    query = """query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Asset { name sceneNumber
      film { name } scene { name } } } }"""
    # when scenes, the shot, an instance, the film and a project asset are asked for
    body = await gql(query, {"ids": [*f.scenes, shot, lamp, f.film, f.lamp]})
    # then each says where it sits
    assert body["data"]["nodes"] == [
        {"name": "Scene 1", "sceneNumber": 1, "film": {"name": "Night Ledger"},
         "scene": {"name": "Scene 1"}},
        {"name": "Scene 2", "sceneNumber": 2, "film": {"name": "Night Ledger"},
         "scene": {"name": "Scene 2"}},
        {"name": "Scene 3", "sceneNumber": 3, "film": {"name": "Night Ledger"},
         "scene": {"name": "Scene 3"}},
        {"name": "Shot 2.1", "sceneNumber": 2, "film": {"name": "Night Ledger"},
         "scene": {"name": "Scene 2"}},
        {"name": "Lamp", "sceneNumber": 1, "film": {"name": "Night Ledger"},
         "scene": {"name": "Scene 1"}},
        {"name": "Night Ledger", "sceneNumber": None, "film": {"name": "Night Ledger"},
         "scene": None},
        {"name": "Lamp", "sceneNumber": None, "film": None, "scene": None}]


async def test_scene_metadata_is_typed(gql: GraphQLClient) -> None:
    # when a scene is created with ill-typed scene metadata
    body = await gql("""mutation ($input: CreateAssetInput!) { createAsset(input: $input) {
      asset { id } errors { code field message } } }""", {"input": {
        "type": "scene", "name": "Scene 9",
        "metadata": {"script_excerpt": 3, "end_state_summary": ["x"], "status": "draft"}}})
    # then each bad key is named
    assert body["data"]["createAsset"] == {"asset": None, "errors": [
        {"code": "INVALID", "field": "metadata.script_excerpt",
         "message": "metadata.script_excerpt must be a string in scene metadata"},
        {"code": "INVALID", "field": "metadata.end_state_summary",
         "message": "metadata.end_state_summary must be a string in scene metadata"}]}


async def test_instances_connection_pages_scenes_and_project_assets(
    gql: GraphQLClient,
) -> None:
    # given three inherited scenes
    f = await _film(gql)
    for scene in f.scenes:
        await _inherit(gql, scene)
    query = """query ($id: ID!, $after: String) { asset(id: $id) { instancesConnection(first: 2,
      after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { name scene { name } } } } } }"""
    # when the lamp's instances are paged two at a time
    first = (await gql(query, {"id": f.lamp}))["data"]["asset"]["instancesConnection"]
    rest = (await gql(query, {"id": f.lamp, "after": first["pageInfo"]["endCursor"]}))[
        "data"]["asset"]["instancesConnection"]
    # then every scene's lamp comes once, in the order they were made
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"],
            rest["pageInfo"]["hasNextPage"]) == (3, True, False)
    assert [e["node"]["scene"]["name"] for e in first["edges"] + rest["edges"]] == [
        "Scene 1", "Scene 2", "Scene 3"]
    scene = (await gql(query, {"id": f.scenes[1]}))["data"]["asset"]["instancesConnection"]
    assert [e["node"]["name"] for e in scene["edges"]] == ["John Doe", "Lamp"]


async def test_restoring_a_second_instance_of_a_pair_is_a_conflict(gql: GraphQLClient) -> None:
    # given a scene whose lamp was removed and added again
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    lamp = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    await gql(REMOVE, {"id": lamp, "propagate": False})
    assert (await _add(gql, sceneId=f.scenes[0], projectAssetId=f.lamp))["errors"] == []
    # when the removed one is restored
    body = await gql("""mutation ($id: ID!) { restoreAsset(id: $id) { asset { id }
      errors { code field message } } }""", {"id": lamp})
    # then the database's one-instance rule refuses it
    assert body["data"]["restoreAsset"] == {"asset": None, "errors": [
        {"code": "CONFLICT", "field": "id",
         "message": "the scene already has a live instance of this project asset"}]}


async def _film_with(gql: GraphQLClient, props: int) -> Film:
    f = await _film(gql)
    for n in range(props):
        prop = await create_asset(gql, f"Prop {n:02}", "prop")
        await add_to_collection(gql, f.project, prop)
        await _lock(gql, prop)
    for scene in f.scenes:
        await _inherit(gql, scene)
    return f


async def test_authoring_statements_do_not_grow_with_the_scene(
    gql: GraphQLClient, statement_counter: StatementCounter,
) -> None:
    counts = []
    for props in (2, 20):
        # given a three-scene film whose scenes hold `props` + 2 instances
        f = await _film_with(gql, props)
        hat = await _hat(gql, f)
        lamps = [(await _instances(gql, s))["Lamp"]["id"] for s in f.scenes]
        # when an asset is added with propagation, one propagated and one removed
        with statement_counter.counting() as add:
            assert (await _add(gql, sceneId=f.scenes[0], projectAssetId=hat,
                               propagate=True))["errors"] == []
        with statement_counter.counting() as propagate:
            await gql(PROPAGATE, {"id": lamps[0]})
        with statement_counter.counting() as remove:
            await gql(REMOVE, {"id": lamps[0], "propagate": True})
        counts.append((len(add), len(propagate), len(remove)))
    # then each costs the same number of statements whatever the scenes hold
    assert counts == [(23, 14, 13)] * 2


async def test_propagation_never_pushes_an_instance_s_own_metadata(gql: GraphQLClient) -> None:
    # given two inherited scenes; scene 1's John is muddy and carries an imported identity
    f = await _film(gql, scenes=2)
    for scene in f.scenes:
        await _inherit(gql, scene)
    johns = [(await _instances(gql, s))["John Doe"]["id"] for s in f.scenes]
    await _update(gql, johns[0], tags=["muddy"],
                  metadata={"attributes": {"coat": "grey"}, "legacy": {"id": "L-1"}})
    # when it is propagated
    body = (await gql(PROPAGATE, {"id": johns[0]}))["data"]["propagateSceneAsset"]
    # then scene 2's John takes its state but neither its legacy identity nor its flag
    assert [u["tags"] for u in body["updated"]] == [["muddy"]]
    found = await gql("query ($id: ID!) { asset(id: $id) { metadata } }", {"id": johns[1]})
    assert found["data"]["asset"]["metadata"] == {"attributes": {"coat": "grey"},
                                                  "carry_forward": True}

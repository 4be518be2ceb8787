"""Styles at every level, STYLE_REQUIRED, and what a scene instance's generation and the
scene's context carry (issue 10, items 7 and 8)."""

from typing import Any

from api.worker import Worker
from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection
from tests.schema.test_library_sync import _update
from tests.schema.test_scenes import _film, _inherit, _instances

SET_STYLE = """mutation ($input: SetStyleInput!) { setStyle(input: $input) {
  asset { name } collection { name styleRequired style { name } } style { name }
  errors { code field message } } }"""
EFFECTIVE = """query ($id: ID!) { asset(id: $id) { effectiveStyle { name } } }"""
ENQUEUE = """mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) {
  job { id } errors { code field message } } }"""


async def _set_style(gql: GraphQLClient, **given: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(SET_STYLE, {"input": given}))["data"]["setStyle"]
    return payload


async def _effective(gql: GraphQLClient, asset: str) -> str | None:
    found = (await gql(EFFECTIVE, {"id": asset}))["data"]["asset"]["effectiveStyle"]
    return found["name"] if found else None


async def _style(gql: GraphQLClient, name: str, suffix: str) -> str:
    return await create_asset(gql, name, "style", metadata={"prompt_suffix": suffix})


async def test_the_nearest_style_applies(gql: GraphQLClient) -> None:
    # given a film with scene 1 inherited, and a style for each level
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    lamp = (await _instances(gql, f.scenes[0]))["Lamp"]["id"]
    names = ("Project look", "Film look", "Scene look", "Lamp look", "Instance look")
    styles = {name: await _style(gql, name, name.lower()) for name in names}
    assert await _effective(gql, lamp) is None
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": f.lamp})
    # when styles are set from the project down to the instance, each is the nearest in turn
    targets = [f.project, f.film, f.scenes[0], f.lamp, lamp]
    seen = []
    for target, name in zip(targets, names, strict=True):
        set_ = await _set_style(gql, targetId=target, styleId=styles[name])
        assert (set_["errors"], set_["style"]) == ([], {"name": name})
        seen.append(await _effective(gql, lamp))
    # then the instance's effective style moved closer at every step
    assert seen == list(names)
    # and the project says its style; the film's scene and the film see theirs
    assert (await _effective(gql, f.scenes[1]), await _effective(gql, f.film),
            await _effective(gql, f.john)) == ("Film look", "Film look", "Project look")
    # when the instance's style is removed, its project asset's applies again
    cleared = await _set_style(gql, targetId=lamp, styleId=None)
    assert (cleared["errors"], cleared["asset"], cleared["style"]) == (
        [], {"name": "Lamp"}, None)
    assert await _effective(gql, lamp) == "Lamp look"


async def test_set_style_refusals_write_nothing(gql: GraphQLClient) -> None:
    # given a project, a library, a style and a plain prop
    f = await _film(gql)
    library = await create_collection(gql, "Library", "library")
    style = await _style(gql, "Noir", "film noir")
    hat = await create_asset(gql, "Hat", "prop")
    cases = [
        ({"targetId": hat, "styleId": hat}, ("INVALID", "styleId", "'Hat' is not a live style "
                                                                   "asset")),
        ({"targetId": library, "styleId": style},
         ("INVALID", "targetId", "collection 'Library' is a library, not a project")),
        ({"targetId": style, "styleId": style},
         ("INVALID", "targetId", "a style cannot have a style")),
        ({"targetId": hat, "styleId": style, "styleRequired": True},
         ("INVALID", "styleRequired", "styleRequired is set on a project collection")),
        ({"targetId": f.lamp, "styleId": style},
         ("LOCKED", "targetId", "asset 'Lamp' is locked; unlock it first")),
        ({"targetId": "bm9wZQ", "styleId": style},
         ("INVALID", "targetId", "'bm9wZQ' is not a valid Asset ID")),
    ]
    for given, (code, field, message) in cases:
        # when each is sent
        refused = await _set_style(gql, **given)
        # then it is refused, typed
        assert refused == {"asset": None, "collection": None, "style": None, "errors": [
            {"code": code, "field": field, "message": message}]}, given
    # and no style applies anywhere
    assert [await _effective(gql, a) for a in (hat, f.lamp, f.film)] == [None, None, None]


async def test_a_project_that_requires_a_style_refuses_unstyled_generation(
    gql: GraphQLClient,
) -> None:
    # given a project that requires a style, and an unstyled prop in it
    f = await _film(gql)
    hat = await create_asset(gql, "Hat", "prop")
    await add_to_collection(gql, f.project, hat)
    required = await _set_style(gql, targetId=f.project, styleId=None, styleRequired=True)
    assert required["collection"] == {"name": "Pilot", "styleRequired": True, "style": None}
    # when a generation of the hat is enqueued
    refused = (await gql(ENQUEUE, {"input": {"kind": "generate_image", "assetId": hat}}))[
        "data"]["enqueueJob"]
    # then it is refused and no job exists
    assert refused == {"job": None, "errors": [
        {"code": "STYLE_REQUIRED", "field": "assetId",
         "message": "this asset's project requires a style and none applies (setStyle on the "
                    "asset, its scene, its film or the project)"}]}
    assert (await gql("{ jobs { totalCount } }"))["data"]["jobs"]["totalCount"] == 0
    # when the project gets a style, the same enqueue is accepted
    await _set_style(gql, targetId=f.project, styleId=await _style(gql, "Noir", "film noir"))
    accepted = (await gql(ENQUEUE, {"input": {"kind": "generate_image", "assetId": hat}}))[
        "data"]["enqueueJob"]
    assert accepted["errors"] == []


CONTEXT = """query ($id: ID!) { sceneContext(sceneId: $id) { name statusTags imageUrl
  image { sha256 } effectiveStyle { name } } }"""
BRIEF = """query ($id: ID!) { sceneBrief(sceneId: $id) { scene { name } sceneNumber
  scriptExcerpt endStateSummary status previousScene { name } previousEndStateSummary
  entries { name } } }"""
JOB = """query ($id: ID!) { job(id: $id) { status prompt resultAsset { file { sha256 } } } }"""


async def _generate(gql: GraphQLClient, worker: Worker, asset: str) -> dict[str, Any]:
    queued = (await gql(ENQUEUE, {"input": {"kind": "generate_image", "assetId": asset}}))[
        "data"]["enqueueJob"]
    assert queued["errors"] == []
    assert (await worker.run_once()) is not None
    job: dict[str, Any] = (await gql(JOB, {"id": queued["job"]["id"]}))["data"]["job"]
    return job


async def test_an_instance_generation_uses_its_status_and_style_and_the_context_shows_it(
    gql: GraphQLClient, worker: Worker,
) -> None:
    # given scene 1 styled noir, and John muddy in it
    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    await _set_style(gql, targetId=f.scenes[0], styleId=await _style(gql, "Noir", "film noir"))
    john = (await _instances(gql, f.scenes[0]))["John Doe"]["id"]
    await _update(gql, john, tags=["muddy", "torn shirt"],
                  description="a tall man in a muddy suit")
    # then before any image, the context has none
    context = (await gql(CONTEXT, {"id": f.scenes[0]}))["data"]["sceneContext"]
    assert context == [
        {"name": "John Doe", "statusTags": ["muddy", "torn shirt"], "imageUrl": None,
         "image": None, "effectiveStyle": {"name": "Noir"}},
        {"name": "Lamp", "statusTags": [], "imageUrl": None, "image": None,
         "effectiveStyle": {"name": "Noir"}}]
    # when the library's John gets an image, the instance shows it (nearest with one)
    library = await _generate(gql, worker, f.library_john)
    library_file = library["resultAsset"]["file"]["sha256"]
    john_entry = (await gql(CONTEXT, {"id": f.scenes[0]}))["data"]["sceneContext"][0]
    assert (john_entry["image"], john_entry["imageUrl"]) == (
        {"sha256": library_file}, f"http://test/files/{library_file}")
    # when the instance itself is generated
    own = await _generate(gql, worker, john)
    # then its prompt joined its description, status tags and style, and the job kept it
    assert (own["status"], own["prompt"]) == (
        "SUCCEEDED", "a tall man in a muddy suit, muddy, torn shirt, film noir")
    own_file = own["resultAsset"]["file"]["sha256"]
    assert own_file != library_file
    john_entry = (await gql(CONTEXT, {"id": f.scenes[0]}))["data"]["sceneContext"][0]
    assert (john_entry["image"], john_entry["imageUrl"]) == (
        {"sha256": own_file}, f"http://test/files/{own_file}")


async def test_the_scene_brief_carries_the_script_and_end_states(gql: GraphQLClient) -> None:
    # given two scenes with script excerpts and end states
    f = await _film(gql)
    await _update(gql, f.scenes[0], metadata={"end_state_summary": "John falls in the mud",
                                              "status": "final"})
    await _update(gql, f.scenes[1], metadata={"script_excerpt": "INT. OFFICE - NIGHT",
                                              "status": "draft"})
    await _inherit(gql, f.scenes[0])
    await _inherit(gql, f.scenes[1])
    # when scene 2's brief is read
    brief = (await gql(BRIEF, {"id": f.scenes[1]}))["data"]["sceneBrief"]
    # then it has its own script and the previous scene's end state
    assert brief == {"scene": {"name": "Scene 2"}, "sceneNumber": 2,
                     "scriptExcerpt": "INT. OFFICE - NIGHT", "endStateSummary": None,
                     "status": "draft", "previousScene": {"name": "Scene 1"},
                     "previousEndStateSummary": "John falls in the mud",
                     "entries": [{"name": "John Doe"}, {"name": "Lamp"}]}
    # and a film is no scene
    assert (await gql(BRIEF, {"id": f.film}))["data"]["sceneBrief"] is None

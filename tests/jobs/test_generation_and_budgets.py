"""Typed generation, provenance on the result, regenerate, budgets (issue 11, items 1-3)."""

import asyncio
from typing import Any

from api.worker import Worker
from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection, link
from tests.schema.test_library_sync import CLONE

GENERATE = """mutation ($input: GenerateImageInput!) { generateImage(input: $input) {
  job { id status params } estimatedCost errors { code field message } } }"""
RESULT = """query ($id: ID!) { job(id: $id) { status jobKind cost resultAsset { id
  file { sha256 }
  generation { prompt negativePrompt model seed width height provider kind cost jobId
    references { asset { name } } style { asset { name } } }
  references: children(types: [REFERENCE_FOR]) { edges { node { child { name } } } } } } }"""
REGENERATE = """mutation ($id: ID!, $seed: Int) { regenerate(assetId: $id, seed: $seed) {
  job { id params } estimatedCost errors { code field message } } }"""
SET_BUDGET = """mutation ($input: SetBudgetInput!) { setBudget(input: $input) {
  budget { limit period spent reserved remaining } errors { code field message } } }"""
BUDGETS = """query ($project: ID!) { viewer { workspace { budget { limit spent reserved
  remaining } } } collection(id: $project) { budget { limit spent reserved remaining } } }"""


async def _generate(gql: GraphQLClient, **given: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(GENERATE, {"input": given}))["data"]["generateImage"]
    return payload


async def _run(gql: GraphQLClient, worker: Worker, job_id: str) -> dict[str, Any]:
    assert await worker.run_once() is not None
    job: dict[str, Any] = (await gql(RESULT, {"id": job_id}))["data"]["job"]
    return job


async def _john(gql: GraphQLClient, worker: Worker) -> dict[str, str]:
    """A library John with an image, his project clone with a reference sheet and a noir
    style on the project."""
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    john = await create_asset(gql, "John Doe", "character_ref",
                              description="a tall man in a clean suit")
    await add_to_collection(gql, library, john)
    made = await _generate(gql, assetId=john, seed=1)
    await _run(gql, worker, made["job"]["id"])
    clone = (await gql(CLONE, {"input": {"sourceId": john, "collectionId": project}}))[
        "data"]["cloneAsset"]["asset"]["id"]
    sheet = await create_asset(gql, "John sheet", "image")
    await link(gql, clone, sheet, "REFERENCE_FOR")
    noir = await create_asset(gql, "Noir", "style", metadata={"prompt_suffix": "film noir"})
    body = await gql("""mutation ($input: SetStyleInput!) { setStyle(input: $input) {
      errors { code } } }""", {"input": {"targetId": project, "styleId": noir}})
    assert body["data"]["setStyle"]["errors"] == []
    return {"library": library, "project": project, "john": john, "clone": clone,
            "sheet": sheet, "noir": noir}


async def test_a_generation_resolves_its_inputs_from_the_graph_and_records_them(
    gql: GraphQLClient, worker: Worker,
) -> None:
    # given John in a project: a library image, a reference sheet, the project's noir style
    g = await _john(gql, worker)
    # when a widescreen image of the project's John is generated with a seed
    queued = await _generate(gql, assetId=g["clone"], aspectRatio="WIDESCREEN", seed=7,
                             negativePrompt="blur")
    # then the job holds every input the graph gave it
    assert (queued["errors"], queued["estimatedCost"], queued["job"]["status"]) == (
        [], 0.01, "QUEUED")
    assert queued["job"]["params"] == {
        "generation_kind": "master", "width": 1280, "height": 720, "model": None, "seed": 7,
        "negative_prompt": "blur", "reference_ids": [_raw(g["sheet"]), _raw(g["john"])],
        "style_id": _raw(g["noir"]), "mask_id": None}
    # when it runs
    done = await _run(gql, worker, queued["job"]["id"])
    # then the image records how it was made, and each reference stands REFERENCE_FOR it
    image = done["resultAsset"]
    assert (done["status"], done["jobKind"], done["cost"]) == ("SUCCEEDED", "GENERATE_IMAGE",
                                                               0.01)
    assert image["generation"] == {
        "prompt": "a tall man in a clean suit, film noir", "negativePrompt": "blur",
        "model": None, "seed": 7, "width": 1280, "height": 720, "provider": "placeholder",
        "kind": "master", "cost": 0.01, "jobId": queued["job"]["id"],
        "references": [{"asset": {"name": "John sheet"}}, {"asset": {"name": "John Doe"}}],
        "style": {"asset": {"name": "Noir"}}}
    assert sorted(e["node"]["child"]["name"] for e in image["references"]["edges"]) == [
        "John Doe", "John sheet"]
    # when it is regenerated with another seed
    again = (await gql(REGENERATE, {"id": image["id"], "seed": 8}))["data"]["regenerate"]
    # then the same inputs are queued with the new seed, and the image differs
    assert again["errors"] == []
    assert again["job"]["params"] == {**queued["job"]["params"], "seed": 8}
    redone = await _run(gql, worker, again["job"]["id"])
    assert redone["resultAsset"]["generation"]["seed"] == 8
    assert redone["resultAsset"]["file"] != image["file"]


def _raw(global_id: str) -> str:
    from schema.inputs import decode_uuid

    found = decode_uuid(global_id, "Asset")
    assert found is not None
    return str(found)


async def test_frames_take_the_scene_instances_as_references(
    gql: GraphQLClient, worker: Worker,
) -> None:
    # given a shot in scene 1, whose instances were inherited
    from tests.schema.test_scenes import _film, _inherit, _instances

    f = await _film(gql)
    await _inherit(gql, f.scenes[0])
    shot = await create_asset(gql, "Shot 1.1", "shot")
    await link(gql, f.scenes[0], shot)
    instances = await _instances(gql, f.scenes[0])
    # when its start frame is generated
    queued = await _generate(gql, assetId=shot, kind="START_FRAME")
    # then the references are the scene's instances
    assert queued["errors"] == []
    assert queued["job"]["params"]["reference_ids"] == [
        _raw(instances["John Doe"]["id"]), _raw(instances["Lamp"]["id"])]


async def test_generation_refusals_are_typed_and_write_nothing(
    gql: GraphQLClient, other_workspace: Any, http: Any,
) -> None:
    # given a prop, a deleted image, a style and another workspace's asset
    prop = await create_asset(gql, "Hat", "prop")
    gone = await create_asset(gql, "Gone", "image")
    await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }", {"id": gone})
    theirs = await create_asset(GraphQLClient(http, other_workspace.editor), "Theirs", "image")
    cases = [
        ({"kind": "START_FRAME"}, ("INVALID", "kind", "START_FRAME is a shot's frame; 'Hat' "
                                                      "is a prop")),
        ({"kind": "SCENE_INSTANCE"}, ("INVALID", "kind", "'Hat' is not a scene instance")),
        ({"maskAssetId": gone}, ("INVALID", "maskAssetId", "a mask is only for kind INPAINT")),
        ({"referenceAssetIds": [gone]},
         ("INVALID", "referenceAssetIds.0", "no live asset has this ID")),
        ({"referenceAssetIds": [theirs]},
         ("INVALID", "referenceAssetIds.0", "no live asset has this ID")),
        ({"aspectRatio": "SQUARE", "width": 64, "height": 64},
         ("INVALID", "aspectRatio", "give aspectRatio or width and height, not both")),
        ({"width": 64}, ("INVALID", "height", "give width and height together")),
        ({"width": 8, "height": 64}, ("INVALID", "width", "width must be 16 to 4096 pixels")),
        ({"seed": -1}, ("INVALID", "seed", "seed must be 0 to 2147483647")),
        ({"styleId": prop}, ("INVALID", "styleId", "not a live style asset")),
        ({"provider": "dall-e"},
         ("INVALID", "provider", "unknown provider; one of placeholder, thumbnail, http")),
    ]
    for given, (code, field, message) in cases:
        # when each is asked
        refused = await _generate(gql, assetId=prop, **given)
        # then it is refused with its field
        assert refused == {"job": None, "estimatedCost": None, "errors": [
            {"code": code, "field": field, "message": message}]}, given
    inpaint = await _generate(gql, assetId=prop, kind="INPAINT")
    assert [(e["field"], e["message"]) for e in inpaint["errors"]] == [
        ("maskAssetId", "INPAINT needs a maskAssetId"), ("assetId", "'Hat' has no file to "
                                                                    "inpaint")]
    assert (await _generate(gql, assetId=theirs))["errors"] == [
        {"code": "NOT_FOUND", "field": "assetId", "message": "asset not found"}]
    assert (await gql(REGENERATE, {"id": prop}))["data"]["regenerate"]["errors"] == [
        {"code": "INVALID", "field": "assetId",
         "message": "'Hat' was not generated by a job of this workspace (or its target is "
                    "gone)"}]
    # and no job was queued
    assert (await gql("{ jobs { totalCount } }"))["data"]["jobs"]["totalCount"] == 0


async def test_budgets_reserve_at_enqueue_and_settle_at_completion(
    gql: GraphQLClient, worker: Worker,
) -> None:
    # given a workspace budget of 0.03 and a project budget of 0.02
    project = await create_collection(gql, "Pilot", "project")
    inside = await create_asset(gql, "Hat", "prop")
    await add_to_collection(gql, project, inside)
    outside = await create_asset(gql, "Cane", "prop")
    whole = (await gql(SET_BUDGET, {"input": {"workspace": True, "limit": 0.03,
                                              "period": "TOTAL"}}))["data"]["setBudget"]
    assert whole == {"budget": {"limit": 0.03, "period": "TOTAL", "spent": 0.0,
                                "reserved": 0.0, "remaining": 0.03}, "errors": []}
    await gql(SET_BUDGET, {"input": {"collectionId": project, "limit": 0.02}})
    # when the project's hat is generated twice, a third is refused by the project's budget
    first = await _generate(gql, assetId=inside)
    assert (await _generate(gql, assetId=inside))["errors"] == []
    refused = await _generate(gql, assetId=inside)
    assert refused["errors"] == [{"code": "BUDGET_EXCEEDED", "field": "assetId", "message":
                                  "the collection's month budget of 0.0200 has 0 left (spent "
                                  "0, reserved 0.0200); this needs 0.01"}]
    # and the cane, outside the project, takes the workspace's last 0.01; then nothing fits
    assert (await _generate(gql, assetId=outside))["errors"] == []
    assert [e["code"] for e in (await _generate(gql, assetId=outside))["errors"]] == [
        "BUDGET_EXCEEDED"]
    budgets = (await gql(BUDGETS, {"project": project}))["data"]
    assert budgets["viewer"]["workspace"]["budget"] == {
        "limit": 0.03, "spent": 0.0, "reserved": 0.03, "remaining": 0.0}
    assert budgets["collection"]["budget"] == {
        "limit": 0.02, "spent": 0.0, "reserved": 0.02, "remaining": 0.0}
    # when one job runs and one queued job is cancelled
    await worker.run_once()
    cancelled = await gql("mutation ($id: ID!) { cancelJob(id: $id) { errors { code } } }",
                          {"id": first["job"]["id"]})
    assert cancelled["data"]["cancelJob"]["errors"] == [{"code": "CONFLICT"}]
    queued = (await gql("""{ jobs(filter: {statuses: [QUEUED]}) { edges { node { id } } } }"""))[
        "data"]["jobs"]["edges"]
    await gql("mutation ($id: ID!) { cancelJob(id: $id) { errors { code } } }",
              {"id": queued[0]["node"]["id"]})
    # then the actual cost replaced one reservation and the cancelled job holds none
    budgets = (await gql(BUDGETS, {"project": project}))["data"]
    assert budgets["viewer"]["workspace"]["budget"] == {
        "limit": 0.03, "spent": 0.01, "reserved": 0.01, "remaining": 0.01}
    # and removing a budget leaves none
    removed = (await gql(SET_BUDGET, {"input": {"collectionId": project, "limit": None}}))[
        "data"]["setBudget"]
    assert removed == {"budget": None, "errors": []}
    assert (await gql(BUDGETS, {"project": project}))["data"]["collection"]["budget"] is None


async def test_set_budget_refusals(gql: GraphQLClient) -> None:
    project = await create_collection(gql, "Pilot", "project")
    gone = "Q29sbGVjdGlvbjowMWEyMDIwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA"
    cases = [
        ({"limit": 1}, ("INVALID", "collectionId", "give collectionId or workspace: true")),
        ({"workspace": True, "collectionId": project, "limit": 1},
         ("INVALID", "collectionId", "give collectionId or workspace: true")),
        ({"workspace": True, "limit": -1},
         ("INVALID", "limit", "limit must be between 0 and 1000000000")),
        ({"collectionId": gone, "limit": 1}, ("NOT_FOUND", "collectionId",
                                              "collection not found")),
    ]
    for given, (code, field, message) in cases:
        body = (await gql(SET_BUDGET, {"input": given}))["data"]["setBudget"]
        assert body == {"budget": None, "errors": [
            {"code": code, "field": field, "message": message}]}, given


async def test_concurrent_enqueues_never_overspend(racer: GraphQLClient) -> None:
    # given a workspace budget for five placeholder images
    prop = await create_asset(racer, "Hat", "prop")
    await racer(SET_BUDGET, {"input": {"workspace": True, "limit": 0.05}})
    # when twelve clients generate at once
    results = await asyncio.gather(*(racer(GENERATE, {"input": {"assetId": prop}})
                                     for _ in range(12)))
    # then exactly five were queued and seven refused, and the reservation is the limit
    codes = sorted(tuple(e["code"] for e in r["data"]["generateImage"]["errors"])
                   for r in results)
    assert codes == [()] * 5 + [("BUDGET_EXCEEDED",)] * 7
    budget = (await racer("{ viewer { workspace { budget { reserved remaining } } } }"))[
        "data"]["viewer"]["workspace"]["budget"]
    assert budget == {"reserved": 0.05, "remaining": 0.0}

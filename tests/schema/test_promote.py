"""Promote a project asset into the library, and delete protection of library assets."""

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection
from tests.schema.test_library_sync import CLONE, SYNC, SYNC_STATUS, _update

PROMOTE = """mutation ($input: PromoteAssetInput!) { promoteAsset(input: $input) {
  asset { id name description version source } outcome errors { code field message } } }"""
LIBRARY = """query ($id: ID!) { collection(id: $id) { assets { edges { node { name
  description } } } } }"""


async def _setup(gql: GraphQLClient) -> tuple[str, str, str, str]:
    """A library with John Doe, and projects A and B each holding a clone of him."""
    library = await create_collection(gql, "Library", "library")
    a = await create_collection(gql, "A", "project")
    b = await create_collection(gql, "B", "project")
    john = await create_asset(gql, "John Doe", "character_ref", description="clean suit")
    await add_to_collection(gql, library, john)
    clone_a = (await gql(CLONE, {"input": {"sourceId": john, "collectionId": a}}))[
        "data"]["cloneAsset"]["asset"]["id"]
    clone_b = (await gql(CLONE, {"input": {"sourceId": john, "collectionId": b}}))[
        "data"]["cloneAsset"]["asset"]["id"]
    return library, john, clone_a, clone_b


async def _promote(gql: GraphQLClient, asset: str, library: str, on_conflict: str
                   ) -> dict[str, object]:
    body = await gql(PROMOTE, {"input": {"id": asset, "libraryId": library,
                                         "onConflict": on_conflict}})
    payload: dict[str, object] = body["data"]["promoteAsset"]
    return payload


async def test_promote_create_new_adds_a_distinct_library_asset(gql: GraphQLClient) -> None:
    library, _, clone_a, _ = await _setup(gql)
    await _update(gql, clone_a, description="torn suit")
    promoted = await _promote(gql, clone_a, library, "CREATE_NEW")
    assert promoted["errors"] == []
    assert promoted["outcome"] == "CREATED"
    asset = promoted["asset"]
    assert isinstance(asset, dict)
    assert (asset["name"], asset["description"], asset["version"], asset["source"]) == (
        "John Doe (2)", "torn suit", 1, "import")
    assert (await gql(LIBRARY, {"id": library}))["data"]["collection"]["assets"]["edges"] == [
        {"node": {"name": "John Doe", "description": "clean suit"}},
        {"node": {"name": "John Doe (2)", "description": "torn suit"}}]
    # the project asset now syncs from the new library asset; its own name is the override
    status = (await gql(SYNC_STATUS, {"id": clone_a}))["data"]["asset"]["sync"]
    assert (status["source"], status["overriddenFields"], status["outdated"]) == (
        {"name": "John Doe (2)"}, ["name"], False)


async def test_promote_create_new_keeps_the_project_asset_name_through_a_sync(
    gql: GraphQLClient,
) -> None:
    # given a library holding Mara, and a project's own Mara
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    await add_to_collection(gql, library, await create_asset(
        gql, "Mara", "character_ref", description="a weary detective"))
    mara = await create_asset(gql, "Mara", "character_ref", description="a young detective")
    await add_to_collection(gql, project, mara)
    # when the project's Mara is promoted with CREATE_NEW
    promoted = await _promote(gql, mara, library, "CREATE_NEW")
    # then the library copy is named apart, and the project asset's name is an override
    copy = promoted["asset"]
    assert isinstance(copy, dict)
    assert (promoted["errors"], promoted["outcome"], copy["name"]) == ([], "CREATED", "Mara (2)")
    status = (await gql(SYNC_STATUS, {"id": mara}))["data"]["asset"]["sync"]
    assert (status["source"], status["overriddenFields"], status["outdated"]) == (
        {"name": "Mara (2)"}, ["name"], False)
    # when the library copy's description is edited and the project asset synced
    await _update(gql, copy["id"], description="a young detective, promoted")
    synced = (await gql(SYNC, {"input": {"id": mara}}))["data"]["syncAsset"]
    # then the project asset takes the description, keeps its name and its name override
    assert (synced["applied"], synced["conflicts"], synced["errors"]) == (
        ["description"], [], [])
    after = await gql("query ($id: ID!) { asset(id: $id) { name description sync { "
                      "overriddenFields outdated } } }", {"id": mara})
    assert after["data"]["asset"] == {
        "name": "Mara", "description": "a young detective, promoted",
        "sync": {"overriddenFields": ["name"], "outdated": False}}


async def test_promote_overwrite_updates_the_library_and_outdates_other_clones(
    gql: GraphQLClient,
) -> None:
    library, john, clone_a, clone_b = await _setup(gql)
    await _update(gql, clone_a, description="torn suit")
    promoted = await _promote(gql, clone_a, library, "OVERWRITE")
    assert promoted["outcome"] == "OVERWRITTEN"
    assert isinstance(promoted["asset"], dict)
    assert (promoted["asset"]["id"], promoted["asset"]["description"],
            promoted["asset"]["version"]) == (john, "torn suit", 2)
    other = (await gql(SYNC_STATUS, {"id": clone_b}))["data"]["asset"]["sync"]
    assert (other["outdated"], other["sourceVersion"], other["currentSourceVersion"]) == (
        True, 1, 2)
    mine = (await gql(SYNC_STATUS, {"id": clone_a}))["data"]["asset"]["sync"]
    assert (mine["outdated"], mine["overriddenFields"], mine["sourceVersion"]) == (False, [], 2)


async def test_promote_skip_changes_nothing(gql: GraphQLClient) -> None:
    library, john, clone_a, _ = await _setup(gql)
    await _update(gql, clone_a, description="torn suit")
    promoted = await _promote(gql, clone_a, library, "SKIP")
    assert promoted["outcome"] == "SKIPPED"
    assert isinstance(promoted["asset"], dict)
    assert (promoted["asset"]["id"], promoted["asset"]["version"]) == (john, 1)
    status = (await gql(SYNC_STATUS, {"id": clone_a}))["data"]["asset"]["sync"]
    assert status["overriddenFields"] == ["description"]


async def test_promote_without_a_conflict_creates_and_links(gql: GraphQLClient) -> None:
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "A", "project")
    lamp = await create_asset(gql, "Lamp", "prop", description="brass")
    await add_to_collection(gql, project, lamp)
    promoted = await _promote(gql, lamp, library, "SKIP")
    assert (promoted["outcome"], promoted["errors"]) == ("CREATED", [])
    status = (await gql(SYNC_STATUS, {"id": lamp}))["data"]["asset"]["sync"]
    assert (status["source"], status["relationshipType"]) == ({"name": "Lamp"}, "DERIVED_FROM")
    not_library = await _promote(gql, lamp, project, "SKIP")
    assert not_library["errors"] == [{"code": "INVALID", "field": "libraryId",
                                      "message": "collection 'A' is a project, not a library"}]


async def test_library_asset_cannot_be_deleted_while_clones_live(gql: GraphQLClient) -> None:
    _, john, clone_a, clone_b = await _setup(gql)
    check = await gql("query ($id: ID!) { asset(id: $id) { canDelete { allowed dependentCount "
                      "dependents { id } } } }", {"id": john})
    assert check["data"]["asset"]["canDelete"] == {
        "allowed": False, "dependentCount": 2,
        "dependents": [{"id": clone_a}, {"id": clone_b}]}
    refused = await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }",
                        {"id": john})
    assert refused["data"]["deleteAsset"]["errors"] == [{"code": "DEPENDENTS_EXIST"}]
    forced = await gql("mutation ($id: ID!) { deleteAsset(id: $id, force: true) { errors { "
                       "code } } }", {"id": john})
    assert forced["data"]["deleteAsset"]["errors"] == []
    status = await gql("query ($id: ID!) { asset(id: $id) { sync { source { name deletedAt } "
                       "} } }", {"id": clone_a})
    source = status["data"]["asset"]["sync"]["source"]
    assert source["name"] == "John Doe"
    assert source["deletedAt"] is not None

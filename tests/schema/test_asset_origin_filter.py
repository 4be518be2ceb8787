"""`assets(filter: {origin, outdated, locked})` and `Asset.origin` (issue 10, item 10).

One small production: a library character, her project clone, her instances in two scenes
(made by `inheritSceneAssets`, as a film's scenes get them) and a stray character in no
collection. Lists are ordered by creation, so every expected list of names is exact.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
    http_client,
)
from tests.helpers import add_to_collection, create_asset, create_collection, link
from tests.schema.test_library_sync import CLONE, SYNC, _update
from tests.schema.test_scenes import _inherit, _lock

LIST = """query ($filter: AssetFilter) { assets(filter: $filter) {
  totalCount edges { node { name } } } }"""


@dataclass
class Production:
    library: str
    project: str
    mara: str
    clone: str
    film: str
    instances: list[str]
    stray: str


@pytest.fixture
async def production(gql: GraphQLClient) -> Production:
    return await make_production(gql)


async def make_production(gql: GraphQLClient) -> Production:
    """Mara in the library; "Mara (Pilot)", her clone in project Pilot, locked for scenes; the
    film Night Ledger (in Pilot) of two scenes, each with its instance of the clone (renamed
    "Mara in scene N"); Stray, a character in no collection."""
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    mara = await create_asset(gql, "Mara", "character_ref", description="a weary detective")
    await add_to_collection(gql, library, mara)
    cloned = await gql(CLONE, {"input": {"sourceId": mara, "collectionId": project,
                                         "nameStrategy": "SOURCE_WITH_COLLECTION"}})
    clone = cloned["data"]["cloneAsset"]["asset"]["id"]
    await _lock(gql, clone)
    film = await create_asset(gql, "Night Ledger", "film")
    await add_to_collection(gql, project, film)
    instances = []
    for number in (1, 2):
        scene = await create_asset(gql, f"Scene {number}", "scene")
        await link(gql, film, scene, sequence=number)
        inherited = await _inherit(gql, scene)
        made = inherited["instances"]
        assert isinstance(made, list)
        assert (inherited["errors"], len(made)) == ([], 1)
        instance = str(made[0]["id"])
        await _update(gql, instance, name=f"Mara in scene {number}")
        instances.append(instance)
    stray = await create_asset(gql, "Stray", "character_ref")
    return Production(library, project, mara, clone, film, instances, stray)


async def _names(gql: GraphQLClient, filter_: dict[str, Any]) -> tuple[list[str], int]:
    """The names listed (oldest first) and the list's totalCount."""
    body = await gql(LIST, {"filter": filter_})
    assert "errors" not in body, body
    found = body["data"]["assets"]
    return [e["node"]["name"] for e in found["edges"]], found["totalCount"]


CHARACTERS = {"types": ["character_ref"]}


async def test_a_character_search_by_project_origin_finds_only_the_clone(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the production
    # when characters are listed by origin PROJECT
    listed = await _names(gql, {**CHARACTERS, "origin": ["PROJECT"]})
    # then only the clone is: the library asset, the instances and the stray are not
    assert listed == (["Mara (Pilot)"], 1)


async def test_origins_combine_as_any_of(gql: GraphQLClient, production: Production) -> None:
    # given the production
    # when characters are listed by origins LIBRARY or OTHER, then by INSTANCE
    library_or_other = await _names(gql, {**CHARACTERS, "origin": ["LIBRARY", "OTHER"]})
    instances = await _names(gql, {**CHARACTERS, "origin": ["INSTANCE"]})
    # then the library asset and the stray; then both scene instances
    assert library_or_other == (["Mara", "Stray"], 2)
    assert instances == (["Mara in scene 1", "Mara in scene 2"], 2)


async def test_an_empty_origin_list_matches_none(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the production
    # when listed with an empty list of origins, with and without other conditions
    # then nothing is listed, as with an empty list of types
    assert await _names(gql, {"origin": []}) == ([], 0)
    assert await _names(gql, {**CHARACTERS, "origin": [], "locked": False}) == ([], 0)


async def test_every_origin_without_a_type_filter(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the production: the film is in the project, its scenes in no collection
    # when every asset is listed by each origin
    by_origin = {origin: await _names(gql, {"origin": [origin]})
                 for origin in ("LIBRARY", "PROJECT", "INSTANCE", "OTHER")}
    # then each asset is under exactly one
    assert by_origin == {
        "LIBRARY": (["Mara"], 1),
        "PROJECT": (["Mara (Pilot)", "Night Ledger"], 2),
        "INSTANCE": (["Mara in scene 1", "Mara in scene 2"], 2),
        "OTHER": (["Scene 1", "Scene 2", "Stray"], 3),
    }


async def test_an_instance_comes_first_then_a_library_then_a_project(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the library asset also in the project, and an instance also in the library
    await add_to_collection(gql, production.project, production.mara)
    await add_to_collection(gql, production.library, production.instances[0])
    # when characters are listed by each origin
    by_origin = {origin: await _names(gql, {**CHARACTERS, "origin": [origin]})
                 for origin in ("LIBRARY", "PROJECT", "INSTANCE")}
    # then the library asset stays LIBRARY and the instance INSTANCE
    assert by_origin == {
        "LIBRARY": (["Mara"], 1),
        "PROJECT": (["Mara (Pilot)"], 1),
        "INSTANCE": (["Mara in scene 1", "Mara in scene 2"], 2),
    }


async def test_outdated_after_the_library_asset_is_edited(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the production, nothing edited at a source since its copies were made
    assert await _names(gql, {**CHARACTERS, "outdated": True}) == ([], 0)
    # when the library asset is edited
    await _update(gql, production.mara, description="a weary, older detective")
    # then the clone alone has an update available; every other character is not outdated,
    # those with no sync source included
    assert await _names(gql, {**CHARACTERS, "outdated": True}) == (["Mara (Pilot)"], 1)
    assert await _names(gql, {**CHARACTERS, "outdated": False}) == (
        ["Mara", "Mara in scene 1", "Mara in scene 2", "Stray"], 4)


async def test_a_synced_clone_is_current_and_outdates_its_instances(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the library asset edited
    await _update(gql, production.mara, description="a weary, older detective")
    # when the clone is unlocked and synced (its version rises)
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }",
              {"id": production.clone})
    synced = await gql(SYNC, {"input": {"id": production.clone}})
    assert synced["data"]["syncAsset"]["applied"] == ["description"]
    # then the clone is no longer outdated, and both instances are
    assert await _names(gql, {**CHARACTERS, "outdated": True}) == (
        ["Mara in scene 1", "Mara in scene 2"], 2)
    assert await _names(gql, {**CHARACTERS, "outdated": False}) == (
        ["Mara", "Mara (Pilot)", "Stray"], 3)


async def test_locked_and_unlocked(gql: GraphQLClient, production: Production) -> None:
    # given the production, whose clone alone is locked (an instance starts unlocked)
    # when characters are listed by locked true, then false
    # then the clone, then the others
    assert await _names(gql, {**CHARACTERS, "locked": True}) == (["Mara (Pilot)"], 1)
    assert await _names(gql, {**CHARACTERS, "locked": False}) == (
        ["Mara", "Mara in scene 1", "Mara in scene 2", "Stray"], 4)


async def test_the_new_conditions_combine_with_the_others(
    gql: GraphQLClient, production: Production,
) -> None:
    # given the library asset edited, a tagged stray and the first scene's instance deleted
    await _update(gql, production.mara, description="a weary, older detective")
    await _update(gql, production.stray, tags=["extra"])
    deleted = await gql("mutation ($id: ID!) { deleteAsset(id: $id, force: true) { errors { "
                        "code } } }", {"id": production.instances[0]})
    assert deleted["data"]["deleteAsset"]["errors"] == []
    # when the conditions are combined with types, collectionId, tags and includeDeleted
    cases = [
        ({"collectionId": production.project, "origin": ["PROJECT"], "locked": True},
         (["Mara (Pilot)"], 1)),
        ({"collectionId": production.project, "outdated": False}, (["Night Ledger"], 1)),
        ({**CHARACTERS, "origin": ["INSTANCE", "LIBRARY"], "outdated": False,
          "locked": False}, (["Mara", "Mara in scene 2"], 2)),
        ({**CHARACTERS, "origin": ["INSTANCE"], "includeDeleted": True},
         (["Mara in scene 1", "Mara in scene 2"], 2)),
        ({"origin": ["OTHER", "PROJECT"], "tagsAny": ["extra"], "locked": False},
         (["Stray"], 1)),
        ({"types": ["film", "scene"], "origin": ["PROJECT", "OTHER"], "outdated": True},
         ([], 0)),
        ({"sources": ["derivative"], "outdated": True, "locked": True},
         (["Mara (Pilot)"], 1)),
    ]
    # then each lists exactly the assets meeting every condition
    assert [await _names(gql, filter_) for filter_, _ in cases] == [want for _, want in cases]


async def test_each_asset_shows_its_origin(gql: GraphQLClient, production: Production) -> None:
    # given the production, the library asset also in the project
    await add_to_collection(gql, production.project, production.mara)
    # when every asset is listed with its origin, and one instance is read alone
    listed = await gql("{ assets { edges { node { name origin } } } }")
    alone = await gql("query ($id: ID!) { asset(id: $id) { origin } node(id: $id) { "
                      "... on Asset { origin } } }", {"id": production.instances[1]})
    # then each shows the one origin the filter lists it under
    assert [(e["node"]["name"], e["node"]["origin"])
            for e in listed["data"]["assets"]["edges"]] == [
        ("Mara", "LIBRARY"), ("Mara (Pilot)", "PROJECT"), ("Night Ledger", "PROJECT"),
        ("Scene 1", "OTHER"), ("Mara in scene 1", "INSTANCE"), ("Scene 2", "OTHER"),
        ("Mara in scene 2", "INSTANCE"), ("Stray", "OTHER")]
    assert alone["data"] == {"asset": {"origin": "INSTANCE"}, "node": {"origin": "INSTANCE"}}


FILTERED = """{ assets(filter: {origin: [PROJECT, OTHER], outdated: false, locked: false},
  first: 100) { totalCount edges { node { name origin locked } } } }"""


async def _counted(gql: GraphQLClient, counter: StatementCounter) -> tuple[int, int]:
    """How many statements the filtered list ran, and how many assets it listed."""
    with counter.counting() as statements:
        body = await gql(FILTERED)
    assets = body["data"]["assets"]
    assert assets["totalCount"] == len(assets["edges"])
    return len(statements), len(assets["edges"])


async def test_a_filtered_list_costs_a_fixed_count_on_both_paths(
    db: SavepointDatabase, gql: GraphQLClient, workspace: WorkspaceTokens,
    statement_counter: StatementCounter,
) -> None:
    # given the production, and a server whose compiled read path is switched off
    await make_production(gql)
    async with http_client(db, dev_settings(compiled_reads=False)) as http:
        general = GraphQLClient(http, workspace.editor)
        await general("{ viewer { role } }")  # the token is checked once, then cached
        # when the filtered list, with each asset's origin, is read on both paths
        small = (await _counted(gql, statement_counter),
                 await _counted(general, statement_counter))
        # and again once 30 more assets match
        for number in range(30):
            await create_asset(gql, f"Extra {number}", "prop")
        large = (await _counted(gql, statement_counter),
                 await _counted(general, statement_counter))
    # then the compiled path ran its one statement; the resolvers ran set_config, the page,
    # the count and one origin batch, whatever the length
    assert small == ((1, 4), (4, 4))
    assert large == ((1, 34), (4, 34))

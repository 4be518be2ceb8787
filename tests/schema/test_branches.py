"""Branches: forkProject, branchOf/branches/activeBranch, setActiveBranch, compareBranches
(issue 13)."""

import base64
from typing import Any
from uuid import UUID

from domain.branches.compare import compare_branches
from domain.branches.use_cases import fork_project
from domain.db import transaction
from tests.conftest import GraphQLClient, SavepointDatabase, StatementCounter, WorkspaceTokens
from tests.helpers import add_to_collection, create_asset, create_collection, link
from tests.schema.test_library_sync import _update
from tests.schema.test_scene_authoring import PROPAGATE, REMOVE
from tests.schema.test_scenes import Film, _film, _inherit

FORK = """mutation ($input: ForkProjectInput!) { forkProject(input: $input) {
  project { id name type styleRequired branchOf { id } activeBranch { id } }
  copied errors { code field message } } }"""
SET_ACTIVE = """mutation ($input: SetActiveBranchInput!) { setActiveBranch(input: $input) {
  project { id activeBranch { id } } errors { code field message } } }"""
COMPARE = """query ($base: ID!, $other: ID!) { compareBranches(baseId: $base, otherId: $other) {
  added { id name } removed { id name }
  changed { base { id } other { id } fields { field baseValue otherValue } }
  addedCount removedCount changedCount } }"""
MEMBERS = """query ($id: ID!) { collection(id: $id) { assets { edges { sequence node {
  id name } } } } }"""
PARTS = """query ($id: ID!) { asset(id: $id) { children(types: [PART_OF]) { edges { node {
  sequence child { id name } } } } } }"""
INSTANCES = """query ($id: ID!) { asset(id: $id) { instancesConnection { edges { node {
  id name tags version
  sync { source { id } relationshipType sourceVersion outdated overriddenFields }
  inheritance { fromInstance { id deletedAt } fromScene { name } stale staleReason }
  parents(types: [DERIVED_FROM]) { edges { node { metadata parent { id } } } } } } } } }"""
PROJECT_ASSET = """query ($id: ID!) { asset(id: $id) { name version locked source
  sync { source { id } relationshipType sourceVersion currentSourceVersion outdated
         overriddenFields }
  parents(types: [DERIVED_FROM]) { edges { node { metadata parent { id } } } }
  history { edges { node { topic payload } } } } }"""


async def _fork(gql: GraphQLClient, project: str, name: str = "Alternate cut",
                token: str | None = None) -> dict[str, Any]:
    body = await gql(FORK, {"input": {"projectId": project, "name": name}}, token=token)
    payload: dict[str, Any] = body["data"]["forkProject"]
    return payload


async def _set_active(gql: GraphQLClient, project: str, branch: str,
                      token: str | None = None) -> dict[str, Any]:
    body = await gql(SET_ACTIVE, {"input": {"projectId": project, "branchId": branch}},
                     token=token)
    payload: dict[str, Any] = body["data"]["setActiveBranch"]
    return payload


async def _compare(gql: GraphQLClient, base: str, other: str) -> dict[str, Any]:
    body = await gql(COMPARE, {"base": base, "other": other})
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["compareBranches"]
    return found


async def _members(gql: GraphQLClient, collection: str) -> dict[str, tuple[int, str]]:
    """name -> (sequence, id)"""
    body = await gql(MEMBERS, {"id": collection})
    return {e["node"]["name"]: (e["sequence"], e["node"]["id"])
            for e in body["data"]["collection"]["assets"]["edges"]}


async def _scenes(gql: GraphQLClient, film: str) -> list[tuple[int, str, str]]:
    """(sequence, name, id) of the film's scenes, in order."""
    body = await gql(PARTS, {"id": film})
    return [(e["node"]["sequence"], e["node"]["child"]["name"], e["node"]["child"]["id"])
            for e in body["data"]["asset"]["children"]["edges"]]


async def _instances(gql: GraphQLClient, scene: str) -> dict[str, dict[str, Any]]:
    body = await gql(INSTANCES, {"id": scene})
    return {e["node"]["name"]: e["node"]
            for e in body["data"]["asset"]["instancesConnection"]["edges"]}


async def _asset(gql: GraphQLClient, asset: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql(PROJECT_ASSET, {"id": asset}))["data"]["asset"]
    return found


def _raw(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(
        ":", 1)[1]


def _derived_from(node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(parent id, edge metadata) of an asset's DERIVED_FROM edges, by parent id (edges made
    in one statement have no order between them)."""
    return sorted((e["node"]["parent"]["id"], e["node"]["metadata"])
                  for e in node["parents"]["edges"])


async def _inherited_film(gql: GraphQLClient, scenes: int) -> Film:
    f = await _film(gql, scenes=scenes)
    for scene in f.scenes:
        assert (await _inherit(gql, scene))["errors"] == []
    return f


async def _branch_film(gql: GraphQLClient, branch: str) -> tuple[str, list[str]]:
    film = (await _members(gql, branch))["Night Ledger"][1]
    return film, [scene for _, _, scene in await _scenes(gql, film)]


async def test_a_fork_copies_the_project_its_film_scenes_and_instances(
    gql: GraphQLClient,
) -> None:
    # given a film of three inherited scenes, the first with a shot; John is muddy and
    # described so in scene 1
    f = await _inherited_film(gql, 3)
    shot = await create_asset(gql, "Shot 1A", "shot")
    await link(gql, f.scenes[0], shot, sequence=1)
    main_one = await _instances(gql, f.scenes[0])
    await _update(gql, main_one["John Doe"]["id"], tags=["muddy"],
                  description="a tall man in a muddy suit")
    # when the project is forked
    fork = await _fork(gql, f.project)
    # then a project, a branch of it, holds a copy of each of its 4 members, the 3 scenes
    # and the shot (parts of the film, not members) and the 6 instances
    assert fork["errors"] == []
    branch = fork["project"]["id"]
    assert fork == {"project": {"id": branch, "name": "Alternate cut", "type": "project",
                                "styleRequired": False, "branchOf": {"id": f.project},
                                "activeBranch": None},
                    "copied": 14, "errors": []}
    main_members, members = await _members(gql, f.project), await _members(gql, branch)
    assert {name: sequence for name, (sequence, _) in members.items()} == {
        name: sequence for name, (sequence, _) in main_members.items()}
    assert list(members) == ["John Doe", "Lamp", "Hat", "Night Ledger"]
    assert not {i for _, i in members.values()} & {i for _, i in main_members.values()}
    film, scenes = await _branch_film(gql, branch)
    assert [(s, name) for s, name, _ in await _scenes(gql, film)] == [
        (1, "Scene 1"), (2, "Scene 2"), (3, "Scene 3")]
    assert not set(scenes) & set(f.scenes)
    assert [(s, name) for s, name, _ in await _scenes(gql, scenes[0])] == [(1, "Shot 1A")]
    # and the project assets' copies sync from the same library asset, in the same state,
    # each DERIVED_FROM its original as provenance only
    john, lamp = members["John Doe"][1], members["Lamp"][1]
    copied_john = await _asset(gql, john)
    assert {k: v for k, v in copied_john.items() if k not in ("parents", "history")} == {
        "name": "John Doe", "version": 1, "locked": True, "source": "derivative",
        "sync": {"source": {"id": f.library_john}, "relationshipType": "DERIVED_FROM",
                 "sourceVersion": 1, "currentSourceVersion": 1, "outdated": False,
                 "overriddenFields": []}}
    provenance = {"forked_from": True}
    library_edge = next(m for p, m in _derived_from(copied_john) if p == f.library_john)
    assert sorted(library_edge) == ["base", "overridden_fields", "source_version", "synced_at"]
    assert _derived_from(copied_john) == sorted([(f.library_john, library_edge),
                                                 (f.john, provenance)])
    assert copied_john["history"]["edges"][0]["node"] == {"topic": "asset.created", "payload": {
        "type": "character_ref", "name": "John Doe", "forked_from": _raw(f.john),
        "project_id": _raw(branch)}}
    # and each branch scene's instances are VARIANT_OF the branch's project assets, with the
    # original's state, overrides and inheritance
    one, two = await _instances(gql, scenes[0]), await _instances(gql, scenes[1])
    assert sorted(one) == sorted(two) == ["John Doe", "Lamp"]
    assert {k: one["John Doe"][k] for k in ("tags", "sync", "inheritance")} == {
        "tags": ["muddy"],
        "sync": {"source": {"id": john}, "relationshipType": "VARIANT_OF", "sourceVersion": 1,
                 "outdated": False, "overriddenFields": ["description"]},
        "inheritance": {"fromInstance": None, "fromScene": None, "stale": False,
                        "staleReason": None}}
    assert two["Lamp"]["sync"]["source"] == {"id": lamp}
    main_two = await _instances(gql, f.scenes[1])
    assert _derived_from(two["Lamp"]) == sorted([
        (one["Lamp"]["id"], {"from_version": 1, "instance_version": 1}),
        (main_two["Lamp"]["id"], provenance)])
    # and an original now has a live dependent, its copy: deleting it needs force
    check = await gql("query ($id: ID!) { asset(id: $id) { canDelete { allowed dependents { "
                      "id } } } }", {"id": main_members["Hat"][1]})
    assert check["data"]["asset"]["canDelete"] == {"allowed": False,
                                                   "dependents": [{"id": members["Hat"][1]}]}
    # and the project itself is as it was
    assert [scene for _, _, scene in await _scenes(gql, f.film)] == f.scenes
    assert (await _instances(gql, f.scenes[0]))["John Doe"]["sync"]["source"] == {"id": f.john}


async def test_an_outdated_project_asset_stays_outdated_in_the_branch(
    gql: GraphQLClient,
) -> None:
    # given John changed in the library after the project cloned him, and renamed there
    f = await _film(gql, scenes=1)
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": f.john})
    await _update(gql, f.john, name="John")
    await _update(gql, f.library_john, description="a tall man in a grey suit")
    # when the project is forked
    fork = await _fork(gql, f.project)
    # then the branch's John shows the same update available, the same override
    john = (await _members(gql, fork["project"]["id"]))["John"][1]
    assert (await _asset(gql, john))["sync"] == {
        "source": {"id": f.library_john}, "relationshipType": "DERIVED_FROM",
        "sourceVersion": 1, "currentSourceVersion": 2, "outdated": True,
        "overriddenFields": ["name"]}
    # and syncing it leaves the project's John outdated
    synced = await gql("""mutation ($input: SyncAssetInput!) { syncAsset(input: $input) {
      asset { name description } errors { code } } }""", {"input": {"id": john}})
    assert synced["data"]["syncAsset"] == {"asset": {
        "name": "John", "description": "a tall man in a grey suit"}, "errors": []}
    assert (await _asset(gql, f.john))["sync"]["outdated"] is True


async def test_inheritance_staleness_and_unedited_instances_carry_over(
    gql: GraphQLClient,
) -> None:
    # given three inherited scenes, then scene 1's John edited (scene 2's is now stale) and
    # scene 2's lamp removed (scene 3's lamp lost its source)
    f = await _inherited_film(gql, 3)
    main = [await _instances(gql, scene) for scene in f.scenes]
    await _update(gql, main[0]["John Doe"]["id"], tags=["muddy"])
    removed = await gql(REMOVE, {"id": main[1]["Lamp"]["id"], "propagate": False})
    assert removed["data"]["removeSceneAsset"]["errors"] == []
    # when the project is forked
    fork = await _fork(gql, f.project)
    # then the 5 live instances are copied, and the removed lamp too (removed) since scene 3's
    # was inherited from it
    assert (fork["copied"], fork["errors"]) == (4 + 3 + 5 + 1, [])
    _, scenes = await _branch_film(gql, fork["project"]["id"])
    branch = [await _instances(gql, scene) for scene in scenes]
    assert [sorted(instances) for instances in branch] == [
        ["John Doe", "Lamp"], ["John Doe"], ["John Doe", "Lamp"]]
    inheritance = [{name: i["inheritance"] for name, i in instances.items()}
                   for instances in branch]
    removed_lamp = branch[2]["Lamp"]["inheritance"]["fromInstance"]
    assert removed_lamp["deletedAt"] is not None
    assert removed_lamp["id"] not in {main[1]["Lamp"]["id"], branch[2]["Lamp"]["id"]}
    assert inheritance == [
        {"John Doe": {"fromInstance": None, "fromScene": None, "stale": False,
                      "staleReason": None},
         "Lamp": {"fromInstance": None, "fromScene": None, "stale": False,
                  "staleReason": None}},
        {"John Doe": {"fromInstance": {"id": branch[0]["John Doe"]["id"], "deletedAt": None},
                      "fromScene": {"name": "Scene 1"}, "stale": True,
                      "staleReason": "SOURCE_CHANGED"}},
        {"John Doe": {"fromInstance": {"id": branch[1]["John Doe"]["id"], "deletedAt": None},
                      "fromScene": {"name": "Scene 2"}, "stale": False, "staleReason": None},
         "Lamp": {"fromInstance": removed_lamp, "fromScene": {"name": "Scene 2"},
                  "stale": True, "staleReason": "SOURCE_REMOVED"}}]
    assert [{n: i["inheritance"]["staleReason"] for n, i in s.items()}
            for s in [await _instances(gql, scene) for scene in f.scenes]] == [
        {"John Doe": None, "Lamp": None}, {"John Doe": "SOURCE_CHANGED"},
        {"John Doe": None, "Lamp": "SOURCE_REMOVED"}]
    # and the branch's later Johns count as unedited: propagation reaches both
    pushed = await gql(PROPAGATE, {"id": branch[0]["John Doe"]["id"]})
    assert pushed["data"]["propagateSceneAsset"] == {
        "instance": {"id": branch[0]["John Doe"]["id"]},
        "updated": [{"id": branch[1]["John Doe"]["id"], "tags": ["muddy"],
                     "description": "a tall man in a clean suit"},
                    {"id": branch[2]["John Doe"]["id"], "tags": ["muddy"],
                     "description": "a tall man in a clean suit"}],
        "skipped": [], "errors": []}
    assert (await _instances(gql, f.scenes[1]))["John Doe"]["tags"] == []


async def test_a_fork_keeps_the_project_style_and_the_styles_it_uses(
    gql: GraphQLClient,
) -> None:
    # given a project whose style is one of its own assets and required, and a hat styled
    # by a library style the project does not hold
    f = await _film(gql, scenes=1)
    hat = (await _members(gql, f.project))["Hat"][1]
    noir = await create_asset(gql, "Noir", "style")
    await add_to_collection(gql, f.project, noir)
    watercolor = await create_asset(gql, "Watercolor", "style")
    set_style = """mutation ($input: SetStyleInput!) { setStyle(input: $input) {
      errors { code } } }"""
    for given in ({"targetId": f.project, "styleId": noir, "styleRequired": True},
                  {"targetId": hat, "styleId": watercolor}):
        assert (await gql(set_style, {"input": given}))["data"]["setStyle"] == {"errors": []}
    # when it is forked
    fork = await _fork(gql, f.project)
    # then the branch requires a style, its style is its own copy of Noir, and its hat is
    # still drawn in watercolour
    branch = fork["project"]["id"]
    members = await _members(gql, branch)
    styles = await gql("""query ($id: ID!, $hat: ID!) { collection(id: $id) { styleRequired
      style { id name } } asset(id: $hat) { effectiveStyle { id } } }""",
                       {"id": branch, "hat": members["Hat"][1]})
    assert styles["data"] == {
        "collection": {"styleRequired": True, "style": {"id": members["Noir"][1],
                                                        "name": "Noir"}},
        "asset": {"effectiveStyle": {"id": watercolor}}}
    assert members["Noir"][1] != noir


async def test_compare_branches_lists_added_removed_and_changed_assets(
    gql: GraphQLClient,
) -> None:
    # given a fork of a two-scene film in which the lamp was repainted, John got muddy in
    # scene 1, an umbrella was added and the hat removed
    f = await _inherited_film(gql, 2)
    fork = await _fork(gql, f.project)
    branch = fork["project"]["id"]
    members = await _members(gql, branch)
    lamp, hat = members["Lamp"][1], members["Hat"][1]
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": lamp})
    await _update(gql, lamp, description="a green lamp",
                  metadata={"attributes": {"colour": "green"}})
    _, scenes = await _branch_film(gql, branch)
    john_one = (await _instances(gql, scenes[0]))["John Doe"]["id"]
    await _update(gql, john_one, tags=["muddy"])
    umbrella = await create_asset(gql, "Umbrella", "prop")
    await add_to_collection(gql, branch, umbrella)
    deleted = await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }",
                        {"id": hat})
    assert deleted["data"]["deleteAsset"] == {"errors": []}
    main_john_one = (await _instances(gql, f.scenes[0]))["John Doe"]["id"]
    main_members = await _members(gql, f.project)
    # when the branch is compared with the project
    compared = await _compare(gql, f.project, branch)
    # then each difference is there, per field with both values
    assert compared == {
        "added": [{"id": umbrella, "name": "Umbrella"}],
        "removed": [{"id": main_members["Hat"][1], "name": "Hat"}],
        "changed": [
            {"base": {"id": f.lamp}, "other": {"id": lamp}, "fields": [
                {"field": "description", "baseValue": "a brass lamp",
                 "otherValue": "a green lamp"},
                {"field": "metadata.attributes", "baseValue": None,
                 "otherValue": {"colour": "green"}}]},
            {"base": {"id": main_john_one}, "other": {"id": john_one}, "fields": [
                {"field": "tags", "baseValue": [], "otherValue": ["muddy"]}]}],
        "addedCount": 1, "removedCount": 1, "changedCount": 2}
    # and the other way round, each side swaps
    reverse = await _compare(gql, branch, f.project)
    assert (reverse["added"], reverse["removed"]) == (compared["removed"], compared["added"])
    # (the branch's copies were made in one transaction: their order is their ids')
    assert next(c for c in reverse["changed"] if c["base"] == {"id": lamp}) == {
        "base": {"id": lamp}, "other": {"id": f.lamp}, "fields": [
            {"field": "description", "baseValue": "a green lamp",
             "otherValue": "a brass lamp"},
            {"field": "metadata.attributes", "baseValue": {"colour": "green"},
             "otherValue": None}]}
    # and a second fork of the project pairs with the first through their shared originals
    sibling = (await _fork(gql, f.project, "Second cut"))["project"]["id"]
    between = await _compare(gql, branch, sibling)
    assert ([a["name"] for a in between["added"]], [a["name"] for a in between["removed"]],
            between["changedCount"]) == (["Hat"], ["Umbrella"], 2)
    # and a project compared with itself, or with a fork of a fork, differs in nothing
    assert await _compare(gql, f.project, f.project) == await _compare(
        gql, f.project, (await _fork(gql, sibling, "Third cut"))["project"]["id"]) == {
        "added": [], "removed": [], "changed": [], "addedCount": 0, "removedCount": 0,
        "changedCount": 0}


async def test_branches_and_the_active_branch(gql: GraphQLClient) -> None:
    # given a project with two branches, a fork of the first, another project and a library
    project = await create_collection(gql, "Pilot", "project")
    first = (await _fork(gql, project, "Cut A"))["project"]["id"]
    second = (await _fork(gql, project, "Cut B"))["project"]["id"]
    nested = (await _fork(gql, first, "Cut A2"))["project"]["id"]
    other = await create_collection(gql, "Other", "project")
    library = await create_collection(gql, "Library", "library")
    # then the project lists its branches oldest first, a page at a time
    page = """query ($id: ID!, $after: String) { collection(id: $id) { activeBranch { id }
      branches(first: 1, after: $after) { edges { node { id name branchOf { id } } }
      pageInfo { hasNextPage endCursor } totalCount } } }"""
    one = (await gql(page, {"id": project}))["data"]["collection"]
    assert one["activeBranch"] is None
    assert (one["branches"]["edges"], one["branches"]["totalCount"],
            one["branches"]["pageInfo"]["hasNextPage"]) == (
        [{"node": {"id": first, "name": "Cut A", "branchOf": {"id": project}}}], 2, True)
    two = (await gql(page, {"id": project,
                            "after": one["branches"]["pageInfo"]["endCursor"]}))
    assert two["data"]["collection"]["branches"]["edges"] == [
        {"node": {"id": second, "name": "Cut B", "branchOf": {"id": project}}}]
    nested_page = (await gql(page, {"id": first}))["data"]["collection"]["branches"]
    assert nested_page["edges"] == [
        {"node": {"id": nested, "name": "Cut A2", "branchOf": {"id": first}}}]
    # when a branch, then a fork of a branch, then the project itself is made active
    for branch, active in ((second, {"id": second}), (nested, {"id": nested}),
                           (project, None)):
        assert await _set_active(gql, project, branch) == {
            "project": {"id": project, "activeBranch": active}, "errors": []}
    # then anything else is refused and changes nothing
    assert await _set_active(gql, project, second) == {
        "project": {"id": project, "activeBranch": {"id": second}}, "errors": []}
    unknown = "Q29sbGVjdGlvbjowMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA"
    refusals = [
        (project, other, "INVALID", "branchId", "that collection is not a branch of 'Pilot'"),
        (first, project, "INVALID", "branchId", "that collection is not a branch of 'Cut A'"),
        (library, project, "INVALID", "projectId",
         "collection 'Library' is a library, not a project"),
        (project, unknown, "NOT_FOUND", "branchId", "branch not found"),
        (unknown, project, "NOT_FOUND", "projectId", "project not found"),
        (project, "nonsense", "INVALID", "branchId", "'nonsense' is not a valid Collection ID"),
    ]
    for project_id, branch_id, code, field, message in refusals:
        assert await _set_active(gql, project_id, branch_id) == {
            "project": None, "errors": [{"code": code, "field": field, "message": message}]}
    check = await gql("query ($id: ID!) { collection(id: $id) { activeBranch { id } } }",
                      {"id": project})
    assert check["data"]["collection"]["activeBranch"] == {"id": second}


async def test_fork_refusals(gql: GraphQLClient) -> None:
    # given a library and a project
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    unknown = "Q29sbGVjdGlvbjowMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA"
    # then what is no project, unknown or badly named is refused, and nothing is made
    refusals = [
        (library, "Cut", "INVALID", "projectId",
         "collection 'Library' is a library, not a project"),
        (unknown, "Cut", "NOT_FOUND", "projectId", "project not found"),
        ("nonsense", "Cut", "INVALID", "projectId", "'nonsense' is not a valid Collection ID"),
        (project, "   ", "INVALID", "name", "name must not be blank"),
        (project, "x" * 256, "INVALID", "name", "name is 256 characters; at most 255"),
    ]
    for project_id, name, code, field, message in refusals:
        assert await _fork(gql, project_id, name) == {
            "project": None, "copied": 0,
            "errors": [{"code": code, "field": field, "message": message}]}
    listed = await gql("{ collections { totalCount } }")
    assert listed["data"]["collections"]["totalCount"] == 2
    # and compareBranches refuses a collection that is no project
    body = await gql(COMPARE, {"base": library, "other": project})
    for error in body["errors"]:
        error["extensions"].pop("requestId")
    assert (body["data"], [(e["message"], e["extensions"]) for e in body["errors"]]) == (
        {"compareBranches": None}, [("collection 'Library' is a library, not a project",
                                     {"code": "INVALID", "field": "baseId"})])


async def test_another_workspace_sees_no_project_to_fork(
    gql: GraphQLClient, other_workspace: WorkspaceTokens,
) -> None:
    # given a project and its branch in workspace A
    project = await create_collection(gql, "Pilot", "project")
    branch = (await _fork(gql, project))["project"]["id"]
    stranger = other_workspace.editor
    # then workspace B can neither fork it nor make its branch active, nor compare them
    assert await _fork(gql, project, token=stranger) == {
        "project": None, "copied": 0,
        "errors": [{"code": "NOT_FOUND", "field": "projectId", "message": "project not found"}]}
    theirs = await create_collection(GraphQLClient(gql.http, stranger), "Theirs", "project")
    assert await _set_active(gql, project, branch, token=stranger) == {
        "project": None,
        "errors": [{"code": "NOT_FOUND", "field": "projectId", "message": "project not found"}]}
    assert await _set_active(gql, theirs, branch, token=stranger) == {
        "project": None,
        "errors": [{"code": "NOT_FOUND", "field": "branchId", "message": "branch not found"}]}
    body = await gql(COMPARE, {"base": project, "other": branch}, token=stranger)
    assert body == {"data": {"compareBranches": None}}


async def test_fork_provenance_is_written_by_forks_only(gql: GraphQLClient) -> None:
    # given two assets
    parent, child = await create_asset(gql, "Original"), await create_asset(gql, "Copy")
    # when a client links them as if one were a fork's copy
    body = await gql("""mutation ($input: LinkAssetsInput!) { linkAssets(input: $input) {
      relationship { id } errors { code field message } } }""", {"input": {
        "parentId": parent, "childId": child, "type": "DERIVED_FROM",
        "metadata": {"forked_from": True}}})
    # then it is refused
    assert body["data"]["linkAssets"] == {"relationship": None, "errors": [
        {"code": "INVALID", "field": "metadata.forked_from",
         "message": "'forked_from' marks fork provenance: only forkProject writes it"}]}


async def test_fork_and_compare_statement_counts(
    gql: GraphQLClient, statement_counter: StatementCounter
) -> None:
    # given films of 2 and of 6 inherited scenes (each scene has two instances)
    films = [await _inherited_film(gql, 2), await _inherited_film(gql, 6)]
    forks, fork_counts, compare_counts = [], [], []
    for f in films:
        # when each project is forked, then compared with its branch
        with statement_counter.counting() as statements:
            body = await gql("""mutation ($input: ForkProjectInput!) { forkProject(input:
              $input) { project { id } copied errors { code } } }""",
                             {"input": {"projectId": f.project, "name": "Cut"}})
        fork = body["data"]["forkProject"]
        forks.append(fork["copied"])
        fork_counts.append(len(statements))
        with statement_counter.counting() as statements:
            compared = await _compare(gql, f.project, fork["project"]["id"])
        assert compared["changedCount"] == 0
        compare_counts.append(len(statements))
    # then a fork costs 7 statements plus one per copied asset: set_config, the project's
    # row lock, what it holds (with the edges) in one, each copy (with its event), the
    # collection (with its event), every edge (with their events), the memberships, the
    # collection.forked event
    assert forks == [4 + 2 + 4, 4 + 6 + 12]
    assert fork_counts == [7 + 10, 7 + 22]
    # and a comparison costs the same at any size: set_config, both collections, both
    # projects' contents
    assert compare_counts == [3, 3]


async def test_the_domain_fork_and_a_comparison_cut_short(
    gql: GraphQLClient, db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a project holding two props
    project = await create_collection(gql, "Pilot", "project")
    props = [await create_asset(gql, name, "prop") for name in ("Cup", "Jug")]
    for prop in props:
        await add_to_collection(gql, project, prop)
    # when it is forked by the domain's use case (as the legacy import does)
    async with transaction(db, workspace_id=workspace.id, actor="importer") as tx:
        fork = await fork_project(tx, UUID(_raw(project)), "Legacy cut")
    # then it says which copy is whose
    originals = [UUID(_raw(p)) for p in props]
    assert (fork.project.name, fork.project.branch_of, fork.copied) == (
        "Legacy cut", UUID(_raw(project)), 2)
    assert sorted(fork.copies) == sorted(originals)
    assert [fork.copies[o].name for o in originals] == ["Cup", "Jug"]
    # and when both copies are edited and two assets added to the branch, a comparison cut at
    # one entry a list keeps the oldest and counts them all
    for original in originals:
        await _update(gql, _node("Asset", fork.copies[original].id), description="chipped")
    branch = _node("Collection", fork.project.id)
    for name in ("Plate", "Bowl"):
        await add_to_collection(gql, branch, await create_asset(gql, name, "prop"))
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        cut = await compare_branches(tx, UUID(_raw(project)), fork.project.id, limit=1)
    assert ([a.name for a in cut.added], [(c.base.id, [f.field for f in c.fields])
                                            for c in cut.changed], cut.removed) == (
        ["Plate"], [(originals[0], ["description"])], [])
    assert (cut.added_count, cut.changed_count, cut.removed_count) == (2, 2, 0)


def _node(type_name: str, raw: UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw}".encode()).decode().rstrip("=")

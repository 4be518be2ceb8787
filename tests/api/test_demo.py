"""`assetgraph demo` builds an explorable production through the use cases."""

from api.demo import load_demo
from tests.conftest import GraphQLClient, SavepointDatabase, WorkspaceTokens

FILM = """{ assets(filter: {types: ["film"]}, first: 10) { edges { node { name
  children(types: [PART_OF], first: 20) { edges { node { sequence child { name
    children(types: [PART_OF]) { totalCount }
    instances { edges { node { name tags carryForward } } } } } } } } } } }"""
PROJECT = """{ collections(types: ["project"]) { edges { node { assets(types: ["character_ref"]) {
  edges { node { name locked sync { outdated overriddenFields conflicts { field } } } } } } } } }"""


async def test_demo_builds_library_project_and_inherited_scenes(
    db: SavepointDatabase, workspace: WorkspaceTokens, gql: GraphQLClient
) -> None:
    summary = await load_demo(db, workspace.id)
    assert summary == {"workspace_id": str(workspace.id), "library_assets": 7,
                       "project_assets": 5, "film": "Night Ledger", "scenes": 4,
                       "instances": 20}
    film = (await gql(FILM))["data"]["assets"]["edges"][0]["node"]
    scenes = [e["node"] for e in film["children"]["edges"]]
    assert [(s["sequence"], s["child"]["name"], s["child"]["children"]["totalCount"])
            for s in scenes] == [(1, "Scene 1: The Rain", 2), (2, "Scene 2: The Office", 2),
                                 (3, "Scene 3: The Docks", 1), (4, "Scene 4: The Reckoning", 2)]
    ledgers = [next(i["node"] for i in s["child"]["instances"]["edges"]
                    if i["node"]["name"] == "Ledger") for s in scenes]
    assert ledgers == [
        {"name": "Ledger", "tags": [], "carryForward": True},
        {"name": "Ledger", "tags": ["torn"], "carryForward": False},
        {"name": "Ledger", "tags": [], "carryForward": False},
        {"name": "Ledger", "tags": [], "carryForward": False}]
    johns = [next(i["node"] for i in s["child"]["instances"]["edges"]
                  if i["node"]["name"] == "John Doe")["tags"]
             for s in scenes]
    assert johns == [["muddy", "wet"]] * 4
    characters = (await gql(PROJECT))["data"]["collections"]["edges"][0]["node"]["assets"]
    assert [e["node"] for e in characters["edges"]] == [
        {"name": "John Doe", "locked": True, "sync": {
            "outdated": True, "overriddenFields": ["description"],
            "conflicts": [{"field": "description"}]}},
        {"name": "Mara", "locked": True, "sync": {
            "outdated": False, "overriddenFields": ["description"], "conflicts": []}}]

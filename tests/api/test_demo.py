"""`assetgraph demo` builds an explorable film through the use cases."""

from api.demo import load_demo
from tests.conftest import GraphQLClient, SavepointDatabase, WorkspaceTokens

FILM = """{ assets(filter: {types: ["film"]}) { edges { node { name
  children(types: [PART_OF]) { edges { node { sequence child { name
    children(types: [PART_OF]) { totalCount } } } } }
  used: children(types: [USED_IN]) { edges { node { child { type name } } } } } } } }"""


async def test_demo_builds_a_film_of_scenes_and_shots(
    db: SavepointDatabase, workspace: WorkspaceTokens, gql: GraphQLClient
) -> None:
    summary = await load_demo(db, workspace.id)
    assert summary == {"workspace_id": str(workspace.id), "film": "Night Ledger", "scenes": 3,
                       "shots": 6, "characters": 2, "collections": 2}
    film = (await gql(FILM))["data"]["assets"]["edges"][0]["node"]
    assert [(e["node"]["sequence"], e["node"]["child"]["name"],
             e["node"]["child"]["children"]["totalCount"])
            for e in film["children"]["edges"]] == [
        (1, "Scene 1: The Rain", 2), (2, "Scene 2: The Office", 2), (3, "Scene 3: The Docks", 2)]
    assert film["used"]["edges"] == [{"node": {"child": {"type": "style", "name": "Wet noir"}}}]
    mara = await gql('{ assets(filter: {search: "Mara", types: ["character_ref"]}) { edges { '
                     "node { version modificationCount children(types: [REFERENCE_FOR]) { "
                     "edges { node { child { name } } } } } } } }")
    assert mara["data"]["assets"]["edges"] == [{"node": {
        "version": 2, "modificationCount": 1,
        "children": {"edges": [{"node": {"child": {"name": "Mara reference"}}}]}}}]

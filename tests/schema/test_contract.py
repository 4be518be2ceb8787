"""The contract examples of the foundation issue, verbatim."""
# ruff: noqa: E501  (the documents are quoted exactly as the contract writes them)

from tests.conftest import GraphQLClient

CREATE = """mutation { createAsset(input: {type: "character_ref", name: "Mara", description: "A weary detective",
  tags: ["lead"], metadata: {attributes: {hair: "red"}}}) { asset { id version } errors { code field message } } }"""
LINK = """mutation ($film: ID!, $scene: ID!) { linkAssets(input: {parentId: $film, childId: $scene, type: PART_OF,
  sequence: 1}) { relationship { id sequence } errors { code field message } } }"""
CHILDREN = """query ($id: ID!) { asset(id: $id) { name children(types: [PART_OF], first: 50) { totalCount
  edges { node { sequence child { id name } } } } } }"""
LINEAGE = """query ($id: ID!) { asset(id: $id) { lineage(direction: UPSTREAM, types: [PART_OF], maxDepth: 5) {
  isPartial steps { depth asset { id name } relationship { type } } } } }"""
SEARCH = """query { assets(filter: {types: ["character_ref"], search: "mara"}, first: 10) { totalCount
  edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"""

CREATE_FILM = """mutation { createAsset(input: {type: "film", name: "Night Ledger"}) { asset { id } } }"""
CREATE_SCENE = """mutation { createAsset(input: {type: "scene", name: "The Rain"}) { asset { id } } }"""


async def test_contract_examples_work_verbatim(gql: GraphQLClient) -> None:
    # given a character, a film and a scene
    created = (await gql(CREATE))["data"]["createAsset"]
    assert created["errors"] == []
    assert created["asset"]["version"] == 1
    mara = created["asset"]["id"]
    film = (await gql(CREATE_FILM))["data"]["createAsset"]["asset"]["id"]
    scene = (await gql(CREATE_SCENE))["data"]["createAsset"]["asset"]["id"]

    # when the scene is linked into the film
    linked = (await gql(LINK, {"film": film, "scene": scene}))["data"]["linkAssets"]

    # then the link, the film's children, the scene's lineage and the search all show it
    assert linked["errors"] == []
    assert linked["relationship"]["sequence"] == 1
    assert await gql(CHILDREN, {"id": film}) == {"data": {"asset": {
        "name": "Night Ledger",
        "children": {"totalCount": 1, "edges": [
            {"node": {"sequence": 1, "child": {"id": scene, "name": "The Rain"}}}]},
    }}}
    assert await gql(LINEAGE, {"id": scene}) == {"data": {"asset": {"lineage": {
        "isPartial": False,
        "steps": [{"depth": 1, "asset": {"id": film, "name": "Night Ledger"},
                   "relationship": {"type": "PART_OF"}}],
    }}}}
    search = (await gql(SEARCH))["data"]["assets"]
    assert search["totalCount"] == 1
    assert [e["node"] for e in search["edges"]] == [{"id": mara, "name": "Mara"}]
    assert search["pageInfo"]["hasNextPage"] is False
    assert search["pageInfo"]["endCursor"] == search["edges"][0]["cursor"]

"""Links, children and parents pages, lineage walks, cycles and reordering."""

from itertools import pairwise

from tests.conftest import GraphQLClient
from tests.helpers import LINK, create_asset, link

CHILDREN = """query ($id: ID!, $first: Int, $after: String) { asset(id: $id) {
  children(types: [PART_OF], first: $first, after: $after) { totalCount
    edges { cursor node { sequence child { name } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""
LINEAGE = """query ($id: ID!, $direction: LineageDirection!, $maxDepth: Int, $first: Int,
  $types: [RelationshipType!]) { asset(id: $id) {
  lineage(direction: $direction, maxDepth: $maxDepth, first: $first, types: $types) {
    isPartial steps { depth asset { name } relationship { type } } } } }"""


async def test_children_come_in_sequence_order_page_by_page(gql: GraphQLClient) -> None:
    # given a film whose scenes were linked out of order
    film = await create_asset(gql, "Film", "film")
    for name, sequence in [("Three", 3), ("One", 1), ("Four", 4), ("Two", 2)]:
        await link(gql, film, await create_asset(gql, name, "scene"), sequence=sequence)
    # when paging two at a time
    first = (await gql(CHILDREN, {"id": film, "first": 2}))["data"]["asset"]["children"]
    second = (await gql(CHILDREN, {"id": film, "first": 2,
                                   "after": first["pageInfo"]["endCursor"]}))
    second_page = second["data"]["asset"]["children"]
    # then each page is in order and knows the total
    assert [(e["node"]["sequence"], e["node"]["child"]["name"]) for e in first["edges"]] == [
        (1, "One"), (2, "Two")]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"],
            first["pageInfo"]["hasPreviousPage"]) == (4, True, False)
    assert [e["node"]["child"]["name"] for e in second_page["edges"]] == ["Three", "Four"]
    assert (second_page["totalCount"], second_page["pageInfo"]["hasNextPage"],
            second_page["pageInfo"]["hasPreviousPage"]) == (4, False, True)


async def test_link_without_sequence_goes_last(gql: GraphQLClient) -> None:
    film = await create_asset(gql, "Film", "film")
    await link(gql, film, await create_asset(gql, "A", "scene"), sequence=5)
    body = await gql(LINK, {"input": {"parentId": film, "childId": await create_asset(
        gql, "B", "scene"), "type": "PART_OF"}})
    assert body["data"]["linkAssets"]["relationship"]["sequence"] == 6


async def test_parents_lists_every_type_or_the_asked_ones(gql: GraphQLClient) -> None:
    # given an image that is a reference for a character and used in a film
    image = await create_asset(gql, "Ref", "image")
    character = await create_asset(gql, "Mara", "character_ref")
    film = await create_asset(gql, "Film", "film")
    await link(gql, character, image, "REFERENCE_FOR")
    await link(gql, film, image, "USED_IN")
    query = """query ($id: ID!, $types: [RelationshipType!]) { asset(id: $id) {
      parents(types: $types) { totalCount edges { node { type parent { name } } } } } }"""
    # then
    every = (await gql(query, {"id": image}))["data"]["asset"]["parents"]
    assert every == {"totalCount": 2, "edges": [
        {"node": {"type": "REFERENCE_FOR", "parent": {"name": "Mara"}}},
        {"node": {"type": "USED_IN", "parent": {"name": "Film"}}}]}
    used_in = (await gql(query, {"id": image, "types": ["USED_IN"]}))["data"]["asset"]["parents"]
    assert used_in == {"totalCount": 1, "edges": [
        {"node": {"type": "USED_IN", "parent": {"name": "Film"}}}]}


async def _chain(gql: GraphQLClient, names: list[str]) -> list[str]:
    """names[0] is the top; each next one is PART_OF the previous."""
    ids = [await create_asset(gql, name, "shot") for name in names]
    for parent, child in pairwise(ids):
        await link(gql, parent, child)
    return ids


async def test_lineage_walks_up_and_down_with_depths(gql: GraphQLClient) -> None:
    ids = await _chain(gql, ["A", "B", "C", "D"])
    up = await gql(LINEAGE, {"id": ids[3], "direction": "UPSTREAM"})
    assert up["data"]["asset"]["lineage"] == {"isPartial": False, "steps": [
        {"depth": 1, "asset": {"name": "C"}, "relationship": {"type": "PART_OF"}},
        {"depth": 2, "asset": {"name": "B"}, "relationship": {"type": "PART_OF"}},
        {"depth": 3, "asset": {"name": "A"}, "relationship": {"type": "PART_OF"}}]}
    down = await gql(LINEAGE, {"id": ids[0], "direction": "DOWNSTREAM"})
    assert [(s["depth"], s["asset"]["name"]) for s in down["data"]["asset"]["lineage"]["steps"]
            ] == [(1, "B"), (2, "C"), (3, "D")]


async def test_lineage_is_partial_when_depth_or_page_cuts_it(gql: GraphQLClient) -> None:
    ids = await _chain(gql, ["A", "B", "C", "D"])
    by_depth = await gql(LINEAGE, {"id": ids[3], "direction": "UPSTREAM", "maxDepth": 2})
    assert by_depth["data"]["asset"]["lineage"] == {"isPartial": True, "steps": [
        {"depth": 1, "asset": {"name": "C"}, "relationship": {"type": "PART_OF"}},
        {"depth": 2, "asset": {"name": "B"}, "relationship": {"type": "PART_OF"}}]}
    exact = await gql(LINEAGE, {"id": ids[3], "direction": "UPSTREAM", "maxDepth": 3})
    assert exact["data"]["asset"]["lineage"]["isPartial"] is False
    by_page = await gql(LINEAGE, {"id": ids[3], "direction": "UPSTREAM", "first": 1})
    assert by_page["data"]["asset"]["lineage"] == {"isPartial": True, "steps": [
        {"depth": 1, "asset": {"name": "C"}, "relationship": {"type": "PART_OF"}}]}


async def test_lineage_keeps_the_shortest_depth_and_skips_deleted(gql: GraphQLClient) -> None:
    # given a diamond: D under B and C, both under A; and A also directly above D
    a, b, c, d = [await create_asset(gql, n, "shot") for n in "ABCD"]
    for parent, child in [(a, b), (a, c), (b, d), (c, d), (a, d)]:
        await link(gql, parent, child)
    # then A appears once, at depth 1
    up = await gql(LINEAGE, {"id": d, "direction": "UPSTREAM"})
    assert [(s["depth"], s["asset"]["name"]) for s in up["data"]["asset"]["lineage"]["steps"]
            ] == [(1, "A"), (1, "B"), (1, "C")]
    # when B is deleted, it vanishes from the walk
    await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }", {"id": b})
    after = await gql(LINEAGE, {"id": d, "direction": "UPSTREAM"})
    assert sorted(s["asset"]["name"] for s in after["data"]["asset"]["lineage"]["steps"]) == [
        "A", "C"]


async def test_lineage_follows_only_the_asked_types(gql: GraphQLClient) -> None:
    shot, scene, style = [await create_asset(gql, n, t) for n, t in
                          [("Shot", "shot"), ("Scene", "scene"), ("Noir", "style")]]
    await link(gql, scene, shot)
    await link(gql, shot, style, "USED_IN")
    up = await gql(LINEAGE, {"id": style, "direction": "UPSTREAM", "types": ["USED_IN"]})
    assert [s["asset"]["name"] for s in up["data"]["asset"]["lineage"]["steps"]] == ["Shot"]
    every = await gql(LINEAGE, {"id": style, "direction": "UPSTREAM"})
    assert [s["asset"]["name"] for s in every["data"]["asset"]["lineage"]["steps"]] == [
        "Shot", "Scene"]


async def _link_errors(gql: GraphQLClient, parent: str, child: str, type: str = "PART_OF"
                       ) -> list[dict[str, str]]:
    body = await gql(LINK, {"input": {"parentId": parent, "childId": child, "type": type}})
    errors: list[dict[str, str]] = body["data"]["linkAssets"]["errors"]
    return errors


async def test_links_that_would_close_a_cycle_are_refused(gql: GraphQLClient) -> None:
    a, _, c = await _chain(gql, ["A", "B", "C"])
    assert await _link_errors(gql, c, a) == [{
        "code": "CYCLE", "field": "childId",
        "message": "'A' is already an ancestor of 'C' through part_of; "
                   "this link would close a cycle"}]
    assert await _link_errors(gql, a, a) == [
        {"code": "CYCLE", "field": "childId", "message": "an asset cannot be linked to itself"}]
    # another type is another graph
    assert await _link_errors(gql, c, a, "REFERENCE_FOR") == []


async def test_duplicate_and_dangling_links_are_refused(gql: GraphQLClient) -> None:
    a, b = await _chain(gql, ["A", "B"])
    assert await _link_errors(gql, a, b) == [
        {"code": "CONFLICT", "field": "childId",
         "message": "these assets are already linked as part_of"}]
    missing = "QXNzZXQ6MDE5MzAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"
    assert await _link_errors(gql, missing, missing) == [
        {"code": "NOT_FOUND", "field": "parentId", "message": "asset not found"},
        {"code": "NOT_FOUND", "field": "childId", "message": "asset not found"}]


async def test_unlink_removes_the_edge_once(gql: GraphQLClient) -> None:
    a, b = [await create_asset(gql, n, "shot") for n in "AB"]
    relationship = await link(gql, a, b)
    unlink = """mutation ($id: ID!) { unlinkAssets(id: $id) {
      relationship { type parent { name } child { name } } errors { code field message } } }"""
    assert (await gql(unlink, {"id": relationship}))["data"]["unlinkAssets"] == {
        "relationship": {"type": "PART_OF", "parent": {"name": "A"}, "child": {"name": "B"}},
        "errors": []}
    assert (await gql(unlink, {"id": relationship}))["data"]["unlinkAssets"] == {
        "relationship": None,
        "errors": [{"code": "NOT_FOUND", "field": "id", "message": "relationship not found"}]}


async def test_reorder_children_puts_the_listed_first(gql: GraphQLClient) -> None:
    film = await create_asset(gql, "Film", "film")
    one, two, three = [await create_asset(gql, n, "scene") for n in ("One", "Two", "Three")]
    for scene in (one, two, three):
        await link(gql, film, scene)
    reorder = """mutation ($input: ReorderChildrenInput!) { reorderChildren(input: $input) {
      asset { children(types: [PART_OF]) { edges { node { sequence child { name } } } } }
      errors { code field message } } }"""
    body = await gql(reorder, {"input": {"parentId": film, "type": "PART_OF",
                                         "childIds": [three, one]}})
    assert body["data"]["reorderChildren"] == {"errors": [], "asset": {"children": {"edges": [
        {"node": {"sequence": 1, "child": {"name": "Three"}}},
        {"node": {"sequence": 2, "child": {"name": "One"}}},
        {"node": {"sequence": 3, "child": {"name": "Two"}}}]}}}
    stranger = await create_asset(gql, "Stranger", "scene")
    refused = await gql(reorder, {"input": {"parentId": film, "type": "PART_OF",
                                            "childIds": [stranger]}})
    assert refused["data"]["reorderChildren"] == {"asset": None, "errors": [
        {"code": "NOT_FOUND", "field": "childIds",
         "message": "1 of childIds are not part_of children of this asset"}]}


async def test_sync_state_in_link_metadata_is_refused_and_nothing_is_linked(
    gql: GraphQLClient,
) -> None:
    # given two assets
    source = await create_asset(gql, "Mara", "character_ref")
    copy = await create_asset(gql, "Mara (copy)", "character_ref")
    # when a client links them with sync keys in the edge's metadata
    body = await gql(LINK, {"input": {"parentId": source, "childId": copy, "type": "DERIVED_FROM",
                                      "metadata": {"source_version": 1, "base": {}, "note": "x"}}})
    # then both keys are refused by name, and no edge exists
    assert body["data"]["linkAssets"] == {"relationship": None, "errors": [
        {"code": "INVALID", "field": "metadata.source_version",
         "message": "'source_version' is sync state: only clone, promote and scene inheritance "
                    "write it"},
        {"code": "INVALID", "field": "metadata.base",
         "message": "'base' is sync state: only clone, promote and scene inheritance write it"},
    ]}
    children = await gql(CHILDREN, {"id": source})
    assert children["data"]["asset"]["children"]["totalCount"] == 0

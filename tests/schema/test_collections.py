"""Collections: create, members in order, reorder, remove, delete, filters."""

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection

MEMBERS = """query ($id: ID!) { collection(id: $id) { name type assets {
  totalCount edges { sequence node { name } } } } }"""


async def test_members_keep_their_order_and_can_be_reordered(gql: GraphQLClient) -> None:
    # given a project with three assets
    project = await create_collection(gql, "Pilot")
    names = ["Mara", "Ortiz", "Docks"]
    ids = [await create_asset(gql, n, "character_ref") for n in names]
    for asset_id in ids:
        await add_to_collection(gql, project, asset_id)
    # then they are listed in insertion order
    listed = (await gql(MEMBERS, {"id": project}))["data"]["collection"]
    assert listed == {"name": "Pilot", "type": "project", "assets": {"totalCount": 3, "edges": [
        {"sequence": 1, "node": {"name": "Mara"}}, {"sequence": 2, "node": {"name": "Ortiz"}},
        {"sequence": 3, "node": {"name": "Docks"}}]}}
    # when reordered
    body = await gql("""mutation ($input: ReorderCollectionInput!) { reorderCollection(
      input: $input) { errors { code } } }""",
                     {"input": {"collectionId": project, "assetIds": [ids[2]]}})
    assert body["data"]["reorderCollection"]["errors"] == []
    reordered = (await gql(MEMBERS, {"id": project}))["data"]["collection"]["assets"]["edges"]
    assert [(e["sequence"], e["node"]["name"]) for e in reordered] == [
        (1, "Docks"), (2, "Mara"), (3, "Ortiz")]


async def test_adding_twice_is_harmless_and_removing_a_stranger_is_not_found(
    gql: GraphQLClient,
) -> None:
    project = await create_collection(gql, "Pilot")
    mara = await create_asset(gql, "Mara", "character_ref")
    await add_to_collection(gql, project, mara)
    await add_to_collection(gql, project, mara)
    assert (await gql(MEMBERS, {"id": project}))["data"]["collection"]["assets"][
        "totalCount"] == 1
    remove = """mutation ($input: RemoveFromCollectionInput!) { removeFromCollection(
      input: $input) { collection { name } errors { code field message } } }"""
    removed = await gql(remove, {"input": {"collectionId": project, "assetId": mara}})
    assert removed["data"]["removeFromCollection"] == {"collection": {"name": "Pilot"},
                                                       "errors": []}
    again = await gql(remove, {"input": {"collectionId": project, "assetId": mara}})
    assert again["data"]["removeFromCollection"] == {"collection": None, "errors": [
        {"code": "NOT_FOUND", "field": "assetId",
         "message": "the asset is not in this collection"}]}


async def test_collections_filter_by_type_and_show_on_assets(gql: GraphQLClient) -> None:
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Pilot", "project")
    mara = await create_asset(gql, "Mara", "character_ref")
    await create_asset(gql, "Loose", "character_ref")
    await add_to_collection(gql, library, mara)
    await add_to_collection(gql, project, mara)
    listing = await gql('{ collections(types: ["library"]) { totalCount '
                        "edges { node { name } } } }")
    assert listing["data"]["collections"] == {"totalCount": 1,
                                              "edges": [{"node": {"name": "Library"}}]}
    on_asset = await gql("query ($id: ID!) { asset(id: $id) { collections { totalCount "
                         "edges { node { name } } } } }", {"id": mara})
    assert on_asset["data"]["asset"]["collections"] == {
        "totalCount": 2, "edges": [{"node": {"name": "Library"}}, {"node": {"name": "Pilot"}}]}
    in_project = await gql("query ($c: ID!) { assets(filter: {collectionId: $c}) { totalCount "
                           "edges { node { name } } } }", {"c": project})
    assert in_project["data"]["assets"] == {"totalCount": 1, "edges": [{"node": {"name": "Mara"}}]}


async def test_update_and_delete_collection_keep_the_assets(gql: GraphQLClient) -> None:
    project = await create_collection(gql, "Pilot")
    mara = await create_asset(gql, "Mara", "character_ref")
    await add_to_collection(gql, project, mara)
    updated = await gql("""mutation ($input: UpdateCollectionInput!) { updateCollection(
      input: $input) { collection { name description } errors { code } } }""",
                        {"input": {"id": project, "name": "Pilot v2", "description": "draft"}})
    assert updated["data"]["updateCollection"] == {
        "collection": {"name": "Pilot v2", "description": "draft"}, "errors": []}
    deleted = await gql("""mutation ($input: DeleteCollectionInput!) { deleteCollection(
      input: $input) { collection { name } errors { code } } }""", {"input": {"id": project}})
    assert deleted["data"]["deleteCollection"] == {"collection": {"name": "Pilot v2"},
                                                   "errors": []}
    assert (await gql(MEMBERS, {"id": project}))["data"]["collection"] is None
    assert (await gql("query ($id: ID!) { asset(id: $id) { name collections { totalCount "
                      "edges { node { name } } } } }", {"id": mara}))["data"]["asset"] == {
        "name": "Mara", "collections": {"totalCount": 0, "edges": []}}


async def test_collection_type_must_be_a_lowercase_word(gql: GraphQLClient) -> None:
    body = await gql('mutation { createCollection(input: {name: "X", type: "Big Project!"}) '
                     "{ collection { id } errors { code field message } } }")
    assert body["data"]["createCollection"] == {"collection": None, "errors": [
        {"code": "INVALID", "field": "type",
         "message": "collection type must be a lowercase word such as library, project, "
                    "character, storyboard"}]}


ASSET_COLLECTIONS = """query ($id: ID!, $after: String) { asset(id: $id) {
  collections(first: 1, after: $after) { totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } } }"""


async def test_an_assets_collections_page_oldest_first(gql: GraphQLClient) -> None:
    # given an asset in three collections
    mara = await create_asset(gql, "Mara", "character_ref")
    for name in ("Library", "Pilot", "Sequel"):
        await add_to_collection(gql, await create_collection(gql, name), mara)
    # when its collections are read one at a time
    names, after, pages = [], None, []
    while True:
        page = (await gql(ASSET_COLLECTIONS, {"id": mara, "after": after}))["data"]["asset"][
            "collections"]
        pages.append((page["totalCount"], page["pageInfo"]["hasNextPage"],
                      page["pageInfo"]["hasPreviousPage"]))
        names += [e["node"]["name"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then every collection comes once, oldest first, and each page knows the total
    assert names == ["Library", "Pilot", "Sequel"]
    assert pages == [(3, True, False), (3, True, True), (3, False, True)]

"""Workspaces are tenants: nothing of workspace A is visible or writable with B's token."""

from tests.conftest import GraphQLClient, WorkspaceTokens
from tests.helpers import add_to_collection, create_asset, create_collection, link

NOT_FOUND = "NOT_FOUND"


async def test_another_workspace_sees_and_touches_nothing(
    gql: GraphQLClient, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens
) -> None:
    # given, in workspace A, a film with a scene in a project
    film = await create_asset(gql, "Film A", "film")
    scene = await create_asset(gql, "Scene A", "scene")
    relationship = await link(gql, film, scene)
    project = await create_collection(gql, "Project A")
    await add_to_collection(gql, project, film)
    b = other_workspace.admin
    a_target = await create_asset(gql, "Target A", "scene")
    own = (await gql('mutation { createAsset(input: {type: "scene", name: "Own B"}) '
                     "{ asset { id } } }", token=b))["data"]["createAsset"]["asset"]["id"]

    # then reads with B's token find nothing of A
    reads = await gql(
        """query ($a: ID!, $r: ID!, $c: ID!) {
          asset(id: $a) { id } node(id: $a) { id } relationship: node(id: $r) { id }
          collection(id: $c) { id } nodes(ids: [$a, $c]) { id }
          assets { totalCount edges { node { name } } }
          collections { totalCount }
        }""",
        {"a": film, "r": relationship, "c": project}, token=b)
    assert reads == {"data": {
        "asset": None, "node": None, "relationship": None, "collection": None,
        "nodes": [None, None],
        "assets": {"totalCount": 1, "edges": [{"node": {"name": "Own B"}}]},
        "collections": {"totalCount": 0},
    }}
    lineage = await gql("""query ($id: ID!) { asset(id: $id) { lineage(direction: UPSTREAM) {
      steps { asset { name } } } history { edges { node { topic } } } } }""", {"id": own},
                        token=b)
    assert lineage["data"]["asset"] == {
        "lineage": {"steps": []},
        "history": {"edges": [{"node": {"topic": "asset.created"}}]},
    }

    # and every mutation taking A's ids says NOT_FOUND
    mutations = {
        "updateAsset": ('mutation ($a: ID!) { updateAsset(input: {id: $a, name: "x"}) '
                        "{ errors { code field } } }", {"a": film}),
        "deleteAsset": ("mutation ($a: ID!) { deleteAsset(id: $a) { errors { code field } } }",
                        {"a": film}),
        "restoreAsset": ("mutation ($a: ID!) { restoreAsset(id: $a) { errors { code field } } }",
                         {"a": film}),
        "purgeAsset": ("mutation ($a: ID!) { purgeAsset(id: $a) { errors { code field } } }",
                       {"a": film}),
        "lockAsset": ("mutation ($a: ID!) { lockAsset(id: $a) { errors { code field } } }",
                      {"a": film}),
        "unlockAsset": ("mutation ($a: ID!) { unlockAsset(id: $a) { errors { code field } } }",
                        {"a": film}),
        "unlinkAssets": ("mutation ($r: ID!) { unlinkAssets(id: $r) { errors { code field } } }",
                         {"r": relationship}),
        "updateCollection": ('mutation ($c: ID!) { updateCollection(input: {id: $c, name: "x"}) '
                             "{ errors { code field } } }", {"c": project}),
        "deleteCollection": ("mutation ($c: ID!) { deleteCollection(input: {id: $c}) "
                             "{ errors { code field } } }", {"c": project}),
    }
    for name, (document, variables) in mutations.items():
        body = await gql(document, variables, token=b)
        assert body["data"][name]["errors"] == [{"code": NOT_FOUND, "field": "id"}], name
    cross = {
        "linkAssets": ("mutation ($a: ID!, $o: ID!) { linkAssets(input: {parentId: $a, "
                       "childId: $o, type: PART_OF}) { errors { code field } } }",
                       [{"code": NOT_FOUND, "field": "parentId"}]),
        "reorderChildren": ("mutation ($a: ID!, $o: ID!) { reorderChildren(input: {parentId: $a,"
                            " type: PART_OF, childIds: [$o]}) { errors { code field } } }",
                            [{"code": NOT_FOUND, "field": "parentId"}]),
        "addToCollection": ("mutation ($c: ID!, $o: ID!) { addToCollection(input: {"
                            "collectionId: $c, assetId: $o}) { errors { code field } } }",
                            [{"code": NOT_FOUND, "field": "collectionId"}]),
        "removeFromCollection": ("mutation ($c: ID!, $o: ID!) { removeFromCollection(input: {"
                                 "collectionId: $c, assetId: $o}) { errors { code field } } }",
                                 [{"code": NOT_FOUND, "field": "collectionId"}]),
        "reorderCollection": ("mutation ($c: ID!, $o: ID!) { reorderCollection(input: {"
                              "collectionId: $c, assetIds: [$o]}) { errors { code field } } }",
                              [{"code": NOT_FOUND, "field": "collectionId"}]),
    }
    for name, (document, expected) in cross.items():
        body = await gql(document, {"a": film, "c": project, "o": own}, token=b)
        assert body["data"][name]["errors"] == expected, name
    # B cannot pull A's asset into its own graph either
    body = await gql("mutation ($o: ID!, $a: ID!) { linkAssets(input: {parentId: $o, "
                     "childId: $a, type: USED_IN}) { errors { code field } } }",
                     {"o": own, "a": a_target}, token=b)
    assert body["data"]["linkAssets"]["errors"] == [{"code": NOT_FOUND, "field": "childId"}]

    # and A's data is untouched
    check = await gql("query ($a: ID!) { asset(id: $a) { name version deletedAt locked "
                      "children { totalCount } } }", {"a": film}, token=workspace.admin)
    assert check["data"]["asset"] == {"name": "Film A", "version": 1, "deletedAt": None,
                                      "locked": False, "children": {"totalCount": 1}}

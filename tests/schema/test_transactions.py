"""A request is one transaction: what the response reports is exactly what was written."""

from tests.conftest import GraphQLClient, WorkspaceTokens

COUNT = "{ assets { totalCount } }"


async def test_a_forbidden_mutation_nulls_the_document_and_keeps_nothing(
    gql: GraphQLClient, workspace: WorkspaceTokens
) -> None:
    # given an editor sending a create and an admin-only purge in one document
    body = await gql("""mutation ($id: ID!) {
      createAsset(input: {type: "prop", name: "Lamp"}) { asset { id } errors { code } }
      purgeAsset(id: $id) { errors { code } } }""",
                     {"id": "QXNzZXQ6MDE5MzAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"})
    # then the client sees no success, and none was kept
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await gql(COUNT))["data"]["assets"]["totalCount"] == 0


async def test_a_refused_mutation_keeps_the_others_of_its_document(gql: GraphQLClient) -> None:
    body = await gql("""mutation {
      ok: createAsset(input: {type: "prop", name: "Lamp"}) { asset { name } errors { code } }
      bad: createAsset(input: {type: "prop", name: ""}) { asset { name } errors { code } }
      also: createAsset(input: {type: "prop", name: "Desk"}) { asset { name } errors { code } }
    }""")
    assert body == {"data": {
        "ok": {"asset": {"name": "Lamp"}, "errors": []},
        "bad": {"asset": None, "errors": [{"code": "INVALID"}]},
        "also": {"asset": {"name": "Desk"}, "errors": []},
    }}
    assert (await gql(COUNT))["data"]["assets"]["totalCount"] == 2


async def test_an_error_inside_a_payload_keeps_the_reported_write(gql: GraphQLClient) -> None:
    body = await gql("""mutation { createAsset(input: {type: "film", name: "Film"}) {
      asset { name children(first: 1000) { totalCount } } errors { code } } }""")
    # the bad argument nulls the asset, not the payload: the create itself stands
    assert body["data"] == {"createAsset": {"asset": None, "errors": []}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID"]
    assert (await gql(COUNT))["data"]["assets"]["totalCount"] == 1

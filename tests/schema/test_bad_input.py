"""Bad input gets a clear, typed error: never a 500, never a partial write."""

import httpx

from tests.conftest import GraphQLClient
from tests.helpers import create_asset


def _errors(body: dict[str, object]) -> list[tuple[str, object]]:
    return [(e["message"], e.get("extensions", {}).get("code"))  # type: ignore[union-attr]
            for e in body["errors"]]  # type: ignore[union-attr]


async def test_malformed_ids_are_invalid_in_queries_and_mutations(gql: GraphQLClient) -> None:
    query = await gql('{ asset(id: "not-an-id") { id } }')
    assert query["data"] == {"asset": None}
    assert _errors(query) == [("'not-an-id' is not a valid Asset ID", "INVALID")]
    node = await gql('{ node(id: "%%%") { id } }')
    assert _errors(node) == [("'%%%' is not a valid ID", "INVALID")]
    mutation = await gql('mutation { deleteAsset(id: "not-an-id") { asset { id } '
                         "errors { code field message } } }")
    assert mutation["data"]["deleteAsset"] == {"asset": None, "errors": [
        {"code": "INVALID", "field": "id", "message": "'not-an-id' is not a valid Asset ID"}]}


async def test_an_id_of_another_type_finds_nothing(gql: GraphQLClient) -> None:
    collection = (await gql('mutation { createCollection(input: {name: "P", type: "project"}) '
                            "{ collection { id } } }"))["data"]["createCollection"]["collection"]
    body = await gql("query ($id: ID!) { asset(id: $id) { id } }", {"id": collection["id"]})
    assert _errors(body) == [(f"{collection['id']!r} is not a valid Asset ID", "INVALID")]


async def test_first_over_the_limit_is_an_error_not_a_clamp(gql: GraphQLClient) -> None:
    body = await gql("{ assets(first: 1000) { totalCount } }")
    assert body["data"] is None
    assert _errors(body) == [("first must be between 0 and 100, got 1000", "INVALID")]
    negative = await gql("{ assets(first: -1) { totalCount } }")
    assert _errors(negative) == [("first must be between 0 and 100, got -1", "INVALID")]


async def test_lineage_depth_over_the_limit_is_an_error(gql: GraphQLClient) -> None:
    asset_id = await create_asset(gql, "Shot", "shot")
    body = await gql("query ($id: ID!) { asset(id: $id) { lineage(direction: UPSTREAM, "
                     "maxDepth: 999) { isPartial } } }", {"id": asset_id})
    assert body["data"] == {"asset": None}
    assert _errors(body) == [("maxDepth must be between 1 and 50, got 999", "INVALID")]


async def test_a_bad_cursor_is_an_error(gql: GraphQLClient) -> None:
    body = await gql('{ assets(after: "bm9wZQ") { totalCount } }')
    assert _errors(body) == [("after is not a cursor this list produced", "INVALID")]


async def test_too_deep_a_query_is_refused_before_running(gql: GraphQLClient) -> None:
    # given a query 21 levels deep
    selection = "id"
    for _ in range(5):
        selection = f"children {{ edges {{ node {{ child {{ {selection} }} }} }} }}"
    document = "query Deep($id: ID!) { asset(id: $id) { " + selection + " } }"
    # when / then it is refused by validation, before any resolver runs
    body = await gql(document, {"id": await create_asset(gql, "Film", "film")})
    assert body["data"] is None
    assert _errors(body) == [("'Deep' exceeds maximum operation depth of 15", None)]


async def test_too_many_aliases_are_refused(gql: GraphQLClient) -> None:
    document = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(100)) + " }"
    body = await gql(document)
    assert body["data"] is None
    assert [m for m, _ in _errors(body)] == ["100 aliases found. Allowed: 30"]


async def test_too_many_tokens_are_refused(gql: GraphQLClient) -> None:
    document = "{ viewer { " + "role " * 16_000 + "} }"
    body = await gql(document)
    assert [m for m, _ in _errors(body)] == [
        "Syntax Error: Document contains more than 15000 tokens. Parsing aborted."]


async def test_an_unknown_field_is_a_validation_error_with_hints_in_development(
    gql: GraphQLClient,
) -> None:
    body = await gql("{ viewer { nope } }")
    assert _errors(body) == [
        ("Cannot query field 'nope' on type 'Viewer'. Did you mean 'role'?", None)]


async def test_a_body_over_one_megabyte_is_refused(http: httpx.AsyncClient,
                                                   gql: GraphQLClient) -> None:
    response = await http.post("/graphql", content=b'{"query": "' + b" " * 1_100_000 + b'"}',
                               headers={"content-type": "application/json",
                                        "Authorization": f"Bearer {gql.token}"})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "request body is larger than 1048576 bytes",
                                           "extensions": {"code": "PAYLOAD_TOO_LARGE",
                                                          "requestId": response.headers[
                                                              "x-request-id"]}}]}


async def test_garbage_json_is_a_400(http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    response = await http.post("/graphql", content=b"{nope",
                               headers={"content-type": "application/json",
                                        "Authorization": f"Bearer {gql.token}"})
    assert response.status_code == 400


async def test_nul_characters_are_refused_not_crashed_on(gql: GraphQLClient) -> None:
    # when a mutation's variables hold U+0000 (the input boundary, api/boundary.py)
    response = await gql.post("mutation ($input: CreateAssetInput!) { createAsset(input: $input) "
                              "{ asset { id } errors { code field message } } }",
                              {"input": {"type": "prop", "name": "Lamp\u0000", "tags": ["a\u0000"],
                                         "metadata": {"k": "v\u0000"}}})
    # then the request is refused before it runs, naming the first value at fault
    error = response.json()["errors"][0]
    assert (response.status_code, error["message"], error["extensions"]["code"],
            error["extensions"]["field"]) == (
        400, "variables.input.name holds U+0000, which no text may hold", "INVALID",
        "variables.input.name")
    assert (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"] == 0

"""Requests GraphQL cannot run over HTTP answer a JSON 400 that says why, never text."""

from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient

CASES = [
    ({"query": "query A { viewer { role } }", "operationName": "B"},
     "the document has no operation named 'B'"),
    ({"query": "query A { viewer { role } } query C { viewer { actor } }"},
     "the document has several operations: say which in operationName"),
    ({"query": "subscription { events { topic } }"},
     "subscriptions are served over WebSocket at /graphql (graphql-transport-ws or graphql-ws),"
     " not over HTTP"),
]


@pytest.mark.parametrize(("body", "message"), CASES)
async def test_what_cannot_run_over_http_is_a_json_400(
    gql: GraphQLClient, body: dict[str, Any], message: str
) -> None:
    # when a document that cannot run over HTTP is posted
    response = await gql.http.post("/graphql", json=body,
                                   headers={"Authorization": f"Bearer {gql.token}"})
    # then the answer is a GraphQL-shaped JSON 400 saying why
    assert (response.status_code, response.headers["content-type"]) == (400, "application/json")
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [(message, "BAD_REQUEST")]


async def test_the_named_operation_of_several_runs(gql: GraphQLClient,
                                                   http: httpx.AsyncClient) -> None:
    # given a document with two operations, one named in the request
    body = {"query": "query A { viewer { role } } query C { viewer { actor } }",
            "operationName": "A"}
    # when it is posted
    response = await http.post("/graphql", json=body,
                               headers={"Authorization": f"Bearer {gql.token}"})
    # then that operation answers
    assert response.json() == {"data": {"viewer": {"role": "editor"}},
                               "extensions": {"cost": 1}}


async def test_every_malformed_request_is_a_json_400_with_a_code(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    # given bodies strawberry refuses before any GraphQL runs, a text body and a PUT
    auth = {"Authorization": f"Bearer {gql.token}"}
    json_headers = {**auth, "content-type": "application/json"}
    bodies = [b"{not json", b"[]", b"{}", b'{"query": 5}',
              b'{"query": "{ viewer { role } }", "variables": 5}', b"null"]
    responses = [await http.post("/graphql", headers=json_headers, content=body)
                 for body in bodies]
    responses.append(await http.post("/graphql", content=b"{}",
                                      headers={**auth, "content-type": "text/plain"}))
    responses.append(await http.put("/graphql", headers=json_headers, content=b"{}"))
    # then each is JSON: the reason, with code BAD_REQUEST
    assert [(r.status_code, r.headers["content-type"], [
        (e["message"], e["extensions"]["code"]) for e in r.json()["errors"]])
        for r in responses] == [
        (400, "application/json", [("Unable to parse request body as JSON", "BAD_REQUEST")]),
        (400, "application/json", [("Batching is not enabled", "BAD_REQUEST")]),
        (400, "application/json", [("No GraphQL query found in the request", "BAD_REQUEST")]),
        (400, "application/json", [("The GraphQL operation's `query` must be a string or null, "
                                    "if provided.", "BAD_REQUEST")]),
        (400, "application/json", [("The GraphQL operation's `variables` must be an object or "
                                    "null, if provided.", "BAD_REQUEST")]),
        (400, "application/json", [("the body must be a JSON object: {query, variables, "
                                    "operationName}", "BAD_REQUEST")]),
        (400, "application/json", [("Unsupported content type", "BAD_REQUEST")]),
        (405, "application/json", [("GraphQL only supports GET and POST requests.",
                                    "BAD_REQUEST")]),
    ]


async def test_a_get_with_unstorable_variables_is_refused_with_the_path(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    # given a GET whose variables hold U+0000 for a search
    response = await http.get("/graphql", params={
        "query": "query ($s: String) { assets(filter: {search: $s}, first: 1) { totalCount } }",
        "variables": '{"s": "a\\u0000b"}'}, headers={"Authorization": f"Bearer {gql.token}",
                                                    "accept": "application/json"})
    # then it is the JSON 400 a POST gets, naming the variable
    [error] = response.json()["errors"]
    assert (response.status_code, error["message"], error["extensions"]["code"],
            error["extensions"]["field"]) == (
        400, "variables.s holds U+0000, which no text may hold", "INVALID", "variables.s")

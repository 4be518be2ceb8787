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

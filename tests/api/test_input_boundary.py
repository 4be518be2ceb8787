"""The input boundary: a JSON body nested too deep, NaN or Infinity, U+0000 or a lone
surrogate answers INVALID with the path at fault, and nothing reaches the database."""

import httpx

from tests.conftest import GraphQLClient
from tests.helpers import create_asset

CREATE = """mutation ($m: JSON) { createAsset(input: {type: "prop", name: "Lamp",
  metadata: $m}) { asset { name } errors { code } } }"""


async def _post(http: httpx.AsyncClient, token: str, raw: str) -> httpx.Response:
    return await http.post("/graphql", content=raw.encode(),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})


def _refusal(response: httpx.Response) -> tuple[int, str, str, str]:
    error = response.json()["errors"][0]
    return (response.status_code, error["message"], error["extensions"]["code"],
            error["extensions"]["field"])


async def test_a_variable_nested_thousands_deep_is_refused_not_a_crash(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given a variable nested 5,000 deep (Python's JSON reader would recurse until it fails)
    raw = '{"query":"{viewer{role}}","variables":{"m":' + "[" * 5000 + "]" * 5000 + "}}"
    # when it is posted
    response = await _post(http, gql.token or "", raw)
    # then it is a JSON 400 naming the limit
    assert _refusal(response) == (400, "the request is nested more than 64 levels deep",
                                  "INVALID", "variables")


async def test_nesting_up_to_the_limit_is_fine(gql: GraphQLClient,
                                               http: httpx.AsyncClient) -> None:
    # given metadata nested 32 deep (its own limit) inside the variables
    value = "1"
    for _ in range(32):
        value = '{"a":' + value + "}"
    raw = '{"query":' + _json(CREATE) + ',"variables":{"m":' + value + "}}"
    # when it is posted
    body = (await _post(http, gql.token or "", raw)).json()
    # then the mutation runs
    assert body == {"data": {"createAsset": {"asset": {"name": "Lamp"}, "errors": []}},
                    "extensions": {"cost": 3}}


def _nested(levels: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


async def test_metadata_and_params_nested_past_32_are_invalid_with_the_path(
    gql: GraphQLClient,
) -> None:
    # given metadata and job params nested 33 deep (within the body's 64)
    too_deep = _nested(33)
    path = ".".join(["a"] * 32)
    # when an asset, an edge and a job are asked for with them
    asset = await gql("mutation ($m: JSON) { createAsset(input: {type: \"prop\", name: \"L\", "
                      "metadata: $m}) { asset { id } errors { code field message } } }",
                      {"m": too_deep})
    lamp = await create_asset(gql, "Lamp", "prop")
    job = await gql("mutation ($id: ID!, $p: JSON) { enqueueJob(input: {kind: \"generate_image\", "
                    "assetId: $id, params: $p}) { job { id } errors { code field message } } }",
                    {"id": lamp, "p": too_deep})
    # then each is INVALID, naming the first object past the limit; nothing was written
    assert asset["data"]["createAsset"] == {"asset": None, "errors": [
        {"code": "INVALID", "field": f"metadata.{path}",
         "message": "metadata is nested more than 32 levels deep"}]}
    assert job["data"]["enqueueJob"] == {"job": None, "errors": [
        {"code": "INVALID", "field": f"params.{path}",
         "message": "params is nested more than 32 levels deep"}]}


async def test_nan_and_infinity_are_refused(gql: GraphQLClient, http: httpx.AsyncClient) -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        # when a variable holds a constant that is not JSON
        raw = '{"query":' + _json(CREATE) + ',"variables":{"m":{"ratio":' + constant + "}}}"
        response = await _post(http, gql.token or "", raw)
        # then it is refused by name
        assert _refusal(response) == (400, f"{constant} is not a JSON number", "INVALID",
                                      "variables")


async def test_nul_and_lone_surrogates_are_refused_with_their_path(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    cases = [
        ('{"m":{"note":"a\\u0000b"}}', "variables.m.note holds U+0000, which no text may hold",
         "variables.m.note"),
        ('{"m":{"list":["ok","a\\ud800b"]}}',
         "variables.m.list.1 holds an unpaired surrogate, which no text may hold",
         "variables.m.list.1"),
        ('{"m":{"\\ud800":1}}',
         "variables.m.\ufffd holds an unpaired surrogate, which no text may hold",
         "variables.m.\ufffd"),
    ]
    for variables, message, field in cases:
        # when a string of the request holds what no text may hold
        raw = '{"query":' + _json(CREATE) + ',"variables":' + variables + "}"
        response = await _post(http, gql.token or "", raw)
        # then it is refused with the path of the value
        assert _refusal(response) == (400, message, "INVALID", field)
    # and nothing was written
    assert (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"] == 0


def _json(text: str) -> str:
    import json

    return json.dumps(text)


async def test_a_nul_written_as_an_escape_in_the_document_is_invalid(
    gql: GraphQLClient,
) -> None:
    # given string literals whose GraphQL escapes decode to U+0000 and to a lone surrogate (the
    # JSON body itself holds only the six-character escapes)
    nul = '{ jobs(filter: {kinds: ["a\\u0000b"]}, first: 1) { totalCount } }'
    surrogate = '{ assets(filter: {search: "x\\ud800"}, first: 1) { totalCount } }'
    # when each is sent
    answers = [await gql(query) for query in (nul, surrogate)]
    # then each is refused before it runs, pointing at the literal: U+0000 by our validation
    # (INVALID), the lone surrogate by the parser itself (a syntax error, as every one)
    assert [(a.get("data"), [(e["message"], e["extensions"].get("code"), e["locations"])
                             for e in a["errors"]]) for a in answers] == [
        (None, [("a string in the document holds U+0000, which no text may hold", "INVALID",
                 [{"line": 1, "column": 25}])]),
        (None, [("Syntax Error: Invalid Unicode escape sequence: '\\ud800'.", None,
                 [{"line": 1, "column": 29}])])]

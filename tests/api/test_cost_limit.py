"""The cost limit: every operation's upper bound of objects is known before it runs, reported
in `extensions.cost`, and an operation over the limit is refused with COST_LIMIT."""

from typing import Any

from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
    http_client,
)
from tests.helpers import create_asset, link

CHILDREN = """query ($id: ID!) { asset(id: $id) { name
  children(first: 3) { edges { node { child { name } } } } } }"""

# lineage(maxDepth: 50, first: 100) three deep under one asset (the attack)
LINEAGE_CUBED = """{ assets(first: 1) { edges { node {
  lineage(direction: UPSTREAM, maxDepth: 50, first: 100) { steps { asset {
    lineage(direction: UPSTREAM, maxDepth: 50, first: 100) { steps { asset {
      lineage(direction: UPSTREAM, maxDepth: 50, first: 100) { steps { asset { name } } }
    } } }
  } } }
} } } }"""


async def _raw(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None
               ) -> tuple[int, dict[str, Any]]:
    response = await gql.post(query, variables)
    return response.status_code, response.json()


async def test_every_response_reports_its_cost(gql: GraphQLClient) -> None:
    # given a film with two scenes
    film = await create_asset(gql, "Film", "film")
    for name in ("S1", "S2"):
        await link(gql, film, await create_asset(gql, name, "scene"))
    # when the film and its first three children are read
    status, body = await _raw(gql, CHILDREN, {"id": film})
    # then the cost counts the asset, the connection, and three edges, nodes and children
    assert status == 200
    assert body == {"data": {"asset": {"name": "Film", "children": {"edges": [
        {"node": {"child": {"name": "S1"}}}, {"node": {"child": {"name": "S2"}}}]}}},
        "extensions": {"cost": 11}}


async def test_both_read_paths_report_the_same_cost(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    # given a server without the compiled read path, and one with it
    async with http_client(db, dev_settings(compiled_reads=False)) as slow, \
            http_client(db) as fast:
        general = GraphQLClient(slow, workspace.editor)
        compiled = GraphQLClient(fast, workspace.editor)
        film = await create_asset(general, "Film", "film")
        # when each answers the same query
        _, by_resolvers = await _raw(general, CHILDREN, {"id": film})
        _, by_sql = await _raw(compiled, CHILDREN, {"id": film})
    # then the bodies, cost included, are the same
    assert by_resolvers == by_sql == {
        "data": {"asset": {"name": "Film", "children": {"edges": []}}},
        "extensions": {"cost": 11}}


async def test_a_mutation_counts_its_payload(gql: GraphQLClient) -> None:
    # when an asset is created, asking for the asset and the errors
    _, body = await _raw(gql, 'mutation { createAsset(input: {type: "prop", name: "P"}) '
                              "{ asset { name } errors { code } } }")
    # then the payload, the asset and the (leaf) error list count once each
    assert body == {"data": {"createAsset": {"asset": {"name": "P"}, "errors": []}},
                    "extensions": {"cost": 3}}


async def test_nested_lineages_over_the_limit_are_refused_before_running(
    gql: GraphQLClient, statement_counter: StatementCounter
) -> None:
    # given an asset, so that a walk would find something
    await create_asset(gql, "Shot", "shot")
    # when lineage(first: 100) is nested three deep
    with statement_counter.counting() as statements:
        status, body = await _raw(gql, LINEAGE_CUBED)
    # then the estimate (1 + 1 + 1 + 1 + 100·3 + 10,000·3 + 1,000,000·2) is refused, nothing ran
    assert status == 200
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "this operation could return up to 2030304 objects, more than the limit of 50000: ask "
        "for smaller pages (first), a smaller maxDepth, or fewer nested lists"]
    assert [{k: v for k, v in e["extensions"].items() if k != "requestId"}
            for e in body["errors"]] == [{"code": "COST_LIMIT", "cost": 2030304, "limit": 50000}]
    assert body["extensions"] == {"cost": 2030304}
    assert statements == []


async def test_aliases_add_up(db: SavepointDatabase, workspace: WorkspaceTokens) -> None:
    # given a limit of 40 objects
    async with http_client(db, dev_settings(max_query_cost=40)) as http:
        gql = GraphQLClient(http, workspace.editor)
        film = await create_asset(gql, "Film", "film")
        # when the same 11-object read is asked once, then under four aliases
        _, once = await _raw(gql, CHILDREN, {"id": film})
        read = "asset(id: $id) { name children(first: 3) { edges { node { child { name } } } } }"
        aliased = "query ($id: ID!) { " + " ".join(f"a{i}: {read}" for i in range(4)) + " }"
        _, four = await _raw(gql, aliased, {"id": film})
    # then once is within the limit, four times is not
    assert once["extensions"] == {"cost": 11}
    assert [(e["extensions"]["code"], e["extensions"]["cost"]) for e in four["errors"]] == [
        ("COST_LIMIT", 44)]


async def test_first_and_variables_set_the_bound(gql: GraphQLClient) -> None:
    # when the page size comes from a variable, from a literal, or from the default (100)
    query = "query ($n: Int) { assets(first: $n) { edges { node { name } } } }"
    _, given = await _raw(gql, query, {"n": 7})
    _, default = await _raw(gql, query, {"n": None})
    _, nodes = await _raw(gql, '{ nodes(ids: ["a", "b", "c"]) { id } }')
    # then the connection counts once and its edges and nodes as many as the page allows
    assert (given["extensions"], default["extensions"], nodes["extensions"]) == (
        {"cost": 15}, {"cost": 201}, {"cost": 3})


async def test_defaults_fragments_and_id_lists_set_the_bound(gql: GraphQLClient) -> None:
    # when the page size comes from a variable's default inside a fragment, and the ids of
    # `nodes` from a variable
    page = """query ($n: Int = 7) { ...Page }
      fragment Page on Query { assets(first: $n) { edges { node { name } } } }"""
    _, defaulted = await _raw(gql, page)
    _, given = await _raw(gql, page, {"n": 2})
    _, ids = await _raw(gql, "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                        {"ids": ["a", "b"]})
    # then each is counted from the value the operation runs with
    assert (defaulted["extensions"], given["extensions"], ids["extensions"]) == (
        {"cost": 15}, {"cost": 5}, {"cost": 2})

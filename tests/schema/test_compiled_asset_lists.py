"""`assets(filter, orderBy, first, after)` answered by the compiled read path equals the
resolvers' answer, page by page, for every filter and order the compiled path takes."""

from typing import Any

import httpx
import pytest

from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
    http_client,
)
from tests.helpers import add_to_collection, create_asset, create_collection, link
from tests.schema.test_asset_origin_filter import make_production
from tests.schema.test_library_sync import _update

LIST = """query ($filter: AssetFilter, $order: AssetOrder, $first: Int, $after: String) {
  assets(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { __typename id name type tags metadata createdAt origin
      parents(types: [DERIVED_FROM]) { totalCount edges { node { type parent { name } } } }
      collections(first: 1) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id name } } } } } } }"""


@pytest.fixture
async def general(db: SavepointDatabase) -> Any:
    async with http_client(db, dev_settings(compiled_reads=False)) as client:
        yield client


async def _both(gql: GraphQLClient, general: httpx.AsyncClient, variables: dict[str, Any]
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    resolvers = GraphQLClient(general, gql.token)
    return _anonymous(await gql(LIST, variables)), _anonymous(await resolvers(LIST, variables))


def _anonymous(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its errors' request ids, which differ from request to request."""
    for error in body.get("errors", ()):
        error["extensions"].pop("requestId")
    return body


async def test_asset_lists_page_the_same_on_both_paths(
    gql: GraphQLClient, general: httpx.AsyncClient, statement_counter: StatementCounter,
) -> None:
    # given characters with tags and metadata, one derived from another, in a collection
    names = ["Mara", "Jonah", "Édith", "Kai", "Lena"]
    ids = [await create_asset(gql, name, "character_ref", tags=["hero"] if n % 2 else ["crowd"],
                              metadata={"z": n, "a": {"nested": [1, 2.5, "ü"]}})
           for n, name in enumerate(names)]
    await create_asset(gql, "Backdrop", "location")
    await link(gql, ids[0], ids[1], "DERIVED_FROM")
    cast_list = await create_collection(gql, "Cast", "character")
    for asset in ids[:3]:
        await add_to_collection(gql, cast_list, asset)
    filters: list[dict[str, Any] | None] = [
        None, {"types": ["character_ref"]}, {"types": []}, {"tagsAny": ["hero"]},
        {"tagsAll": ["crowd"]}, {"tagsAny": []}, {"collectionId": cast_list},
        {"sources": ["upload"], "includeDeleted": True},
    ]
    # when both paths page through two at a time
    # then every page is the same, and the compiled path ran one read
    await _page_alike(gql, general, statement_counter, filters)


async def test_origin_outdated_and_locked_page_the_same_on_both_paths(
    gql: GraphQLClient, general: httpx.AsyncClient, statement_counter: StatementCounter,
) -> None:
    # given a library asset (edited since it was cloned), its locked project clone, its
    # instances in two scenes (the first deleted), and a character in no collection
    production = await make_production(gql)
    await _update(gql, production.mara, description="a weary, older detective")
    deleted = await gql("mutation ($id: ID!) { deleteAsset(id: $id, force: true) { errors { "
                        "code } } }", {"id": production.instances[0]})
    assert deleted["data"]["deleteAsset"]["errors"] == []
    filters: list[dict[str, Any] | None] = [
        {"origin": ["PROJECT"]}, {"origin": ["LIBRARY", "OTHER"]}, {"origin": []},
        {"origin": ["INSTANCE", "INSTANCE"], "includeDeleted": True},
        {"outdated": True}, {"outdated": False}, {"locked": True}, {"locked": False},
        {"origin": None, "outdated": None, "locked": None},
        {"types": ["character_ref"], "origin": ["INSTANCE", "LIBRARY"], "outdated": False,
         "locked": False},
        {"collectionId": production.project, "origin": ["PROJECT"], "locked": True},
    ]
    # when both paths page through two at a time
    # then every page is the same, and the compiled path ran one read
    await _page_alike(gql, general, statement_counter, filters)


async def _page_alike(gql: GraphQLClient, general: httpx.AsyncClient,
                      statement_counter: StatementCounter,
                      filters: list[dict[str, Any] | None]) -> None:
    """Page through each filter in each order, two at a time, on both paths: every page is
    the same, and each compiled page costs one statement."""
    orders = [None, {"field": "UPDATED_AT", "direction": "DESC"},
              {"field": "CREATED_AT", "direction": "DESC"}]
    for filter_ in filters:
        for order in orders:
            after = None
            while True:
                variables = {"filter": filter_, "order": order, "first": 2, "after": after}
                with statement_counter.counting() as statements:
                    compiled = await gql(LIST, variables)
                resolved = await GraphQLClient(general, gql.token)(LIST, variables)
                assert compiled == resolved, variables
                assert len(statements) == 1, variables  # the read, alone
                page = compiled["data"]["assets"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]


async def test_a_name_order_or_a_search_goes_to_the_resolvers(
    gql: GraphQLClient, general: httpx.AsyncClient,
) -> None:
    # given assets with non-ASCII names (a name cursor is Python's JSON, escaped)
    for name in ["émile", "Zed", "adam"]:
        await create_asset(gql, name)
    # when listed by name, and searched
    by_name = {"order": {"field": "NAME"}, "first": 2}
    searched = {"filter": {"search": "zed"}}
    # then both answer alike (the compiled path declines both)
    for variables in (by_name, searched):
        compiled, resolved = await _both(gql, general, variables)
        assert compiled == resolved


async def test_bad_arguments_answer_the_resolvers_errors(
    gql: GraphQLClient, general: httpx.AsyncClient, workspace: WorkspaceTokens,
) -> None:
    # given arguments the resolvers refuse
    cases = [{"first": 101}, {"first": -1}, {"after": "garbage"},
             {"filter": {"collectionId": "nope"}}, {"filter": {"search": "x" * 201}}]
    for variables in cases:
        # when both paths answer
        compiled, resolved = await _both(gql, general, variables)
        # then they answer the same error
        assert compiled == resolved
        assert compiled["data"] is None
        assert compiled["errors"][0]["extensions"]["code"] == "INVALID"


async def test_legacy_ids_page_the_same_on_both_paths(
    gql: GraphQLClient, general: httpx.AsyncClient, statement_counter: StatementCounter,
) -> None:
    # given assets imported from legacy rows (their id in metadata.legacy), one of them
    # deleted, an asset whose legacy object has no id, and one holding the id elsewhere
    imported = {legacy_id: await create_asset(
        gql, f"Imported {legacy_id}", "prop",
        metadata={"legacy": {"table": "global_assets", "id": legacy_id}})
        for legacy_id in ("a-1", "a-2", "a-3", "b-1")}
    await create_asset(gql, "No id", "prop", metadata={"legacy": {"table": "global_assets"}})
    await create_asset(gql, "Lookalike", "prop", metadata={"id": "a-1", "other": {"id": "a-1"}})
    deleted = await gql("mutation ($id: ID!) { deleteAsset(id: $id) { errors { code } } }",
                        {"id": imported["a-3"]})
    assert deleted["data"]["deleteAsset"]["errors"] == []
    filters: list[dict[str, Any] | None] = [
        {"legacyIds": ["a-1", "a-2", "a-3"]}, {"legacyIds": []},
        {"legacyIds": ["a-3"], "includeDeleted": True}, {"legacyIds": ["nope", "b-1", "b-1"]},
        {"legacyIds": ["a-1", "a-2"], "types": ["prop"], "origin": ["OTHER"]},
        {"legacyIds": None},
    ]
    # when both paths page through two at a time
    # then every page is the same, and the compiled path ran one read
    await _page_alike(gql, general, statement_counter, filters)
    # and the look-up finds exactly the live assets of those legacy ids
    found = await gql("query ($ids: [String!]) { assets(filter: {legacyIds: $ids}) { "
                      "edges { node { name } } } }", {"ids": ["a-1", "a-2", "a-3", "zzz"]})
    assert [e["node"]["name"] for e in found["data"]["assets"]["edges"]] == [
        "Imported a-1", "Imported a-2"]

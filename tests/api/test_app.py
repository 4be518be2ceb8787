"""The HTTP surface around GraphQL: health, readiness, GraphiQL offline, production mode."""

import re

import httpx

from tests.conftest import (
    FILE_URL_SECRET,
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_graphiql_is_served_from_the_package(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources == ["/graphiql/graphiql.min.css", "/graphiql/graphiql-plugin-explorer.css",
                       "/graphiql/react.production.min.js",
                       "/graphiql/react-dom.production.min.js", "/graphiql/graphiql.min.js",
                       "/graphiql/graphiql-plugin-explorer.umd.js"]
    for source in sources:
        asset = await http.get(source)
        assert (source, asset.status_code) == (source, 200)
        assert len(asset.content) > 1_000
    assert "//" not in "".join(sources)


async def test_production_masks_errors_and_hides_schema_hints(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    settings = dev_settings(environment="production", introspection=False, graphiql=False,
                            file_url_secret=FILE_URL_SECRET)
    async with http_client(db, settings) as http:
        client = GraphQLClient(http, workspace.editor)
        hint = await client("{ viewer { rol } }")
        assert [e["message"] for e in hint["errors"]] == [
            "Cannot query field 'rol' on type 'Viewer'."]
        introspection = await client("{ __schema { types { name } } }")
        assert [e["message"] for e in introspection["errors"]] == [
            "GraphQL introspection has been disabled, but the requested query contained the "
            f"field '{name}'." for name in ("__schema", "types")]
        expected = await client("{ assets(first: 500) { totalCount } }")
        assert [(e["message"], e["extensions"]["code"]) for e in expected["errors"]] == [
            ("first must be between 0 and 100, got 500", "INVALID")]
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert (page.status_code, page.json()) == (400, {"errors": [{
            "message": "This is a GraphQL endpoint: send a POST with a JSON body {query, "
                       "variables} (Content-Type: application/json), a GET with ?query=.",
            "extensions": {"code": "BAD_REQUEST"}}]})


async def test_a_get_without_a_query_says_how_to_ask(http: httpx.AsyncClient) -> None:
    # given a client that is not a browser (curl sends Accept: */*)
    for accept in ("*/*", "application/json"):
        # when it GETs /graphql without a query
        response = await http.get("/graphql", headers={"accept": accept})
        # then the answer says what to send, before asking for a token
        assert (response.status_code, response.json()) == (400, {"errors": [{
            "message": "This is a GraphQL endpoint: send a POST with a JSON body {query, "
                       "variables} (Content-Type: application/json), a GET with ?query=, or "
                       "open this URL in a browser for GraphiQL.",
            "extensions": {"code": "BAD_REQUEST"}}]})


async def test_a_browser_following_a_query_link_gets_graphiql(
        http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    # given a link to a query
    link = "/graphql?query=%7B%20viewer%20%7B%20role%20%7D%20%7D"
    # when a browser opens it, it gets the page (which fills its editor from the address)
    page = await http.get(link, headers={"accept": "text/html,application/xhtml+xml"})
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    # and a client that asks for JSON gets the query run
    ran = await http.get(link, headers={"accept": "application/json",
                                        "authorization": f"Bearer {gql.token}"})
    assert ran.json() == {"data": {"viewer": {"role": "editor"}}, "extensions": {"cost": 1}}


def test_only_errors_without_a_code_of_ours_are_masked() -> None:
    from graphql import GraphQLError

    from schema.schema import is_unexpected

    crash = GraphQLError("boom", original_error=RuntimeError("db password is hunter2"))
    expected = GraphQLError("first must be …", original_error=GraphQLError("x"),
                            extensions={"code": "INVALID"})
    validation = GraphQLError("Cannot query field 'x'")
    assert [is_unexpected(e) for e in (crash, expected, validation)] == [True, False, False]


async def test_graphiql_carries_the_dev_token_only_to_local_browsers(db: SavepointDatabase
                                                                     ) -> None:
    for client, expected in ((("127.0.0.1", 5000), True), (("192.0.2.7", 5000), False)):
        async with http_client(db, client=client, dev_token="agt_dev") as http:
            page = (await http.get("/graphql", headers={"accept": "text/html"})).text
        assert ("Bearer agt_dev" in page) is expected

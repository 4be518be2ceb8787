"""The HTTP surface around GraphQL: health, readiness, GraphiQL offline, production mode."""

import re

import httpx

from tests.conftest import (
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
    assert sources == ["/graphiql/graphiql.min.css", "/graphiql/react.production.min.js",
                       "/graphiql/react-dom.production.min.js", "/graphiql/graphiql.min.js"]
    for source in sources:
        asset = await http.get(source)
        assert (source, asset.status_code) == (source, 200)
        assert len(asset.content) > 10_000
    assert "//" not in "".join(sources)


async def test_production_masks_errors_and_hides_schema_hints(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    settings = dev_settings(environment="production", introspection=False, graphiql=False)
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
        assert page.status_code == 404


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

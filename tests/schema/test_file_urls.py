"""Download URLs are absolute on both read paths: the compiled path binds the request's
prefix at run time, so a kept plan never hands one host's URLs to another (issue 11)."""

from typing import Any

import httpx

from domain.assets import use_cases as assets
from domain.db import transaction
from domain.files import insert_blob_row
from schema.inputs import to_global_id
from tests.conftest import (
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
    http_client,
)

SHA = "ab" * 32
QUERY = """query ($id: ID!) { asset(id: $id) { file { sha256 downloadUrl }
  children(first: 5) { edges { node { child { file { downloadUrl } } } } } } }"""


async def _asset_with_a_file(db: SavepointDatabase, workspace: WorkspaceTokens) -> str:
    async with transaction(db, workspace_id=workspace.id) as tx:
        await insert_blob_row(tx, sha256=SHA, size=3, mime_type="image/png")
        asset = await assets.create_asset(tx, assets.NewAsset(
            type="image", name="Still", blob_sha256=SHA, mime_type="image/png", size=3))
    return to_global_id("Asset", asset.id)


async def _ask(http: httpx.AsyncClient, token: str, asset: str, host: str,
               counter: StatementCounter) -> tuple[int, dict[str, Any]]:
    with counter.counting() as statements:
        response = await http.post("/graphql", json={"query": QUERY, "variables": {"id": asset}},
                                   headers={"Authorization": f"Bearer {token}", "Host": host})
    return len(statements), response.json()["data"]


async def test_both_paths_give_the_requests_own_absolute_url(
    db: SavepointDatabase, workspace: WorkspaceTokens, statement_counter: StatementCounter
) -> None:
    asset = await _asset_with_a_file(db, workspace)
    async with http_client(db, dev_settings()) as fast, \
            http_client(db, dev_settings(compiled_reads=False)) as slow:
        for http in (fast, slow):  # the token cached in both apps
            await _ask(http, workspace.viewer, asset, "warm.up", statement_counter)
        # when the same body is sent to each path through two host names
        answers = [await _ask(http, workspace.viewer, asset, host, statement_counter)
                   for host in ("studio.example:8443", "review.example")
                   for http in (fast, slow)]
    # then each answer is under its own request's host, alike on both paths, and the
    # compiled path answered with its one statement (set_config, the asset, its children
    # on the resolvers)
    expected = [{"asset": {"file": {"sha256": SHA, "downloadUrl": f"http://{host}/files/{SHA}"},
                           "children": {"edges": []}}}
                for host in ("studio.example:8443", "review.example") for _ in (1, 2)]
    assert [data for _, data in answers] == expected
    assert [count for count, _ in answers] == [1, 3, 1, 3]

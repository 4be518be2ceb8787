"""An `<img src>` against a real server: a fresh signed URL loads with no header, an expired
or tampered one is refused (issue 11)."""

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase
from domain.file_urls import FileUrlSigner
from tests.api.test_files import CREATE, png
from tests.conftest import FILE_URL_SECRET, make_workspace
from tests.e2e.processes import environment, serve


async def test_an_img_src_loads_with_a_fresh_url_and_not_with_a_stale_or_forged_one(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path
) -> None:
    tokens = await make_workspace(committed_database, "Browser")
    env = environment(ASSETGRAPH_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                      ASSETGRAPH_BLOB_DIR=str(tmp_path / "blobs"), ASSETGRAPH_WORKERS="0")
    data = png((200, 10, 10), size=(90, 60))
    sha = hashlib.sha256(data).hexdigest()
    with serve(tmp_path, "server", env) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as api:
            # given an image uploaded by an editor, and its signed URL
            operations = {"query": CREATE, "variables": {"file": None}}
            created = (await api.post(
                "/graphql", headers={"Authorization": f"Bearer {tokens.editor}",
                                     "Apollo-Require-Preflight": "true"},
                data={"operations": json.dumps(operations),
                      "map": json.dumps({"0": ["variables.file"]})},
                files={"0": ("red.png", data, "image/png")})).json()
            asset = created["data"]["createAsset"]["asset"]["id"]
            file = (await api.post("/graphql", json={
                "query": "query ($id: ID!) { asset(id: $id) { file { url } } }",
                "variables": {"id": asset}},
                headers={"Authorization": f"Bearer {tokens.viewer}"})).json()[
                "data"]["asset"]["file"]
        query = parse_qs(urlsplit(file["url"]).query)
        past = int(time.time()) - 60
        expired = (f"{url}/files/{sha}/signed?ws={tokens.id}&exp={past}&sig="
                   + FileUrlSigner(FILE_URL_SECRET.encode()).signature(
                       tokens.id, sha, "original", past))
        tampered = file["url"].replace(f"exp={query['exp'][0]}",
                                       f"exp={int(query['exp'][0]) + 1}")
        # when a browser-like client with no credentials loads each
        async with httpx.AsyncClient(timeout=30) as browser:
            fresh = await browser.get(file["url"], headers={"Accept": "image/*"})
            stale = await browser.get(expired, headers={"Accept": "image/*"})
            forged = await browser.get(tampered, headers={"Accept": "image/*"})
    # then the fresh URL, absolute on the server's own address, gives the image
    assert file["url"].startswith(f"{url}/files/{sha}/signed?ws={tokens.id}&exp=")
    assert (fresh.status_code, fresh.headers["content-type"], fresh.content) == (
        200, "image/png", data)
    # and the others a 403 with a code, and none of its bytes
    assert [(r.status_code, r.json()["code"]) for r in (stale, forged)] == [
        (403, "SIGNATURE_EXPIRED"), (403, "SIGNATURE_INVALID")]

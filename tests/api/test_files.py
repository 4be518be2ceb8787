"""Uploads (GraphQL multipart request spec), downloads, dedupe, purge and gc (issue 4)."""

import asyncio
import hashlib
import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from api.gc import collect_garbage, release_files
from api.worker import Worker
from domain.assets import use_cases as assets
from domain.db import EngineDatabase, transaction
from domain.files import keep_blob
from domain.storage import LocalBlobStore
from tests.conftest import (
    BLOBS,
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
    make_workspace,
)
from tests.helpers import create_asset, create_collection

CREATE = """mutation ($file: Upload!) { createAsset(input: {type: "image", name: "Still",
  file: $file}) { asset { id version metadata file { sha256 size mimeType downloadUrl } }
  errors { code field message } } }"""


def png(color: tuple[int, int, int] = (10, 120, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


async def upload(http: httpx.AsyncClient, token: str, document: str, data: bytes,
                 variables: dict[str, Any] | None = None, *, preflight: bool = True
                 ) -> httpx.Response:
    operations = {"query": document, "variables": {**(variables or {}), "file": None}}
    headers = {"Authorization": f"Bearer {token}"}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await http.post(
        "/graphql", headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("still.png", data, "image/png")})


async def test_an_uploaded_image_is_stored_once_and_described(
    http: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    data = png()
    sha = hashlib.sha256(data).hexdigest()
    first = (await upload(http, workspace.editor, CREATE, data)).json()["data"]["createAsset"]
    second = (await upload(http, workspace.editor, CREATE, data)).json()["data"]["createAsset"]
    assert first["errors"] == second["errors"] == []
    assert first["asset"]["file"] == second["asset"]["file"] == {
        "sha256": sha, "size": len(data), "mimeType": "image/png",
        "downloadUrl": f"http://test/files/{sha}"}
    assert first["asset"]["metadata"] == {"width": 64, "height": 48, "format": "png"}
    assert first["asset"]["version"] == 2
    assert [p.name for p in BLOBS.glob(f"??/??/{sha}")] == [sha]


async def test_multipart_without_a_preflight_header_is_refused(
    http: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    response = await upload(http, workspace.editor, CREATE, png(), preflight=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "code": "CSRF", "requestId": response.headers["x-request-id"]}


async def test_downloads_are_workspace_checked_cached_and_ranged(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens
) -> None:
    data = png((1, 2, 3))
    created = (await upload(http, workspace.editor, CREATE, data)).json()
    url = created["data"]["createAsset"]["asset"]["file"]["downloadUrl"]
    sha = url.rsplit("/", 1)[1]
    mine = {"Authorization": f"Bearer {workspace.viewer}"}
    full = await http.get(url, headers=mine)
    assert (full.status_code, full.content, full.headers["etag"], full.headers["content-type"],
            full.headers["cache-control"]) == (
        200, data, f'"{sha}"', "image/png", "private, max-age=31536000, immutable")
    part = await http.get(url, headers={**mine, "Range": "bytes=0-9"})
    assert (part.status_code, part.content, part.headers["content-range"]) == (
        206, data[:10], f"bytes 0-9/{len(data)}")
    cached = await http.get(url, headers={**mine, "If-None-Match": f'"{sha}"'})
    assert (cached.status_code, cached.content) == (304, b"")
    other = await http.get(url, headers={"Authorization": f"Bearer {other_workspace.admin}"})
    assert other.status_code == 404
    assert (await http.get(url)).status_code == 401
    assert (await http.get("/files/not-a-hash", headers=mine)).status_code == 404


async def test_a_blob_used_by_a_clone_survives_purging_the_original(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, gql: GraphQLClient
) -> None:
    data = png((9, 9, 9))
    sha = hashlib.sha256(data).hexdigest()
    original = (await upload(http, workspace.editor, CREATE, data)).json()[
        "data"]["createAsset"]["asset"]["id"]
    project = await create_collection(gql, "Pilot")
    clone = (await gql("mutation ($s: ID!, $c: ID!) { cloneAsset(input: {sourceId: $s, "
                       "collectionId: $c}) { asset { id file { sha256 } } } }",
                       {"s": original, "c": project}))["data"]["cloneAsset"]["asset"]
    assert clone["file"] == {"sha256": sha}
    purge = "mutation ($id: ID!) { purgeAsset(id: $id) { errors { code } } }"
    delete = "mutation ($id: ID!) { deleteAsset(id: $id, force: true) { errors { code } } }"
    await gql(delete, {"id": original})
    assert (await gql(purge, {"id": original}, token=workspace.admin))["data"]["purgeAsset"] == {
        "errors": []}
    download = await http.get(f"/files/{sha}",
                              headers={"Authorization": f"Bearer {workspace.viewer}"})
    assert (download.status_code, download.content) == (200, data)
    # once the clone goes too, so does the file
    await gql(delete, {"id": clone["id"]})
    await gql(purge, {"id": clone["id"]}, token=workspace.admin)
    gone = await http.get(f"/files/{sha}", headers={"Authorization": f"Bearer {workspace.viewer}"})
    assert gone.status_code == 404
    assert not await LocalBlobStore(BLOBS).exists(sha)


async def test_gc_removes_rows_and_files_nothing_uses(
    db: SavepointDatabase, workspace: WorkspaceTokens, tmp_path: Path
) -> None:
    # given a file an asset uses, a file whose row no asset uses, and a stray file
    store = LocalBlobStore(tmp_path)
    kept, unused, stray = (store.put_bytes(content) for content in (b"kept", b"unused", b"x"))
    await store.place(stray)
    async with transaction(db, workspace_id=workspace.id) as tx:
        for blob in (kept, unused):
            await keep_blob(tx, store, blob, "text/plain")
        await assets.create_asset(tx, assets.NewAsset(type="text", name="Notes",
                                                      blob_sha256=kept.sha256))
    # when gc runs, then only what is used stays
    assert await collect_garbage(db, store, grace_seconds=0) == (1, 2)
    assert [await store.exists(b.sha256) for b in (kept, unused, stray)] == [True, False, False]


ATTACH = """mutation ($id: ID!, $file: Upload!) { attachFile(input: {assetId: $id, file: $file}) {
  asset { version file { mimeType size } metadata } errors { code field message } } }"""


async def test_attach_file_then_thumbnail_it(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, gql: GraphQLClient,
    db: SavepointDatabase,
) -> None:
    still = await create_asset(gql, "Wide still", "image")
    attached = await upload(http, workspace.editor, ATTACH, png(size=(800, 400)), {"id": still})
    assert attached.json()["data"]["attachFile"] == {"errors": [], "asset": {
        "version": 2, "file": {"mimeType": "image/png", "size": len(png(size=(800, 400)))},
        "metadata": {"width": 800, "height": 400, "format": "png"}}}
    job = await gql('mutation ($a: ID!) { enqueueJob(input: {kind: "generate_image", '
                    'assetId: $a, params: {provider: "thumbnail"}}) { job { id } } }',
                    {"a": still})
    worker = Worker(db, listen_dsn=None, settings=dev_settings().jobs, store=LocalBlobStore(BLOBS))
    done = await worker.run_once()
    assert done is not None and done.status == "succeeded"
    result = await gql("query ($id: ID!) { job(id: $id) { cost resultAsset { metadata } } }",
                       {"id": job["data"]["enqueueJob"]["job"]["id"]})
    assert result["data"]["job"] == {"cost": 0.0, "resultAsset": {
        "metadata": {"width": 256, "height": 128, "format": "png"}}}


async def test_an_upload_over_the_limit_is_refused(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    async with http_client(db, dev_settings(max_upload_bytes=100)) as http:
        response = await upload(http, workspace.editor, CREATE, png())
    assert response.json()["data"]["createAsset"] == {"asset": None, "errors": [
        {"code": "INVALID", "field": "file", "message": "the file is larger than 100 bytes"}]}


async def test_a_release_waits_for_a_registration_of_the_same_content(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # given workspace B in the middle of recording content that no committed row holds yet
    b = await make_workspace(committed_database, "B")
    store = LocalBlobStore(tmp_path)
    pending = store.put_bytes(png((4, 5, 6)))
    async with transaction(committed_database, workspace_id=b.id) as tx:
        await keep_blob(tx, store, pending, "image/png")
        # when a purge elsewhere releases the same hash meanwhile, it waits on the hash
        release = asyncio.get_running_loop().create_task(
            release_files(committed_database, store, [pending.sha256]))
        await asyncio.sleep(0.3)
        assert not release.done()
        await assets.create_asset(tx, assets.NewAsset(type="image", name="Same bytes",
                                                      blob_sha256=pending.sha256))
    # then, B having committed, the file stays
    assert await release == 0
    assert await store.exists(pending.sha256)


async def test_files_are_never_rendered_as_pages_of_this_origin(
    http: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    # given an image and an HTML page uploaded as files
    document = CREATE.replace('type: "image"', 'type: "text"')
    image = (await upload(http, workspace.editor, CREATE, png((4, 5, 6)))).json()
    operations = {"query": document, "variables": {"file": None}}
    page = (await http.post(
        "/graphql", headers={"Authorization": f"Bearer {workspace.editor}",
                             "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("page.html", b"<script>alert(1)</script>", "text/html")})).json()
    mine = {"Authorization": f"Bearer {workspace.viewer}"}
    # when both are downloaded
    shown = await http.get(image["data"]["createAsset"]["asset"]["file"]["downloadUrl"],
                           headers=mine)
    attached = await http.get(page["data"]["createAsset"]["asset"]["file"]["downloadUrl"],
                              headers=mine)
    # then neither can be sniffed into a page or run scripts; the HTML is an attachment
    for response in (shown, attached):
        assert (response.headers["x-content-type-options"],
                response.headers["content-security-policy"]) == ("nosniff", "sandbox")
    assert (shown.headers["content-type"], "content-disposition" in shown.headers) == (
        "image/png", False)
    assert (attached.headers["content-type"], attached.headers["content-disposition"],
            attached.content) == (
        "application/octet-stream", "attachment", b"<script>alert(1)</script>")


def declared_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels (nothing decodes it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


async def test_an_image_of_too_many_pixels_is_refused_and_nothing_is_written(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, gql: GraphQLClient,
) -> None:
    # given small files declaring 20000 x 20000 (past Pillow's own limit) and 11000 x 10000
    # pixels (past ours, 100 million)
    before = (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"]
    for width, height in ((20_000, 20_000), (11_000, 10_000)):
        # when each is uploaded as a new image
        body = (await upload(http, workspace.editor, CREATE, declared_png(width, height))).json()
        # then it is refused with a typed error, and no asset was created
        assert body["data"]["createAsset"] == {"asset": None, "errors": [{
            "code": "INVALID", "field": "file",
            "message": "the image has more than 100,000,000 pixels"}]}
    assert (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"] == before


async def test_content_that_is_no_image_clears_the_image_facts_of_the_file_it_replaces(
    http: httpx.AsyncClient, workspace: WorkspaceTokens, gql: GraphQLClient,
) -> None:
    # given an image asset with a PNG attached
    still = await create_asset(gql, "Still", "image")
    await upload(http, workspace.editor, ATTACH, png(size=(80, 40)), {"id": still})
    # when bytes that are no image are attached over it, declared image/png
    body = (await upload(http, workspace.editor, ATTACH, b"not an image at all",
                         {"id": still})).json()
    # then the type and the facts come from the content: no image type, no image facts
    assert body["data"]["attachFile"] == {"errors": [], "asset": {
        "version": 3, "file": {"mimeType": "application/octet-stream", "size": 19},
        "metadata": {}}}


async def test_multipart_operations_pass_the_same_input_boundary(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    # given multipart requests whose operations hold U+0000 in a variable, and NaN
    document = """mutation ($file: Upload!, $n: String!) { createAsset(input: {type: "image",
      name: $n, file: $file}) { asset { id } errors { code } } }"""
    nul = await upload(http, gql.token or "", document, png(), {"n": "a\u0000b"})
    operations = ('{"query": "mutation ($file: Upload!) { createAsset(input: {type: \\"image\\", '
                  'name: \\"x\\", file: $file, metadata: {a: 1}}) { errors { code } } }", '
                  '"variables": {"file": null, "m": [NaN]}}')
    nan = await http.post(
        "/graphql", headers={"Authorization": f"Bearer {gql.token}",
                             "Apollo-Require-Preflight": "true"},
        data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("still.png", png(), "image/png")})
    # then each is a JSON 400 naming the value, and nothing was written
    refusals = []
    for response in (nul, nan):
        [error] = response.json()["errors"]
        refusals.append((response.status_code, error["message"], error["extensions"]["code"],
                         error["extensions"]["field"]))
    assert refusals == [
        (400, "variables.n holds U+0000, which no text may hold", "INVALID", "variables.n"),
        (400, "NaN is not a JSON number", "INVALID", "variables")]
    listed = await gql("{ assets(first: 5) { totalCount } }")
    assert listed["data"]["assets"]["totalCount"] == 0

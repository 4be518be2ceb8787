"""The blob store in an S3-compatible bucket (moto's server, started by the tests): uploads,
downloads in ranges, one object per content, and gc (issue 11)."""

import hashlib
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from api.blobs import open_blob_store
from api.gc import collect_garbage
from api.settings import InvalidSettings, Settings
from domain.assets import use_cases as assets
from domain.db import transaction
from domain.files import keep_blob
from domain.storage import LocalBlobStore
from domain.storage_s3 import S3BlobStore
from tests.api.test_files import CREATE, png, upload
from tests.api.test_thumbnails import webp_size
from tests.conftest import (
    S3_KEYS,
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)


def bucket_of(settings: Settings) -> str:
    assert settings.blob_url is not None
    return settings.blob_url.removeprefix("s3://").split("/")[0]


def bucket_keys(settings: Settings) -> list[str]:
    """What the bucket holds, as S3 itself lists it."""
    bucket = bucket_of(settings)
    client: Any = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=S3_KEYS["s3_region"],
        aws_access_key_id=S3_KEYS["s3_access_key_id"],
        aws_secret_access_key=S3_KEYS["s3_secret_access_key"])
    listed = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_the_same_upload_is_one_object_served_whole_and_in_ranges(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
    s3_settings: Settings,
) -> None:
    data = png(size=(300, 200))
    sha = hashlib.sha256(data).hexdigest()
    async with http_client(db, s3_settings) as http:
        # given the same image uploaded in two workspaces
        for tokens in (workspace, other_workspace):
            created = (await upload(http, tokens.editor, CREATE, data)).json()
            assert created["data"]["createAsset"]["errors"] == []
        # then the bucket holds it once, under its address and the configured prefix
        assert bucket_keys(s3_settings) == [f"assets/{sha[:2]}/{sha[2:4]}/{sha}"]
        # and it is downloaded whole, in a range, as its last bytes, and never past its end
        mine = {"Authorization": f"Bearer {workspace.viewer}"}
        full = await http.get(f"/files/{sha}", headers=mine)
        part = await http.get(f"/files/{sha}", headers={**mine, "Range": "bytes=10-19"})
        tail = await http.get(f"/files/{sha}", headers={**mine, "Range": "bytes=-5"})
        past = await http.get(f"/files/{sha}", headers={**mine, "Range": f"bytes={len(data)}-"})
        cached = await http.get(f"/files/{sha}", headers={**mine, "If-None-Match": f'"{sha}"'})
    assert (full.status_code, full.content, full.headers["etag"], full.headers["content-type"],
            full.headers["x-content-type-options"], full.headers["cache-control"]) == (
        200, data, f'"{sha}"', "image/png", "nosniff", "private, max-age=31536000, immutable")
    assert (part.status_code, part.content, part.headers["content-range"]) == (
        206, data[10:20], f"bytes 10-19/{len(data)}")
    assert (tail.status_code, tail.content, tail.headers["content-range"]) == (
        206, data[-5:], f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}")
    assert (past.status_code, past.headers["content-range"]) == (416, f"bytes */{len(data)}")
    assert (cached.status_code, cached.content) == (304, b"")


async def test_gc_removes_unused_objects_and_keeps_used_ones(
    db: SavepointDatabase, workspace: WorkspaceTokens, s3_settings: Settings,
) -> None:
    # given an object an asset uses, one whose row no asset uses (with a thumbnail), and a
    # stray object
    store = open_blob_store(s3_settings)
    kept, unused, stray = (store.put_bytes(content) for content in (b"kept", b"unused", b"x"))
    await store.place(stray)
    async with transaction(db, workspace_id=workspace.id) as tx:
        for blob in (kept, unused):
            await keep_blob(tx, store, blob, "text/plain")
        await assets.create_asset(tx, assets.NewAsset(type="text", name="Notes",
                                                      blob_sha256=kept.sha256))
    await store.put_derived(unused.sha256, "thumbnail-128.webp", b"webp", mime_type="image/webp")
    assert len(bucket_keys(s3_settings)) == 4
    # when gc runs, then only the used object stays (the unused one's thumbnail goes with it)
    assert await collect_garbage(db, store, grace_seconds=0) == (1, 2)
    assert bucket_keys(s3_settings) == [
        f"assets/{kept.sha256[:2]}/{kept.sha256[2:4]}/{kept.sha256}"]
    assert await store.read(kept.sha256) == b"kept"


def test_the_blob_url_chooses_the_backend() -> None:
    # given a file:// URL, an s3:// URL, and both a URL and a directory
    local = open_blob_store(dev_settings(blob_dir=None, blob_url="file:///srv/blobs"))
    bucket = open_blob_store(dev_settings(blob_dir=None, blob_url="s3://media/assets",
                                          s3_region="eu-west-1"))
    with pytest.raises(InvalidSettings) as both:
        Settings.from_env(_env_file=None, blob_dir=Path("/srv/a"), blob_url="file:///srv/b")
    # then the first is a directory, the second a bucket, the third refused
    assert (type(local), getattr(local, "root", None), type(bucket)) == (
        LocalBlobStore, Path("/srv/blobs"), S3BlobStore)
    assert both.value.problems == ["ASSETGRAPH_BLOB_URL: expected either it or "
                                   "ASSETGRAPH_BLOB_DIR, not both, got 'file:///srv/b'"]


SIGNED = """query ($id: ID!) { asset(id: $id) { file { url(expiresIn: 300)
  thumbnail(size: SMALL) } } }"""


async def test_signed_urls_redirect_to_the_buckets_presigned_urls(
    db: SavepointDatabase, workspace: WorkspaceTokens, s3_settings: Settings,
) -> None:
    data = png((40, 90, 160), size=(640, 480))
    sha = hashlib.sha256(data).hexdigest()
    async with http_client(db, s3_settings) as http:
        # given an image in the bucket and its signed URLs
        created = (await upload(http, workspace.editor, CREATE, data)).json()
        asset = created["data"]["createAsset"]["asset"]["id"]
        file = (await GraphQLClient(http, workspace.viewer)(SIGNED, {"id": asset}))[
            "data"]["asset"]["file"]
        # when each is loaded with no header
        original = await http.get(file["url"])
        thumbnail = await http.get(file["thumbnail"])
    # then each redirects to the bucket, for no longer than the signature lasts
    assert [(r.status_code, r.headers["referrer-policy"]) for r in (original, thumbnail)] == [
        (307, "no-referrer")] * 2
    ages = [int(r.headers["cache-control"].removeprefix("private, max-age="))
            for r in (original, thumbnail)]
    assert (ages[0] in (299, 300), ages[1] in (3599, 3600)) == (True, True)
    prefix = f"{s3_settings.s3_endpoint_url}/{bucket_of(s3_settings)}/assets"
    assert [r.headers["location"].split("?")[0] for r in (original, thumbnail)] == [
        f"{prefix}/{sha[:2]}/{sha[2:4]}/{sha}",
        f"{prefix}/derived/{sha[:2]}/{sha}/thumbnail-128.webp"]
    # and the bucket's presigned URLs give the bytes, whole and in a range, and the thumbnail
    async with httpx.AsyncClient() as browser:
        whole = await browser.get(original.headers["location"])
        part = await browser.get(original.headers["location"], headers={"Range": "bytes=4-9"})
        small = await browser.get(thumbnail.headers["location"])
    assert (whole.status_code, whole.content, whole.headers["content-type"]) == (
        200, data, "image/png")
    assert (part.status_code, part.content) == (206, data[4:10])
    assert (small.status_code, small.headers["content-type"], webp_size(small.content)) == (
        200, "image/webp", ("WEBP", (128, 96)))
    # the thumbnail lives in the bucket under its derived key, beside the content
    assert bucket_keys(s3_settings) == [f"assets/{sha[:2]}/{sha[2:4]}/{sha}",
                                        f"assets/derived/{sha[:2]}/{sha}/thumbnail-128.webp"]

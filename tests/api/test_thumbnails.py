"""Thumbnails: WebP, by size, made once per content and size, images only (issue 11)."""

import asyncio
import hashlib
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image

from domain.storage import LocalBlobStore
from domain.thumbnails import Thumbnails, ThumbnailSize, render
from tests.api.test_files import BLOBS, CREATE, png
from tests.conftest import GraphQLClient, WorkspaceTokens

THUMBNAILS = """query ($id: ID!) { asset(id: $id) { file { mimeType
  small: thumbnail(size: SMALL) medium: thumbnail(size: MEDIUM)
  large: thumbnail(size: LARGE, expiresIn: 120) } } }"""


async def created(http: httpx.AsyncClient, token: str, data: bytes, name: str = "still.png",
                  mime: str = "image/png") -> str:
    """A new asset of the upload's kind (video, audio, text or image) holding `data`."""
    kind = next((k for k in ("video", "audio", "text") if mime.startswith(k)), "image")
    document = CREATE.replace('type: "image"', f'type: "{kind}"')
    response = await http.post(
        "/graphql", headers={"Authorization": f"Bearer {token}",
                             "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps({"query": document, "variables": {"file": None}}),
              "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, data, mime)})
    body = response.json()["data"]["createAsset"]
    assert body["errors"] == [], body
    return str(body["asset"]["id"])


def webp_size(data: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


async def test_each_size_is_a_webp_no_larger_than_asked_never_upscaled(
    http: httpx.AsyncClient, gql: GraphQLClient, workspace: WorkspaceTokens
) -> None:
    # given an 800 x 400 image
    data = png(size=(800, 400))
    sha = hashlib.sha256(data).hexdigest()
    asset = await created(http, workspace.editor, data)
    # when its three thumbnails are loaded, with no header
    file = (await gql(THUMBNAILS, {"id": asset}))["data"]["asset"]["file"]
    loaded = {size: await http.get(file[size]) for size in ("small", "medium", "large")}
    # then each is a WebP of the size's longest side (the large one as large as the image),
    # immutable, stored beside the content under a derived key, and no asset of its own
    assert {size: (r.status_code, r.headers["content-type"], webp_size(r.content))
            for size, r in loaded.items()} == {
        "small": (200, "image/webp", ("WEBP", (128, 64))),
        "medium": (200, "image/webp", ("WEBP", (512, 256))),
        "large": (200, "image/webp", ("WEBP", (800, 400)))}
    small = loaded["small"]
    assert (urlsplit(file["small"]).path, small.headers["cache-control"], small.headers["etag"],
            small.headers["x-content-type-options"]) == (
        f"/files/{sha}/thumbnails/small", "private, max-age=31536000, immutable",
        f'"{sha}-128"', "nosniff")
    assert sorted(p.name for p in (BLOBS / "derived" / sha[:2] / sha).iterdir()) == [
        "thumbnail-1024.webp", "thumbnail-128.webp", "thumbnail-512.webp"]
    listed = await gql("{ assets { totalCount } }")
    assert listed["data"]["assets"]["totalCount"] == 1


async def test_videos_audio_and_other_files_have_no_thumbnail(
    http: httpx.AsyncClient, gql: GraphQLClient, workspace: WorkspaceTokens
) -> None:
    # given a video, an audio file and a text file
    assets = [await created(http, workspace.editor, content, name, mime) for content, name, mime
              in ((b"\x00\x00\x00\x18ftypmp42", "clip.mp4", "video/mp4"),
                  (b"ID3\x03\x00", "line.mp3", "audio/mpeg"),
                  (b"INT. OFFICE - NIGHT", "scene.txt", "text/plain"))]
    # when their thumbnails are asked for, then there are none
    files = [(await gql(THUMBNAILS, {"id": a}))["data"]["asset"]["file"] for a in assets]
    assert files == [{"mimeType": mime, "small": None, "medium": None, "large": None}
                     for mime in ("video/mp4", "audio/mpeg", "text/plain")]


async def test_a_thumbnail_url_is_signed_for_its_size(
    http: httpx.AsyncClient, gql: GraphQLClient, workspace: WorkspaceTokens
) -> None:
    asset = await created(http, workspace.editor, png((5, 5, 5)))
    small = (await gql(THUMBNAILS, {"id": asset}))["data"]["asset"]["file"]["small"]
    # when the small URL is used for the large size, or an unknown one
    larger = await http.get(small.replace("/thumbnails/small", "/thumbnails/large"))
    unknown = await http.get(small.replace("/thumbnails/small", "/thumbnails/huge"))
    # then the first is refused, the second is no such thing
    assert [(r.status_code, r.json()) for r in (larger, unknown)] == [
        (403, {"error": "this URL's signature does not match it", "code": "SIGNATURE_INVALID"}),
        (404, {"error": "sizes are small, medium, large", "code": "NOT_FOUND"})]


class CountingStore(LocalBlobStore):
    """A directory store that counts the derived files written to it."""

    writes = 0

    async def put_derived(self, sha256: str, name: str, data: bytes, *, mime_type: str,
                          cache_control: str | None = None) -> None:
        self.writes += 1
        await super().put_derived(sha256, name, data, mime_type=mime_type,
                                  cache_control=cache_control)


async def test_concurrent_first_requests_make_one_thumbnail(tmp_path: Path) -> None:
    # given an image in a store, no thumbnail made yet
    store = CountingStore(tmp_path)
    pending = store.put_bytes(png(size=(300, 300)))
    await store.place(pending)
    thumbnails = Thumbnails(store, max_pixels=100_000_000)
    # when eight requests ask for the same thumbnail at once
    made = await asyncio.gather(*(thumbnails.ensure(pending.sha256, ThumbnailSize.SMALL)
                                  for _ in range(8)))
    # then all have it, and it was rendered and written once
    assert (made, store.writes) == ([True] * 8, 1)
    made_file = store.path(pending.sha256, ThumbnailSize.SMALL.file_name)
    assert webp_size(made_file.read_bytes()) == ("WEBP", (128, 128))


def test_an_image_past_the_pixel_limit_or_no_image_is_not_decoded(tmp_path: Path) -> None:
    # given a 64 x 48 image, a limit of 3000 pixels, and bytes that are no image
    image, garbage = tmp_path / "still.png", tmp_path / "garbage.png"
    image.write_bytes(png(size=(64, 48)))
    garbage.write_bytes(b"\x89PNG not really")
    # then neither gets a thumbnail; under a larger limit the image does
    assert (render(image, ThumbnailSize.SMALL, max_pixels=3000),
            render(garbage, ThumbnailSize.SMALL, max_pixels=10_000)) == (None, None)
    made = render(image, ThumbnailSize.SMALL, max_pixels=3072)
    assert made is not None and webp_size(made) == ("WEBP", (64, 48))

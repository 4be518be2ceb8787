"""Signed file URLs a browser loads without a header, and absolute download URLs (issue 11)."""

import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from domain.file_urls import FileUrlSigner
from tests.api.test_files import CREATE, png, upload
from tests.conftest import (
    FILE_URL_SECRET,
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)

FILE = """query ($id: ID!, $expires: Int!) { asset(id: $id) { file { sha256 downloadUrl
  url(expiresIn: $expires) } } }"""


async def uploaded(http: httpx.AsyncClient, token: str, data: bytes) -> str:
    body = (await upload(http, token, CREATE, data)).json()["data"]["createAsset"]
    assert body["errors"] == []
    return str(body["asset"]["id"])


async def test_a_signed_url_serves_the_file_with_no_header(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    data = png((7, 8, 9))
    sha = hashlib.sha256(data).hexdigest()
    async with http_client(db, dev_settings(file_url_secret=FILE_URL_SECRET)) as http:
        # given an uploaded image and its URL, signed for 10 minutes
        asset = await uploaded(http, workspace.editor, data)
        before = int(time.time())
        file = (await GraphQLClient(http, workspace.viewer)(
            FILE, {"id": asset, "expires": 600}))["data"]["asset"]["file"]
        # when it is loaded as an <img src> would: no Authorization header, whole and in part
        full = await http.get(file["url"])
        part = await http.get(file["url"], headers={"Range": "bytes=0-7"})
    # then it is absolute, names the workspace and an expiry 10 minutes on, and serves the
    # bytes with the download's headers, cached no longer than the signature lasts
    parts = urlsplit(file["url"])
    query = parse_qs(parts.query)
    expires = int(query["exp"][0])
    assert (file["downloadUrl"], f"{parts.scheme}://{parts.netloc}{parts.path}",
            query["ws"], expires - before in (600, 601)) == (
        f"http://test/files/{sha}", f"http://test/files/{sha}/signed", [str(workspace.id)],
        True)
    assert (full.status_code, full.content, full.headers["etag"], full.headers["content-type"],
            full.headers["x-content-type-options"], full.headers["content-security-policy"]) == (
        200, data, f'"{sha}"', "image/png", "nosniff", "sandbox")
    max_age = int(full.headers["cache-control"].removeprefix("private, max-age="))
    assert 0 < max_age <= expires - int(time.time()) + 1
    assert (part.status_code, part.content, part.headers["content-range"]) == (
        206, data[:8], f"bytes 0-7/{len(data)}")


async def test_expired_tampered_and_other_workspace_urls_are_refused(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens
) -> None:
    data = png((1, 1, 1))
    sha = hashlib.sha256(data).hexdigest()
    signer = FileUrlSigner(FILE_URL_SECRET.encode())
    async with http_client(db, dev_settings(file_url_secret=FILE_URL_SECRET)) as http:
        # given a file of workspace A and a fresh URL of it
        asset = await uploaded(http, workspace.editor, data)
        url = (await GraphQLClient(http, workspace.viewer)(
            FILE, {"id": asset, "expires": 60}))["data"]["asset"]["file"]["url"]
        query = parse_qs(urlsplit(url).query)
        signature, expires = query["sig"][0], int(query["exp"][0])
        path = f"/files/{sha}/signed"
        past = int(time.time()) - 1
        # when it is changed or out of date
        refused = {
            "expired": f"{path}?ws={workspace.id}&exp={past}"
                       f"&sig={signer.signature(workspace.id, sha, 'original', past)}",
            "tampered signature": url[:-1] + ("A" if url[-1] != "A" else "B"),
            "longer expiry": f"{path}?ws={workspace.id}&exp={expires + 3600}&sig={signature}",
            "other workspace": f"{path}?ws={other_workspace.id}&exp={expires}&sig={signature}",
            "no signature": f"{path}?ws={workspace.id}&exp={expires}",
        }
        answers = {name: await http.get(target) for name, target in refused.items()}
        # and a genuine signature for workspace B, which does not hold the file
        foreign = await http.get(
            f"{path}?ws={other_workspace.id}&exp={expires}"
            f"&sig={signer.signature(other_workspace.id, sha, 'original', expires)}")
    # then each is a 403 saying why, and never the file
    invalid = (403, {"error": "this URL's signature does not match it",
                     "code": "SIGNATURE_INVALID"})
    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "expired": (403, {"error": "this signed URL has expired: ask for a new one",
                          "code": "SIGNATURE_EXPIRED"}),
        "tampered signature": invalid, "longer expiry": invalid, "other workspace": invalid,
        "no signature": invalid}
    assert (foreign.status_code, foreign.json()) == (
        404, {"error": "no such file", "code": "NOT_FOUND"})


async def test_expires_in_is_bounded(gql: GraphQLClient, http: httpx.AsyncClient,
                                     workspace: WorkspaceTokens) -> None:
    asset = await uploaded(http, workspace.editor, png((2, 2, 2)))
    # when a URL is asked for too short and too long a time
    answers = [await gql(FILE, {"id": asset, "expires": expires}) for expires in (59, 604_801)]
    # then each is INVALID naming expiresIn, and no URL is made
    assert [(a["data"], [(e["message"], e["extensions"]["code"], e["extensions"]["field"])
                         for e in a["errors"]]) for a in answers] == [
        ({"asset": {"file": None}}, [(
            f"expiresIn must be between 60 and 604800 seconds, got {expires}", "INVALID",
            "expiresIn")]) for expires in (59, 604_801)]


async def test_urls_are_made_under_the_public_url_when_one_is_set(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    settings = dev_settings(public_url="https://studio.example/assetgraph/")
    async with http_client(db, settings) as http:
        # given a server that knows its public URL
        data = png((3, 3, 3))
        sha = hashlib.sha256(data).hexdigest()
        asset = await uploaded(http, workspace.editor, data)
        # when the file's URLs are asked for, through a request to another host name
        file = (await GraphQLClient(http, workspace.viewer)(
            FILE, {"id": asset, "expires": 60}))["data"]["asset"]["file"]
    # then both are under the public URL
    assert (file["downloadUrl"], file["url"].split("?")[0]) == (
        f"https://studio.example/assetgraph/files/{sha}",
        f"https://studio.example/assetgraph/files/{sha}/signed")

"""GET /files/{sha256}: a workspace's content, by hash, for its bearer token;
GET /files/{sha256}/signed: the same for anyone holding a signed URL (`domain.file_urls`), no
header needed, so that `<img src>` works; and GET /files/{sha256}/thumbnails/{size}: a signed
URL of an image's WebP thumbnail (`domain.thumbnails`), made on its first request.

Content never changes under a hash, so responses carry the hash as ETag and may be cached
for a year (a signed URL's response: only until the URL expires); Range requests are served
(video scrubbing, resumed downloads), from a local file or streamed from the bucket,
whichever the store is. A signed URL of content in a bucket redirects to the bucket's own
presigned URL, valid as long, so the bytes never pass through this service. A thumbnail
never changes for its content and size: cached for a year, whatever its URL's expiry.

Content is whatever a client uploaded, so it is never rendered as a page of this origin:
`nosniff`, `Content-Security-Policy: sandbox` on everything, and a type outside the allow-list
(`domain.storage.served_as`) goes out as an `application/octet-stream` attachment.
"""

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from api.auth import Authenticator
from domain.db import Database, transaction
from domain.file_urls import ORIGINAL, FileUrlSigner, SignatureProblem, thumbnail_variant
from domain.files import get_blob
from domain.records import BlobRecord
from domain.storage import BlobStore, served_as
from domain.thumbnails import WEBP, Thumbnails, ThumbnailSize, thumbnailable

SHA256 = re.compile(r"^[0-9a-f]{64}$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CACHE = "private, max-age=31536000, immutable"
SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
REFUSED = {SignatureProblem.EXPIRED: "this signed URL has expired: ask for a new one",
           SignatureProblem.INVALID: "this URL's signature does not match it"}


def safety_headers(mime_type: str | None) -> tuple[str, dict[str, str]]:
    """The type a file goes out as, and the headers that go with it."""
    media_type, attachment = served_as(mime_type)
    return media_type, {**SAFE, "Content-Disposition": "attachment"} if attachment else SAFE


def problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range `header` asks for as (start, end exclusive); None for the whole file
    (no header, or several ranges, which a server may answer whole). `ValueError` when no
    byte of the file is in it (416)."""
    found = RANGE.match((header or "").replace(" ", ""))
    if found is None:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start, end = max(size - int(last), 0), size
    else:
        start, end = int(first), min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        raise ValueError("unsatisfiable range")
    return start, end


async def serve(request: Request, store: BlobStore, sha256: str, derived: str | None, *,
                media_type: str, size: int, headers: Mapping[str, str]) -> Response:
    """The file, whole or the range asked for: a directory's through `FileResponse`, a
    bucket's streamed. `headers` (ETag, caching, safety) go on every answer."""
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=dict(headers))
    path = store.local_path(sha256, derived)
    if path is not None:
        return FileResponse(path, media_type=media_type, headers=dict(headers))
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except ValueError:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted or (0, size)
    out = {**headers, "Accept-Ranges": "bytes", "Content-Length": str(end - start)}
    status = 200
    if wanted is not None:
        status = 206
        out["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=out, media_type=media_type)
    return StreamingResponse(store.stream(sha256, derived, start=start, end=end),
                             status_code=status, headers=out, media_type=media_type)


def files_endpoint(store: BlobStore, authenticator: Authenticator
                   ) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        database: Database = request.state.database
        auth = await authenticator.authenticate(database, request.headers.get("authorization"))
        if auth.principal is None:
            return JSONResponse({"error": auth.problem, "code": "UNAUTHENTICATED"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        sha256 = request.path_params["sha256"]
        blob = None
        if SHA256.match(sha256):
            async with transaction(database, workspace_id=auth.principal.workspace_id,
                                   readonly=True) as tx:
                blob = await get_blob(tx, sha256)
        if blob is None or not await store.exists(sha256):
            return problem(404, "NOT_FOUND", "no such file")
        media_type, safety = safety_headers(blob.mime_type)
        return await serve(request, store, sha256, None, media_type=media_type, size=blob.size,
                           headers={"ETag": f'"{sha256}"', "Cache-Control": CACHE, **safety})

    return download


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _signed_blob(request: Request, store: BlobStore, sha256: str, variant: str,
                       now: float) -> tuple[BlobRecord, int]:
    """The blob a signed URL grants, and how many seconds it still does; `_Refusal` with the
    answer otherwise (403 for the signature, 404 for content the workspace does not hold)."""
    if not SHA256.match(sha256):
        raise _Refusal(problem(404, "NOT_FOUND", "no such file"))
    signer: FileUrlSigner = request.state.signer
    query = request.query_params
    checked = signer.check(sha256=sha256, variant=variant, workspace=query.get("ws"),
                           expires=query.get("exp"), signature=query.get("sig"), now=now)
    if isinstance(checked, SignatureProblem):
        raise _Refusal(problem(403, checked.value, REFUSED[checked]))
    async with transaction(request.state.database, workspace_id=checked, readonly=True) as tx:
        blob = await get_blob(tx, sha256)
    if blob is None or not await store.exists(sha256):
        raise _Refusal(problem(404, "NOT_FOUND", "no such file"))
    return blob, max(int(query["exp"]) - int(now), 1)


def _redirect(presigned: str, left: int) -> Response:
    return RedirectResponse(presigned, status_code=307, headers={
        "Cache-Control": f"private, max-age={left}", "Referrer-Policy": "no-referrer"})


def signed_endpoint(store: BlobStore) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        try:
            blob, left = await _signed_blob(request, store, sha256, ORIGINAL, time.time())
        except _Refusal as refusal:
            return refusal.response
        presigned = await store.signed_url(sha256, expires_in=timedelta(seconds=left))
        if presigned is not None:
            return _redirect(presigned, left)
        media_type, safety = safety_headers(blob.mime_type)
        cache = f"private, max-age={left}"  # never past the signature
        return await serve(request, store, sha256, None, media_type=media_type, size=blob.size,
                           headers={"ETag": f'"{sha256}"', "Cache-Control": cache, **safety})

    return download


def thumbnail_endpoint(thumbnails: Thumbnails) -> Callable[[Request], Awaitable[Response]]:
    store = thumbnails.store
    sizes = {size.name.lower(): size for size in ThumbnailSize}

    async def download(request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        size = sizes.get(request.path_params["size"])
        if size is None:
            return problem(404, "NOT_FOUND", f"sizes are {', '.join(sizes)}")
        try:
            blob, left = await _signed_blob(request, store, sha256, thumbnail_variant(size),
                                            time.time())
        except _Refusal as refusal:
            return refusal.response
        if not thumbnailable(blob.mime_type) or not await thumbnails.ensure(sha256, size):
            return problem(404, "NO_THUMBNAIL", "this file is no image a thumbnail can be "
                                                "made of")
        presigned = await store.signed_url(sha256, size.file_name,
                                           expires_in=timedelta(seconds=left))
        if presigned is not None:
            return _redirect(presigned, left)
        path = store.local_path(sha256, size.file_name)
        assert path is not None  # a store without presigned URLs is a directory
        return await serve(request, store, sha256, size.file_name, media_type=WEBP,
                           size=path.stat().st_size,
                           headers={"ETag": f'"{sha256}-{size.value}"', "Cache-Control": CACHE,
                                    **SAFE})

    return download

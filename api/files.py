"""GET /files/{sha256}: a workspace's content, by hash, for its bearer token; and
GET /files/{sha256}/signed: the same for anyone holding a signed URL (`domain.file_urls`), no
header needed, so that `<img src>` works.

Content never changes under a hash, so responses carry the hash as ETag and may be cached
for a year (a signed URL's response: only until the URL expires); Range requests are served
(video scrubbing, resumed downloads), from a local file or streamed from the bucket,
whichever the store is. A signed URL of content in a bucket redirects to the bucket's own
presigned URL, valid as long, so the bytes never pass through this service.

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
from domain.file_urls import ORIGINAL, FileUrlSigner, SignatureProblem
from domain.files import get_blob
from domain.storage import BlobStore, served_as

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


def signed_endpoint(store: BlobStore) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        now = time.time()
        sha256 = request.path_params["sha256"]
        if not SHA256.match(sha256):
            return problem(404, "NOT_FOUND", "no such file")
        signer: FileUrlSigner = request.state.signer
        query = request.query_params
        checked = signer.check(sha256=sha256, variant=ORIGINAL, workspace=query.get("ws"),
                               expires=query.get("exp"), signature=query.get("sig"), now=now)
        if isinstance(checked, SignatureProblem):
            return problem(403, checked.value, REFUSED[checked])
        async with transaction(request.state.database, workspace_id=checked,
                               readonly=True) as tx:
            blob = await get_blob(tx, sha256)
        if blob is None or not await store.exists(sha256):
            return problem(404, "NOT_FOUND", "no such file")
        left = max(int(query["exp"]) - int(now), 1)
        cache = f"private, max-age={left}"  # never past the signature
        presigned = await store.signed_url(sha256, expires_in=timedelta(seconds=left))
        if presigned is not None:
            return RedirectResponse(presigned, status_code=307, headers={
                "Cache-Control": cache, "Referrer-Policy": "no-referrer"})
        media_type, safety = safety_headers(blob.mime_type)
        return await serve(request, store, sha256, None, media_type=media_type, size=blob.size,
                           headers={"ETag": f'"{sha256}"', "Cache-Control": cache, **safety})

    return download

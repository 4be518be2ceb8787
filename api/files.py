"""GET /files/{sha256}: a workspace's content, by hash, for its bearer token.

Content never changes under a hash, so responses carry the hash as ETag and may be cached
for a year; Range requests are served (video scrubbing, resumed downloads).

Content is whatever a client uploaded, so it is never rendered as a page of this origin:
`nosniff`, `Content-Security-Policy: sandbox` on everything, and a type outside the allow-list
(images, audio, video, PDF, plain text, JSON) goes out as an `application/octet-stream`
attachment.
"""

import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from api.auth import Authenticator
from domain.db import Database, transaction
from domain.files import get_blob
from domain.storage import BlobStore

SHA256 = re.compile(r"^[0-9a-f]{64}$")
CACHE = "private, max-age=31536000, immutable"
SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
SHOWN_TYPES = ("image/", "audio/", "video/")
SHOWN_EXACT = {"application/pdf", "text/plain", "application/json"}


def served_as(mime_type: str | None) -> tuple[str, dict[str, str]]:
    """The type a file goes out as, and the headers that go with it."""
    declared = (mime_type or "").split(";")[0].strip().lower()
    if declared in SHOWN_EXACT or (declared.startswith(SHOWN_TYPES)
                                   and declared != "image/svg+xml"):
        return declared, SAFE
    return "application/octet-stream", {**SAFE, "Content-Disposition": "attachment"}


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
        if blob is None or not store.exists(sha256):
            return JSONResponse({"error": "no such file", "code": "NOT_FOUND"}, status_code=404)
        etag = f'"{sha256}"'
        media_type, safety = served_as(blob.mime_type)
        headers = {"ETag": etag, "Cache-Control": CACHE, **safety}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return FileResponse(store.path(sha256), media_type=media_type, headers=headers)

    return download

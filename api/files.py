"""GET /files/{sha256}: a workspace's content, by hash, for its bearer token.

Content never changes under a hash, so responses carry the hash as ETag and may be cached
for a year; Range requests are served (video scrubbing, resumed downloads).
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
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE})
        return FileResponse(store.path(sha256), media_type=blob.mime_type,
                            headers={"ETag": etag, "Cache-Control": CACHE})

    return download

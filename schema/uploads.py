"""Streaming an uploaded file into the blob store: one chunk in memory at a time."""

from collections.abc import AsyncIterator
from typing import Any

from domain.errors import DomainError, ErrorCode
from domain.storage import CHUNK, BlobTooLarge, PendingBlob
from schema.context import Info


async def store_upload(info: Info, upload: Any) -> tuple[PendingBlob, str | None]:
    """`upload` is the multipart part (Starlette's UploadFile); returns the pending blob (put
    in place with its row by `attach_file`) and the MIME type the client declared."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await upload.read(CHUNK):
            yield chunk

    limit = info.context.limits.max_upload_bytes
    try:
        blob = await info.context.store.put_stream(chunks(), max_bytes=limit)
    except BlobTooLarge:
        raise DomainError.of(ErrorCode.INVALID, f"the file is larger than {limit} bytes",
                             "file") from None
    return blob, getattr(upload, "content_type", None)

"""An S3-compatible bucket as the blob store, through obstore (async, streaming both ways).

Keys under the bucket's prefix mirror the directory store: `<sha256[:2]>/<sha256[2:4]>/<sha256>`
for content, `derived/<sha256[:2]>/<sha256>/<name>` for files derived from it. Content is
staged in a local temporary file while it is hashed (the address is known only at the end)
and uploaded under its address when its row is recorded (`domain.files.keep_blob`, under the
hash's lock): a HEAD first, so the same bytes are uploaded once. obstore uploads a large file
in parts and an S3 PUT is atomic, so no reader sees half an object.

Content is shared by workspaces and served from the bucket's own origin through presigned
URLs, so each object carries the type it may be shown as (`domain.storage.served_as`) and
`Cache-Control: private, no-cache` (a browser revalidates instead of keeping it past its
URL's expiry); derived files, which never change, carry what their caller gives.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import obstore
from obstore.store import S3Store

from domain.storage import CHUNK, DERIVED, PendingBlob, Staging, StoredFile, served_as

if TYPE_CHECKING:
    from obstore import Attributes, GetOptions

CONTENT_CACHE = "private, no-cache"


class S3BlobStore:
    def __init__(self, bucket: S3Store, *, staging: Path) -> None:
        self.bucket = bucket
        self._staging = Staging(staging)

    @classmethod
    def from_url(cls, url: str, *, staging: Path, endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None) -> "S3BlobStore":
        """`s3://bucket/prefix`; what is not given here comes from the usual `AWS_*`
        variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
        `AWS_ENDPOINT_URL`, ...). An `http://` endpoint (MinIO, moto) is allowed."""
        given: dict[str, Any] = {"endpoint": endpoint_url, "region": region,
                                 "access_key_id": access_key_id,
                                 "secret_access_key": secret_access_key}
        config = {key: value for key, value in given.items() if value}
        bucket = S3Store.from_url(url, client_options={"allow_http": True}, **config)
        return cls(bucket, staging=staging)

    @staticmethod
    def key(sha256: str, derived: str | None = None) -> str:
        if derived is not None:
            return f"{DERIVED}/{sha256[:2]}/{sha256}/{derived}"
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put_bytes(self, data: bytes) -> PendingBlob:
        return self._staging.put_bytes(data)

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> PendingBlob:
        return await self._staging.put_stream(chunks, max_bytes=max_bytes)

    def discard(self, pending: PendingBlob) -> None:
        self._staging.discard(pending)

    async def place(self, pending: PendingBlob, *, mime_type: str | None = None) -> None:
        try:
            if not await self.exists(pending.sha256):
                media_type, attachment = served_as(mime_type)
                attributes: Attributes = {"Content-Type": media_type,
                                          "Cache-Control": CONTENT_CACHE}
                if attachment:
                    attributes["Content-Disposition"] = "attachment"
                await obstore.put_async(self.bucket, self.key(pending.sha256), pending.path,
                                        attributes=attributes, chunk_size=8 * CHUNK)
        finally:
            self._staging.discard(pending)

    async def put_derived(self, sha256: str, name: str, data: bytes, *, mime_type: str,
                          cache_control: str | None = None) -> None:
        attributes: Attributes = {"Content-Type": mime_type}
        if cache_control is not None:
            attributes["Cache-Control"] = cache_control
        await obstore.put_async(self.bucket, self.key(sha256, name), data,
                                attributes=attributes, use_multipart=False)

    async def exists(self, sha256: str, derived: str | None = None) -> bool:
        try:
            await obstore.head_async(self.bucket, self.key(sha256, derived))
        except FileNotFoundError:
            return False
        return True

    async def read(self, sha256: str) -> bytes:
        result = await obstore.get_async(self.bucket, self.key(sha256))
        return bytes(await result.bytes_async())

    def local_path(self, sha256: str, derived: str | None = None) -> Path | None:
        return None

    async def stream(self, sha256: str, derived: str | None = None, *, start: int = 0,
                     end: int | None = None) -> AsyncIterator[bytes]:
        options: GetOptions = {}
        if end is not None:
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        result = await obstore.get_async(self.bucket, self.key(sha256, derived),
                                         options=options)
        async for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    async def signed_url(self, sha256: str, derived: str | None = None, *,
                         expires_in: timedelta) -> str | None:
        return await obstore.sign_async(self.bucket, "GET", self.key(sha256, derived),
                                        expires_in)

    async def delete(self, sha256: str) -> bool:
        existed = await self.exists(sha256)
        keys = [self.key(sha256)]
        async for chunk in obstore.list(self.bucket, prefix=self.key(sha256, "")):
            keys.extend(meta["path"] for meta in chunk)
        await obstore.delete_async(self.bucket, keys)
        return existed

    async def stored(self) -> AsyncIterator[StoredFile]:
        async for chunk in obstore.list(self.bucket):
            for meta in chunk:
                parts = meta["path"].split("/")
                sha256 = parts[2] if parts[0] == DERIVED and len(parts) == 4 else parts[-1]
                if len(sha256) == 64 and len(parts) in (3, 4):
                    yield StoredFile(sha256, meta["last_modified"].timestamp())

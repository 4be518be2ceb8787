"""Thumbnails of image content: WebP, the longest side at most the size's, never upscaled.

Made once per content and size, on the first request for one, and kept in the blob store
under a derived key (`domain.storage`), never as a blob row of their own: they go when their
content goes. Only images get them (`thumbnailable`); video, audio and other files none.

Concurrent first requests in one process wait on one lock per (content, size), so one of them
renders and the others find its file; across processes the store's write is atomic (a rename,
an S3 PUT), so a second renderer only repeats the work, never corrupts the file. An image is
decoded only when its header declares at most `max_pixels` (ASSETGRAPH_MAX_IMAGE_PIXELS, the
uploads' limit), and JPEGs are decoded at the smallest scale that still covers the size.
"""

import asyncio
import io
import tempfile
import warnings
from enum import Enum
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from domain.storage import BlobStore
from domain.uploads import IMAGE_MIME

WEBP = "image/webp"
CACHE = "private, max-age=31536000, immutable"  # a thumbnail never changes


class ThumbnailSize(Enum):
    SMALL = 128
    MEDIUM = 512
    LARGE = 1024

    @property
    def file_name(self) -> str:
        """Its derived file's name: by pixels, so another mapping of sizes makes new files."""
        return f"thumbnail-{self.value}.webp"


def thumbnailable(mime_type: str | None) -> bool:
    """Whether content of this type gets thumbnails: the image formats uploads recognise
    (their type comes from their content, never from what a client declared)."""
    return mime_type in IMAGE_MIME.values()


def render(source: Path, size: ThumbnailSize, *, max_pixels: int) -> bytes | None:
    """The WebP thumbnail of an image file; None when it is no image Pillow can decode, or
    declares more than `max_pixels` pixels."""
    box = (size.value, size.value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                if image.width * image.height > max_pixels:
                    return None
                image.draft("RGB", box)
                shown = ImageOps.exif_transpose(image)
                shown.thumbnail(box)  # keeps the aspect ratio, never enlarges
                alpha = shown.mode in ("RGBA", "LA", "PA") or "transparency" in shown.info
                shown = shown.convert("RGBA" if alpha else "RGB")
                out = io.BytesIO()
                shown.save(out, format="WEBP", quality=80, method=4)
                return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


class Thumbnails:
    """The thumbnails of one store, made on demand."""

    def __init__(self, store: BlobStore, *, max_pixels: int) -> None:
        self.store = store
        self.max_pixels = max_pixels
        self._locks: dict[tuple[str, ThumbnailSize], tuple[asyncio.Lock, int]] = {}

    async def ensure(self, sha256: str, size: ThumbnailSize) -> bool:
        """Whether the thumbnail is in the store, made now if it was not; False when the
        content cannot have one."""
        if await self.store.exists(sha256, size.file_name):
            return True
        key = (sha256, size)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                if await self.store.exists(sha256, size.file_name):
                    return True
                data = await self._render(sha256, size)
                if data is None:
                    return False
                await self.store.put_derived(sha256, size.file_name, data, mime_type=WEBP,
                                             cache_control=CACHE)
                return True
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _render(self, sha256: str, size: ThumbnailSize) -> bytes | None:
        path = self.store.local_path(sha256)
        if path is not None:
            return await asyncio.to_thread(render, path, size, max_pixels=self.max_pixels)
        # A bucket's content is copied to a local file first: Pillow reads only what it needs.
        with tempfile.TemporaryDirectory(prefix="assetgraph-thumbnail-") as directory:
            copy = Path(directory) / sha256
            with copy.open("wb") as out:
                async for chunk in self.store.stream(sha256):
                    out.write(chunk)
            return await asyncio.to_thread(render, copy, size, max_pixels=self.max_pixels)

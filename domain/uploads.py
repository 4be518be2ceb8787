"""Attaching stored content to an asset: the blob row, the file fields, image facts.

The bytes are already on disk (`domain.storage`); this records them in the workspace and
points the asset at them, in the caller's transaction.
"""

import warnings
from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image, UnidentifiedImageError

from domain.assets.queries import get_assets
from domain.assets.use_cases import update_asset
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode
from domain.files import keep_blob
from domain.records import AssetRecord
from domain.storage import BlobStore, PendingBlob

IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
              "bmp": "image/bmp", "tiff": "image/tiff"}


IMAGE_FACTS = ("width", "height", "format")


def image_facts_of(path: Path, *, max_pixels: int) -> dict[str, Any]:
    """Width, height and format when the file is an image Pillow knows (it reads the header
    only); `DomainError` INVALID for an image of more than `max_pixels` pixels, which nothing
    here will decode (a small file can declare a huge image)."""
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own 89.5 MP; `max_pixels` is the limit here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height, kind = image.width, image.height, (image.format or "").lower()
    except Image.DecompressionBombError:
        raise _too_large(max_pixels) from None  # past twice Pillow's own limit
    except (UnidentifiedImageError, OSError):
        return {}
    if width * height > max_pixels:
        raise _too_large(max_pixels)
    return {"width": width, "height": height, "format": kind}


def _too_large(max_pixels: int) -> DomainError:
    return DomainError.of(ErrorCode.INVALID,
                          f"the image has more than {max_pixels:,} pixels", "file")


async def attach_file(tx: Transaction, store: BlobStore, asset_id: UUID, blob: PendingBlob,
                      mime_type: str | None, *, max_pixels: int,
                      reason: str | None = None) -> AssetRecord:
    """Set the asset's file; images get width, height and format in their metadata.

    What the content is decides, not what the client declared: an image's type comes from its
    format, and content that is no image is never typed `image/*` and clears the image facts a
    previous file left."""
    facts = image_facts_of(blob.path, max_pixels=max_pixels)
    declared = mime_type or "application/octet-stream"
    if facts:
        mime = IMAGE_MIME.get(facts["format"], declared)
    else:
        mime = "application/octet-stream" if declared.startswith("image/") else declared
    await keep_blob(tx, store, blob, mime)
    changes: dict[str, Any] = {"blob_sha256": blob.sha256, "mime_type": mime, "size": blob.size}
    asset = (await get_assets(tx, [asset_id])).get(asset_id)
    if asset is not None and asset.type in ("image", "video"):
        kept = {k: v for k, v in asset.metadata.items() if k not in IMAGE_FACTS}
        if {**kept, **facts} != asset.metadata:
            changes["metadata"] = {**kept, **facts}
    return await update_asset(tx, asset_id, changes, reason=reason)

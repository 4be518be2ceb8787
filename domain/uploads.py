"""Attaching stored content to an asset: the blob row, the file fields, image facts.

The bytes are already on disk (`domain.storage`); this records them in the workspace and
points the asset at them, in the caller's transaction.
"""

from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image, UnidentifiedImageError

from domain.assets.queries import get_assets
from domain.assets.use_cases import update_asset
from domain.db import Transaction
from domain.files import keep_blob
from domain.records import AssetRecord
from domain.storage import BlobStore, PendingBlob

IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
              "bmp": "image/bmp", "tiff": "image/tiff"}


def image_facts_of(path: Path) -> dict[str, Any]:
    """Width, height and format when the file is an image Pillow knows (it reads the header)."""
    try:
        with Image.open(path) as image:
            return {"width": image.width, "height": image.height,
                    "format": (image.format or "").lower()}
    except (UnidentifiedImageError, OSError):
        return {}


async def attach_file(tx: Transaction, store: BlobStore, asset_id: UUID, blob: PendingBlob,
                      mime_type: str | None, *, reason: str | None = None) -> AssetRecord:
    """Set the asset's file; images get width, height and format in their metadata."""
    facts = image_facts_of(blob.path)
    mime = IMAGE_MIME.get(facts.get("format", ""), mime_type or "application/octet-stream")
    await keep_blob(tx, store, blob, mime)
    changes: dict[str, Any] = {"blob_sha256": blob.sha256, "mime_type": mime, "size": blob.size}
    if facts:
        asset = (await get_assets(tx, [asset_id])).get(asset_id)
        if asset is not None and asset.type in ("image", "video"):
            changes["metadata"] = {**asset.metadata, **facts}
    return await update_asset(tx, asset_id, changes, reason=reason)

"""Thumbnails of image content: WebP, the longest side at most the size's, never upscaled.

Made once per content and size, on the first request for one, and kept in the blob store
under a derived key (`domain.storage`), never as a blob row of their own: they go when their
content goes. Only images get them (`thumbnailable`); video, audio and other files none.
"""

from enum import Enum

from domain.uploads import IMAGE_MIME

WEBP = "image/webp"


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

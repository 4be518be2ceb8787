"""Links to stored content: absolute download URLs, and signed URLs that a browser loads
without any header (`<img src>`).

A signed URL names a workspace, a content, a variant (the content itself, or a thumbnail
size) and an expiry (Unix seconds), and carries a base64url HMAC-SHA256 of exactly those under
the server's secret (`ASSETGRAPH_FILE_URL_SECRET`):

    <base>/files/<sha256>/signed?ws=<workspace id>&exp=<expiry>&sig=<signature>
    <base>/files/<sha256>/thumbnails/<small|medium|large>?ws=…&exp=…&sig=…

Changing any part (another workspace, content, size or expiry) breaks the signature, so a URL
grants what it says until its expiry and nothing else. Each part is fixed-form (a UUID, 64
hex digits, a name, digits), so joining them with newlines is unambiguous.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlencode
from uuid import UUID

from domain.thumbnails import ThumbnailSize

EXPIRES_IN_MIN = 60
EXPIRES_IN_MAX = 7 * 24 * 3600
ORIGINAL = "original"
SIGNED_PATH = "/files/{sha256}/signed"
THUMBNAIL_PATH = "/files/{sha256}/thumbnails/{size}"


class SignatureProblem(Enum):
    """Why a signed URL is refused (the code of its 403)."""

    EXPIRED = "SIGNATURE_EXPIRED"
    INVALID = "SIGNATURE_INVALID"


def thumbnail_variant(size: ThumbnailSize) -> str:
    return f"thumbnail-{size.name.lower()}"


@dataclass(frozen=True)
class FileUrlSigner:
    secret: bytes

    def signature(self, workspace_id: UUID, sha256: str, variant: str, expires: int) -> str:
        message = f"assetgraph-file-url-v1\n{workspace_id}\n{sha256}\n{variant}\n{expires}"
        digest = hmac.new(self.secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def check(self, *, sha256: str, variant: str, workspace: str | None, expires: str | None,
              signature: str | None, now: float) -> UUID | SignatureProblem:
        """The workspace a URL's parameters grant `variant` of `sha256` to, or why not. A
        signature is checked before its expiry: a forged one is INVALID whatever its date."""
        try:
            workspace_id = UUID(workspace or "")
        except ValueError:
            return SignatureProblem.INVALID
        if not expires or not expires.isdigit() or len(expires) > 12 or not signature:
            return SignatureProblem.INVALID
        expected = self.signature(workspace_id, sha256, variant, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return SignatureProblem.INVALID
        if int(expires) <= now:
            return SignatureProblem.EXPIRED
        return workspace_id


@dataclass(frozen=True)
class FileLinks:
    """The links a request hands out: under its base URL, signed for its workspace."""

    base_url: str  # scheme, host and any path prefix, without a trailing slash
    workspace_id: UUID
    signer: FileUrlSigner

    @property
    def download_prefix(self) -> str:
        """What a content's download URL is, before its hash."""
        return f"{self.base_url}/files/"

    def download(self, sha256: str) -> str:
        return self.download_prefix + sha256

    def signed(self, sha256: str, *, expires_in: int, now: float) -> str:
        return self._signed(SIGNED_PATH.format(sha256=sha256), sha256, ORIGINAL,
                            expires_in=expires_in, now=now)

    def thumbnail(self, sha256: str, size: ThumbnailSize, *, expires_in: int, now: float
                  ) -> str:
        path = THUMBNAIL_PATH.format(sha256=sha256, size=size.name.lower())
        return self._signed(path, sha256, thumbnail_variant(size), expires_in=expires_in,
                            now=now)

    def _signed(self, path: str, sha256: str, variant: str, *, expires_in: int, now: float
                ) -> str:
        expires = int(now) + expires_in
        query = urlencode({"ws": str(self.workspace_id), "exp": expires,
                           "sig": self.signer.signature(self.workspace_id, sha256, variant,
                                                        expires)})
        return f"{self.base_url}{path}?{query}"

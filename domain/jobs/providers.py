"""Image providers behind one interface: placeholder, thumbnail, http.

A provider turns an `ImageRequest` into image bytes. It raises `TransientProviderError` for
what may pass on a retry (HTTP 429, 5xx, timeouts, connection errors) and
`PermanentProviderError` for what will not (other 4xx, bad input).
"""

import asyncio
import base64
import hashlib
import io
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import httpx
from PIL import Image, ImageDraw, UnidentifiedImageError


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    width: int
    height: int
    params: dict[str, Any] = field(default_factory=dict)
    reference_image_url: str | None = None
    source_image: bytes | None = None


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime_type: str
    cost: Decimal
    metadata: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    code = "PROVIDER_ERROR"


class TransientProviderError(ProviderError):
    code = "PROVIDER_UNAVAILABLE"


class PermanentProviderError(ProviderError):
    code = "PROVIDER_REJECTED"


class Provider(Protocol):
    name: str

    async def generate(self, request: ImageRequest) -> GeneratedImage: ...


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


class PlaceholderProvider:
    """A deterministic image drawn from the prompt with Pillow: a stand-in for a model."""

    name = "placeholder"

    def __init__(self, cost: Decimal = Decimal("0.01")) -> None:
        self.cost = cost

    def _render(self, request: ImageRequest) -> bytes:
        seed = request.params.get("seed")
        seeded = "" if seed is None else f"|{seed}"
        digest = hashlib.sha256(
            f"{request.prompt}|{request.width}x{request.height}{seeded}".encode())
        top, bottom = digest.digest()[:3], digest.digest()[3:6]
        image = Image.new("RGB", (request.width, request.height))
        draw = ImageDraw.Draw(image)
        for y in range(request.height):
            t = y / max(1, request.height - 1)
            draw.line([(0, y), (request.width, y)],
                      fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
        lines = textwrap.wrap(request.prompt, width=max(10, request.width // 9))[:12]
        draw.multiline_text((16, 16), "\n".join(lines or ["(no prompt)"]), fill=(255, 255, 255))
        return _png(image)

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        data = await asyncio.to_thread(self._render, request)
        return GeneratedImage(data, "image/png", self.cost, {"placeholder": True})


class ThumbnailProvider:
    """A real resized derivative of the target's own image."""

    name = "thumbnail"

    def __init__(self, max_side: int = 256) -> None:
        self.max_side = max_side

    def _resize(self, source: bytes, max_side: int) -> bytes:
        try:
            image = Image.open(io.BytesIO(source))
            image.load()
        except (UnidentifiedImageError, OSError) as error:
            raise PermanentProviderError(f"the asset's file is not an image: {error}") from None
        image.thumbnail((max_side, max_side))
        return _png(image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"))

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        if request.source_image is None:
            raise PermanentProviderError("the asset has no image file to make a thumbnail of")
        max_side = int(request.params.get("max_side", self.max_side))
        data = await asyncio.to_thread(self._resize, request.source_image, max_side)
        return GeneratedImage(data, "image/png", Decimal(0), {"thumbnail_of_size": max_side})


class HttpProvider:
    """POSTs the request to an external image generator.

    Accepts image bytes, or JSON `{image_base64 | image_url, cost}`.
    """

    name = "http"

    def __init__(self, url: str, *, auth_header: str | None = None, timeout: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self.headers = {}
        if auth_header:
            key, _, value = auth_header.partition(":")
            self.headers[key.strip()] = value.strip()
        self.timeout = timeout
        self.transport = transport

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        body = {"prompt": request.prompt, "width": request.width, "height": request.height,
                "reference_image_url": request.reference_image_url, "params": request.params}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.post(self.url, json=body, headers=self.headers)
                _raise_for(response)
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                if content_type.startswith("image/"):
                    return GeneratedImage(response.content, content_type, Decimal(0))
                payload = response.json()
                cost = Decimal(str(payload.get("cost", 0)))
                if payload.get("image_base64"):
                    data = base64.b64decode(payload["image_base64"], validate=True)
                    return GeneratedImage(data, payload.get("mime_type", "image/png"), cost)
                if payload.get("image_url"):
                    image = await http.get(payload["image_url"])
                    _raise_for(image)
                    mime = image.headers.get("content-type", "image/png").split(";")[0]
                    return GeneratedImage(image.content, mime, cost)
        except httpx.TimeoutException as error:
            raise TransientProviderError(f"image provider timed out: {error}") from None
        except httpx.TransportError as error:
            raise TransientProviderError(f"image provider unreachable: {error}") from None
        except (ValueError, KeyError) as error:
            raise PermanentProviderError(f"image provider answered nonsense: {error}") from None
        raise PermanentProviderError("image provider answered neither an image nor image_* JSON")


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientProviderError(f"image provider answered {status}")
    if status >= 400:
        raise PermanentProviderError(f"image provider answered {status}: {response.text[:200]}")

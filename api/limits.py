"""Request body limit (DESIGN §10): a larger body is refused with 413 before it is parsed."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observe import error_extensions


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """`max_bytes` for requests; `max_upload_bytes` (plus room for the form's other parts)
    for multipart uploads, which stream to disk rather than into memory."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.max_bytes
        if headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            limit = self.max_upload_bytes + self.max_bytes
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {"errors": [{"message": f"request body is larger than {limit} bytes",
                         "extensions": error_extensions("PAYLOAD_TOO_LARGE")}]}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

"""A lean WebSocket client for bench/subscribers.py: one `asyncio.Protocol` per connection,
handshake, masking and framing by hand (RFC 6455), graphql-transport-ws, and per frame only
the boundaries and, in a `next`, the event's number; no task and no JSON decoding per
message, so that thousands of connections cost this process little."""

import asyncio
import base64
import hashlib
import json
import os
import time
from typing import Any, cast

SUBSCRIBE = {"id": "1", "type": "subscribe", "payload": {
    "query": 'subscription { events(filter: {topics: ["asset.created"]}) { id topic payload } }'}}
MARK = b"bench-"  # the event's name: MARK and 8 digits
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's handshake constant


def client_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A final, masked client frame (RFC 6455 §5.2) of less than 64 KiB."""
    size = len(payload)
    length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2)
    mask = os.urandom(4)
    key = int.from_bytes((mask * (size // 4 + 1))[:size])
    return bytes([0x80 | opcode]) + length + mask + (int.from_bytes(payload) ^ key).to_bytes(size)


class Round:
    """The numbered event the measured subscribers wait for, and how many still do."""

    def __init__(self) -> None:
        self.seq = -1
        self.waiting = 0
        self.done = asyncio.Event()

    def expect(self, seq: int, count: int) -> None:
        self.seq, self.waiting = seq, count
        self.done.clear()

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.done.set()


class Subscriber(asyncio.Protocol):
    """One connection holding the subscription. Per frame it only finds the boundaries and,
    in a `next`, the event's number: `seq` and `arrived_at` are those of the latest."""

    transport: asyncio.Transport

    def __init__(self, host: str, token: str, round_: Round) -> None:
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.request = (f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode()
        self.token = token
        self.round = round_
        self.buffer = bytearray()
        self.upgraded = self.acked = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.seq = -1
        self.arrived_at = 0.0
        self.refusal: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self._refuse(f"connection lost ({exc})")

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()  # one read: every frame in it arrived now
        self.buffer += data
        if self.upgraded or self._upgrade():
            self._frames(now)

    def send(self, message: dict[str, Any]) -> None:
        self.transport.write(client_frame(json.dumps(message).encode()))

    def _upgrade(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        status, *lines = self.buffer[:end].decode("latin-1").split("\r\n")
        del self.buffer[:end + 4]
        headers = {name.strip().lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in lines)}
        accept = base64.b64encode(hashlib.sha1((self.key + GUID).encode()).digest()).decode()
        if " 101 " not in status or headers.get("sec-websocket-accept") != accept \
                or headers.get("sec-websocket-protocol") != "graphql-transport-ws":
            self._refuse(f"upgrade refused: {status}")
            self.transport.abort()
            return False
        self.upgraded = True
        self.send({"type": "connection_init",
                   "payload": {"Authorization": f"Bearer {self.token}"}})
        return True

    def _frames(self, now: float) -> None:
        buffer, pos, end = self.buffer, 0, len(self.buffer)
        while end - pos >= 2:
            size, start = buffer[pos + 1] & 0x7F, pos + 2
            if size >= 126:
                start += 2 if size == 126 else 8
                if start > end:
                    break
                size = int.from_bytes(buffer[pos + 2:start])
            stop = start + size
            if stop > end:
                break
            mark = buffer.find(MARK, start, stop) if self.acked else -1
            if mark >= 0 and buffer[pos] & 0x0F == 0x1:
                self.seq, self.arrived_at = int(buffer[mark + 6:mark + 14]), now
                if self.seq == self.round.seq:
                    self.round.arrived()
            else:
                self._control(buffer[pos] & 0x0F, bytes(buffer[start:stop]))
            pos = stop
        del buffer[:pos]

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x9:
            self.transport.write(client_frame(payload, 0xA))
        elif opcode == 0x8:
            reason = payload[2:].decode("utf-8", "replace")
            self._refuse(f"closed by the server: {int.from_bytes(payload[:2])} {reason}")
        elif opcode == 0x1:
            self._message(json.loads(payload))

    def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            self.acked = True
            self.send(SUBSCRIBE)
            self.ready.set_result(None)
        elif kind == "ping":
            self.send({"type": "pong"})
        elif kind in ("error", "complete") and message.get("id") == "1":
            self._refuse(f"subscription ended: {message}")

    def _refuse(self, reason: str) -> None:
        self.refusal = self.refusal or reason
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(reason))

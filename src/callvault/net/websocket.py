"""WebSocket framing (RFC 6455 section 5), one direction of a connection at a time.

Messages are reassembled from their frames; control frames (close, ping, pong), which may come
between the fragments of a message, are dropped. permessage-deflate (RFC 7692) is undone.
"""

from __future__ import annotations

import zlib

from callvault.net import reasons
from callvault.net.datagram import NetCounters

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
FLAG_FIN = 0x80
FLAG_RSV1 = 0x40  # "compressed" under permessage-deflate
FLAG_MASK = 0x80
MAX_MESSAGE = 1 << 20
"""A SIP message is a few KiB; anything near this is not signalling."""
_DEFLATE_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 section 7.2.2: removed by the sender


class WebSocketReader:
    """Feed it a direction's in-order bytes; it returns the complete messages."""

    def __init__(self, counters: NetCounters) -> None:
        self._counters = counters
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self._size = 0
        self._compressed = False
        self._inflater: zlib._Decompress | None = None

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return messages
            message = self._add(*frame)
            if message is not None:
                messages.append(message)

    def reset(self) -> None:
        """Bytes were lost: drop the partial frame and message (counted if any)."""
        if self._buffer or self._parts:
            self._counters.skip(reasons.WEBSOCKET_LOST)
        self._buffer.clear()
        self._parts.clear()
        self._size = 0

    def _next_frame(self) -> tuple[int, int, bytes] | None:
        """(first byte, opcode, unmasked payload) of the next whole frame, if buffered."""
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        size, pos = second & 0x7F, 2
        if size == 126:
            if len(buffer) < 4:
                return None
            size, pos = int.from_bytes(buffer[2:4]), 4
        elif size == 127:
            if len(buffer) < 10:
                return None
            size, pos = int.from_bytes(buffer[2:10]), 10
        if size > MAX_MESSAGE:
            self._counters.skip(reasons.WEBSOCKET_TOO_LARGE)
            self._buffer.clear()
            self._parts.clear()
            return None
        mask = b""
        if second & FLAG_MASK:
            mask, pos = bytes(buffer[pos : pos + 4]), pos + 4
        if len(buffer) < pos + size:
            return None
        payload = bytes(buffer[pos : pos + size])
        del buffer[: pos + size]
        if mask:
            payload = unmask(payload, mask)
        return first, first & 0x0F, payload

    def _add(self, first: int, opcode: int, payload: bytes) -> bytes | None:
        if opcode >= 0x8:
            self._counters.skip(reasons.WEBSOCKET_CONTROL)
            return None
        if opcode in (OPCODE_TEXT, OPCODE_BINARY):
            if self._parts:
                self._counters.skip(reasons.WEBSOCKET_BAD)
            self._parts = []
            self._size = 0
            self._compressed = bool(first & FLAG_RSV1)
        elif opcode != OPCODE_CONTINUATION or not self._parts:
            self._counters.skip(reasons.WEBSOCKET_BAD)
            return None
        self._parts.append(payload)
        self._size += len(payload)
        if self._size > MAX_MESSAGE:
            self._counters.skip(reasons.WEBSOCKET_TOO_LARGE)
            self._parts.clear()
            return None
        if not first & FLAG_FIN:
            return None
        message = b"".join(self._parts)
        self._parts = []
        self._size = 0
        return self._inflate(message) if self._compressed else message

    def _inflate(self, message: bytes) -> bytes | None:
        # The sliding window carries over between messages unless "no_context_takeover" was
        # agreed; one decompressor per direction decodes both cases.
        if self._inflater is None:
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self._inflater.decompress(message + _DEFLATE_TAIL, MAX_MESSAGE)
        except zlib.error:
            self._counters.skip(reasons.WEBSOCKET_DEFLATE)
            self._inflater = None
            return None


def unmask(payload: bytes, mask: bytes) -> bytes:
    """RFC 6455 section 5.3: XOR with the 4-byte masking key, repeated."""
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(
        len(payload), "little"
    )

"""What one direction of a TCP connection carries, decided from its first bytes.

Plain bytes (SIP over TCP) go up as they come; an HTTP Upgrade to WebSocket (RFC 6455
section 4) turns the rest of the direction into WebSocket messages; TLS cannot be read
without keys and is only counted.
"""

from __future__ import annotations

import re

from callvault.net import reasons
from callvault.net.datagram import NetCounters, StreamData
from callvault.net.numbers import SIP_TLS_PORT
from callvault.net.websocket import WebSocketReader

TLS_RECORD_TYPES = frozenset(range(20, 24))
"""RFC 8446 section 5.1: change_cipher_spec, alert, handshake, application_data."""
TLS_MAJOR_VERSION = 3
MAX_HTTP_HEAD = 16 << 10

_DETECT, _PLAIN, _HTTP_HEAD, _WEBSOCKET, _TLS = range(5)
_WEBSOCKET_REQUEST = re.compile(rb"(?im)^upgrade:[ \t]*websocket\b")
_SWITCHING_PROTOCOLS = re.compile(rb"HTTP/1\.[01] 101[ \r]")


def looks_like_tls(data: bytes) -> bool:
    """Whether ``data`` starts with a TLS (or SSL 3.0) record header."""
    return len(data) >= 2 and data[0] in TLS_RECORD_TYPES and data[1] == TLS_MAJOR_VERSION


def looks_like_text(data: bytes) -> bool:
    """Whether ``data`` could start a SIP message (a method, "SIP/2.0") or a CRLF keep-alive."""
    return bool(data) and (65 <= data[0] <= 90 or data[0] in (10, 13))


class StreamFramer:
    """Turns the in-order bytes of one direction into StreamData."""

    def __init__(self, counters: NetCounters, src: int, sport: int, dst: int, dport: int) -> None:
        self._counters = counters
        self._address = (src, sport, dst, dport)
        self._mode = _DETECT
        self._head = b""
        self._websocket: WebSocketReader | None = None
        self._gap = False

    @property
    def encrypted(self) -> bool:
        """The direction carries TLS: its segments need no reassembly, only counting."""
        return self._mode == _TLS

    def feed(self, ts: float, data: bytes, gap: bool) -> list[StreamData]:
        """Bytes that follow the previous ones (``gap``: some were lost in between)."""
        if self._mode == _DETECT:
            self._mode = self._detect(data)
        if self._mode == _PLAIN:
            return [self._data(ts, data, "tcp", gap)]
        if self._mode == _TLS:
            self._counters.skip(reasons.TLS)
            return []
        if self._mode == _HTTP_HEAD:
            return self._http_head(ts, data, gap)
        return self._websocket_messages(ts, data, gap)

    def close(self, ts: float) -> list[StreamData]:
        """The direction ended (FIN, RST, expiry, end of capture)."""
        if self._websocket is not None:
            self._websocket.reset()
        if self._mode == _HTTP_HEAD and self._head:
            self._mode = _PLAIN
            return [self._data(ts, self._head, "tcp", False)]
        return []

    def _detect(self, data: bytes) -> int:
        if looks_like_tls(data):
            return _TLS
        if SIP_TLS_PORT in (self._address[1], self._address[3]) and not looks_like_text(data):
            return _TLS
        if data.startswith((b"GET ", b"HTTP/")):
            return _HTTP_HEAD
        return _PLAIN

    def _http_head(self, ts: float, data: bytes, gap: bool) -> list[StreamData]:
        if gap:  # not a handshake we can follow: what there is goes up as it is
            head, self._mode, self._head = self._head, _PLAIN, b""
            return [self._data(ts, head, "tcp", False), self._data(ts, data, "tcp", True)]
        head = self._head + data
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) <= MAX_HTTP_HEAD:
                self._head = head
                return []
            self._mode, self._head = _PLAIN, b""
            return [self._data(ts, head, "tcp", False)]
        self._head = b""
        headers = head[: end + 2]
        upgrade = _SWITCHING_PROTOCOLS.match(headers) or (
            headers.startswith(b"GET ") and _WEBSOCKET_REQUEST.search(headers)
        )
        if not upgrade:
            self._mode = _PLAIN
            return [self._data(ts, head, "tcp", False)]
        self._mode = _WEBSOCKET
        self._counters.skip(reasons.WEBSOCKET_CONTROL)
        self._websocket = WebSocketReader(self._counters)
        return self._websocket_messages(ts, head[end + 4 :], False)

    def _websocket_messages(self, ts: float, data: bytes, gap: bool) -> list[StreamData]:
        assert self._websocket is not None
        if gap:
            self._websocket.reset()
            self._gap = True
        out = []
        for message in self._websocket.feed(data):
            out.append(self._data(ts, message, "ws", self._gap))
            self._gap = False
        return out

    def _data(self, ts: float, data: bytes, transport: str, gap: bool) -> StreamData:
        src, sport, dst, dport = self._address
        return StreamData(ts, src, sport, dst, dport, data, transport, gap)

"""Cuts a SIP byte stream (TCP, TLS plaintext) into messages (RFC 3261 §18.3), sans-I/O.

On a stream, Content-Length is the only frame boundary, so a message without one cannot be
delimited: its header block is dropped and the framer resynchronises on the next plausible
start line, as it does after a gap in the capture. Everything dropped is counted in
``drops`` (reason -> count) and ``skipped_bytes``.
"""

from __future__ import annotations

import re
from collections import Counter

MAX_HEADER_BYTES = 65536
"""A header block longer than this is dropped and the framer resynchronises."""

MAX_BODY_BYTES = 1 << 20
"""A Content-Length larger than this is treated as garbage."""

MAX_LINE_BYTES = 8192
"""While resynchronising, at most this much of an unfinished line is kept."""

HEADER_END = re.compile(rb"\r?\n\r?\n")
KEEPALIVE = re.compile(rb"[\r\n]*")

START_LINE = re.compile(
    rb"^(?:[A-Za-z0-9!%*_+`'~.\-]+ [^\r\n]* SIP/[0-9]+\.[0-9]+[ \t]*\r?\n"
    rb"|SIP/[0-9]+\.[0-9]+ +[0-9]{1,10}[ \r\n])",
    re.MULTILINE,
)
"""A request line (token SP ... SP SIP/x.y, spacing as loose as parse_message allows) or a
status line (SIP/x.y SP status code) at a line start."""

CONTENT_LENGTH = re.compile(
    rb"^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE
)
"""RFC 3261 §20.14 Content-Length, or its compact form "l" (§7.3.3)."""


class SipStreamFramer:
    """Feeds on stream bytes in order; returns each complete message's bytes as it completes.

    ``feed`` handles several messages in one segment and one message over many segments,
    and skips CRLF keep-alives between messages (RFC 5626 §3.5.1). Call ``resync`` after a
    gap in the stream (lost segments): buffered bytes are dropped and the framer skips to
    the next plausible start line. Create it with ``synced=False`` when the capture starts
    mid-connection.
    """

    def __init__(self, synced: bool = True) -> None:
        self._buffer = bytearray()
        self._synced = synced
        self._scan_from = 0
        self.drops: Counter[str] = Counter()
        """Messages or header blocks dropped, by reason."""
        self.skipped_bytes = 0
        """Bytes discarded while looking for a start line."""

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a message."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forgets buffered bytes; the next byte fed is taken as the start of a message."""
        self._buffer.clear()
        self._scan_from = 0
        self._synced = True

    def resync(self) -> None:
        """After a gap: forgets buffered bytes and skips to the next plausible start line."""
        self.skipped_bytes += len(self._buffer)
        self._buffer.clear()
        self._scan_from = 0
        self._synced = False

    def feed(self, data: bytes) -> list[bytes]:
        """Appends ``data``; returns the messages it completed, in order."""
        self._buffer += data
        out: list[bytes] = []
        while self._buffer:
            if not self._synced and not self._seek_start():
                break
            message = self._next_message()
            if message is not None:
                out.append(message)
            elif self._synced:
                break  # incomplete: wait for more bytes
            # else a message was dropped: look for the next start line
        return out

    def _seek_start(self) -> bool:
        buf = self._buffer
        m = START_LINE.search(buf)
        if m is None:
            last_newline = buf.rfind(b"\n")
            keep_from = max(last_newline + 1, len(buf) - MAX_LINE_BYTES)
            self.skipped_bytes += keep_from
            del buf[:keep_from]
            self._scan_from = 0
            return False
        self.skipped_bytes += m.start()
        del buf[: m.start()]
        self._scan_from = 0
        self._synced = True
        return True

    def _next_message(self) -> bytes | None:
        """The complete message at the head of the buffer, None while it is incomplete."""
        buf = self._buffer
        skip = KEEPALIVE.match(buf)
        if skip is not None and skip.end():
            del buf[: skip.end()]
            self._scan_from = 0
            if not buf:
                return None
        end = HEADER_END.search(buf, self._scan_from, MAX_HEADER_BYTES + 4)
        if end is None:
            self._scan_from = max(0, len(buf) - 3)
            if len(buf) > MAX_HEADER_BYTES:
                self._drop("header block too large", len(buf))
            elif b"\n" in buf and START_LINE.match(buf) is None:
                self._drop("no SIP start line", buf.find(b"\n") + 1)
            return None
        if START_LINE.match(buf) is None:
            self._drop("no SIP start line", buf.find(b"\n") + 1)
            return None
        length = self._content_length(buf[: end.start()], end.end())
        if length is None:
            return None
        total = end.end() + length
        if len(buf) < total:
            return None
        message = bytes(buf[:total])
        del buf[:total]
        self._scan_from = 0
        return message

    def _content_length(self, head: bytearray, head_size: int) -> int | None:
        values = {v.strip() for v in CONTENT_LENGTH.findall(head)}
        if not values:
            self._drop("missing Content-Length", head_size)
            return None
        if len(values) > 1:
            self._drop("conflicting Content-Length", head_size)
            return None
        text = values.pop()
        if not text.isdigit() or len(text) > 10 or int(text) > MAX_BODY_BYTES:
            self._drop("bad Content-Length", head_size)
            return None
        return int(text)

    def _drop(self, reason: str, size: int) -> None:
        """Counts ``reason``, discards ``size`` bytes from the head and resynchronises."""
        self.drops[reason] += 1
        self.skipped_bytes += size
        del self._buffer[:size]
        self._scan_from = 0
        self._synced = False

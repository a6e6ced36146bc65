"""Message bodies: media types and multipart splitting (RFC 2045 §5.1, RFC 2046 §5.1, RFC 5621).

A small splitter rather than the stdlib ``email`` package: it works on bytes end to end,
keeps binary parts byte-exact, bounds its work, and tolerates the one irregularity real
SIP bodies show (RFC 4475 §3.1.1.11: a closing delimiter right after binary data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callvault.errors import ParseError
from callvault.sip.grammar import WHITESPACE, parse_params
from callvault.sip.headers import Headers

MAX_PARTS = 64
"""At most this many parts are read from one multipart body."""

MAX_DEPTH = 4
"""Nested multipart bodies are followed this deep (SIPREC nests one level at most)."""

BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{1,70}")
"""RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace."""

PART_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class BodyPart:
    """One part of a multipart body (RFC 2046 §5.1)."""

    content_type: str | None
    """The part's Content-Type value as written; None when it has none."""
    headers: Headers
    """The part's own header fields (Content-Type, Content-Disposition ...)."""
    data: bytes
    """The part's content, byte-exact."""

    @property
    def media_type(self) -> str | None:
        """Lower-cased type/subtype of ``content_type``, without parameters."""
        return media_type(self.content_type)


def media_type(content_type: str | None) -> str | None:
    """ "application/sdp" of "Application/SDP; charset=x" (RFC 2045 §5.1: case-insensitive)."""
    if not content_type:
        return None
    return content_type.partition(";")[0].strip(WHITESPACE).lower() or None


def content_type_param(content_type: str, name: str) -> str | None:
    """Value of a Content-Type parameter such as boundary, unquoted."""
    _, semi, params = content_type.partition(";")
    if not semi:
        return None
    for key, value in parse_params(params):
        if key.lower() == name:
            return value
    return None


def split_multipart(content_type: str, body: bytes) -> list[BodyPart]:
    """Parts of a multipart/* body, in order; raises ParseError when there are none."""
    boundary = content_type_param(content_type, "boundary")
    if not boundary or not BOUNDARY_RE.fullmatch(boundary):
        raise ParseError("multipart body without a usable boundary")
    delimiter = b"--" + boundary.encode("ascii")
    starts = _delimiters(body, delimiter)
    if not starts:
        raise ParseError("multipart boundary not found in body")
    parts: list[BodyPart] = []
    for (begin, closing), (end, _) in zip(starts, [*starts[1:], (len(body), True)], strict=True):
        if closing:
            break
        if len(parts) >= MAX_PARTS:
            raise ParseError("too many body parts")
        line_end = body.find(b"\n", begin + len(delimiter))
        if line_end < 0 or line_end >= end:
            raise ParseError("body part without content")
        parts.append(_part(body[line_end + 1 : _trim_crlf(body, end)]))
    if not parts:
        raise ParseError("multipart body without parts")
    return parts


def _delimiters(body: bytes, delimiter: bytes) -> list[tuple[int, bool]]:
    """(offset, is closing) of each delimiter line: at the start of a line, or a closing
    delimiter anywhere (tolerated after binary content without CRLF, RFC 4475 §3.1.1.11)."""
    found: list[tuple[int, bool]] = []
    pos = body.find(delimiter)
    while pos >= 0:
        after = pos + len(delimiter)
        closing = body[after : after + 2] == b"--"
        at_line_start = pos == 0 or body[pos - 1] == 0x0A
        if at_line_start or closing:
            found.append((pos, closing))
            if closing:
                break
        if len(found) > MAX_PARTS:
            break
        pos = body.find(delimiter, after)
    return found


def _trim_crlf(body: bytes, end: int) -> int:
    """RFC 2046 §5.1.1: the CRLF before a delimiter belongs to the delimiter, not the part."""
    if end >= 1 and body[end - 1] == 0x0A:
        end -= 1
        if end >= 1 and body[end - 1] == 0x0D:
            end -= 1
    return end


def _part(raw: bytes) -> BodyPart:
    if raw.startswith(b"\r\n") or raw.startswith(b"\n"):
        return BodyPart(None, Headers(), raw[2 if raw[0] == 0x0D else 1 :])
    m = PART_HEAD_END.search(raw)
    if m is None:
        raise ParseError("body part headers not terminated")
    fields: list[tuple[str, str]] = []
    for line in raw[: m.start()].decode("utf-8", "replace").split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip(WHITESPACE)}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip(WHITESPACE):
            raise ParseError("body part header line has no colon")
        fields.append((name.strip(WHITESPACE), value.strip(WHITESPACE)))
    headers = Headers(fields)
    return BodyPart(headers.get("content-type"), headers, raw[m.end() :])


def find_body(content_type: str | None, body: bytes, wanted: str, depth: int = 0) -> bytes | None:
    """The first (part) body of media type ``wanted``, searching nested multiparts."""
    kind = media_type(content_type)
    if kind == wanted:
        return body or None
    if kind is None or not kind.startswith("multipart/") or depth >= MAX_DEPTH or not body:
        return None
    for part in split_multipart(content_type or "", body):
        found = find_body(part.content_type, part.data, wanted, depth + 1)
        if found is not None:
            return found
    return None

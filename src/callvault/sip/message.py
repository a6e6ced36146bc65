"""SIP requests and responses parsed from bytes (RFC 3261 §7), sans-I/O.

``parse_message`` is lenient where real PBXs are sloppy (LF-only lines, odd spacing, folded
headers, RFC 2543 leftovers) and strict where a message cannot be trusted at all (no SIP
start line, unterminated or oversized header block). Typed accessors parse header values on
first use and return None for absent or unparsable values; ``check_message`` says what is
wrong with a message that parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from callvault.errors import ParseError, Truncated
from callvault.sip.address import Address, parse_address, parse_address_list
from callvault.sip.body import BodyPart, find_body, media_type, split_multipart
from callvault.sip.grammar import TOKEN_RE, WHITESPACE, frozen_instance
from callvault.sip.headers import COMPACT_FORMS, Headers
from callvault.sip.uri import SipUri, parse_uri
from callvault.sip.via import CSeq, Via, parse_cseq, parse_via_list

T = TypeVar("T")


class cached_property:
    """functools.cached_property without its per-access lock (Python < 3.12 takes one on
    every first read): a message is read by one thread, and its accessors run on every
    message of a capture.

    A non-data descriptor that stores the value in the instance ``__dict__`` (which a frozen
    dataclass allows), so later reads never reach it.
    """

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


MAX_HEADER_BYTES = 65536
"""Largest start line plus header block accepted (RFC 3261 §18.1.1 keeps UDP under 64 KiB)."""

MAX_HEADER_FIELDS = 1024
"""Most header fields accepted in one message."""

MAX_BODY_BYTES = 1 << 20
"""Largest Content-Length honoured; a larger one is treated as absent (and reported)."""

CACHED_HEADER_BYTES = 8192
"""Header blocks up to this size have their lines cached (so at most 4096 lines of at most
this size are kept); larger ones are read line by line."""

LEADING_NEWLINES = b"\r\n"
"""RFC 3261 §7.5: CRLFs before the start line are ignored."""


@dataclass(frozen=True, kw_only=True)
class SipMessage:
    """What requests and responses share: headers, body, and typed header accessors."""

    version: str
    """SIP-Version as written, normally "SIP/2.0"."""
    start_line: str
    """The start line as received, without its line end."""
    headers: Headers
    """Every header field, in order, unfolded."""
    body: bytes
    """Message body: Content-Length bytes, or the rest of the datagram when it is absent."""
    size: int
    """Bytes of the input this message used, from its first byte (leading CRLFs included)."""
    content_length: int | None = field(default=None)
    """Content-Length as announced when it is a usable number; None when absent or unusable."""

    @cached_property
    def call_id(self) -> str | None:
        """Call-ID (RFC 3261 §20.8)."""
        return self.headers.get("call-id") or None

    @cached_property
    def cseq(self) -> CSeq | None:
        """CSeq (RFC 3261 §20.16); None when absent or malformed."""
        return _cseq(self.headers.get("cseq"))

    @cached_property
    def from_(self) -> Address | None:
        """From (RFC 3261 §20.20); None when absent or malformed."""
        return _address(self.headers.get("from"))

    @cached_property
    def to(self) -> Address | None:
        """To (RFC 3261 §20.39); None when absent or malformed."""
        return _address(self.headers.get("to"))

    @cached_property
    def contacts(self) -> list[Address]:
        """Every Contact address (RFC 3261 §20.10); malformed fields are skipped."""
        return _address_lists(self.headers.get_list("contact"))

    @property
    def contact(self) -> Address | None:
        """The first Contact address."""
        return self.contacts[0] if self.contacts else None

    @cached_property
    def via(self) -> list[Via]:
        """Via values, topmost first (RFC 3261 §20.42); malformed fields are skipped."""
        out: list[Via] = []
        for value in self.headers.get_list("via"):
            try:
                out.extend(parse_via_list(value))
            except ParseError:
                continue
        return out

    @cached_property
    def max_forwards(self) -> int | None:
        """Max-Forwards (RFC 3261 §20.22) when it is a number."""
        value = (self.headers.get("max-forwards") or "").strip(WHITESPACE)
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else None

    @property
    def user_agent(self) -> str | None:
        """User-Agent (RFC 3261 §20.41)."""
        return self.headers.get("user-agent")

    @property
    def server(self) -> str | None:
        """Server (RFC 3261 §20.35)."""
        return self.headers.get("server")

    @property
    def reason(self) -> str | None:
        """Reason header text as written (RFC 3326), e.g. 'Q.850;cause=16;text="Normal"'."""
        return self.headers.get("reason")

    @property
    def content_type(self) -> str | None:
        """Content-Type value as written, parameters included (RFC 3261 §20.15)."""
        return self.headers.get("content-type")

    @property
    def media_type(self) -> str | None:
        """Lower-cased type/subtype of Content-Type, e.g. "application/sdp"."""
        return media_type(self.content_type)

    @cached_property
    def refer_to(self) -> Address | None:
        """Refer-To (RFC 3515 §2.1); None when absent or malformed."""
        return _try(parse_address, self.headers.get("refer-to"))

    @cached_property
    def referred_by(self) -> Address | None:
        """Referred-By (RFC 3892); None when absent or malformed."""
        return _try(parse_address, self.headers.get("referred-by"))

    def body_parts(self) -> list[BodyPart]:
        """Parts of a multipart/* body; a single part for any other non-empty body.

        Raises ParseError for a multipart body that cannot be split.
        """
        kind = self.media_type
        if kind is not None and kind.startswith("multipart/"):
            return split_multipart(self.content_type or "", self.body)
        if not self.body:
            return []
        return [BodyPart(self.content_type, Headers(_content_fields(self.headers)), self.body)]

    def find_body(self, content_type: str = "application/sdp") -> bytes | None:
        """The body, or first multipart part, of media type ``content_type``; None if there is none.

        Raises ParseError for a multipart body that cannot be split.
        """
        return find_body(self.content_type, self.body, content_type.lower())


@dataclass(frozen=True, kw_only=True)
class SipRequest(SipMessage):
    """A SIP request (RFC 3261 §7.1)."""

    method: str
    """Method as written (RFC 3261 §7.1: case-sensitive), e.g. "INVITE"."""
    uri_text: str
    """Request-URI as written."""

    @cached_property
    def uri(self) -> SipUri | None:
        """Request-URI parsed; None when it does not parse (check_message says why)."""
        return _try(parse_uri, self.uri_text)


@dataclass(frozen=True, kw_only=True)
class SipResponse(SipMessage):
    """A SIP response (RFC 3261 §7.2)."""

    status: int
    """Status-Code, e.g. 200."""
    reason_phrase: str
    """Reason-Phrase as written (may be empty or non-ASCII)."""


def parse_message(data: bytes, *, strict: bool = False) -> SipRequest | SipResponse:
    """Parses one SIP message from the start of ``data`` (a datagram or a framed stream message).

    The body is cut at Content-Length when it is present and usable, else it is the rest of
    ``data`` (RFC 3261 §18.3, datagrams); ``size`` says how many bytes the message used.
    Raises Truncated when ``data`` ends inside the header block, ParseError for anything that
    is not a SIP message. With ``strict``, also raises ParseError with the first problem
    check_message finds.
    """
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ParseError("SIP message must be bytes")
        data = bytes(data)
    start = len(data) - len(data.lstrip(LEADING_NEWLINES)) if data[:1] in (b"\r", b"\n") else 0
    if start >= len(data):
        raise Truncated("no SIP start line")
    # The usual message: its header block ends at the first CRLF CRLF and every line in
    # it is a plain header line, which _cached_headers checks (a blank line in the block,
    # which would have ended it earlier, is not one). Anything else is read the careful way.
    head_end = data.find(b"\r\n\r\n", start, start + MAX_HEADER_BYTES + 4)
    headers = None
    if head_end >= 0:
        first, _, rest = data[start:head_end].decode("utf-8", "replace").partition("\n")
        headers = _cached_headers(rest)
        body_start = head_end + 4
    if headers is None:
        head_end, body_start = _find_header_end(data, start)
        first, _, rest = data[start:head_end].decode("utf-8", "replace").partition("\n")
        headers = Headers(_header_fields(rest))
    # Content-Length, Call-ID and CSeq straight from the lookup dict: what Headers.get
    # would say (each key is in lookup-key form), without a method call for each
    index = headers.lookups()
    found = index.get("content-length")
    if found is None:
        content_length = None
    elif type(found) is str:
        content_length = _length(found)
    else:
        content_length = _repeated_length(found)
    if content_length is not None and content_length <= len(data) - body_start:
        body = data[body_start : body_start + content_length]
    else:
        body = data[body_start:]
    kind, start_fields = _read_start_line(first.rstrip("\r"))
    call_id = index.get("call-id")
    if type(call_id) is list:
        call_id = call_id[0]
    cseq = index.get("cseq")
    if type(cseq) is list:
        cseq = cseq[0]
    # ``call_id`` and ``cseq`` are their accessors' values already in place: the correlator
    # reads them on every message
    message = frozen_instance(
        kind,
        {
            **start_fields,
            "headers": headers,
            "body": body,
            "size": body_start + len(body),
            "content_length": content_length,
            "call_id": call_id or None,
            "cseq": _cseq(cseq),
        },
    )
    if strict:
        from callvault.sip.check import check_message

        problems = check_message(message)
        if problems:
            raise ParseError(problems[0])
    return message


def _find_header_end(data: bytes, start: int) -> tuple[int, int]:
    """(end of the header block, start of the body): the first empty line (RFC 3261 §7).

    Plain ``find`` calls rather than one regex: CRLF CRLF is searched first, then the LF-only
    spellings before it (the three cannot start at the same byte, so the earliest wins).
    """
    limit = start + MAX_HEADER_BYTES + 4
    end = data.find(b"\r\n\r\n", start, limit)
    if end >= 0:
        # the usual case: no LF-only blank line starts before the CRLF CRLF, which ends it
        if data.find(b"\n\n", start, end + 1) < 0 and data.find(b"\n\r\n", start, end + 2) < 0:
            return end, end + 4
        found, size, stop = end, 4, end + 4
    else:
        found, size, stop = -1, 0, limit
    for marker in (b"\n\n", b"\n\r\n"):
        pos = data.find(marker, start, stop)
        if pos >= 0 and (found < 0 or pos < found):
            found, size, stop = pos, len(marker), pos + len(marker)
    if found < 0:
        if len(data) - start > MAX_HEADER_BYTES:
            raise ParseError("header block too large")
        raise Truncated("header block not terminated")
    return found, found + size


@lru_cache(maxsize=4096)
def _read_start_line(line: str) -> tuple[type[SipRequest] | type[SipResponse], dict[str, Any]]:
    """(message class, its start-line fields) of a request or status line; raises ParseError
    for anything else. Cached: responses repeat a handful of status lines, and a dialog's
    requests repeat their Request-URI; the fields are copied into each message."""
    if line[:4].upper() == "SIP/":
        version, _, rest = line.partition(" ")
        code, _, reason = rest.lstrip(" ").partition(" ")
        if not code.isascii() or not code.isdigit() or len(code) > 10:
            raise ParseError("status code is not a number")
        return SipResponse, {
            "version": version,
            "start_line": line,
            "status": int(code),
            "reason_phrase": reason,
        }
    tokens = line.split()
    if len(tokens) < 3 or tokens[-1][:4].upper() != "SIP/":
        raise ParseError("not a SIP start line")
    method = tokens[0]
    if TOKEN_RE.fullmatch(method) is None:
        raise ParseError("request method is not a token")
    uri_text = line.strip(WHITESPACE)[len(method) :].strip(WHITESPACE)
    uri_text = uri_text[: len(uri_text) - len(tokens[-1])].strip(WHITESPACE)
    return SipRequest, {
        "version": tokens[-1],
        "start_line": line,
        "method": method,
        "uri_text": uri_text,
    }


def _cached_headers(text: str) -> Headers | None:
    """The header block's fields when every line of it is a plain header line (no
    continuation or blank line, a valid name and a colon); None for any other block, and
    for one too large for its lines to be worth caching.

    Each line is looked up in ``_keyed_field``, a cache of lines already seen: a dialog
    repeats its From, To, Call-ID and Via lines on every message and a capture repeats
    CSeq, Max-Forwards and Content-Type lines endlessly, so most lines cost one lookup
    instead of being split and stripped again. The fields as written are read (with
    ``_read_field``) only if something asks for them.
    """
    if len(text) > CACHED_HEADER_BYTES:
        return None
    lines = text.split("\n")
    pairs = list(map(_keyed_field, lines))
    if not all(pairs):  # a line _read_field refuses (a blank or continuation line among them)
        return None
    if len(pairs) > MAX_HEADER_FIELDS:
        raise ParseError("too many header fields")
    return Headers.from_lines(lines, _read_field, pairs)  # type: ignore[arg-type]


def _read_field(line: str) -> tuple[str, str] | None:
    """(name, value) of one header line (a trailing CR dropped, the value stripped); None
    for a line ``_header_fields`` would refuse or treat otherwise (no colon, bad name, a
    blank line or one that starts with whitespace)."""
    if line[-1:] == "\r":
        line = line[:-1]
    name, colon, value = line.partition(":")
    name = name.rstrip(WHITESPACE)
    if not colon or not name or " " in name or "\t" in name:
        return None
    return name, value.strip(WHITESPACE)


@lru_cache(maxsize=4096)
def _keyed_field(line: str) -> tuple[str, str] | None:
    """(lookup key, value) of one header line, the key being header_key of its name; None
    where ``_read_field`` says None. Cached: the pair is immutable, so messages repeating
    a line share it."""
    field = _read_field(line)
    if field is None:
        return None
    key = field[0].lower()  # header_key, inlined: this runs for each new line of a capture
    return COMPACT_FORMS.get(key, key), field[1]


def _header_fields(text: str) -> list[tuple[str, str]]:
    """Line by line: folded values, blank lines, and the exact reason a line is refused."""
    fields: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if line[-1:] == "\r":
            line = line[:-1]
        if not line:
            continue
        if line[0] == " " or line[0] == "\t":
            if not fields:
                raise ParseError("continuation line before the first header")
            name, value = fields[-1]
            extra = line.strip(WHITESPACE)
            fields[-1] = (name, f"{value} {extra}" if value else extra)
            continue
        colon = line.find(":")
        if colon <= 0:
            raise ParseError("header line has no colon")
        name = line[:colon].rstrip(WHITESPACE)
        if not name or " " in name or "\t" in name:
            raise ParseError("bad header name")
        fields.append((name, line[colon + 1 :].strip(WHITESPACE)))
        if len(fields) > MAX_HEADER_FIELDS:
            raise ParseError("too many header fields")
    return fields


def _repeated_length(values: list[str]) -> int | None:
    """The body length of several Content-Length fields: one usable number when they all
    say the same, else None."""
    first = values[0].strip(WHITESPACE)
    if any(v.strip(WHITESPACE) != first for v in values[1:]):
        return None
    return _length(values[0])


@lru_cache(maxsize=256)
def _length(value: str) -> int | None:
    """A Content-Length value as a number of bytes; None when it is not a usable one. Cached:
    a capture's messages announce a few hundred different lengths at most."""
    text = value.strip(WHITESPACE)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    length = int(text)
    return length if length <= MAX_BODY_BYTES else None


def _content_fields(headers: Headers) -> list[tuple[str, str]]:
    content_keys = {"content-type", "content-disposition", "content-encoding", "content-language"}
    return [
        (name, value)
        for name, value in headers.multi_items()
        if COMPACT_FORMS.get(name.lower(), name.lower()) in content_keys
    ]


@lru_cache(maxsize=1024)
def _cseq(text: str | None) -> CSeq | None:
    """The CSeq of a header value; None when absent or malformed. Cached: a dialog's
    messages repeat a handful of CSeq values, and a CSeq is immutable, so messages can
    share one."""
    return _try(parse_cseq, text)


@lru_cache(maxsize=4096)
def _address(text: str | None) -> Address | None:
    """The address of a From or To value; None when absent or malformed. Cached: the same
    value comes back on every message of a dialog and, for a busy number, on every call to
    it; an Address is immutable."""
    return _try(parse_address, text)


def _try(parse: Callable[[str], T], text: str | None) -> T | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ParseError:
        return None


def _address_lists(values: list[str]) -> list[Address]:
    out: list[Address] = []
    for value in values:
        try:
            out.extend(parse_address_list(value))
        except ParseError:
            continue
    return out

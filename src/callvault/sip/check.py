"""RFC 3261 conformance of a parsed message, as a list of human-readable problems.

``parse_message`` accepts what real devices send; ``check_message`` says what of it RFC 3261
forbids. An empty list means no problem was found. The checks cover one message at a time
(syntax, required and single-valued headers, numeric ranges); dialog and transaction rules
(e.g. RFC 4475 §3.3's Require or unknown-scheme cases) belong to the layers above.
"""

from __future__ import annotations

import re

from callvault.errors import ParseError
from callvault.sip.address import parse_address
from callvault.sip.grammar import (
    WHITESPACE,
    has_empty_param,
    is_token,
    read_quoted,
    split_outside,
)
from callvault.sip.message import SipMessage, SipRequest, SipResponse
from callvault.sip.uri import parse_uri
from callvault.sip.via import MAGIC_COOKIE, parse_cseq, parse_via

SIP_VERSION = "SIP/2.0"
MAX_CSEQ = 2**31 - 1
"""RFC 3261 §8.1.1.5: the CSeq sequence number MUST be less than 2**31."""
MAX_FORWARDS = 255
"""RFC 3261 §20.22: Max-Forwards is 0-255."""
MAX_DELTA_SECONDS = 2**32 - 1
"""RFC 3261 §20.19, §10.2.1.1: expiry values beyond 2**32-1 are out of range."""

REQUIRED_IN_REQUESTS = ("To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via")
"""RFC 3261 §8.1.1: header fields every request MUST contain."""
REQUIRED_IN_RESPONSES = ("To", "From", "CSeq", "Call-ID", "Via")
"""RFC 3261 §8.2.6.2: header fields a response copies from its request."""
SINGLE_VALUED = ("Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type")
"""RFC 3261 §7.3.1: headers that are not comma-separated lists appear at most once."""

SPACE_IN_BRACKETS = re.compile(r"<[ \t]|[ \t]>")


def check_message(msg: SipMessage) -> list[str]:
    """Problems RFC 3261 finds with ``msg``, in a stable order; [] when it found none."""
    problems: list[str] = []
    if isinstance(msg, SipRequest):
        problems += _request_line(msg)
    elif isinstance(msg, SipResponse):
        problems += _status_line(msg)
    problems += _presence(msg)
    problems += _cseq(msg)
    problems += _max_forwards(msg)
    problems += _content_length(msg)
    for name in ("From", "To"):
        problems += _addresses(msg, name, single=True)
    problems += _addresses(msg, "Contact", single=False)
    problems += _from_tag(msg)
    problems += _vias(msg)
    problems += _scalars(msg)
    return problems


def _request_line(msg: SipRequest) -> list[str]:
    out: list[str] = []
    if msg.version.upper() != SIP_VERSION:
        out.append(f"unknown SIP version {msg.version}")
    line = msg.start_line
    stripped = line.rstrip(WHITESPACE)
    if stripped != line:
        out.append("request line ends with whitespace")
    if "  " in stripped or "\t" in stripped:
        out.append("request line has more than single spaces")
    uri = msg.uri_text
    if any(c in WHITESPACE for c in uri):
        out.append("Request-URI contains whitespace")
    elif uri.startswith("<"):
        out.append("Request-URI is enclosed in <>")
    else:
        try:
            parsed = parse_uri(uri)
        except ParseError as exc:
            out.append(f"Request-URI: {exc}")
        else:
            if parsed.headers:
                out.append("Request-URI must not contain headers (RFC 3261 §19.1.1)")
            out += _bare_ipv6("Request-URI", uri, parsed.host)
    return out


def _status_line(msg: SipResponse) -> list[str]:
    out: list[str] = []
    if msg.version.upper() != SIP_VERSION:
        out.append(f"unknown SIP version {msg.version}")
    if not 100 <= msg.status <= 699:
        out.append(f"response code {msg.status} out of range")
    return out


def _presence(msg: SipMessage) -> list[str]:
    required = REQUIRED_IN_REQUESTS if isinstance(msg, SipRequest) else REQUIRED_IN_RESPONSES
    out = [f"missing required header {name}" for name in required if name not in msg.headers]
    for name in SINGLE_VALUED:
        count = msg.headers.count(name)
        if count > 1:
            out.append(f"{count} {name} headers where one is allowed")
    if msg.body and "Content-Type" not in msg.headers:
        out.append("body without Content-Type (RFC 3261 §20.15)")
    return out


def _cseq(msg: SipMessage) -> list[str]:
    raw = msg.headers.get("CSeq")
    if raw is None:
        return []
    try:
        cseq = parse_cseq(raw)
    except ParseError:
        return [f"CSeq {raw!r} is not a number and a method"]
    out = []
    if cseq.seq > MAX_CSEQ:
        out.append(f"CSeq number {cseq.seq} exceeds 2**31-1")
    if isinstance(msg, SipRequest) and cseq.method != msg.method:
        out.append(f"CSeq method {cseq.method} does not match request method {msg.method}")
    return out


def _max_forwards(msg: SipMessage) -> list[str]:
    raw = msg.headers.get("Max-Forwards")
    if raw is None:
        return []
    value = _number(raw)
    if value is None:
        return [f"Max-Forwards {raw!r} is not a number"]
    return [f"Max-Forwards {value} exceeds {MAX_FORWARDS}"] if value > MAX_FORWARDS else []


def _content_length(msg: SipMessage) -> list[str]:
    out = []
    for raw in msg.headers.get_list("Content-Length"):
        value = _number(raw)
        if value is None:
            out.append(f"Content-Length {raw.strip(WHITESPACE)} is not a non-negative integer")
        elif value > len(msg.body):
            out.append(f"Content-Length {value} exceeds the {len(msg.body)} bytes of body")
    return out


def _addresses(msg: SipMessage, name: str, single: bool) -> list[str]:
    out: list[str] = []
    for raw in msg.headers.get_list(name):
        values = [raw] if single else [v for v in split_outside(raw, ",") if v.strip(WHITESPACE)]
        for value in values:
            value = value.strip(WHITESPACE)
            if value == "*" and name == "Contact":
                continue
            out += _address(name, value)
    return out


def _address(name: str, value: str) -> list[str]:
    try:
        address = parse_address(value)
    except ParseError as exc:
        return [f"{name}: {exc}"]
    out = _bare_ipv6(name, value, address.uri.host)
    lt = _angle_start(value)
    if lt >= 0:
        gt = value.find(">", lt)
        if SPACE_IN_BRACKETS.search(value[lt : gt + 1]):
            out.append(f"{name} has whitespace inside <>")
        display = value[:lt].strip(WHITESPACE)
        if (
            display
            and not display.startswith('"')
            and not all(is_token(w) for w in display.split())
        ):
            out.append(f"{name} display name {display!r} must be quoted")
        params = value[gt + 1 :]
    else:
        uri_text, _, rest = value.partition(";")
        if address.uri.headers or "?" in uri_text:
            out.append(f"{name} URI with headers must be enclosed in <>")
        params = ";" + rest if rest else ""
    if params and has_empty_param(params):
        out.append(f"{name} has an empty parameter")
    expires = address.param("expires")
    if expires is not None and (_number(expires) or 0) > MAX_DELTA_SECONDS:
        out.append(f"{name} expires {expires} exceeds 2**32-1")
    return out


def _bare_ipv6(name: str, raw: str, host: str) -> list[str]:
    """RFC 3261 §25.1: an IPv6 host is written in brackets (the parsers accept it bare)."""
    if host.startswith("[") and "[" not in raw:
        return [f"{name} has an IPv6 address without brackets"]
    return []


def _angle_start(value: str) -> int:
    """Index of the "<" opening a name-addr's URI, -1 for an addr-spec."""
    if value.startswith('"'):
        return value.find("<", read_quoted(value, 0)[1])
    lt, semi = value.find("<"), value.find(";")
    return lt if semi < 0 or lt < semi else -1


def _from_tag(msg: SipMessage) -> list[str]:
    address = msg.from_
    if address is None or address.tag:
        return []
    return ["From has no tag (RFC 3261 §8.1.1.3)"]


def _vias(msg: SipMessage) -> list[str]:
    out: list[str] = []
    first = True
    for raw in msg.headers.get_list("Via"):
        for piece in split_outside(raw, ","):
            if not piece.strip(WHITESPACE):
                out.append("Via has an empty value")
                continue
            try:
                via = parse_via(piece)
            except ParseError as exc:
                out.append(f"Via {piece.strip(WHITESPACE)!r}: {exc}")
                continue
            out += _bare_ipv6("Via", piece, via.host)
            if has_empty_param(piece):
                out.append("Via has an empty parameter")
            if via.protocol.upper() != SIP_VERSION:
                out.append(f"unknown SIP version {via.protocol} in Via")
            if first and isinstance(msg, SipRequest) and via.branch == MAGIC_COOKIE:
                out.append(f"Via branch is only the magic cookie {MAGIC_COOKIE}")
            first = False
    return out


def _scalars(msg: SipMessage) -> list[str]:
    out: list[str] = []
    date = msg.headers.get("Date")
    if date is not None and not date.rstrip(WHITESPACE).endswith("GMT"):
        out.append(f"Date {date} is not in GMT (RFC 3261 §20.17)")
    for name in ("Expires", "Retry-After"):
        raw = msg.headers.get(name)
        if raw is None:
            continue
        head = raw.split(";")[0].split("(")[0].strip(WHITESPACE)
        value = _number(head)
        if value is None:
            out.append(f"{name} {head!r} is not a number of seconds")
        elif value > MAX_DELTA_SECONDS:
            out.append(f"{name} {value} exceeds 2**32-1")
    for raw in msg.headers.get_list("Warning", split_commas=True):
        code = raw.split(" ", 1)[0]
        if len(code) != 3 or not code.isascii() or not code.isdigit():
            out.append(f"Warning code {code} is not three digits")
    return out


def _number(text: str) -> int | None:
    value = text.strip(WHITESPACE)
    if not value or not value.isascii() or not value.isdigit() or len(value) > 128:
        return None
    return int(value)

"""Via header values (RFC 3261 §20.42, §18.2.1) and CSeq (§20.16)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from callvault.errors import ParseError
from callvault.sip.grammar import WHITESPACE, Params, find_param, parse_params, split_outside
from callvault.sip.uri import split_hostport

MAGIC_COOKIE = "z9hG4bK"
"""RFC 3261 §8.1.1.7: branch prefix of transaction ids built the RFC 3261 way."""

MAX_VIA_ITEMS = 128
"""At most this many Via values are read from one message (RFC 4475 §3.1.1.7 has 34)."""

SENT_PROTOCOL_RE = re.compile(
    r"\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*/\s*"
    r"([A-Za-z0-9\-.!%*_+`'~]+)\s+(\S.*)\Z",
    re.DOTALL,
)
"""sent-protocol LWS sent-by; RFC 3261 §25.1 allows LWS around each "/"."""

SENT_BY_RE = re.compile(r"(\[[0-9A-Fa-f:.%A-Za-z]+\]|[A-Za-z0-9\-._]+)\s*(?::\s*([0-9]{1,5}))?")


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: who sent the request on this hop and over what (RFC 3261 §18.2.1)."""

    protocol: str
    """Protocol name and version as "NAME/VERSION", normally "SIP/2.0"."""
    transport: str
    """Transport, upper-cased: UDP, TCP, TLS, SCTP, WS, WSS, or an unknown token."""
    host: str
    """sent-by host as written; IPv6 keeps its brackets."""
    port: int | None
    """sent-by port, None when absent (5060, or 5061 for TLS, by default)."""
    params: Params = ()
    """via-params in order: branch, received, rport, maddr, ttl, extensions."""

    @property
    def sent_by(self) -> str:
        """``host`` or ``host:port`` (RFC 3261 §20.42)."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def branch(self) -> str | None:
        """The branch parameter (transaction id, RFC 3261 §8.1.1.7); None when absent."""
        return find_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        """Source address the next hop saw (RFC 3261 §18.2.1)."""
        return find_param(self.params, "received")

    @property
    def rport(self) -> str | None:
        """rport (RFC 3581): "" when requested, the source port once filled in, None if absent."""
        return find_param(self.params, "rport")


def parse_via(text: str) -> Via:
    """Parses one Via value, e.g. ``SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776``."""
    head, semi, param_text = text.partition(";")
    m = SENT_PROTOCOL_RE.match(head)
    if m is None:
        raise ParseError("Via is not protocol/version/transport sent-by")
    name, version, transport, sent_by = m.groups()
    sent_by = sent_by.rstrip()
    hp = SENT_BY_RE.fullmatch(sent_by)
    if hp is not None:
        host, port = hp.group(1), int(hp.group(2)) if hp.group(2) else None
    elif sent_by.count(":") > 1:
        try:
            host, port = split_hostport(sent_by)
        except ParseError:
            raise ParseError("Via has a bad sent-by") from None
    else:
        raise ParseError("Via has a bad sent-by")
    if port is not None and port > 65535:
        raise ParseError("Via has a bad port")
    params = parse_params(param_text) if semi else ()
    return Via(f"{name}/{version}", transport.upper(), host, port, params)


def parse_via_list(text: str) -> list[Via]:
    """Parses the comma-separated Via values of one header field; empty members are skipped."""
    out: list[Via] = []
    for piece in split_outside(text, ","):
        if not piece.strip(WHITESPACE):
            continue
        if len(out) >= MAX_VIA_ITEMS:
            raise ParseError("too many Via values")
        out.append(parse_via(piece))
    return out


@dataclass(frozen=True, slots=True)
class CSeq:
    """Command sequence: orders a dialog's requests and names their method (RFC 3261 §20.16)."""

    seq: int
    """Sequence number; RFC 3261 limits it to 2**31 - 1 (check_message reports larger ones)."""
    method: str
    """Method the sequence number belongs to, as written."""

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parses ``1*DIGIT LWS Method``; at most 64 digits are accepted."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit() or len(parts[0]) > 64:
        raise ParseError("CSeq is not number and method")
    return CSeq(int(parts[0]), parts[1])

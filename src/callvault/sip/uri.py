"""SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), kept as written (no %-decoding)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from callvault.errors import ParseError

MAX_URI_CHARS = 8192
"""Longer URI text is refused; RFC 4475 §3.1.1.7's longest one is under 600 characters."""

SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
"""RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )."""

HOST_RE = re.compile(r"[A-Za-z0-9\-._]+")
"""hostname / IPv4address of RFC 3261 §25.1; "_" is tolerated because real PBXs use it."""

IPV6_RE = re.compile(r"\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._~\-]+)?\]")
"""IPv6reference of RFC 3261 §25.1 (with an optional zone id, seen in link-local captures)."""

FORBIDDEN_RE = re.compile(r'[\x00-\x20"<>\x7f]')
"""Characters that never appear unescaped in a URI (RFC 3261 §25.1: no LWS, quotes or <>)."""

UriParams = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class SipUri:
    """A parsed URI. sip/sips fill user..headers; tel puts the number in ``user``; any other
    scheme keeps its scheme-specific part in ``opaque`` (RFC 3261 §19.1, §25.1 absoluteURI).
    """

    scheme: str
    """Lower-cased scheme: "sip", "sips", "tel", or another absoluteURI scheme."""
    user: str | None = None
    """User part as written (still %-escaped); the subscriber number of a tel: URI."""
    password: str | None = None
    """Password of sip/sips userinfo (RFC 3261 §19.1.1 discourages it), as written."""
    host: str = ""
    """Host as written; IPv6 references keep their brackets; "" for tel: and opaque URIs."""
    port: int | None = None
    """Port, None when absent."""
    params: UriParams = ()
    """uri-parameters in order, e.g. (("transport", "tcp"), ("lr", None))."""
    headers: tuple[tuple[str, str], ...] = ()
    """URI headers after "?" (RFC 3261 §19.1.1), e.g. (("Replaces", "..."),)."""
    opaque: str | None = None
    """Scheme-specific part of a URI that is neither sip, sips nor tel."""

    @classmethod
    def parse(cls, text: str) -> SipUri:
        """Parses URI text; raises ParseError."""
        return parse_uri(text)

    def param(self, name: str) -> str | None:
        """Value of the uri-parameter ``name`` (case-insensitive); "" when it has no value."""
        lowered = name.lower()
        for key, value in self.params:
            if key.lower() == lowered:
                return "" if value is None else value
        return None

    @property
    def transport(self) -> str | None:
        """The transport uri-parameter, lower-cased (RFC 3261 §19.1.1)."""
        value = self.param("transport")
        return value.lower() if value else None

    @property
    def host_port(self) -> str:
        """``host`` or ``host:port``."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def aor(self) -> str:
        """Address of record: scheme, user and host, no port or parameters (RFC 3261 §10.2.1)."""
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        if self.scheme == "tel":
            return f"tel:{self.user}"
        user = f"{self.user}@" if self.user is not None else ""
        return f"{self.scheme}:{user}{self.host}"

    def __str__(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        params = (
            "".join([f";{k}" if v is None else f";{k}={v}" for k, v in self.params])
            if self.params
            else ""
        )
        if self.scheme == "tel":
            return f"tel:{self.user}{params}"
        userinfo = ""
        if self.user is not None:
            userinfo = self.user if self.password is None else f"{self.user}:{self.password}"
            userinfo += "@"
        port = "" if self.port is None else f":{self.port}"
        headers = "&".join([f"{k}={v}" for k, v in self.headers]) if self.headers else ""
        return (
            f"{self.scheme}:{userinfo}{self.host}{port}{params}{'?' + headers if headers else ''}"
        )


def parse_uri(text: str) -> SipUri:
    """Parses a URI (RFC 3261 §19.1.1 SIP-URI / SIPS-URI, RFC 3966 tel, or absoluteURI).

    Leading/trailing blanks are ignored; blanks, controls, quotes or angle brackets inside
    are refused (RFC 3261 §25.1 has no LWS inside a URI).
    """
    text = text.strip(" \t")
    if len(text) > MAX_URI_CHARS:
        raise ParseError("URI too long")
    colon = text.find(":")
    if colon <= 0 or not SCHEME_RE.fullmatch(text[:colon]):
        raise ParseError("URI has no scheme")
    rest = text[colon + 1 :]
    if not rest:
        raise ParseError("URI is empty after its scheme")
    if FORBIDDEN_RE.search(rest):
        raise ParseError("URI contains whitespace or a forbidden character")
    scheme = text[:colon].lower()
    if scheme in ("sip", "sips"):
        return _parse_sip(scheme, rest)
    if scheme == "tel":
        number, _, params = rest.partition(";")
        if not number:
            raise ParseError("tel URI has no number")
        return SipUri(scheme="tel", user=number, params=_uri_params(params))
    return SipUri(scheme=scheme, opaque=rest)


def _parse_sip(scheme: str, rest: str) -> SipUri:
    user = password = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        if not userinfo:
            raise ParseError("URI has an empty user part")
        user, colon, pw = userinfo.partition(":")
        password = pw if colon else None
    rest, question, header_text = rest.partition("?")
    hostport, _, param_text = rest.partition(";")
    host, port = split_hostport(hostport)
    headers: tuple[tuple[str, str], ...] = ()
    if question:
        pairs = []
        for piece in header_text.split("&"):
            if piece:
                name, _, value = piece.partition("=")
                pairs.append((name, value))
        headers = tuple(pairs)
    return SipUri(scheme, user, password, host, port, _uri_params(param_text), headers)


def split_hostport(hostport: str) -> tuple[str, int | None]:
    """``host[:port]`` -> (host, port); IPv6 hosts come back in brackets.

    RFC 3261 §25.1 wants IPv6 in brackets, but some phones write it bare
    ("fe80:0:0:0:21a:a0ff:fe07:32e0:5060"): a bare address is read when unambiguous,
    its last group taken as the port only when the whole is not an address by itself.
    """
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ParseError("URI has an unterminated IPv6 reference")
        host, tail = hostport[: end + 1], hostport[end + 1 :]
        if not IPV6_RE.fullmatch(host):
            raise ParseError("URI has a bad IPv6 reference")
    elif hostport.count(":") > 1:
        return _bare_ipv6(hostport)
    else:
        host, colon, port_text = hostport.partition(":")
        tail = ":" + port_text if colon else ""
        if not HOST_RE.fullmatch(host):
            raise ParseError("URI has no valid host")
    if not tail:
        return host, None
    if tail[0] != ":" or not tail[1:].isdigit() or not tail[1:].isascii() or len(tail) > 6:
        raise ParseError("URI has a bad port")
    port = int(tail[1:])
    if port > 65535:
        raise ParseError("URI has a bad port")
    return host, port


def _bare_ipv6(hostport: str) -> tuple[str, int | None]:
    if _is_ipv6(hostport):
        return f"[{hostport}]", None
    head, _, tail = hostport.rpartition(":")
    if (
        tail.isascii()
        and tail.isdigit()
        and len(tail) <= 5
        and int(tail) <= 65535
        and _is_ipv6(head)
    ):
        return f"[{head}]", int(tail)
    raise ParseError("URI has no valid host")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _uri_params(text: str) -> UriParams:
    if not text:
        return ()
    out: list[tuple[str, str | None]] = []
    for piece in text.split(";"):
        if not piece:
            continue
        name, eq, value = piece.partition("=")
        out.append((name, value if eq else None))
    return tuple(out)

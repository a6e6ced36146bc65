"""name-addr / addr-spec values: From, To, Contact, Route, Refer-To (RFC 3261 §20.10, §25.1)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from callvault.errors import ParseError
from callvault.sip.grammar import (
    WHITESPACE,
    Params,
    find_param,
    format_params,
    frozen_instance,
    is_token,
    parse_params,
    quote,
    read_quoted,
    split_outside,
)
from callvault.sip.uri import SipUri, parse_uri

MAX_ADDRESS_CHARS = 16384
"""Longer header values are refused before any scanning."""

MAX_LIST_ITEMS = 64
"""At most this many comma-separated addresses are read from one header field."""


@dataclass(frozen=True)
class Address:
    """A display name, a URI and the header parameters after it (tag, expires, q, ...).

    Not slotted: ``_name_addr`` fills the instance dict at once (see frozen_instance),
    as each call's From carries a tag of its own and is parsed anew.
    """

    display_name: str | None
    """Display name, unquoted and unescaped; None when absent."""
    uri: SipUri
    """The URI inside <> (name-addr) or the bare addr-spec."""
    params: Params = ()
    """Header parameters in order (RFC 3261 §20.10: outside the <>)."""

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parses one address; raises ParseError."""
        return parse_address(text)

    def param(self, name: str) -> str | None:
        """Value of header parameter ``name`` (case-insensitive); "" when it has no value."""
        return find_param(self.params, name)

    @property
    def tag(self) -> str | None:
        """The dialog tag (RFC 3261 §19.3), None when absent or empty."""
        return find_param(self.params, "tag") or None

    def __str__(self) -> str:
        name = ""
        if self.display_name is not None:
            plain = self.display_name and all(is_token(w) for w in self.display_name.split(" "))
            name = (self.display_name if plain else quote(self.display_name)) + " "
        return f"{name}<{self.uri}>{format_params(self.params)}"


def parse_address(text: str) -> Address:
    """Parses name-addr (``"Name" <uri>;params`` or ``Name <uri>``) or addr-spec (``uri;params``).

    Lenient where captures show real devices are: LWS inside <> is ignored, an unquoted display
    name may contain any characters but "<" (check_message reports what RFC 3261 forbids).
    """
    if len(text) > MAX_ADDRESS_CHARS:
        raise ParseError("address too long")
    s = text.strip(WHITESPACE)
    if not s:
        raise ParseError("empty address")
    display: str | None = None
    if s[0] == '"':
        display, end = read_quoted(s, 0)
        rest = s[end:].lstrip(WHITESPACE)
        if not rest.startswith("<"):
            raise ParseError("quoted display name not followed by <")
        return _name_addr(display, rest)
    lt, semi = s.find("<"), s.find(";")
    if lt >= 0 and (semi < 0 or lt < semi):
        display = s[:lt].strip(WHITESPACE) or None
        return _name_addr(display, s[lt:])
    uri_text, has_params, param_text = s.partition(";")
    return Address(None, parse_uri(uri_text), parse_params(param_text) if has_params else ())


def _name_addr(display: str | None, rest: str) -> Address:
    gt = rest.find(">")
    if gt < 0:
        raise ParseError("< without >")
    uri = _parse_uri_cached(rest[1:gt].strip(WHITESPACE))
    tail = rest[gt + 1 :].strip(WHITESPACE)
    if tail and tail[0] != ";":
        raise ParseError("text after > that is not a parameter")
    return frozen_instance(
        Address,
        {"display_name": display, "uri": uri, "params": parse_params(tail[1:]) if tail else ()},
    )


_parse_uri_cached = lru_cache(maxsize=2048)(parse_uri)
"""parse_uri for the URI of a name-addr: a number's URI comes back in the From or To of
every call it makes or takes, with a new tag each time; a SipUri is immutable."""


def parse_address_list(text: str) -> list[Address]:
    """Parses a comma-separated list of addresses (Contact, Route, Record-Route ...).

    A Contact of "*" (RFC 3261 §10.2.2, REGISTER) yields no address.
    """
    if len(text) > MAX_ADDRESS_CHARS:
        raise ParseError("address list too long")
    out: list[Address] = []
    for piece in split_outside(text, ","):
        piece = piece.strip(WHITESPACE)
        if not piece or piece == "*":
            continue
        if len(out) >= MAX_LIST_ITEMS:
            raise ParseError("too many addresses in one header")
        out.append(parse_address(piece))
    return out

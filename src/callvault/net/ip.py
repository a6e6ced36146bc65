"""IPv4 (RFC 791) and IPv6 (RFC 8200) headers, one packet at a time."""

from __future__ import annotations

import struct
from typing import NamedTuple

from callvault.errors import ParseError, Truncated
from callvault.net import reasons
from callvault.net.numbers import (
    IPPROTO_AH,
    IPPROTO_DSTOPTS,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_NONE,
    IPPROTO_ROUTING,
)
from callvault.net.reasons import Skipped

MAX_EXTENSION_HEADERS = 16

_IPV4 = struct.Struct("!BxHHHxBxxII")
_IPV6_FRAGMENT = struct.Struct("!BxHI")


class IpPacket(NamedTuple):
    """The parts of an IP header the decoder needs."""

    src: int | bytes
    """IPv4: the address as an int (its AddressTable id); IPv6: 16 packed bytes."""
    dst: int | bytes
    proto: int
    """Upper-layer protocol (after IPv6 extension headers)."""
    payload: int
    """Offset of the upper-layer header."""
    end: int
    """End of the payload as the header declares it (may lie past the capture)."""
    captured_end: int
    """End of the payload that was captured."""
    fragment: tuple[int, bool, int] | None
    """(offset in bytes, more fragments, identification) for a fragment, else None."""


def parse_ipv4(data: bytes, off: int, end: int) -> IpPacket:
    """An IPv4 header at ``off``; ``end`` is where the captured frame ends."""
    if end < off + 20:
        raise Truncated(reasons.IPV4_TRUNCATED)
    vihl, total_length, ident, flags, proto, src, dst = _IPV4.unpack_from(data, off)
    ihl = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or ihl < 20 or total_length < ihl:
        raise ParseError(reasons.IPV4_BAD)
    if end < off + ihl:
        raise Truncated(reasons.IPV4_TRUNCATED)
    declared_end = off + total_length
    fragment = None
    if flags & 0x3FFF:
        fragment = ((flags & 0x1FFF) * 8, bool(flags & 0x2000), ident)
    return IpPacket(src, dst, proto, off + ihl, declared_end, min(declared_end, end), fragment)


def parse_ipv6(data: bytes, off: int, end: int) -> IpPacket:
    """An IPv6 header at ``off`` and its extension headers up to the upper layer."""
    if end < off + 40:
        raise Truncated(reasons.IPV6_TRUNCATED)
    if data[off] >> 4 != 6:
        raise ParseError(reasons.IPV6_BAD)
    declared_end = off + 40 + int.from_bytes(data[off + 4 : off + 6])
    captured_end = min(declared_end, end)
    src, dst = data[off + 8 : off + 24], data[off + 24 : off + 40]
    proto, pos, fragment = extension_headers(data, off + 40, captured_end, data[off + 6])
    if pos > declared_end:
        raise ParseError(reasons.IPV6_BAD)
    return IpPacket(src, dst, proto, pos, declared_end, captured_end, fragment)


def extension_headers(
    data: bytes, pos: int, end: int, proto: int
) -> tuple[int, int, tuple[int, bool, int] | None]:
    """Skip IPv6 extension headers (RFC 8200 section 4) from ``pos``, stopping after a fragment
    header; return (upper-layer protocol, its offset, fragment info or None)."""
    for _ in range(MAX_EXTENSION_HEADERS):
        if proto in (IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_AH):
            if end < pos + 2:
                raise Truncated(reasons.IPV6_TRUNCATED)
            units = data[pos + 1]
            size = (units + 2) * 4 if proto == IPPROTO_AH else (units + 1) * 8
            proto, pos = data[pos], pos + size
        elif proto == IPPROTO_FRAGMENT:
            if end < pos + 8:
                raise Truncated(reasons.IPV6_TRUNCATED)
            proto, offset_flags, ident = _IPV6_FRAGMENT.unpack_from(data, pos)
            pos += 8
            offset, more = offset_flags & 0xFFF8, bool(offset_flags & 1)
            if offset or more:  # RFC 6946: an atomic fragment is processed as a whole packet
                return proto, pos, (offset, more, ident)
        elif proto == IPPROTO_NONE:
            raise Skipped(reasons.IP_NO_NEXT_HEADER)
        else:
            return proto, pos, None
    raise ParseError(reasons.IPV6_BAD)

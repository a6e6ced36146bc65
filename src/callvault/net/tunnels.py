"""Tunnel headers: GRE (RFC 2784/2890), ERSPAN types I-III, VXLAN (RFC 7348)."""

from __future__ import annotations

from callvault.errors import ParseError, Truncated
from callvault.net import reasons
from callvault.net.link import IP_VERSION
from callvault.net.numbers import (
    ETHERTYPE_ERSPAN_2,
    ETHERTYPE_ERSPAN_3,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MPLS,
    ETHERTYPE_TEB,
)
from callvault.net.reasons import Skipped

GRE_CHECKSUM = 0x8000
GRE_ROUTING = 0x4000  # RFC 1701 source routing, obsoleted by RFC 2784
GRE_KEY = 0x2000
GRE_SEQUENCE = 0x1000
GRE_VERSION = 0x0007  # 1 is PPTP's enhanced GRE (RFC 2637), which carries PPP


VXLAN_FLAG_I = 0x08
"""RFC 7348: the VNI is valid; every VXLAN packet sets it."""


def gre(data: bytes, off: int, end: int) -> tuple[int, int]:
    """(EtherType of the carried frame, its offset) for a GRE packet at ``off``.

    ETHERTYPE_TEB stands for an Ethernet frame, link.IP_VERSION for an IP packet of either
    version.
    """
    if end < off + 4:
        raise Truncated(reasons.GRE_TRUNCATED)
    flags = int.from_bytes(data[off : off + 2])
    protocol = int.from_bytes(data[off + 2 : off + 4])
    if flags & (GRE_ROUTING | GRE_VERSION):
        raise Skipped(reasons.GRE_UNSUPPORTED)
    pos = off + 4
    pos += 4 if flags & GRE_CHECKSUM else 0
    pos += 4 if flags & GRE_KEY else 0
    pos += 4 if flags & GRE_SEQUENCE else 0
    if end < pos:
        raise Truncated(reasons.GRE_TRUNCATED)
    if protocol in (ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_TEB):
        return protocol, pos
    if protocol == ETHERTYPE_ERSPAN_2:
        if not flags & GRE_SEQUENCE:  # type I: no ERSPAN header at all
            return ETHERTYPE_TEB, pos
        return erspan2(data, pos, end)
    if protocol == ETHERTYPE_ERSPAN_3:
        return erspan3(data, pos, end)
    raise Skipped(reasons.GRE_UNSUPPORTED)


def erspan2(data: bytes, off: int, end: int) -> tuple[int, int]:
    """ERSPAN type II: 8-byte header, version 1, then the mirrored Ethernet frame."""
    if end < off + 8 or data[off] >> 4 != 1:
        raise ParseError(reasons.ERSPAN_BAD)
    return ETHERTYPE_TEB, off + 8


def erspan3(data: bytes, off: int, end: int) -> tuple[int, int]:
    """ERSPAN type III: 12-byte header, version 2, optional 8-byte platform subheader (O bit);
    the frame type (FT) says Ethernet (0) or IP (2)."""
    if end < off + 12 or data[off] >> 4 != 2:
        raise ParseError(reasons.ERSPAN_BAD)
    flags = int.from_bytes(data[off + 10 : off + 12])
    pos = off + 12 + (8 if flags & 0x0001 else 0)
    frame_type = (flags >> 10) & 0x1F
    if end < pos or frame_type not in (0, 2):
        raise ParseError(reasons.ERSPAN_BAD)
    return (ETHERTYPE_TEB if frame_type == 0 else IP_VERSION), pos


def vxlan(data: bytes, off: int, end: int) -> int | None:
    """Offset of the inner Ethernet frame of a VXLAN packet, or None if it is not one."""
    if end < off + 8 + 14 or not data[off] & VXLAN_FLAG_I:
        return None
    return off + 8

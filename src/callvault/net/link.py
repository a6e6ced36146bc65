"""Link layers, one packet at a time: from a captured frame to the IP header inside it."""

from __future__ import annotations

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
)
from callvault.errors import ParseError, Truncated
from callvault.net import reasons
from callvault.net.numbers import (
    AF_INET,
    AF_INET6,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MPLS,
    ETHERTYPE_MPLS_MULTICAST,
    ETHERTYPE_PPPOE_SESSION,
    PPP_IPV4,
    PPP_IPV6,
    VLAN_TPIDS,
)
from callvault.net.reasons import Skipped

MAX_VLAN_TAGS = 4
MAX_MPLS_LABELS = 8

IP_VERSION = 0
"""Pseudo-ethertype: the IP version is in the first nibble of what follows."""

_ETHERTYPE_VERSION = {ETHERTYPE_IPV4: 4, ETHERTYPE_IPV6: 6}


def network_layer(data: bytes, off: int, end: int, linktype: int) -> tuple[int, int, int]:
    """(IP version, offset of the IP header, end of the frame's IP part) of one frame.

    Raises Truncated/ParseError for a broken link header and Skipped for a frame that
    carries no IP (ARP, LLDP, PPP control, ...).
    """
    if linktype == LINKTYPE_ETHERNET:
        return ethernet(data, off, end)
    if linktype == LINKTYPE_LINUX_SLL:
        _need(off + 16, end)
        return ethertype_payload(data, off + 16, end, int.from_bytes(data[off + 14 : off + 16]))
    if linktype == LINKTYPE_LINUX_SLL2:
        _need(off + 20, end)
        return ethertype_payload(data, off + 20, end, int.from_bytes(data[off : off + 2]))
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return ethertype_payload(data, off, end, IP_VERSION)
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        _need(off + 4, end)
        return ethertype_payload(data, off + 4, end, _loopback_ethertype(data[off : off + 4]))
    raise Skipped(reasons.LINK_UNSUPPORTED)


def ethernet(data: bytes, off: int, end: int) -> tuple[int, int, int]:
    """Ethernet II (IEEE 802.3 length frames carry LLC, not IP)."""
    _need(off + 14, end)
    return ethertype_payload(data, off + 14, end, int.from_bytes(data[off + 12 : off + 14]))


def ethertype_payload(data: bytes, off: int, end: int, ethertype: int) -> tuple[int, int, int]:
    """Unwrap VLAN tags, PPPoE and MPLS until an IP header; see network_layer."""
    for _ in range(MAX_VLAN_TAGS + 1):
        if ethertype not in VLAN_TPIDS:
            break
        _need(off + 4, end)
        ethertype = int.from_bytes(data[off + 2 : off + 4])
        off += 4
    else:
        raise ParseError(reasons.LINK_TRUNCATED)
    version = _ETHERTYPE_VERSION.get(ethertype)
    if version is not None:
        return version, off, end
    if ethertype == IP_VERSION:
        _need(off + 1, end)
        return data[off] >> 4, off, end
    if ethertype == ETHERTYPE_PPPOE_SESSION:
        return _pppoe(data, off, end)
    if ethertype in (ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST):
        return _mpls(data, off, end)
    raise Skipped(reasons.NOT_IP)


def _pppoe(data: bytes, off: int, end: int) -> tuple[int, int, int]:
    """RFC 2516 session stage: ver/type 0x11, code 0, session id, length; then PPP (RFC 1661)."""
    if end < off + 8:
        raise Truncated(reasons.PPPOE_BAD)
    if data[off] != 0x11 or data[off + 1] != 0:
        raise ParseError(reasons.PPPOE_BAD)
    end = min(end, off + 6 + int.from_bytes(data[off + 4 : off + 6]))
    protocol = int.from_bytes(data[off + 6 : off + 8])
    if protocol == PPP_IPV4:
        return 4, off + 8, end
    if protocol == PPP_IPV6:
        return 6, off + 8, end
    raise Skipped(reasons.NOT_IP)


def _mpls(data: bytes, off: int, end: int) -> tuple[int, int, int]:
    """RFC 3032 label stack; the payload is guessed from its first nibble (4, 6, or 0 for a
    pseudowire control word before an Ethernet frame, RFC 4448)."""
    for _ in range(MAX_MPLS_LABELS):
        if end < off + 4:
            raise Truncated(reasons.MPLS_BAD)
        bottom = data[off + 2] & 0x01
        off += 4
        if bottom:
            break
    else:
        raise ParseError(reasons.MPLS_BAD)
    if end <= off:
        raise Truncated(reasons.MPLS_BAD)
    nibble = data[off] >> 4
    if nibble in (4, 6):
        return nibble, off, end
    if nibble == 0:
        return ethernet(data, off + 4, end)
    raise ParseError(reasons.MPLS_BAD)


def _loopback_ethertype(family_bytes: bytes) -> int:
    # NULL stores the family in the capturing host's byte order, LOOP in network order;
    # either way one of the two readings is a small number.
    family = int.from_bytes(family_bytes, "little")
    if family > 0xFFFF:
        family = int.from_bytes(family_bytes, "big")
    if family == AF_INET:
        return ETHERTYPE_IPV4
    if family in AF_INET6:
        return ETHERTYPE_IPV6
    raise Skipped(reasons.NOT_IP)


def _need(size: int, end: int) -> None:
    if end < size:
        raise Truncated(reasons.LINK_TRUNCATED)

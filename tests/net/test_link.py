"""Link layers on the per-packet path: every link type, VLAN/QinQ, PPPoE, MPLS, non-IP."""

from __future__ import annotations

import struct

import pytest

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
from callvault.net import NetDecoder, build, reasons

SIP = b"OPTIONS sip:probe@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
V4 = build.ipv4("198.51.100.7", "203.0.113.9", 17, build.udp(5060, 5080, SIP))
V6 = build.ipv6("2001:db8::7", "2001:db8::9", 17, build.udp(5060, 5080, SIP))


def decode(
    frames: list[bytes], linktype: int | list[int] = LINKTYPE_ETHERNET, fast_path: bool = False
):
    decoder = NetDecoder(fast_path=fast_path)
    datagrams, streams = decoder.decode(build.packet_batch(frames, linktype=linktype))
    return decoder, datagrams, streams


@pytest.mark.parametrize(
    "linktype",
    [
        LINKTYPE_ETHERNET,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_LINUX_SLL2,
        LINKTYPE_RAW,
        LINKTYPE_NULL,
        LINKTYPE_LOOP,
    ],
)
@pytest.mark.parametrize("packet", [V4, V6], ids=["ipv4", "ipv6"])
def test_every_link_type_carries_ipv4_and_ipv6(linktype: int, packet: bytes) -> None:
    decoder, datagrams, _ = decode([build.link(packet, linktype)], linktype)
    assert len(datagrams) == 1, decoder.counters.skipped
    assert datagrams.payload(0) == SIP
    assert (int(datagrams.sport[0]), int(datagrams.dport[0])) == (5060, 5080)
    src = "198.51.100.7" if packet is V4 else "2001:db8::7"
    assert decoder.addresses.text(int(datagrams.src[0])) == src


def test_dedicated_ipv4_and_ipv6_link_types() -> None:
    _, datagrams, _ = decode([V4, V6], [LINKTYPE_IPV4, LINKTYPE_IPV6])
    assert len(datagrams) == 2


@pytest.mark.parametrize("family", [2, 10, 24, 28, 30])
@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_null_address_family_in_either_byte_order(family: int, byteorder: str) -> None:
    packet = V4 if family == 2 else V6
    _, datagrams, _ = decode(
        [build.null(packet, family=family, byteorder=byteorder)], LINKTYPE_NULL
    )
    assert datagrams.payload(0) == SIP


@pytest.mark.parametrize(
    "tags",
    [
        ((100,), (0x8100,)),
        ((100, 200), (0x88A8, 0x8100)),
        ((1, 2), (0x9100, 0x8100)),
        ((1, 2, 3), None),
    ],
    ids=["802.1Q", "802.1ad QinQ", "old QinQ", "three tags"],
)
@pytest.mark.parametrize("fast_path", [True, False])
def test_vlan_tags(tags: tuple[tuple[int, ...], tuple[int, ...] | None], fast_path: bool) -> None:
    vlans, tpids = tags
    frames = [
        build.ethernet(V4, vlans=vlans, tpids=tpids),
        build.ethernet(V6, ethertype=0x86DD, vlans=vlans, tpids=tpids),
    ]
    _, datagrams, _ = decode(frames, fast_path=fast_path)
    assert [datagrams.payload(i) for i in range(len(datagrams))] == [SIP, SIP]


@pytest.mark.parametrize("packet", [V4, V6], ids=["ipv4", "ipv6"])
def test_pppoe_session(packet: bytes) -> None:
    frame = build.ethernet(build.pppoe(packet, session=0x1234), ethertype=0x8864, vlans=(7,))
    decoder, datagrams, _ = decode([frame], fast_path=True)
    assert datagrams.payload(0) == SIP
    assert not decoder.counters.skipped


def test_pppoe_control_and_discovery_are_not_ip() -> None:
    lcp = build.ethernet(build.pppoe(b"\x01\x01\x00\x04", ppp_protocol=0xC021), ethertype=0x8864)
    padi = build.ethernet(b"\x11\x09\x00\x00\x00\x00", ethertype=0x8863)
    bad = build.ethernet(b"\x22" + build.pppoe(V4)[1:], ethertype=0x8864)
    decoder, datagrams, _ = decode([lcp, padi, bad])
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.NOT_IP: 2, reasons.PPPOE_BAD: 1}


def test_pppoe_length_bounds_the_packet() -> None:
    frame = build.ethernet(build.pppoe(V4), ethertype=0x8864) + b"\xff" * 30
    _, datagrams, _ = decode([frame])
    assert datagrams.payload(0) == SIP


def test_mpls_label_stacks() -> None:
    frames = [
        build.ethernet(build.mpls(V4, [16]), ethertype=0x8847),
        build.ethernet(build.mpls(V6, [16, 17, 18]), ethertype=0x8847),
        # Ethernet pseudowire with a control word (RFC 4448)
        build.ethernet(build.mpls(b"\x00" * 4 + build.ethernet(V4), [99]), ethertype=0x8847),
    ]
    decoder, datagrams, _ = decode(frames, fast_path=True)
    assert len(datagrams) == 3, decoder.counters.skipped


def test_mpls_without_bottom_of_stack_is_counted() -> None:
    stack = b"".join(struct.pack("!I", (i << 12) | 64) for i in range(12))
    decoder, datagrams, _ = decode([build.ethernet(stack + V4, ethertype=0x8847)])
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.MPLS_BAD: 1}


def test_non_ip_frames_are_counted() -> None:
    arp = build.ethernet(bytes(28), ethertype=0x0806)
    lldp = build.ethernet(bytes(30), ethertype=0x88CC)
    llc = build.ethernet(b"\x42\x42\x03" + bytes(40), ethertype=46)  # 802.3 length field
    sll_arp = build.linux_sll(bytes(28), protocol=0x0806)
    decoder, datagrams, _ = decode([arp, lldp, llc, sll_arp], [1, 1, 1, LINKTYPE_LINUX_SLL])
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.NOT_IP: 4}


def test_raw_frame_of_another_ip_version_is_counted() -> None:
    decoder, datagrams, _ = decode([b"\x50" + V4[1:], b""], LINKTYPE_RAW, fast_path=True)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.IP_VERSION: 1, reasons.LINK_TRUNCATED: 1}


def test_unknown_link_type_is_counted() -> None:
    decoder, datagrams, _ = decode([V4], 147)  # a user-defined DLT
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.LINK_UNSUPPORTED: 1}


@pytest.mark.parametrize(
    ("linktype", "size"),
    [
        (LINKTYPE_ETHERNET, 13),
        (LINKTYPE_LINUX_SLL, 15),
        (LINKTYPE_LINUX_SLL2, 19),
        (LINKTYPE_NULL, 3),
    ],
)
def test_truncated_link_headers_are_counted(linktype: int, size: int) -> None:
    frame = build.link(V4, linktype)[:size]
    decoder, datagrams, _ = decode([frame], linktype, fast_path=True)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.LINK_TRUNCATED: 1}


def test_truncated_vlan_tag_is_counted() -> None:
    frame = build.ethernet(V4, vlans=(5,))[:16]
    decoder, _, _ = decode([frame])
    assert decoder.counters.skipped == {reasons.LINK_TRUNCATED: 1}

"""Tunnels: IP-in-IP, IPv6-in-IPv4, GRE, ERSPAN II/III, VXLAN, and the depth bound."""

from __future__ import annotations

import pytest

from callvault.net import NetDecoder, build, reasons
from callvault.net.numbers import IPPROTO_GRE, IPPROTO_UDP

SIP = b"NOTIFY sip:watcher@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
INNER_V4 = build.ipv4("172.16.0.1", "172.16.0.2", IPPROTO_UDP, build.udp(5060, 5070, SIP))
INNER_V6 = build.ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(5060, 5070, SIP))
INNER_FRAME = build.ethernet(INNER_V4, vlans=(30,))


def decode(*frames: bytes, fast_path: bool = True):
    decoder = NetDecoder(fast_path=fast_path)
    datagrams, streams = decoder.decode(build.packet_batch(list(frames)))
    return decoder, datagrams, streams


def assert_inner(decoder: NetDecoder, datagrams, inner_src: str = "172.16.0.1") -> None:
    assert len(datagrams) == 1, decoder.counters.skipped
    assert datagrams.payload(0) == SIP
    assert decoder.addresses.text(int(datagrams.src[0])) == inner_src
    assert (int(datagrams.sport[0]), int(datagrams.dport[0])) == (5060, 5070)
    assert not decoder.counters.skipped


@pytest.mark.parametrize("inner", [INNER_V4, INNER_V6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("outer", ["192.0.2.1", "2001:db8:ffff::1"], ids=["over-ipv4", "over-ipv6"])
def test_ip_in_ip(inner: bytes, outer: str) -> None:
    outer_dst = "192.0.2.2" if ":" not in outer else "2001:db8:ffff::2"
    decoder, datagrams, _ = decode(build.link(build.ip_in_ip(outer, outer_dst, inner)))
    assert_inner(decoder, datagrams, "172.16.0.1" if inner is INNER_V4 else "2001:db8::1")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"checksum_present": True},
        {"key": 7},
        {"sequence": 9},
        {"checksum_present": True, "key": 1, "sequence": 2},
    ],
)
@pytest.mark.parametrize(
    ("payload", "protocol"),
    [(INNER_V4, 0x0800), (INNER_V6, 0x86DD), (INNER_FRAME, 0x6558)],
    ids=["ipv4", "ipv6", "ethernet"],
)
def test_gre(options: dict[str, int], payload: bytes, protocol: int) -> None:
    packet = build.ipv4(
        "192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.gre(payload, protocol, **options)
    )
    decoder, datagrams, _ = decode(build.link(packet))
    assert_inner(decoder, datagrams, "2001:db8::1" if payload is INNER_V6 else "172.16.0.1")


def test_gre_carrying_mpls() -> None:
    packet = build.ipv4(
        "192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.gre(build.mpls(INNER_V4, [7, 8]), 0x8847)
    )
    decoder, datagrams, _ = decode(build.link(packet))
    assert_inner(decoder, datagrams)


def test_gre_checksum_is_valid() -> None:
    header_and_payload = build.gre(INNER_V4, 0x0800, checksum_present=True)
    assert build.checksum(header_and_payload) == 0


def test_erspan_type_1_2_3() -> None:
    type1 = build.gre(INNER_FRAME, 0x88BE)  # no sequence number: no ERSPAN header
    type2 = build.erspan2(INNER_FRAME, session=5, vlan=30, sequence=1)
    type3 = build.erspan3(INNER_FRAME, session=5, timestamp=123456)
    type3_platform = build.erspan3(INNER_FRAME, platform=bytes(8))
    type3_ip = build.erspan3(INNER_V4, frame_type=2)
    frames = [
        build.link(build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, g))
        for g in (type1, type2, type3, type3_platform, type3_ip)
    ]
    decoder, datagrams, _ = decode(*frames)
    assert [datagrams.payload(i) for i in range(len(datagrams))] == [SIP] * 5
    assert not decoder.counters.skipped


def test_bad_tunnel_headers_are_counted() -> None:
    def over_gre(payload: bytes) -> bytes:
        return build.link(build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, payload))

    frames = [
        over_gre(b"\x00\x01\x08\x00" + INNER_V4),  # version 1 (PPTP)
        over_gre(b"\x40\x00\x08\x00" + INNER_V4),  # routing present (RFC 1701)
        over_gre(b"\x00\x00\x88\x0b" + INNER_V4),  # PPP
        over_gre(b"\x30\x00"),  # truncated
        over_gre(
            build.gre(b"\x50" + bytes(7) + INNER_FRAME, 0x88BE, sequence=1)
        ),  # ERSPAN II version 5
        over_gre(
            build.gre(b"\x20" + bytes(9) + b"\x04\x00" + INNER_FRAME, 0x22EB)
        ),  # ERSPAN III FT 1
    ]
    decoder, datagrams, _ = decode(*frames)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {
        reasons.GRE_UNSUPPORTED: 3,
        reasons.GRE_TRUNCATED: 1,
        reasons.ERSPAN_BAD: 2,
    }


def test_vxlan() -> None:
    frame = build.udp_frame("192.0.2.1", 33333, "192.0.2.2", 4789, build.vxlan(INNER_FRAME, vni=77))
    decoder, datagrams, _ = decode(frame)
    assert_inner(decoder, datagrams)


def test_udp_to_vxlan_port_that_is_not_vxlan_is_a_datagram() -> None:
    frame = build.udp_frame("192.0.2.1", 33333, "192.0.2.2", 4789, b"\x80\x00 rtp-ish")
    _, datagrams, _ = decode(frame)
    assert datagrams.payload(0) == b"\x80\x00 rtp-ish"


def test_tcp_inside_a_tunnel() -> None:
    segment = build.tcp(40000, 5060, 1, payload=SIP)
    inner = build.ipv4("172.16.0.1", "172.16.0.2", 6, segment)
    packet = build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.erspan2(build.ethernet(inner)))
    _decoder, _, streams = decode(build.link(packet))
    assert [(s.data, s.transport) for s in streams] == [(SIP, "tcp")]


def test_fragmented_outer_packet_of_a_tunnel() -> None:
    big = SIP + b"x" * 3000
    inner = build.ipv4("172.16.0.1", "172.16.0.2", IPPROTO_UDP, build.udp(5060, 5070, big))
    outer = build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.gre(inner, 0x0800), ident=3)
    frames = [build.link(f) for f in build.fragment_ipv4(outer, 1400)]
    _decoder, datagrams, _ = decode(*frames)
    assert datagrams.payload(0) == big


def test_nesting_is_bounded() -> None:
    packet = INNER_V4
    for _ in range(6):
        packet = build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.gre(packet, 0x0800))
    decoder, datagrams, _ = decode(build.link(packet))
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.TUNNEL_TOO_DEEP: 1}
    packet = INNER_V4
    for _ in range(4):
        packet = build.ip_in_ip("192.0.2.1", "192.0.2.2", packet)
    _, datagrams, _ = decode(build.link(packet))
    assert len(datagrams) == 1

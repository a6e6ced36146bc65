"""IPv4 and IPv6 headers, extension headers and UDP on the per-packet path."""

from __future__ import annotations

import pytest

from callvault.net import NetDecoder, build, reasons
from callvault.net.build import ipv6_extension, ipv6_fragment_header
from callvault.net.numbers import (
    IPPROTO_AH,
    IPPROTO_DSTOPTS,
    IPPROTO_HOPOPTS,
    IPPROTO_ROUTING,
)

SIP = b"BYE sip:alice@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"


def decode(*frames: bytes, fast_path: bool = False):
    decoder = NetDecoder(fast_path=fast_path)
    datagrams, _streams = decoder.decode(build.packet_batch(list(frames)))
    return decoder, datagrams


def test_ipv6_extension_headers_are_skipped() -> None:
    packet = build.ipv6(
        "2001:db8::1",
        "2001:db8::2",
        17,
        build.udp(5060, 5060, SIP),
        extensions=[
            ipv6_extension(IPPROTO_HOPOPTS, b"\x01\x04\x00\x00\x00\x00"),
            ipv6_extension(IPPROTO_ROUTING, bytes(22)),
            ipv6_extension(IPPROTO_DSTOPTS, bytes(12)),
            (IPPROTO_AH, bytes(22)),
        ],
    )
    decoder, datagrams = decode(build.link(packet))
    assert not decoder.counters.skipped, decoder.counters.skipped
    assert datagrams.payload(0) == SIP


def test_ipv6_atomic_fragment_is_a_whole_packet() -> None:
    packet = build.ipv6(
        "2001:db8::1",
        "2001:db8::2",
        17,
        build.udp(1, 2, SIP),
        extensions=[ipv6_fragment_header(0, False, 77)],
    )
    _decoder, datagrams = decode(build.link(packet))
    assert datagrams.payload(0) == SIP


def test_ipv6_addresses_get_ids_in_order_of_appearance() -> None:
    frames = [
        build.udp_frame("2001:db8::a", 1, "2001:db8::b", 2, b"x"),
        build.udp_frame("2001:db8::b", 2, "2001:db8::a", 1, b"y"),
        build.udp_frame("::ffff:192.0.2.1", 1, "2001:db8::a", 2, b"z"),
    ]
    decoder, datagrams = decode(*frames)
    assert datagrams.src.tolist()[:2] == datagrams.dst.tolist()[1::-1]
    assert int(datagrams.src[2]) == 0xC0000201  # IPv4-mapped: the IPv4 id
    assert decoder.addresses.text(int(datagrams.dst[2])) == "2001:db8::a"


def test_ipv6_no_next_header_and_other_protocols_are_counted() -> None:
    frames = [
        build.link(build.ipv6("2001:db8::1", "2001:db8::2", 59, b"")),
        build.link(build.ipv6("2001:db8::1", "2001:db8::2", 58, bytes(8))),  # ICMPv6
        build.link(build.ipv4("192.0.2.1", "192.0.2.2", 1, bytes(8))),  # ICMP
        build.link(build.ipv4("192.0.2.1", "192.0.2.2", 132, bytes(16))),  # SCTP
    ]
    decoder, datagrams = decode(*frames)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.IP_NO_NEXT_HEADER: 1, reasons.IP_OTHER_PROTOCOL: 3}


def bad_ipv4(**fields: int) -> bytes:
    packet = bytearray(build.ipv4("192.0.2.1", "192.0.2.2", 17, build.udp(1, 2, SIP)))
    for index, value in fields.items():
        packet[int(index[1:])] = value
    return build.link(bytes(packet))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (bad_ipv4(b0=0x55), reasons.IPV4_BAD),  # version 5
        (bad_ipv4(b0=0x44), reasons.IPV4_BAD),  # IHL 4
        (bad_ipv4(b2=0, b3=10), reasons.IPV4_BAD),  # total length < IHL
        (build.link(build.ipv4("192.0.2.1", "192.0.2.2", 17, b""))[:30], reasons.IPV4_TRUNCATED),
        (bad_ipv4(b0=0x4F), reasons.UDP_BAD_LENGTH),  # 60-byte header eats the UDP header
        (bad_ipv4(b2=0, b3=27), reasons.UDP_TRUNCATED),  # total length leaves 7 UDP bytes
        (
            build.link(build.ipv4("192.0.2.1", "192.0.2.2", 17, build.udp(1, 2, SIP, length=7))),
            reasons.UDP_BAD_LENGTH,
        ),
        (
            build.link(build.ipv4("192.0.2.1", "192.0.2.2", 17, build.udp(1, 2, SIP, length=900))),
            reasons.UDP_BAD_LENGTH,
        ),
        (
            build.link(build.ipv6("2001:db8::1", "2001:db8::2", 17, b""))[:40],
            reasons.IPV6_TRUNCATED,
        ),
        (build.ethernet(b"\x45" + bytes(39), ethertype=0x86DD), reasons.IPV6_BAD),
    ],
)
@pytest.mark.parametrize("fast_path", [True, False])
def test_malformed_ip_and_udp_are_counted_by_reason(
    frame: bytes, reason: str, fast_path: bool
) -> None:
    decoder, datagrams = decode(frame, fast_path=fast_path)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reason: 1}


def test_ipv6_extension_header_chain_that_never_ends_is_counted() -> None:
    chain = [ipv6_extension(IPPROTO_DSTOPTS, b"")] * 20
    packet = build.ipv6("2001:db8::1", "2001:db8::2", 17, build.udp(1, 2, b"x"), extensions=chain)
    decoder, _datagrams = decode(build.link(packet))
    assert decoder.counters.skipped == {reasons.IPV6_BAD: 1}


def test_ipv6_payload_length_bounds_the_datagram() -> None:
    frame = build.link(build.ipv6("2001:db8::1", "2001:db8::2", 17, build.udp(1, 2, SIP))) + b"junk"
    _, datagrams = decode(frame)
    assert datagrams.payload(0) == SIP


def test_udp_payload_cut_by_snaplen_is_handed_up_as_captured() -> None:
    frame = build.udp_frame("2001:db8::1", 1, "2001:db8::2", 2, SIP)[:-10]
    _, datagrams = decode(frame)
    assert datagrams.payload(0) == SIP[:-10]

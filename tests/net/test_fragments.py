"""IP fragment reassembly: any order, duplicates, overlaps, timeouts, memory bounds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callvault.net import NetDecoder, NetLimits, build, reasons
from callvault.net.build import ipv6_extension
from callvault.net.numbers import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Type: application/sdp\r\n"
    + b"Content-Length: 3000\r\n\r\n"
    + bytes(range(256)) * 12
)[:3100]


def v4_fragments(payload: bytes = INVITE, mtu: int = 576, ident: int = 4242) -> list[bytes]:
    packet = build.ipv4("10.0.0.1", "10.0.0.2", 17, build.udp(5060, 5060, payload), ident=ident)
    return [build.link(f) for f in build.fragment_ipv4(packet, mtu)]


def v6_fragments(payload: bytes = INVITE, mtu: int = 1280, ident: int = 99) -> list[bytes]:
    packet = build.ipv6("2001:db8::1", "2001:db8::2", 17, build.udp(5060, 5060, payload))
    return [build.link(f) for f in build.fragment_ipv6(packet, mtu, ident=ident)]


def decode(frames: list[bytes], ts: list[float] | None = None, decoder: NetDecoder | None = None):
    decoder = decoder or NetDecoder()
    datagrams, _ = decoder.decode(build.packet_batch(frames, ts=ts))
    return decoder, datagrams


@pytest.mark.parametrize("fragments", [v4_fragments, v6_fragments], ids=["ipv4", "ipv6"])
def test_in_order_fragments_reassemble_at_the_last_one(fragments) -> None:
    frames = fragments()
    assert len(frames) >= 3
    plain = build.udp_frame("10.9.9.9", 1, "10.9.9.8", 2, b"between")
    decoder, datagrams = decode([frames[0], plain, *frames[1:]])
    assert [datagrams.payload(i) for i in range(2)] == [b"between", INVITE]
    # the reassembled datagram takes the time of its last fragment
    assert float(datagrams.ts[1]) == pytest.approx(1_700_000_000.0 + 0.001 * len(frames))
    assert not decoder.counters.skipped


@pytest.mark.parametrize("fragments", [v4_fragments, v6_fragments], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("seed", range(5))
def test_fragments_in_any_order_with_duplicates(fragments, seed: int) -> None:
    frames = fragments()
    shuffled = frames + frames[:2]
    random.Random(seed).shuffle(shuffled)
    decoder, datagrams = decode(shuffled)
    assert len(datagrams) >= 1
    assert datagrams.payload(0) == INVITE
    # copies that came after completion start a new datagram that never completes
    decoder.flush()
    skipped = decoder.counters.skipped
    assert set(skipped) <= {reasons.FRAGMENT_DUPLICATE, reasons.FRAGMENT_INCOMPLETE}


def test_fragments_split_over_batches() -> None:
    frames = v4_fragments()
    decoder = NetDecoder()
    first, _ = decoder.decode(build.packet_batch(frames[:2]))
    second, _ = decoder.decode(
        build.packet_batch(frames[2:], ts=[1_700_000_001.0] * len(frames[2:]))
    )
    assert len(first) == 0
    assert second.payload(0) == INVITE


def test_agreeing_ipv4_overlap_is_accepted() -> None:
    packet = build.ipv4("10.0.0.1", "10.0.0.2", 17, build.udp(5060, 5060, INVITE), ident=5)
    small = build.fragment_ipv4(packet, 276)  # 256-byte pieces
    large = build.fragment_ipv4(packet, 532)  # 512-byte pieces, same bytes
    frames = [build.link(f) for f in large[:2] + small[1:]]
    decoder, datagrams = decode(frames)
    assert datagrams.payload(0) == INVITE
    assert not decoder.counters.skipped


def test_conflicting_ipv4_overlap_drops_the_datagram() -> None:
    packet = build.ipv4("10.0.0.1", "10.0.0.2", 17, build.udp(5060, 5060, INVITE), ident=5)
    pieces = build.fragment_ipv4(packet, 532)
    forged = build.ipv4("10.0.0.1", "10.0.0.2", 17, b"X" * 512, ident=5, mf=True, frag_offset=256)
    frames = [build.link(f) for f in [pieces[0], forged, *pieces[1:]]]
    decoder, datagrams = decode(frames)
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {reasons.FRAGMENT_OVERLAP: len(frames)}


def test_any_ipv6_overlap_drops_the_datagram() -> None:
    """RFC 5722: overlapping IPv6 fragments drop the whole datagram, even if bytes agree."""
    packet = build.ipv6("2001:db8::1", "2001:db8::2", 17, build.udp(5060, 5060, INVITE))
    big = build.fragment_ipv6(packet, 1280, ident=1)
    small = build.fragment_ipv6(packet, 680, ident=1)
    decoder, datagrams = decode([build.link(f) for f in [big[0], small[1], *big[1:]]])
    assert len(datagrams) == 0
    assert set(decoder.counters.skipped) == {reasons.FRAGMENT_OVERLAP}


def test_inconsistent_last_fragment_drops_the_datagram() -> None:
    frames = v4_fragments()
    early_end = build.link(
        build.ipv4("10.0.0.1", "10.0.0.2", 17, b"Z" * 16, ident=4242, frag_offset=1000)
    )
    decoder, datagrams = decode([*frames[:-1], early_end, frames[-1]])
    assert len(datagrams) == 0
    assert set(decoder.counters.skipped) == {reasons.FRAGMENT_OVERLAP}


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (build.ipv4("10.0.0.1", "10.0.0.2", 17, b"x" * 13, mf=True), reasons.FRAGMENT_BAD),
        (build.ipv4("10.0.0.1", "10.0.0.2", 17, b"", mf=True), reasons.FRAGMENT_BAD),
        (
            build.ipv4("10.0.0.1", "10.0.0.2", 17, b"x" * 16, frag_offset=65528),
            reasons.FRAGMENT_BAD,
        ),
    ],
)
def test_impossible_fragments_are_counted(packet: bytes, reason: str) -> None:
    decoder, _datagrams = decode([build.link(packet)])
    assert decoder.counters.skipped == {reason: 1}


def test_fragment_cut_by_snaplen_is_counted() -> None:
    frames = v4_fragments()
    decoder, datagrams = decode([frames[0][:100], *frames[1:]])
    decoder.flush()
    assert len(datagrams) == 0
    assert decoder.counters.skipped == {
        reasons.FRAGMENT_TRUNCATED: 1,
        reasons.FRAGMENT_INCOMPLETE: len(frames) - 1,
    }


def test_incomplete_datagram_times_out_after_30_seconds_of_capture_time() -> None:
    frames = v4_fragments()
    decoder = NetDecoder()
    decoder.decode(build.packet_batch(frames[:-1], ts=[100.0] * (len(frames) - 1)))
    late = build.udp_frame("10.0.0.5", 1, "10.0.0.6", 2, b"tick")
    decoder.decode(build.packet_batch([late], ts=[129.0]))
    assert not decoder.counters.skipped
    decoder.decode(build.packet_batch([late, frames[-1]], ts=[131.0, 131.0]))
    assert decoder.counters.skipped[reasons.FRAGMENT_TIMEOUT] == len(frames) - 1


def test_memory_is_bounded() -> None:
    limits = NetLimits(fragment_datagrams=10)
    decoder = NetDecoder(limits=limits)
    frames = [v4_fragments(ident=i)[0] for i in range(50)]
    decoder.decode(build.packet_batch(frames))
    assert decoder.counters.skipped == {reasons.FRAGMENT_EVICTED: 40}
    decoder.flush()
    assert decoder.counters.skipped[reasons.FRAGMENT_INCOMPLETE] == 10


def test_memory_is_bounded_in_bytes() -> None:
    decoder = NetDecoder(limits=NetLimits(fragment_bytes=64 << 10))
    frames = [f for i in range(40) for f in v4_fragments(ident=i)[:-1]]
    decoder.decode(build.packet_batch(frames))
    assert reasons.FRAGMENT_EVICTED in decoder.counters.skipped


def test_ipv6_fragment_with_extension_headers_on_both_sides() -> None:
    packet = build.ipv6(
        "2001:db8::1",
        "2001:db8::2",
        17,
        build.udp(5060, 5060, INVITE),
        extensions=[
            ipv6_extension(IPPROTO_HOPOPTS, bytes(6)),
            ipv6_extension(IPPROTO_DSTOPTS, bytes(14)),
        ],
    )
    frames = [build.link(f) for f in build.fragment_ipv6(packet, 1280)]
    decoder, datagrams = decode(frames[::-1])
    assert datagrams.payload(0) == INVITE, decoder.counters.skipped


def test_fragmented_tcp_segment_is_reassembled() -> None:
    segment = build.tcp(5060, 40000, 1000, payload=INVITE)
    packet = build.ipv4("10.0.0.1", "10.0.0.2", 6, segment, ident=8)
    decoder = NetDecoder()
    _, streams = decoder.decode(
        build.packet_batch([build.link(f) for f in build.fragment_ipv4(packet, 1500)])
    )
    assert [s.data for s in streams] == [INVITE]


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(min_size=1, max_size=5000),
    mtu=st.integers(68, 1500),
    order=st.randoms(use_true_random=False),
    v6=st.booleans(),
)
def test_reassembly_restores_any_payload(
    payload: bytes, mtu: int, order: random.Random, v6: bool
) -> None:
    frames = (
        v6_fragments(payload, max(mtu, 1280 if mtu > 1200 else 96))
        if v6
        else v4_fragments(payload, mtu)
    )
    order.shuffle(frames)
    _decoder, datagrams = decode(frames)
    assert len(datagrams) == 1
    assert datagrams.payload(0) == payload

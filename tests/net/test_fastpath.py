"""The vectorised path: what it takes, what it leaves, and that it agrees with the slow path."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    PacketBatch,
)
from callvault.net import NetDecoder, build
from callvault.net.datagram import DatagramBatch
from callvault.net.fastpath import decode_udp

FAST_LINKTYPES = [
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    LINKTYPE_IPV4,
    LINKTYPE_NULL,
    LINKTYPE_LOOP,
]


def assert_same(a: DatagramBatch, b: DatagramBatch) -> None:
    assert len(a) == len(b)
    for name in ("ts", "start", "length", "src", "dst", "sport", "dport"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    assert [a.payload(i) for i in range(len(a))] == [b.payload(i) for i in range(len(b))]


def test_plain_ethernet_ipv4_udp_is_decoded_in_place() -> None:
    frames = [build.udp_frame("192.0.2.1", 5060, "192.0.2.2", 5062, b"INVITE x")] * 3
    batch = build.packet_batch(frames)
    handled, datagrams = decode_udp(batch)
    assert handled.all()
    assert datagrams.data is batch.data  # no copy
    assert datagrams.payload(2) == b"INVITE x"
    assert datagrams.src.tolist() == [0xC0000201] * 3
    assert datagrams.dst.dtype == np.uint64
    assert datagrams.sport.tolist() == [5060] * 3
    assert datagrams.dport.tolist() == [5062] * 3


def test_leaves_what_it_does_not_understand() -> None:
    sip = b"OPTIONS sip:a SIP/2.0\r\n\r\n"
    v4 = build.ipv4("10.0.0.1", "10.0.0.2", 17, build.udp(1, 2, sip))
    frames = [
        build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, sip),  # taken
        build.udp_frame("2001:db8::1", 1, "2001:db8::2", 2, sip),  # IPv6
        *[build.ethernet(f) for f in build.fragment_ipv4(v4, 36)][:1],  # fragment
        build.tcp_frame("10.0.0.1", 1, "10.0.0.2", 2, 7, sip),  # TCP
        build.udp_frame("10.0.0.1", 1, "10.0.0.2", 4789, sip),  # VXLAN port
        build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, sip, vlans=(1, 2, 3)),  # three tags
        build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, sip)[:40],  # truncated UDP header
        build.ethernet(build.ipv4("10.0.0.1", "10.0.0.2", 17, build.udp(1, 2, sip, length=300))),
    ]
    handled, datagrams = decode_udp(build.packet_batch(frames))
    assert handled.tolist() == [True] + [False] * 7
    assert len(datagrams) == 1


def test_payload_is_bounded_by_udp_length_and_capture() -> None:
    padded = build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, b"ab") + b"\x00" * 20  # padding
    cut = build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, b"x" * 100)[:-60]  # snaplen
    handled, datagrams = decode_udp(build.packet_batch([padded, cut]))
    assert handled.all()
    assert datagrams.payload(0) == b"ab"
    assert datagrams.payload(1) == b"x" * 40


def test_ip_options_and_mixed_link_types_in_one_batch() -> None:
    packet = build.ipv4(
        "10.1.1.1", "10.2.2.2", 17, build.udp(7, 9, b"hi"), options=b"\x94\x04\x00\x00"
    )
    frames = [build.link(packet, lt) for lt in FAST_LINKTYPES] + [
        build.null(packet, byteorder="big"),
        build.link(packet, LINKTYPE_ETHERNET, vlans=(5,)),
        build.link(packet, LINKTYPE_ETHERNET, vlans=(5, 6)),
    ]
    batch = build.packet_batch(frames, linktype=[*FAST_LINKTYPES, LINKTYPE_NULL, 1, 1])
    handled, datagrams = decode_udp(batch)
    assert handled.all()
    assert {datagrams.payload(i) for i in range(len(datagrams))} == {b"hi"}


def test_empty_and_tiny_batches() -> None:
    handled, datagrams = decode_udp(build.packet_batch([]))
    assert len(handled) == 0 and len(datagrams) == 0
    handled, datagrams = decode_udp(build.packet_batch([b"\x01"]))
    assert handled.tolist() == [False]


@st.composite
def udp_frames(draw: st.DrawFn) -> tuple[bytes, int, bool]:
    """A random IPv4/UDP frame in a random link layer, possibly padded or truncated; and
    whether the fast path may take it (at most two VLAN tags, not to the VXLAN port)."""
    linktype = draw(st.sampled_from(FAST_LINKTYPES))
    payload = draw(st.binary(max_size=1600))
    dport = draw(st.sampled_from([5060, 4789, 0, 65535, 10000]))
    options = draw(st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4]))
    udp_length = None
    if draw(st.integers(0, 9)) == 0:
        udp_length = draw(st.integers(0, len(payload) + 20))
    packet = build.ipv4(
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        17,
        build.udp(
            draw(st.integers(0, 65535)),
            dport,
            payload,
            length=udp_length,
        ),
        df=draw(st.booleans()),
        options=options,
    )
    vlans: tuple[int, ...] = ()
    if linktype == LINKTYPE_ETHERNET:
        vlans = tuple(draw(st.lists(st.integers(0, 4095), max_size=3)))
    if linktype == LINKTYPE_NULL and draw(st.booleans()):
        frame = build.null(packet, byteorder="big")
    elif linktype == LINKTYPE_ETHERNET and vlans:
        tpids = draw(
            st.lists(
                st.sampled_from([0x8100, 0x88A8, 0x9100]), min_size=len(vlans), max_size=len(vlans)
            )
        )
        frame = build.ethernet(packet, vlans=vlans, tpids=tpids)
    else:
        frame = build.link(packet, linktype)
    frame += draw(st.binary(max_size=24))  # trailer / Ethernet padding
    cut = draw(st.integers(0, len(frame)))
    if draw(st.integers(0, 4)) == 0:
        frame = frame[:cut]
    return frame, linktype, len(vlans) <= 2 and dport != 4789


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(udp_frames(), min_size=1, max_size=40))
def test_fast_and_slow_paths_agree(frames: list[tuple[bytes, int, bool]]) -> None:
    batch = build.packet_batch([f for f, _, _ in frames], linktype=[lt for _, lt, _ in frames])
    fast = NetDecoder()
    slow = NetDecoder(fast_path=False)
    fast_datagrams, _ = fast.decode(batch)
    slow_datagrams, _ = slow.decode(batch)
    assert_same(fast_datagrams, slow_datagrams)
    assert fast.counters.skipped == slow.counters.skipped


@settings(max_examples=100, deadline=None)
@given(st.lists(udp_frames(), min_size=1, max_size=20))
def test_fast_path_takes_every_frame_it_may(frames: list[tuple[bytes, int, bool]]) -> None:
    ts = np.arange(len(frames), dtype=np.float64)
    batch = build.packet_batch(
        [f for f, _, _ in frames], ts=ts, linktype=[lt for _, lt, _ in frames]
    )
    handled, _ = decode_udp(batch)
    slow, _ = NetDecoder(fast_path=False).decode(batch)
    eligible = {int(t) for t in slow.ts if frames[int(t)][2]}
    assert set(np.flatnonzero(handled).tolist()) == eligible


def test_fast_path_output_merges_with_slow_path_in_capture_order() -> None:
    frames = []
    for i in range(30):
        if i % 3 == 0:
            frames.append(build.udp_frame("2001:db8::1", i, "2001:db8::2", 9, bytes([i])))
        else:
            frames.append(build.udp_frame("10.0.0.1", i, "10.0.0.2", 9, bytes([i])))
    datagrams, _ = NetDecoder().decode(build.packet_batch(frames))
    assert datagrams.sport.tolist() == list(range(30))
    assert [datagrams.payload(i) for i in range(30)] == [bytes([i]) for i in range(30)]
    assert bool((np.diff(datagrams.ts) > 0).all())


def test_batch_with_frame_running_past_its_data_is_safe() -> None:
    frame = build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, b"abc")
    batch = PacketBatch(
        frame,
        np.array([0.0, 1.0]),
        np.array([0, len(frame) - 10], dtype=np.int64),
        np.array([len(frame), 64], dtype=np.int64),
        np.array([1, 1], dtype=np.int64),
    )
    decoder = NetDecoder()
    datagrams, _ = decoder.decode(batch)
    assert len(datagrams) == 1
    assert sum(decoder.counters.skipped.values()) == 1


@st.composite
def untagged_frames(draw: st.DrawFn) -> bytes:
    """A random untagged Ethernet frame without IPv4 options: IPv4 carrying UDP or TCP, maybe
    a fragment, a UDP length or total length that lies, padded or cut; or IPv6, or ARP."""
    kind = draw(st.integers(0, 9))
    payload = draw(st.binary(max_size=300))
    if kind == 0:
        return build.udp_frame("2001:db8::1", 5060, "2001:db8::2", 5060, payload)
    if kind == 1:
        return build.ethernet(payload, ethertype=0x0806)
    udp_length = draw(st.integers(0, len(payload) + 20)) if kind == 2 else None
    packet = build.ipv4(
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        6 if kind == 3 else 17,
        build.udp(draw(st.integers(0, 65535)), draw(st.sampled_from([5060, 4789, 0, 65535])),
                  payload, length=udp_length),
        df=draw(st.booleans()),
        mf=kind == 4,
        frag_offset=8 * draw(st.integers(0, 3)) if kind == 5 else 0,
        total_length=draw(st.integers(0, 400)) if kind == 6 else None,
    )  # fmt: skip
    frame = build.ethernet(packet) + draw(st.binary(max_size=24))
    if draw(st.integers(0, 4)) == 0:
        frame = frame[: draw(st.integers(0, len(frame)))]
    return frame


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(untagged_frames(), min_size=1, max_size=40))
def test_fast_and_slow_paths_agree_on_untagged_frames_without_options(frames: list[bytes]) -> None:
    batch = build.packet_batch(frames)
    fast = NetDecoder()
    slow = NetDecoder(fast_path=False)
    assert_same(fast.decode(batch)[0], slow.decode(batch)[0])
    assert fast.counters.skipped == slow.counters.skipped

"""Bad input is data: random and mutated frames never raise, and each is accounted for."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.capture.batch import PacketBatch
from callvault.net import NetDecoder, build, reasons
from callvault.net.numbers import IPPROTO_GRE, IPPROTO_TCP, IPPROTO_UDP

LINKTYPES = [0, 1, 101, 108, 113, 228, 229, 276, 147]
SIP = b"MESSAGE sip:x@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
_V4 = build.ipv4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, build.udp(5060, 5060, SIP))
_V6 = build.ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(5060, 5060, SIP))


def _tcp(sport: int) -> bytes:
    return build.ipv4("10.0.0.1", "10.0.0.2", IPPROTO_TCP, build.tcp(sport, 5060, 7, payload=SIP))


CORPUS: list[tuple[bytes, int]] = [
    (build.link(_V4), 1),
    (build.link(_V6, vlans=(3, 4)), 1),
    (build.link(_V4, 113), 113),
    (build.link(_V6, 276), 276),
    (build.link(_V4, 0), 0),
    (build.link(_V6, 108), 108),
    (_V4, 101),
    (build.ethernet(build.pppoe(_V4), ethertype=0x8864), 1),
    (build.ethernet(build.mpls(_V6, [1, 2]), ethertype=0x8847), 1),
    (build.link(build.ip_in_ip("192.0.2.1", "192.0.2.2", _tcp(1))), 1),
    (
        build.link(
            build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.gre(_V6, 0x86DD, key=1))
        ),
        1,
    ),
    (
        build.link(
            build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.erspan2(build.link(_V4)))
        ),
        1,
    ),
    (
        build.link(
            build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_GRE, build.erspan3(build.link(_tcp(2))))
        ),
        1,
    ),
    (build.udp_frame("192.0.2.1", 1, "192.0.2.2", 4789, build.vxlan(build.link(_V4))), 1),
    *[(build.link(f), 1) for f in build.fragment_ipv4(_V4, 60)],
    *[(build.link(f), 1) for f in build.fragment_ipv6(_V6, 96)],
    (build.link(_tcp(3)), 1),
    (
        build.tcp_frame(
            "10.0.0.1",
            1,
            "10.0.0.2",
            80,
            5,
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x02hi",
        ),
        1,
    ),
]


def batch_of(frames: list[tuple[bytes, int]]) -> PacketBatch:
    return build.packet_batch([f for f, _ in frames], linktype=[lt for _, lt in frames])


def accounted(frame: bytes, linktype: int, fast_path: bool) -> None:
    """Decoding one frame alone yields something, or a counted reason (never a crash)."""
    decoder = NetDecoder(fast_path=fast_path)
    datagrams, streams = decoder.decode(batch_of([(frame, linktype)]))
    streams += decoder.flush()
    skipped = decoder.counters.skipped
    assert reasons.DECODER_ERROR not in skipped
    assert len(datagrams) + len(streams) + sum(skipped.values()) >= 1, frame.hex()
    for i in range(len(datagrams)):
        assert datagrams.length[i] >= 0
        assert datagrams.start[i] + datagrams.length[i] <= len(datagrams.data)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, int]:
    frame, linktype = draw(st.sampled_from(CORPUS))
    data = bytearray(frame)
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        data = data[: draw(st.integers(0, len(data)))]
    elif choice == 1:
        data += draw(st.binary(max_size=64))
    if draw(st.integers(0, 9)) == 0:
        linktype = draw(st.sampled_from(LINKTYPES))
    return bytes(data), linktype


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=st.binary(max_size=300), linktype=st.sampled_from(LINKTYPES), fast_path=st.booleans())
def test_random_bytes_never_raise_and_are_accounted_for(
    frame: bytes, linktype: int, fast_path: bool
) -> None:
    accounted(frame, linktype, fast_path)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=mutated(), fast_path=st.booleans())
def test_mutated_frames_never_raise_and_are_accounted_for(
    frame: tuple[bytes, int], fast_path: bool
) -> None:
    accounted(*frame, fast_path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(mutated(), min_size=1, max_size=60))
def test_mutated_batches_decode_alike_on_both_paths(frames: list[tuple[bytes, int]]) -> None:
    batch = batch_of(frames)
    fast, slow = NetDecoder(), NetDecoder(fast_path=False)
    fast_out, slow_out = fast.decode(batch), slow.decode(batch)
    assert [fast_out[0].payload(i) for i in range(len(fast_out[0]))] == [
        slow_out[0].payload(i) for i in range(len(slow_out[0]))
    ]
    assert fast_out[1] == slow_out[1]
    assert fast.counters.skipped == slow.counters.skipped
    assert reasons.DECODER_ERROR not in fast.counters.skipped


def test_every_corpus_frame_decodes() -> None:
    decoder = NetDecoder()
    datagrams, streams = decoder.decode(batch_of(CORPUS))
    assert decoder.counters.skipped == {reasons.WEBSOCKET_CONTROL: 1}
    assert (len(datagrams), len(streams)) == (14, 4)  # the fragments make one datagram per family


def test_inconsistent_batch_arrays_do_not_crash() -> None:
    frame = build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, SIP)
    batch = PacketBatch(
        frame,
        np.zeros(3),
        np.array([0, len(frame), len(frame) + 100], dtype=np.int64),
        np.array([len(frame), 10, 10], dtype=np.int64),
        np.ones(3, dtype=np.int64),
    )
    decoder = NetDecoder()
    datagrams, _ = decoder.decode(batch)
    assert len(datagrams) == 1
    assert sum(decoder.counters.skipped.values()) == 2

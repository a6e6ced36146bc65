"""TCP reassembly: order, retransmissions, overlaps, holes, wrap-around, ends, bounds."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from callvault.net import NetDecoder, NetLimits, StreamData, TcpLimits, build, reasons
from callvault.net.numbers import TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN
from callvault.net.tcp import seq_diff

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"
REGISTER = b"REGISTER sip:example.com SIP/2.0\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
OK = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"


def seg(
    seq: int, payload: bytes = b"", flags: int = TCP_ACK | TCP_PSH, reverse: bool = False
) -> bytes:
    if reverse:
        return build.tcp_frame(SERVER, 5060, CLIENT, 40000, seq, payload, flags=flags)
    return build.tcp_frame(CLIENT, 40000, SERVER, 5060, seq, payload, flags=flags)


class Feed:
    """A decoder fed one frame per call, at a given capture time."""

    def __init__(self, limits: NetLimits | None = None) -> None:
        self.decoder = NetDecoder(limits=limits)
        self.streams: list[StreamData] = []
        self.now = 1000.0

    def __call__(self, *frames: bytes, at: float | None = None) -> list[StreamData]:
        self.now = at if at is not None else self.now + 0.01
        _, streams = self.decoder.decode(
            build.packet_batch(list(frames), ts=[self.now] * len(frames))
        )
        self.streams.extend(streams)
        return streams

    def data(self) -> bytes:
        return b"".join(s.data for s in self.streams)

    @property
    def skipped(self) -> dict[str, int]:
        return self.decoder.counters.skipped


def test_handshake_then_two_messages_in_one_segment() -> None:
    feed = Feed()
    feed(
        seg(999, flags=TCP_SYN),
        seg(5000, flags=TCP_SYN | TCP_ACK, reverse=True),
        seg(1000, flags=TCP_ACK),
    )
    out = feed(seg(1000, REGISTER + REGISTER))
    assert [(s.data, s.transport, s.gap_before) for s in out] == [
        (REGISTER + REGISTER, "tcp", False)
    ]
    assert (out[0].sport, out[0].dport) == (40000, 5060)
    assert feed.decoder.addresses.text(out[0].src) == CLIENT
    assert feed.skipped == {reasons.TCP_CONTROL: 3}


def test_one_message_over_several_segments_and_both_directions() -> None:
    feed = Feed()
    feed(seg(999, flags=TCP_SYN))
    for i in range(0, len(REGISTER), 10):
        feed(seg(1000 + i, REGISTER[i : i + 10]))
    feed(seg(7000, OK, reverse=True))
    client = b"".join(s.data for s in feed.streams if s.sport == 40000)
    server = b"".join(s.data for s in feed.streams if s.sport == 5060)
    assert (client, server) == (REGISTER, OK)


def test_retransmissions_and_overlaps_are_trimmed() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER[:30]))
    feed(seg(1000, REGISTER[:30]))  # retransmission
    feed(seg(1020, REGISTER[20:50]))  # overlaps 10 bytes
    feed(seg(1010, REGISTER[10:40]))  # inside what we have
    feed(seg(1050, REGISTER[50:]))
    assert feed.data() == REGISTER
    assert feed.skipped == {reasons.TCP_RETRANSMISSION: 2}


def test_out_of_order_segments_wait_for_the_hole() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER[:20]))
    assert feed(seg(1040, REGISTER[40:])) == []
    assert feed(seg(1030, REGISTER[30:40])) == []
    out = feed(seg(1020, REGISTER[20:30]))
    assert [s.data for s in out] == [REGISTER[20:]]
    assert feed.data() == REGISTER
    assert not any(s.gap_before for s in feed.streams)


def test_hole_that_does_not_fill_in_5_seconds_is_skipped() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER), at=10.0)
    feed(seg(1000 + len(REGISTER) + 100, OK), at=10.5)  # 100 bytes lost before it
    assert [s for s in feed(seg(1, b"x", reverse=True), at=15.0) if s.sport == 40000] == []
    late = feed(seg(2, b"y", reverse=True), at=15.6)
    gapped = [s for s in late if s.sport == 40000]
    assert [(s.data, s.gap_before) for s in gapped] == [(OK, True)]
    assert gapped[0].ts == 15.6
    assert feed.skipped[reasons.TCP_GAP] == 1
    # and the stream goes on from there
    after = feed(seg(1000 + len(REGISTER) + 100 + len(OK), REGISTER))
    assert [(s.data, s.gap_before) for s in after] == [(REGISTER, False)]


def test_hole_is_skipped_when_too_much_waits_behind_it() -> None:
    feed = Feed(NetLimits(tcp=TcpLimits(hole_bytes=4096)))
    feed(seg(1000, b"a" * 100))
    chunk = b"b" * 1000
    for i in range(4):
        assert feed(seg(2000 + i * 1000, chunk)) == []
    out = feed(seg(6000, chunk))
    assert [(len(s.data), s.gap_before) for s in out] == [(5000, True)]


def test_hole_is_skipped_at_the_end_of_a_batch_too() -> None:
    feed = Feed()
    feed(seg(1000, b"a"), at=1.0)
    feed(seg(1002, b"c"), at=1.1)
    out = feed(build.udp_frame("10.9.9.9", 1, "10.9.9.8", 2, b"rtp"), at=7.0)
    assert [(s.data, s.gap_before, s.ts) for s in out] == [(b"c", True, 7.0)]


def test_sequence_numbers_wrap_around() -> None:
    feed = Feed()
    isn = 2**32 - 20
    feed(seg(isn, flags=TCP_SYN))
    feed(seg(isn + 1, REGISTER[:10]))
    feed(seg((isn + 41) % 2**32, REGISTER[40:]))  # out of order across the wrap
    feed(seg(isn + 11, REGISTER[10:40]))
    assert feed.data() == REGISTER
    assert not feed.skipped.get(reasons.TCP_GAP)


def test_seq_diff() -> None:
    assert seq_diff(5, 2**32 - 5) == 10
    assert seq_diff(2**32 - 5, 5) == -10
    assert seq_diff(7, 7) == 0


def test_fin_ends_the_stream_and_late_copies_are_dropped() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER, flags=TCP_ACK | TCP_FIN))
    assert feed.decoder.tcp_directions == 0
    feed(seg(1000, REGISTER))  # retransmitted after the end
    assert feed.data() == REGISTER
    assert feed.skipped[reasons.TCP_RETRANSMISSION] == 1


def test_fin_waits_for_earlier_data() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER[:10]))
    feed(seg(1020, REGISTER[20:], flags=TCP_ACK | TCP_FIN))
    assert feed.decoder.tcp_directions == 1
    feed(seg(1010, REGISTER[10:20]))
    assert feed.data() == REGISTER
    assert feed.decoder.tcp_directions == 0


def test_rst_ends_both_directions() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER), seg(5000, OK, reverse=True))
    assert feed.decoder.tcp_directions == 2
    feed(seg(5000 + len(OK), flags=TCP_RST, reverse=True))
    assert feed.decoder.tcp_directions == 0


def test_new_syn_on_the_same_ports_starts_a_new_stream() -> None:
    feed = Feed()
    feed(seg(1000, REGISTER, flags=TCP_ACK | TCP_FIN))
    feed(seg(777_777, flags=TCP_SYN))
    feed(seg(777_778, OK))
    assert feed.data() == REGISTER + OK


def test_mid_stream_capture_starts_at_the_first_segment() -> None:
    feed = Feed()
    feed(seg(123_456_789, b"tail of something\r\n"), seg(123_456_789 + 19, REGISTER))
    assert feed.data() == b"tail of something\r\n" + REGISTER


def test_flush_hands_up_what_waits_behind_a_hole() -> None:
    feed = Feed()
    feed(seg(1000, b"a"))
    feed(seg(1005, REGISTER))
    out = feed.decoder.flush()
    assert [(s.data, s.gap_before) for s in out] == [(REGISTER, True)]
    assert feed.decoder.tcp_directions == 0


def test_idle_streams_expire_and_their_number_is_bounded() -> None:
    feed = Feed(NetLimits(tcp=TcpLimits(idle_seconds=60, max_directions=100)))
    frames = [build.tcp_frame(CLIENT, 1024 + i, SERVER, 5060, 1, b"x") for i in range(300)]
    feed(*frames, at=0.0)
    assert feed.decoder.tcp_directions == 100
    feed(build.tcp_frame(CLIENT, 9, SERVER, 5060, 1, b"x"), at=61.0)
    assert feed.decoder.tcp_directions == 1


def test_evicted_stream_counts_held_segments() -> None:
    feed = Feed(NetLimits(tcp=TcpLimits(idle_seconds=60, hole_seconds=100)))
    feed(seg(1000, b"a"), seg(1010, b"b"), at=0.0)
    feed(build.udp_frame("10.9.9.9", 1, "10.9.9.8", 2, b"x"), at=61.0)
    assert feed.skipped[reasons.TCP_EVICTED] == 1


def test_truncated_and_malformed_segments_are_counted() -> None:
    good = seg(1, REGISTER)
    bad_offset = bytearray(good)
    bad_offset[14 + 20 + 12] = 0x40  # data offset 4 words
    feed = Feed()
    feed(good[:-5], good[: 14 + 20 + 10], bytes(bad_offset))
    assert feed.streams == []
    assert feed.skipped == {reasons.TCP_TRUNCATED: 2, reasons.TCP_BAD: 1}


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000).map(lambda b: b"INFO " + b),  # not TLS, not HTTP
    cuts=st.lists(st.integers(1, 2999), max_size=12),
    isn=st.integers(0, 2**32 - 1),
    order=st.randoms(use_true_random=False),
    copies=st.lists(st.integers(0, 11), max_size=4),
)
def test_any_segmentation_order_and_duplication_restores_the_bytes(
    data: bytes, cuts: list[int], isn: int, order, copies: list[int]
) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    segments = [seg(isn + 1 + a, data[a:b]) for a, b in itertools.pairwise(bounds)]
    segments += [segments[i] for i in copies if i < len(segments)]
    order.shuffle(segments)
    feed = Feed()
    feed(seg(isn, flags=TCP_SYN))
    feed(*segments)
    feed.streams.extend(feed.decoder.flush())
    assert feed.data() == data
    assert not any(s.gap_before for s in feed.streams)

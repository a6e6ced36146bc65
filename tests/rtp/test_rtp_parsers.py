"""RTP header parsing (per packet and batched) and RFC 4733 events: exact fields on known
packets, and nothing but the project's ParseError on random or mutated bytes."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callvault.errors import ParseError, Truncated
from callvault.rtp.dtmf import TelephoneEvent
from callvault.rtp.packet import RtpPacket, classify, read_headers


def rtp(
    pt: int = 0,
    seq: int = 7,
    ts: int = 160,
    ssrc: int = 0xCAFE,
    payload: bytes = b"\xff" * 160,
    marker: bool = False,
    csrc: tuple[int, ...] = (),
    ext: bytes | None = None,
    pad: int = 0,
) -> bytes:
    b0 = 0x80 | len(csrc) | (0x10 if ext is not None else 0) | (0x20 if pad else 0)
    head = struct.pack("!BBHII", b0, pt | (0x80 if marker else 0), seq, ts, ssrc)
    head += b"".join(struct.pack("!I", c) for c in csrc)
    if ext is not None:
        head += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    tail = (b"\x00" * (pad - 1) + bytes([pad])) if pad else b""
    return head + payload + tail


def test_fields_of_a_packet_with_csrc_extension_and_padding() -> None:
    data = rtp(
        pt=8,
        seq=65535,
        ts=0xFFFFFFF0,
        ssrc=0x01020304,
        payload=b"abc",
        marker=True,
        csrc=(1, 2),
        ext=b"\x10\x20\x30\x40",
        pad=4,
    )
    p = RtpPacket.parse(data)
    assert (p.payload_type, p.marker, p.sequence, p.timestamp, p.ssrc) == (
        8,
        True,
        65535,
        0xFFFFFFF0,
        0x01020304,
    )
    assert p.csrc == (1, 2) and p.payload == b"abc"


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        (b"\x80\x00\x00", Truncated, "shorter than its 12-byte header"),
        (b"\x40" + b"\x00" * 11, ParseError, "version is not 2"),
        (rtp(csrc=(1, 2, 3), payload=b"")[:16], Truncated, "longer than the packet"),
        (rtp(payload=b"", pad=1)[:-1] + b"\x00", ParseError, "padding count is zero"),
    ],
)
def test_bad_packets_raise_the_projects_errors(data: bytes, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        RtpPacket.parse(data)


def _batch(packets: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = b"".join(packets)
    lengths = np.array([len(p) for p in packets], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return np.frombuffer(data + b"\x00" * 4, dtype=np.uint8), starts, lengths


packets = st.builds(
    rtp,
    pt=st.integers(0, 127),
    seq=st.integers(0, 65535),
    ts=st.integers(0, 2**32 - 1),
    ssrc=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=40),
    marker=st.booleans(),
    csrc=st.lists(st.integers(0, 2**32 - 1), max_size=3).map(tuple),
    ext=st.none() | st.binary(min_size=0, max_size=8).map(lambda b: b[: len(b) // 4 * 4]),
    pad=st.integers(0, 4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(packets | st.binary(max_size=30), min_size=1, max_size=20))
def test_batched_headers_equal_per_packet_parsing(items: list[bytes]) -> None:
    """read_headers (NumPy, whole batch) agrees with RtpPacket.parse on every packet."""
    buf, starts, lengths = _batch(items)
    _, rtp_mask, _ = classify(buf, starts, lengths)
    headers, bad = read_headers(buf, starts, lengths, np.flatnonzero(rtp_mask))
    parsed = {}
    for i in np.flatnonzero(rtp_mask).tolist():
        try:
            parsed[i] = RtpPacket.parse(items[i])
        except ParseError:
            pass
    assert sorted(headers.index.tolist()) == sorted(parsed)
    assert set(bad.tolist()) == set(np.flatnonzero(rtp_mask).tolist()) - set(parsed)
    for k, i in enumerate(headers.index.tolist()):
        p = parsed[i]
        assert headers.sequence[k] == p.sequence and headers.timestamp[k] == p.timestamp
        assert headers.ssrc[k] == p.ssrc and headers.payload_type[k] == p.payload_type
        start, n = int(headers.payload_start[k]), int(headers.payload_length[k])
        assert bytes(buf[start : start + n]) == p.payload


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_raise_only_parse_errors(data: bytes) -> None:
    for parse in (RtpPacket.parse, TelephoneEvent.parse):
        try:
            parse(data)
        except ParseError:
            pass


def test_telephone_event_digits() -> None:
    event = TelephoneEvent.parse(bytes([11, 0x8A, 0x03, 0x20]))
    assert (event.digit, event.end, event.volume, event.duration) == ("#", True, 10, 800)
    assert TelephoneEvent.parse(bytes([16, 0, 0, 0])).digit == "flash"
    assert TelephoneEvent.parse(bytes([40, 0, 0, 0])).digit is None
    with pytest.raises(Truncated):
        TelephoneEvent.parse(b"\x01\x02")


def test_classify_sip_rtp_rtcp() -> None:
    items = [
        b"INVITE sip:a@b SIP/2.0\r\n\r\n",
        rtp(),
        struct.pack("!BBHI", 0x80, 200, 6, 1) + b"\x00" * 20,
        b"\x00\x01\x00\x00",
        b"\x80\x00",
    ]
    buf, starts, lengths = _batch(items)
    sip, rtp_mask, rtcp = classify(buf, starts, lengths)
    assert sip.tolist() == [True, False, False, False, False]
    assert rtp_mask.tolist() == [False, True, False, False, False]
    assert rtcp.tolist() == [False, False, True, False, False]


def _lead(buf: np.ndarray, starts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """DatagramBatch.lead for the datagrams at ``starts``: their first 16 bytes as two
    big-endian words, with random bytes where a datagram is shorter (as a reader's prefix
    holds the next frame's bytes there)."""
    data = buf.tobytes() + rng.bytes(16)
    rows = b"".join(data[s : s + 16] for s in starts.tolist())
    return np.frombuffer(rows, dtype=">u8").reshape(-1, 2).T.astype(np.uint64)


@settings(max_examples=300, deadline=None)
@given(st.lists(packets | st.binary(max_size=30), min_size=1, max_size=20), st.integers(0, 99))
def test_lead_words_read_as_the_gathers_do(items: list[bytes], seed: int) -> None:
    """classify and read_headers read the same from DatagramBatch.lead as from the bytes,
    whatever lies past the end of a short datagram."""
    buf, starts, lengths = _batch(items)
    lead = _lead(buf, starts, np.random.default_rng(seed))
    masks = classify(buf, starts, lengths)
    for mine, theirs in zip(classify(buf, starts, lengths, lead), masks, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    index = np.flatnonzero(masks[1])
    headers, bad = read_headers(buf, starts, lengths, index)
    from_lead, bad_lead = read_headers(buf, starts, lengths, index, lead)
    np.testing.assert_array_equal(bad, bad_lead)
    for name in ("index", "payload_type", "marker", "sequence", "timestamp", "ssrc",
                 "payload_start", "payload_length"):  # fmt: skip
        np.testing.assert_array_equal(getattr(headers, name), getattr(from_lead, name))
        assert getattr(headers, name).dtype == getattr(from_lead, name).dtype

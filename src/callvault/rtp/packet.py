"""RTP and RTCP headers (RFC 3550 §5.1, §6.4), read for whole batches at once with NumPy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callvault.errors import ParseError, Truncated

RTP_VERSION = 2
RTP_HEADER_SIZE = 12
RTCP_HEADER_SIZE = 8
"""RFC 3550 §6.4.2: the smallest RTCP packet, a receiver report without report blocks."""
PLAIN_FIRST_BYTE = 0x80
"""Version 2 without padding, extension or CSRCs: the first byte of nearly every RTP packet."""
RTCP_PACKET_TYPES = range(200, 205)
"""RFC 3550 §12.1: SR, RR, SDES, BYE, APP; byte 1 of an RTCP packet (RFC 5761 §4)."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet (RFC 3550 §5.1)."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    csrc: tuple[int, ...]
    payload: bytes

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < RTP_HEADER_SIZE:
            raise Truncated("RTP packet shorter than its 12-byte header")
        b0, b1 = data[0], data[1]
        if b0 >> 6 != RTP_VERSION:
            raise ParseError("RTP version is not 2")
        cc = b0 & 0x0F
        offset = RTP_HEADER_SIZE + 4 * cc
        if b0 & 0x10:
            if len(data) < offset + 4:
                raise Truncated("RTP header extension cut short")
            offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
        end = len(data)
        if b0 & 0x20:
            if end == 0 or data[-1] == 0:
                raise ParseError("RTP padding count is zero")
            end -= data[-1]
        if offset > end:
            raise Truncated("RTP header longer than the packet")
        csrc = tuple(int.from_bytes(data[12 + 4 * i : 16 + 4 * i], "big") for i in range(cc))
        return cls(
            payload_type=b1 & 0x7F,
            marker=bool(b1 & 0x80),
            sequence=int.from_bytes(data[2:4], "big"),
            timestamp=int.from_bytes(data[4:8], "big"),
            ssrc=int.from_bytes(data[8:12], "big"),
            csrc=csrc,
            payload=data[offset:end],
        )


@dataclass(slots=True)
class RtpHeaders:
    """Header fields of many RTP packets, one array element per packet."""

    index: np.ndarray
    """Position of each packet in the DatagramBatch it came from."""
    payload_type: np.ndarray
    marker: np.ndarray
    sequence: np.ndarray
    timestamp: np.ndarray
    ssrc: np.ndarray
    payload_start: np.ndarray
    """Offset of the payload in the batch's data buffer."""
    payload_length: np.ndarray


def _plain_headers(
    index: np.ndarray,
    first: np.ndarray,
    timestamp: np.ndarray,
    ssrc: np.ndarray,
    s: np.ndarray,
    n: np.ndarray,
) -> RtpHeaders:
    """Headers of packets that all have the fixed 12 bytes alone: no CSRC, extension or padding."""
    return RtpHeaders(
        index=index,
        payload_type=(first >> 16) & 0x7F,
        marker=((first >> 23) & 1).astype(bool),
        sequence=first & 0xFFFF,
        timestamp=timestamp,
        ssrc=ssrc,
        payload_start=s + RTP_HEADER_SIZE,
        payload_length=n - RTP_HEADER_SIZE,
    )


def _be16(buf: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return (buf[pos].astype(np.int64) << 8) | buf[pos + 1]


def classify(
    buf: np.ndarray, start: np.ndarray, length: np.ndarray, lead: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Masks (sip, rtp, rtcp) over datagrams by their first bytes.

    SIP starts with an upper-case method name or "SIP/2.0"; RTP and RTCP start with
    version 2 (RFC 3550), which no SIP start line can; RTCP's packet type 200-204 sits
    where RTP keeps marker and payload type (RFC 5761 §4). ``lead``: the payloads' first
    bytes as ``DatagramBatch.lead`` holds them, read instead of ``buf`` where given.
    """
    nonempty = length >= 4
    if lead is None:
        first = np.where(nonempty, buf[np.minimum(start, buf.shape[0] - 1)], 0)
    else:
        first = np.where(nonempty, (lead[0] >> np.uint64(56)).astype(np.uint8), 0)
    sip = nonempty & (first >= 0x41) & (first <= 0x5A)
    versioned = (length >= RTCP_HEADER_SIZE) & ((first & 0xC0) == 0x80)
    if lead is None:
        second = np.where(versioned, buf[np.minimum(start + 1, buf.shape[0] - 1)], 0)
    else:
        second = np.where(versioned, (lead[0] >> np.uint64(48)).astype(np.uint8), 0)
    rtcp = versioned & (second >= 200) & (second <= 204)
    rtp = versioned & ~rtcp & (length >= RTP_HEADER_SIZE)
    return sip, rtp, rtcp


def read_headers(
    buf: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    index: np.ndarray,
    lead: np.ndarray | None = None,
) -> tuple[RtpHeaders, np.ndarray]:
    """Parse the RTP headers of the datagrams at ``index``; returns (headers, malformed index).

    The 12 fixed bytes of every packet are read as three big-endian 32-bit words (RFC 3550
    §5.1: V P X CC M PT sequence | timestamp | SSRC): from ``lead`` (``DatagramBatch.lead``)
    where given, else gathered from ``buf`` at once.
    """
    s = start.take(index)
    n = length.take(index)
    if lead is not None:
        w0, w1 = lead[0].take(index), lead[1].take(index)
        first = (w0 >> np.uint64(32)).view(np.int64)
        timestamp = (w0 & np.uint64(0xFFFF_FFFF)).view(np.int64)
        ssrc = (w1 >> np.uint64(32)).view(np.int64)
    else:
        # one 12-byte record a packet from a view with a record at every byte: a single
        # gather (several times faster than gathering rows of a (n, 12) byte view)
        fixed = (
            np.ndarray(
                (buf.shape[0] - RTP_HEADER_SIZE + 1,),
                dtype=f"V{RTP_HEADER_SIZE}",
                buffer=buf,
                strides=(1,),
            )[s]
            if s.size
            else np.zeros(0, dtype=f"V{RTP_HEADER_SIZE}")
        )
        words = fixed.view(">u4").reshape(-1, 3)
        first = words[:, 0].astype(np.int64)
        timestamp = words[:, 1].astype(np.int64)
        ssrc = words[:, 2].astype(np.int64)
    b0 = first >> 24
    if bool((b0 == PLAIN_FIRST_BYTE).all()) and bool((n >= RTP_HEADER_SIZE).all()):
        return _plain_headers(index, first, timestamp, ssrc, s, n), index[:0]
    header = RTP_HEADER_SIZE + 4 * (b0 & 0x0F)
    ok = header <= n
    has_ext = (b0 & 0x10) != 0
    ext = ok & has_ext & (header + 4 <= n)
    ok &= ~(has_ext & ~ext)  # an extension header cut short
    if ext.any():
        ext_words = np.zeros_like(header)
        ext_words[ext] = _be16(buf, s[ext] + header[ext] + 2)
        header = np.where(ext, header + 4 + 4 * ext_words, header)
    padding = np.zeros_like(header)
    padded = ok & ((b0 & 0x20) != 0)
    if padded.any():
        padding[padded] = buf[s[padded] + n[padded] - 1]
    ok &= header + padding <= n
    if ok.all():
        good = slice(None)
        bad = index[:0]
    else:
        good = np.flatnonzero(ok)
        bad = index[~ok]
    headers = RtpHeaders(
        index=index[good],
        payload_type=(first[good] >> 16) & 0x7F,
        marker=((first[good] >> 23) & 1).astype(bool),
        sequence=first[good] & 0xFFFF,
        timestamp=timestamp[good],
        ssrc=ssrc[good],
        payload_start=s[good] + header[good],
        payload_length=n[good] - header[good] - padding[good],
    )
    return headers, bad

"""Where an RTP packet's audio goes on its channel: the RTP timestamp decides, not arrival."""

from __future__ import annotations

import numpy as np

MAX_SKEW_S = 0.3
"""A timestamp that strays this far from the capture clock is a jump (new media source,
re-INVITE, transfer) or accumulated drift: the stream is anchored again at that packet."""


class StreamClock:
    """Maps one stream's RTP timestamps to sample positions on a channel.

    The first packet anchors the stream at its arrival time; after that a packet's position is
    the anchor plus its timestamp distance (RFC 3550 §5.1: the timestamp is the sampling
    instant). Reordered and duplicated packets therefore land where they belong; a jump or
    drift past MAX_SKEW_S re-anchors the stream at the capture clock, so channels never drift
    apart.
    """

    __slots__ = ("_skew0", "anchor_pos", "anchor_ts", "max_skew", "rate", "ratio")

    def __init__(self, sample_rate: int, rtp_clock: int) -> None:
        self.rate = sample_rate
        self.ratio = sample_rate / rtp_clock
        self.max_skew = MAX_SKEW_S * sample_rate
        self.anchor_ts: int | None = None
        self.anchor_pos = 0
        self._skew0 = 0.0

    def positions(self, rtp_ts: np.ndarray, arrival_pos: np.ndarray) -> np.ndarray:
        """Sample positions of packets (in arrival order) given their arrival positions."""
        out = np.empty(rtp_ts.shape[0], dtype=np.int64)
        start = 0
        while start < rtp_ts.shape[0]:
            if self.anchor_ts is None:
                self.anchor(int(rtp_ts[start]), int(arrival_pos[start]))
            delta = (rtp_ts[start:] - self.anchor_ts) & 0xFFFFFFFF
            delta = np.where(delta >= 1 << 31, delta - (1 << 32), delta)  # RFC 3550 modular time
            pos = self.anchor_pos + np.rint(delta * self.ratio).astype(np.int64)
            skew = arrival_pos[start:] - pos - self._skew0
            jumped = np.flatnonzero(np.abs(skew) > self.max_skew)
            if jumped.size == 0:
                out[start:] = pos
                break
            cut = int(jumped[0])
            out[start : start + cut] = pos[:cut]
            start += cut
            self.anchor(int(rtp_ts[start]), int(arrival_pos[start]))
        return out

    def anchor(self, rtp_ts: int, position: int) -> None:
        self.anchor_ts = rtp_ts
        self.anchor_pos = position
        self._skew0 = 0.0

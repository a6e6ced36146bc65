"""RFC 3389 comfort noise (CN): a sender in silence sends the noise level, not the noise.

A CN payload is one level octet (0-127, the noise level in -dBov) optionally followed by
reflection coefficients of an all-pole spectral model. RFC 3389 §2 lets a receiver read only
the level; this decoder does, and makes white noise at that level. A CN packet has no duration
of its own: the noise lasts until the next packet, so the recorder, which fills by RTP
timestamp, asks for as many samples as the gap needs.
"""

from __future__ import annotations

import numpy as np

from callvault.codecs.base import EMPTY, Decoder
from callvault.errors import ParseError, Truncated

FULL_SCALE_RMS = 32767.0
"""0 dBov: the level of a full-scale square wave (RFC 3389 §3.1), 32767 in 16-bit PCM."""
MAX_LEVEL = 127
"""The quietest level, -127 dBov (RFC 3389 §3.1: the octet's top bit is always 0)."""


class ComfortNoiseDecoder(Decoder):
    """Reports each CN packet's level; ``noise`` (and ``conceal``) makes noise at that level."""

    encoding = "CN"
    kind = "comfort-noise"

    def __init__(self, clock_rate: int = 8000, seed: int = 0) -> None:
        self.sample_rate = self.rtp_clock = clock_rate
        self.level_dbov: int | None = None
        """The last level received, in -dBov (30 is loud, 127 silent); None before any."""
        self._random = np.random.default_rng(seed)

    def decode(self, payload: bytes) -> np.ndarray:
        """Reads the level; returns no samples (see ``noise``)."""
        if not payload:
            raise Truncated("CN payload has no noise level")
        if payload[0] > MAX_LEVEL:
            raise ParseError("CN noise level has its top bit set")
        self.level_dbov = payload[0]
        return EMPTY.copy()

    def noise(self, samples: int) -> np.ndarray:
        """White noise at the last level; silence before any CN packet."""
        count = max(samples, 0)
        if self.level_dbov is None:
            return np.zeros(count, dtype=np.int16)
        rms = FULL_SCALE_RMS * 10.0 ** (-self.level_dbov / 20.0)
        noise = np.rint(self._random.standard_normal(count) * rms)
        return np.clip(noise, -32768, 32767).astype(np.int16)

    def conceal(self, samples: int) -> np.ndarray:
        return self.noise(samples)

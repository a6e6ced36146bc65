"""L16: uncompressed 16-bit linear PCM over RTP (RFC 3551 §4.5.11)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from callvault.codecs.base import Decoder
from callvault.errors import ParseError


class L16Decoder(Decoder):
    """Big-endian signed 16-bit samples, channels interleaved; several channels are averaged."""

    encoding = "L16"

    def __init__(self, clock_rate: int, channels: int = 1) -> None:
        self.sample_rate = self.rtp_clock = clock_rate
        self.channels = channels
        """Interleaved channels in the payload (the rtpmap's third field)."""

    def decode(self, payload: bytes) -> np.ndarray:
        if len(payload) % (2 * self.channels):
            raise ParseError("L16 payload is not whole sample frames")
        samples = np.frombuffer(payload, dtype=">i2")
        if self.channels == 1:
            return samples.astype(np.int16)
        frames = samples.reshape(-1, self.channels).astype(np.int32)
        return (frames.sum(axis=1) // self.channels).astype(np.int16)

    def decode_many(self, payloads: Iterable[bytes]) -> np.ndarray:
        return self.decode(b"".join(payloads))

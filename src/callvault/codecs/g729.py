"""G.729, G.729A and G.729D over RTP (RFC 3551 §4.5.6-4.5.7), with Annex B silence frames.

A G.729 payload is zero or more 10-byte frames (8 bytes for G.729D) followed by zero or one
2-byte Annex B SID frame. FFmpeg's G.729 decoder refuses SID frames, so they are cut off
before it and become one 10 ms frame period (80 samples) of silence each.
"""

from __future__ import annotations

import numpy as np

from callvault.codecs.avcodec import AvDecoder
from callvault.codecs.base import EMPTY
from callvault.errors import ParseError

FRAME_SAMPLES = 80
"""Every G.729 frame, speech or SID, stands for 10 ms at 8 kHz."""
SID_BYTES = 2
"""G.729 Annex B comfort-noise (SID) frame length (RFC 3551 §4.5.6)."""
FRAME_BYTES = {"G729": 10, "G729D": 8}
"""Speech frame length: G.729 and G.729A at 8 kbit/s, G.729D at 6.4 kbit/s."""


class G729Decoder(AvDecoder):
    """G.729/G.729A (10-byte frames) or G.729D (8-byte frames), SID frames as silence."""

    def __init__(self, variant: str = "G729", annex_b: bool = True) -> None:
        super().__init__(variant, "g729", 8000, 8000)
        self.frame_bytes = FRAME_BYTES[variant]
        self.annex_b = annex_b
        """fmtp annexb ("yes" when absent, RFC 4856); SID frames are cut off either way."""

    def decode(self, payload: bytes) -> np.ndarray:
        speech_bytes = len(payload)
        sid = speech_bytes % self.frame_bytes == SID_BYTES
        if sid:
            speech_bytes -= SID_BYTES
        elif speech_bytes % self.frame_bytes:
            raise ParseError("G.729 payload is not whole frames plus an optional SID frame")
        speech = self._decode_speech(payload[:speech_bytes]) if speech_bytes else EMPTY
        if not sid:
            return speech
        return np.concatenate([speech, np.zeros(FRAME_SAMPLES, dtype=np.int16)])

    def _decode_speech(self, data: bytes) -> np.ndarray:
        if self.frame_bytes == FRAME_BYTES["G729"]:
            return self._decode_packet(data)
        # FFmpeg tells G.729D from G.729 by packet size, so 8-byte frames go one by one.
        step = self.frame_bytes
        return np.concatenate(
            [self._decode_packet(data[i : i + step]) for i in range(0, len(data), step)]
        )

"""iLBC over RTP (RFC 3952): 20 ms frames of 38 octets or 30 ms frames of 50 octets.

The frame mode comes from fmtp ``mode=20`` or ``mode=30``; without it, from the first
payload's size (RFC 3952 §5 makes 30 the default, which also settles a payload that is whole
frames of both sizes). A payload that only fits the other mode switches the decoder to it:
some devices send 20 ms frames after agreeing on 30.
"""

from __future__ import annotations

import numpy as np

from callvault.codecs.avcodec import FramedDecoder
from callvault.codecs.base import EMPTY, Decoder
from callvault.errors import ParseError

FRAME_BYTES = {20: 38, 30: 50}
"""Octets per frame for each mode (RFC 3952 §3.1)."""
DEFAULT_MODE = 30


def mode_for_size(size: int, preferred: int = DEFAULT_MODE) -> int | None:
    """The frame mode whose frames exactly fill ``size`` octets, ``preferred`` first."""
    for mode in (preferred, 50 - preferred):
        if size and size % FRAME_BYTES[mode] == 0:
            return mode
    return None


class IlbcDecoder(Decoder):
    """iLBC, 8 kHz; the FFmpeg decoder is opened once the frame mode is known."""

    encoding = "iLBC"
    sample_rate = 8000
    rtp_clock = 8000

    def __init__(self, mode: int | None = None) -> None:
        self.mode = mode
        """20 or 30 (ms per frame); None until fmtp or the first payload tells."""
        self._frames: FramedDecoder | None = None

    def decode(self, payload: bytes) -> np.ndarray:
        if not payload:
            return EMPTY.copy()
        mode = mode_for_size(len(payload), self.mode or DEFAULT_MODE)
        if mode is None:
            raise ParseError("iLBC payload is not whole 38- or 50-byte frames")
        if self._frames is None or mode != self.mode:
            self.mode = mode
            octets = str(FRAME_BYTES[mode])
            self._frames = FramedDecoder(
                "iLBC", "ilbc", 8000, 8000, FRAME_BYTES[mode], {"block_align": octets}
            )
        return self._frames.decode(payload)

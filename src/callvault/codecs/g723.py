"""G.723.1 over RTP (RFC 3551 §4.5.3): 30 ms frames whose first octet gives their size."""

from __future__ import annotations

import numpy as np

from callvault.codecs.avcodec import FramedDecoder
from callvault.errors import ParseError, Truncated

FRAME_BYTES = {0b00: 24, 0b01: 20, 0b10: 4}
"""The two low bits of a frame's first octet (RFC 3551 §4.5.3 table 6): 6.3 kbit/s speech,
5.3 kbit/s speech, SID (comfort noise); 0b11 is reserved."""


def split_frames(payload: bytes) -> list[bytes]:
    """The frames of one payload, each as long as its header says."""
    frames = []
    position = 0
    while position < len(payload):
        size = FRAME_BYTES.get(payload[position] & 0b11)
        if size is None:
            raise ParseError("G.723.1 frame has the reserved frame type")
        if position + size > len(payload):
            raise Truncated("G.723.1 payload ends inside a frame")
        frames.append(payload[position : position + size])
        position += size
    return frames


class G723Decoder(FramedDecoder):
    """G.723.1 (5.3 and 6.3 kbit/s, SID frames decoded as comfort noise by FFmpeg)."""

    def __init__(self) -> None:
        super().__init__("G723", "g723_1", 8000, 8000, 1)

    def decode(self, payload: bytes) -> np.ndarray:
        return self.decode_frames(split_frames(payload))

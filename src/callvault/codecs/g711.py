"""G.711 µ-law and A-law (ITU-T G.711), vectorised with lookup tables.

Decoding indexes a 256-entry table; encoding a 65,536-entry one. Both are bit-exact with the
old ``audioop`` module (gone in Python 3.13), which used Sun's reference g711.c.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from callvault.codecs.base import Decoder

_BIAS = 0x84


def _ulaw_decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


ULAW_TO_PCM = _ulaw_decode_table()
"""µ-law code → 16-bit linear sample."""
ALAW_TO_PCM = _alaw_decode_table()
"""A-law code → 16-bit linear sample."""


def decode_ulaw(data: bytes) -> np.ndarray:
    """µ-law bytes → 16-bit linear samples."""
    return ULAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)]


def decode_alaw(data: bytes) -> np.ndarray:
    """A-law bytes → 16-bit linear samples."""
    return ALAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)]


def _lin_to_ulaw_table() -> np.ndarray:
    """ITU-T G.711 µ-law encoding of every 16-bit sample, on the 14-bit scale (Sun's g711.c)."""
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), _CLIP_14) + (_BIAS >> 2)
    segment = np.searchsorted(_ULAW_SEGMENT_ENDS, magnitude)
    code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    return (np.where(segment >= 8, 0x7F, code) ^ mask).astype(np.uint8)


def _lin_to_alaw_table() -> np.ndarray:
    """ITU-T G.711 A-law encoding of every 16-bit sample, on the 13-bit scale (Sun's g711.c)."""
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1)
    segment = np.searchsorted(_ALAW_SEGMENT_ENDS, magnitude)
    shift = np.maximum(segment, 1)
    code = (segment << 4) | ((magnitude >> shift) & 0x0F)
    return (np.where(segment >= 8, 0x7F, code) ^ mask).astype(np.uint8)


_CLIP_14 = 8159
_ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEGMENT_ENDS = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])

PCM_TO_ULAW = _lin_to_ulaw_table()
"""16-bit linear sample + 32768 → µ-law code, bit-exact with the old audioop.lin2ulaw."""
PCM_TO_ALAW = _lin_to_alaw_table()
"""16-bit linear sample + 32768 → A-law code, bit-exact with the old audioop.lin2alaw."""


def encode_ulaw(samples: np.ndarray) -> bytes:
    """16-bit linear samples → µ-law bytes (ITU-T G.711, as the old audioop.lin2ulaw)."""
    return PCM_TO_ULAW[np.asarray(samples, dtype=np.int16).astype(np.int32) + 32768].tobytes()


def encode_alaw(samples: np.ndarray) -> bytes:
    """16-bit linear samples → A-law bytes (ITU-T G.711, as the old audioop.lin2alaw)."""
    return PCM_TO_ALAW[np.asarray(samples, dtype=np.int16).astype(np.int32) + 32768].tobytes()


class G711Decoder(Decoder):
    """PCMU or PCMA (RFC 3551 §4.5.14): one byte per sample at 8 kHz, any payload length."""

    sample_rate = 8000
    rtp_clock = 8000

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.upper()
        if self.encoding not in ("PCMU", "PCMA"):
            raise ValueError(f"not a G.711 encoding: {encoding}")
        self._table = ULAW_TO_PCM if self.encoding == "PCMU" else ALAW_TO_PCM

    def decode(self, payload: bytes) -> np.ndarray:
        return self._table[np.frombuffer(payload, dtype=np.uint8)]

    def decode_many(self, payloads: Iterable[bytes]) -> np.ndarray:
        """One table lookup over all the payloads joined."""
        return self._table[np.frombuffer(b"".join(payloads), dtype=np.uint8)]

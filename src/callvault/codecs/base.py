"""What every RTP payload decoder offers, and the fmtp parameters they read (RFC 4566 §6)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Literal

import numpy as np

Kind = Literal["audio", "comfort-noise", "event"]
"""What a payload format carries: speech, comfort-noise parameters, or telephone events."""

EMPTY = np.zeros(0, dtype=np.int16)
"""No samples (a payload that carries no audio of its own)."""


class Decoder(ABC):
    """Turns the RTP payloads of one stream, in order, into mono 16-bit PCM.

    Decoders keep state between payloads (ADPCM predictors, LPC memories), so each stream
    needs its own: ``decoder_for`` makes a fresh one on every call.
    """

    encoding: str
    """Canonical encoding name, as in an SDP rtpmap ("PCMU", "G722", "opus", "AMR-WB")."""
    sample_rate: int
    """Samples per second of the PCM that ``decode`` returns."""
    rtp_clock: int
    """RTP timestamp units per second (G.722: 8000 though it samples at 16 kHz)."""
    kind: Kind = "audio"
    """"audio", "comfort-noise" (RFC 3389) or "event" (RFC 4733)."""

    @abstractmethod
    def decode(self, payload: bytes) -> np.ndarray:
        """The payload's samples (int16, mono; several frames per payload allowed).

        Raises ParseError, and nothing else, for a payload this format cannot carry.
        """

    def decode_many(self, payloads: Iterable[bytes]) -> np.ndarray:
        """Consecutive payloads of the stream as one array (no gaps filled)."""
        parts = [self.decode(p) for p in payloads]
        return np.concatenate(parts) if parts else EMPTY.copy()

    def conceal(self, samples: int) -> np.ndarray:
        """What to play for ``samples`` samples of lost packets: silence by default."""
        return np.zeros(max(samples, 0), dtype=np.int16)

    def samples_for(self, rtp_ticks: int) -> int:
        """Output samples spanned by ``rtp_ticks`` RTP timestamp units."""
        return rtp_ticks * self.sample_rate // self.rtp_clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.encoding} {self.sample_rate} Hz>"


def parse_fmtp(fmtp: str | None) -> dict[str, str]:
    """``"mode=20; octet-align=1"`` → ``{"mode": "20", "octet-align": "1"}`` (names lowered).

    RFC 4566 §6 leaves the syntax of a=fmtp to each format; the RTP audio formats use
    ``name=value`` pairs separated by semicolons. A bare name maps to "".
    """
    params: dict[str, str] = {}
    for item in (fmtp or "").split(";"):
        name, _, value = item.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip()
    return params

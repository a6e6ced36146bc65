"""RFC 4733 telephone-event payloads: DTMF and tones as events, never as speech."""

from __future__ import annotations

import numpy as np

from callvault.codecs.base import EMPTY, Decoder
from callvault.rtp.dtmf import TelephoneEvent


class TelephoneEventDecoder(Decoder):
    """Reads each event payload (RFC 4733 §2.3) and yields no samples: the tone is not audio.

    A recorder fills the event's time from the surrounding audio or with silence; the digit
    itself is reported by the engine from ``last_event``.
    """

    encoding = "telephone-event"
    kind = "event"

    def __init__(self, clock_rate: int = 8000) -> None:
        self.sample_rate = self.rtp_clock = clock_rate
        self.last_event: TelephoneEvent | None = None
        """The event of the last payload decoded."""

    def decode(self, payload: bytes) -> np.ndarray:
        self.last_event = TelephoneEvent.parse(payload)
        return EMPTY.copy()

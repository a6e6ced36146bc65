"""RFC 4733 telephone events (DTMF) carried in RTP."""

from __future__ import annotations

from dataclasses import dataclass

from callvault.errors import Truncated

DTMF_EVENTS = "0123456789*#ABCD"
"""RFC 4733 §3.2: event codes 0-15 are the DTMF digits 0-9, *, #, A-D."""
FLASH_EVENT = 16


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """The 4-byte payload of an RFC 4733 §2.3 event packet."""

    event: int
    end: bool
    volume: int
    duration: int
    """In RTP timestamp units."""

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise Truncated("telephone-event payload shorter than 4 bytes")
        return cls(
            event=payload[0],
            end=bool(payload[1] & 0x80),
            volume=payload[1] & 0x3F,
            duration=int.from_bytes(payload[2:4], "big"),
        )

    @property
    def digit(self) -> str | None:
        """The DTMF digit ("0"-"9", "*", "#", "A"-"D", "flash"), None for other events."""
        return event_digit(self.event)


def event_digit(event: int) -> str | None:
    """The DTMF digit of an RFC 4733 event code, None for codes that are not one."""
    if event < len(DTMF_EVENTS):
        return DTMF_EVENTS[event]
    if event == FLASH_EVENT:
        return "flash"
    return None

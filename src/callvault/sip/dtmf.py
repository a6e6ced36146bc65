"""DTMF sent in SIP INFO bodies: application/dtmf-relay and application/dtmf.

Neither format has an RFC of its own. application/dtmf-relay is Cisco's ("Signal=5" and
"Duration=160" lines, the duration in milliseconds); application/dtmf carries just the
key. Event numbers 10, 11, 12-15 and 16 stand for *, #, A-D and flash as in RFC 4733 §3.2.
"""

from __future__ import annotations

from dataclasses import dataclass

from callvault.errors import ParseError
from callvault.sip.body import media_type

MAX_DTMF_BODY = 1024
"""Larger INFO bodies are not DTMF."""

EVENT_KEYS = {str(n): str(n) for n in range(10)} | {
    "10": "*",
    "11": "#",
    "12": "A",
    "13": "B",
    "14": "C",
    "15": "D",
    "16": "flash",
}
"""RFC 4733 §3.2 table 3: DTMF event codes and the keys they stand for."""

KEYS = frozenset("0123456789*#ABCD")
FLASH_NAMES = frozenset({"flash", "hf", "!", "hook-flash"})


@dataclass(frozen=True, slots=True)
class DtmfInfo:
    """One key press reported in a SIP INFO."""

    digit: str
    """0-9, *, #, A-D, or "flash"."""
    duration_ms: int | None
    """Key press duration in milliseconds when the body gives one."""


def parse_dtmf_info(content_type: str, body: bytes) -> DtmfInfo | None:
    """The key press in an INFO body; None when the body is not a DTMF type.

    Raises ParseError for a DTMF content type whose body names no valid key.
    """
    kind = media_type(content_type)
    if kind not in ("application/dtmf-relay", "application/dtmf"):
        return None
    if len(body) > MAX_DTMF_BODY:
        raise ParseError("DTMF body too large")
    text = bytes(body).decode("utf-8", "replace")
    if kind == "application/dtmf":
        return DtmfInfo(_key(text.strip()), None)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, eq, value = line.partition("=")
        if eq:
            fields.setdefault(name.strip().lower(), value.strip())
    if "signal" not in fields:
        raise ParseError("dtmf-relay body has no Signal")
    duration = fields.get("duration", "")
    duration_ms = (
        int(duration) if duration.isascii() and duration.isdigit() and len(duration) <= 9 else None
    )
    return DtmfInfo(_key(fields["signal"]), duration_ms)


def _key(signal: str) -> str:
    if signal.lower() in FLASH_NAMES:
        return "flash"
    if signal in EVENT_KEYS:
        return EVENT_KEYS[signal]
    upper = signal.upper()
    if len(upper) == 1 and upper in KEYS:
        return upper
    raise ParseError("unknown DTMF signal")

"""What every CDR format is read into: one leg per row, and the report of what was skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from callvault.calls.model import CallStatus
from callvault.errors import CallvaultError, ParseError


class CdrFileError(CallvaultError):
    """A CDR file that cannot be read at all (missing, not text, not the format named)."""


class RowError(ParseError):
    """One CDR row that cannot be used; the importer skips it and says why."""


@dataclass(slots=True)
class Leg:
    """One CDR row: one channel (Asterisk) or one call leg (FreeSWITCH)."""

    group: str
    """What ties the legs of one call: Asterisk linkedid (else uniqueid), FreeSWITCH uuid."""
    ids: tuple[str, ...]
    """Every id the row carries (uniqueid, linkedid, uuid, bleg_uuid): recordings are named
    by them."""
    line: int
    started_at: float
    answered_at: float | None
    ended_at: float | None
    status: CallStatus
    billsec: int | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    dialled: str | None = None
    """The number dialled into the PBX (Asterisk dst, FreeSWITCH destination_number)."""
    callee_extension: str | None = None
    """The peer the leg rang, from dstchannel (SIP/301-0000001a: "301") where it is a number."""
    channel: str | None = None
    dstchannel: str | None = None
    sequence: int | None = None
    hangup_cause: str | None = None
    codec: str | None = None
    hangup_disposition: str | None = None
    """FreeSWITCH sip_hangup_disposition (recv_bye, send_bye, recv_cancel…)."""


@dataclass(slots=True)
class ImportReport:
    """Rows read and rows skipped (with their line and a one-line reason)."""

    rows: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    file: str = ""
    """The file being read, named in the reasons when several are imported together."""

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append((line, f"{self.file}: {reason}" if self.file else reason))

    def reasons(self) -> dict[str, list[int]]:
        """Skipped line numbers by reason."""
        out: dict[str, list[int]] = {}
        for line, reason in self.skipped:
            out.setdefault(reason, []).append(line)
        return out


_STAMP = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
)


def parse_stamp(text: str, zone: tzinfo | None) -> tuple[float, bool] | None:
    """A PBX local time stamp as UTC epoch seconds and whether it has seconds.

    ``2024-01-27 15:07:24`` (Asterisk, FreeSWITCH) and ``2020/2/10 22:41`` (re-saved by a
    spreadsheet: minutes only). ``zone`` None means the machine's local zone. None for an
    empty field; RowError for anything else."""
    text = text.strip()
    if not text:
        return None
    match = _STAMP.fullmatch(text)
    if match is None:
        raise RowError(f"not a time: {text[:40]!r}")
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match[6] or 0)
    micro = int((match[7] or "0").ljust(6, "0"))
    try:
        moment = datetime(year, month, day, hour, minute, second, micro)
    except ValueError as exc:
        raise RowError(f"not a time: {text[:40]!r}") from exc
    moment = moment.astimezone() if zone is None else moment.replace(tzinfo=zone)
    return moment.timestamp(), match[6] is not None


def parse_int(text: str | None, name: str) -> int | None:
    """A whole number of seconds, or None for an empty field."""
    if text is None or not str(text).strip():
        return None
    try:
        value = int(float(str(text).strip()))
    except (ValueError, OverflowError) as exc:  # OverflowError: "inf"
        raise RowError(f"{name} is not a number: {str(text)[:20]!r}") from exc
    if value < 0 or value > 10**8:
        raise RowError(f"{name} out of range: {value}")
    return value


Q850_STATUS = {
    "NORMAL_CLEARING": CallStatus.ANSWERED,
    "USER_BUSY": CallStatus.BUSY,
    "NO_ANSWER": CallStatus.MISSED,
    "NO_USER_RESPONSE": CallStatus.MISSED,
    "ORIGINATOR_CANCEL": CallStatus.MISSED,
    "CALL_REJECTED": CallStatus.REJECTED,
}
"""Q.850 cause names (as FreeSWITCH writes them) of a leg that was not answered."""


def status_from_cause(cause: str | None, answered: bool) -> CallStatus:
    """An answered leg is answered whatever the cause; else the cause decides (others: failed).

    NORMAL_CLEARING without an answer stamp is a leg cleared before answer: missed."""
    if answered:
        return CallStatus.ANSWERED
    status = Q850_STATUS.get((cause or "").strip().upper(), CallStatus.FAILED)
    return CallStatus.MISSED if status is CallStatus.ANSWERED else status

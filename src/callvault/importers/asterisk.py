"""Asterisk CDRs: cdr_csv's Master.csv and cdr_custom files with a column mapping.

Asterisk writes its local time (``YYYY-MM-DD HH:MM:SS``); the importer is told the PBX's zone.
One row is one channel's CDR; rows sharing a linkedid (else uniqueid) are one call."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import tzinfo

from callvault.calls.model import CallStatus
from callvault.importers.legs import ImportReport, Leg, RowError, parse_int, parse_stamp

CSV_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
)
"""cdr_csv's column order with loguniqueid and loguserfield (Asterisk 1.8 and later: 21)."""

CSV_LAYOUTS = {len(CSV_COLUMNS): CSV_COLUMNS, 18: CSV_COLUMNS[:18], 17: CSV_COLUMNS[:17],
               16: CSV_COLUMNS[:16]}
"""Older cdr_csv files: 18 columns (no peeraccount/linkedid/sequence), 16 without loguniqueid."""

CUSTOM_PRESET = (
    "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "start",
    "answer", "end", "duration", "billsec", "disposition", "amaflags", "accountcode",
    "uniqueid", "userfield", "sequence",
)
"""The ${CDR(...)} fields of the sample cdr_custom.conf mapping, in its order."""

KNOWN_FIELDS = frozenset(CSV_COLUMNS) | {"hangupsource", "hangupcause"}

DISPOSITIONS = {
    "ANSWERED": CallStatus.ANSWERED,
    "NO ANSWER": CallStatus.MISSED,
    "BUSY": CallStatus.BUSY,
    "FAILED": CallStatus.FAILED,
    "CONGESTION": CallStatus.FAILED,
}

_CLID = re.compile(r'\s*"?(?P<name>.*?)"?\s*<(?P<number>[^<>]*)>\s*')
_CHANNEL = re.compile(r"(?P<tech>[A-Za-z0-9_]+)/(?P<peer>[^-@/;]+)")


def parse_clid(clid: str) -> tuple[str | None, str | None]:
    """``"Alice" <201>`` as (name, number); a bare clid is a name."""
    match = _CLID.fullmatch(clid)
    if match is None:
        return (clid.strip() or None), None
    return (match["name"].strip() or None), (match["number"].strip() or None)


def channel_extension(channel: str | None) -> str | None:
    """The peer of a channel name when it is a number: ``SIP/301-0000001a`` -> ``301``.

    Local channels and named peers (trunks such as ``SIP/stadionpbx-…``) give None."""
    match = _CHANNEL.match(channel or "")
    if match is None or match["tech"].lower() == "local":
        return None
    return match["peer"] if match["peer"].isdigit() else None


def parse_columns(text: str) -> tuple[str, ...]:
    """A ``--columns`` list: ``clid,src,dst,…``; ``${CDR(src)}`` forms are accepted too."""
    names = tuple(
        re.sub(r"^\$\{CDR\((\w+)\)\}$", r"\1", name.strip().strip('"')).lower()
        for name in text.split(",")
    )
    if not names or any(not n for n in names):
        raise ValueError("empty column name")
    if "start" not in names:
        raise ValueError("the columns must include start")
    return names


def read_legs(
    rows: Iterator[tuple[int, list[str]]],
    report: ImportReport,
    zone: tzinfo | None,
    columns: Sequence[str] | None = None,
) -> list[Leg]:
    """Legs of cdr_csv rows (``columns`` None: the layout from the field count) or of
    cdr_custom rows in ``columns`` order; bad rows are skipped into ``report``."""
    legs = []
    for line, fields in rows:
        layout = columns or CSV_LAYOUTS.get(len(fields))
        try:
            if layout is None or len(fields) != len(layout):
                raise RowError(f"{len(fields)} fields, expected "
                               f"{len(layout) if layout else '16, 17, 18 or 21'}")
            legs.append(leg_of(dict(zip(layout, fields, strict=True)), line, zone))
        except RowError as exc:
            report.skip(line, str(exc))
    return legs


def leg_of(row: dict[str, str], line: int, zone: tzinfo | None) -> Leg:
    started = parse_stamp(row.get("start", ""), zone)
    if started is None:
        raise RowError("no start time")
    answer = parse_stamp(row.get("answer", ""), zone)
    end = parse_stamp(row.get("end", ""), zone)
    duration = parse_int(row.get("duration"), "duration")
    billsec = parse_int(row.get("billsec"), "billsec")
    disposition = row.get("disposition", "").strip().upper()
    status = DISPOSITIONS.get(disposition)
    if status is None:
        raise RowError(f"unknown disposition {disposition[:20]!r}")
    ended_at = end[0] if end else (started[0] + duration if duration is not None else None)
    answered_at = answer[0] if answer else None
    if status is CallStatus.ANSWERED and answered_at is None and ended_at is not None:
        answered_at = ended_at - (billsec or 0)
    if status is not CallStatus.ANSWERED:
        answered_at = None
    if ended_at is not None and ended_at < started[0]:
        raise RowError("ends before it starts")
    uniqueid = row.get("uniqueid", "").strip()
    linkedid = row.get("linkedid", "").strip()
    group = linkedid or uniqueid
    if not group:
        raise RowError("no uniqueid or linkedid")
    name, clid_number = parse_clid(row.get("clid", ""))
    sequence = row.get("sequence", "").strip()
    return Leg(
        group=group,
        ids=tuple(dict.fromkeys(i for i in (uniqueid, linkedid) if i)),
        line=line,
        started_at=started[0],
        answered_at=answered_at,
        ended_at=ended_at,
        status=status,
        billsec=billsec,
        caller_number=row.get("src", "").strip() or clid_number,
        caller_name=name,
        dialled=row.get("dst", "").strip() or None,
        callee_extension=channel_extension(row.get("dstchannel")),
        channel=row.get("channel", "").strip() or None,
        dstchannel=row.get("dstchannel", "").strip() or None,
        sequence=int(sequence) if sequence.isdigit() else None,
        hangup_cause=disposition,
    )

"""Calls as records for export: JSON objects and flat CSV rows with stable keys.

Times are ISO 8601 in UTC with microseconds ("2024-05-01T12:51:30.123456+00:00");
durations are whole milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callvault.calls.model import Call, CallEvent, MediaStream, Party
from callvault.journal.rows import PARTY_FIELDS, QUALITY_FIELDS

RECORDING_FIELDS = ("path", "format", "encoding", "sample_rate", "started_at", "duration_ms",
                    "size", "sha256")

Record = dict[str, Any]

CSV_FIELDS = (
    "id",
    "uid",
    "sip_call_id",
    "started_at",
    "ringing_at",
    "answered_at",
    "ended_at",
    "status",
    "sip_code",
    "reason",
    "hangup_by",
    "end_cause",
    "direction",
    *(f"caller_{name}" for name in PARTY_FIELDS),
    *(f"callee_{name}" for name in PARTY_FIELDS),
    "transport",
    "codecs",
    "ring_ms",
    "talk_ms",
    "duration_ms",
    "stream_count",
    "packet_count",
    "source",
    "audio_issue",
    *(f"recording_{name}" for name in RECORDING_FIELDS),
    "comment",
    "outcome",
    "tags",
    "agent_id",
    "team_id",
    "queue_id",
    "tracked_number_id",
    "channel",
    "campaign",
    "hold_ms",
    "transferred",
    "wrap_up_ms",
    "csat",
)
"""The columns of a CSV export, in order: every field of the journal's ``calls`` table."""


def iso_time(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds")


def call_record(call: Call, *, detail: bool = False) -> Record:
    """The call as a JSON object; with ``detail``, its streams and events too."""
    record: Record = {
        "id": call.id,
        "uid": call.uid,
        "sip_call_id": call.sip_call_id,
        "started_at": iso_time(call.started_at),
        "ringing_at": iso_time(call.ringing_at),
        "answered_at": iso_time(call.answered_at),
        "ended_at": iso_time(call.ended_at),
        "status": call.status.value,
        "sip_code": call.sip_code,
        "reason": call.reason,
        "hangup_by": _value(call.hangup_by),
        "end_cause": call.end_cause,
        "direction": call.direction.value,
        "caller": _party(call.caller),
        "callee": _party(call.callee),
        "transport": call.transport,
        "codecs": list(call.codecs),
        "ring_ms": call.ring_ms,
        "talk_ms": call.talk_ms,
        "duration_ms": call.duration_ms,
        "stream_count": len(call.streams),
        "packet_count": sum(stream.packets for stream in call.streams),
        "source": call.source,
        "audio_issue": call.audio_issue,
        "recording": _recording(call),
        "comment": call.comment,
        "outcome": call.outcome,
        "tags": list(call.tags),
        "agent_id": call.agent_id,
        "team_id": call.team_id,
        "queue_id": call.queue_id,
        "tracked_number_id": call.tracked_number_id,
        "channel": call.channel,
        "campaign": call.campaign,
        "hold_ms": call.hold_ms,
        "transferred": call.transferred,
        "wrap_up_ms": call.wrap_up_ms,
        "csat": call.csat,
    }
    if detail:
        record["streams"] = [_stream(call, stream) for stream in call.streams]
        record["events"] = [_event(call, event) for event in call.events]
    return record


def csv_row(call: Call) -> Record:
    """The call as a row of ``CSV_FIELDS`` (codecs joined by spaces, tags by "; ")."""
    record = call_record(call)
    row = {key: value for key, value in record.items() if key not in ("caller", "callee")}
    for side in ("caller", "callee"):
        row.update({f"{side}_{name}": value for name, value in record[side].items()})
    recording = record["recording"] or {}
    row.update({f"recording_{name}": recording.get(name) for name in RECORDING_FIELDS})
    row["codecs"] = " ".join(call.codecs)
    row["tags"] = "; ".join(call.tags)
    return {field: row[field] for field in CSV_FIELDS}


def _recording(call: Call) -> Record | None:
    if call.recording is None:
        return None
    record = {name: getattr(call.recording, name) for name in RECORDING_FIELDS}
    record["started_at"] = iso_time(call.recording.started_at)
    return record


def _party(party: Party) -> Record:
    return {name: getattr(party, name) for name in PARTY_FIELDS}


def _stream(call: Call, stream: MediaStream) -> Record:
    return {
        "ssrc": stream.ssrc,
        "side": _value(stream.side),
        "src_ip": stream.src_ip,
        "src_port": stream.src_port,
        "dst_ip": stream.dst_ip,
        "dst_port": stream.dst_port,
        "codec": stream.codec,
        "payload_types": list(stream.payload_types),
        "packets": stream.packets,
        "bytes": stream.bytes,
        "rtcp_packets": stream.rtcp_packets,
        "first_at": iso_time(stream.first_at),
        "last_at": iso_time(stream.last_at),
        "first_offset_ms": call.offset_ms(stream.first_at),
        "last_offset_ms": call.offset_ms(stream.last_at),
        **{name: getattr(stream, name) for name in QUALITY_FIELDS},
    }


def _event(call: Call, event: CallEvent) -> Record:
    return {
        "kind": event.kind,
        "at": iso_time(event.at),
        "offset_ms": call.offset_ms(event.at),
        "party": _value(event.party),
        "value": event.value,
        "detail": event.detail,
    }


def _value(member: Any) -> str | None:
    return None if member is None else str(member.value)

"""Calls to journal rows and back: the one place that knows both shapes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Recording,
    Side,
)

Row = RowMapping

PARTY_FIELDS = ("number", "display_name", "uri", "e164", "ip", "user_agent")
QUALITY_FIELDS = ("expected", "lost", "loss_bursts", "duplicates", "out_of_order",
                  "jitter_mean_ms", "jitter_max_ms", "max_delta_ms", "mos", "not_decodable")
RECORDING_COLUMNS = {"path": "recording_path", "format": "recording_format",
                     "encoding": "recording_encoding", "sample_rate": "recording_rate",
                     "started_at": "recording_started_at", "duration_ms": "recording_duration_ms",
                     "size": "recording_size", "sha256": "recording_sha256"}
ANNOTATION_COLUMNS = ("comment", "outcome", "tags")
"""Columns people write (``Journal.annotate``); saving a call again leaves them alone."""
REPORTED_COLUMNS = ("wrap_up_ms", "csat")
"""Columns a source may or may not know: saving a call again without them keeps them."""
DIRECTORY_COLUMNS = ("agent_id", "team_id", "queue_id", "tracked_number_id", "channel",
                     "campaign")
"""The directory's verdict on a call (``journal.directory``)."""


def call_row(call: Call, created_at: float) -> dict[str, Any]:
    """The ``calls`` row of ``call`` (without ``id``)."""
    row: dict[str, Any] = {
        "uid": call.uid,
        "sip_call_id": call.sip_call_id,
        "started_at": call.started_at,
        "ringing_at": call.ringing_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "status": CallStatus(call.status).value,
        "sip_code": call.sip_code,
        "reason": call.reason,
        "hangup_by": _side(call.hangup_by),
        "end_cause": call.end_cause,
        "direction": Direction(call.direction).value,
        "transport": call.transport,
        "codecs": " ".join(call.codecs),
        "source": call.source,
        "ring_ms": call.ring_ms,
        "talk_ms": call.talk_ms,
        "duration_ms": call.duration_ms,
        "stream_count": len(call.streams),
        "packet_count": sum(stream.packets for stream in call.streams),
        "created_at": created_at,
        "audio_issue": call.audio_issue,
        "comment": call.comment,
        "outcome": call.outcome,
        "tags": tags_text(call.tags),
        "hold_ms": call.hold_ms,
        "transferred": call.transferred,
        "wrap_up_ms": call.wrap_up_ms,
        "csat": call.csat,
        **{column: getattr(call, column) for column in DIRECTORY_COLUMNS},
    }
    for field, column in RECORDING_COLUMNS.items():
        row[column] = getattr(call.recording, field) if call.recording else None
    for party, columns in ((call.caller, _CALLER_COLUMNS), (call.callee, _CALLEE_COLUMNS)):
        for name, column in columns:
            row[column] = getattr(party, name)
    return row


_CALLER_COLUMNS = tuple((name, f"caller_{name}") for name in PARTY_FIELDS)
_CALLEE_COLUMNS = tuple((name, f"callee_{name}") for name in PARTY_FIELDS)


def stream_rows(call_id: int, streams: Sequence[MediaStream]) -> list[dict[str, Any]]:
    return [
        {
            "call_id": call_id,
            "seq": seq,
            "ssrc": stream.ssrc,
            "src_ip": stream.src_ip,
            "src_port": stream.src_port,
            "dst_ip": stream.dst_ip,
            "dst_port": stream.dst_port,
            "side": _side(stream.side),
            "payload_types": " ".join(str(pt) for pt in stream.payload_types),
            "codec": stream.codec,
            "packets": stream.packets,
            "bytes": stream.bytes,
            "first_at": stream.first_at,
            "last_at": stream.last_at,
            "rtcp_packets": stream.rtcp_packets,
            **{name: getattr(stream, name) for name in QUALITY_FIELDS},
        }
        for seq, stream in enumerate(streams)
    ]


def event_rows(call_id: int, call: Call) -> list[dict[str, Any]]:
    return [
        {
            "call_id": call_id,
            "seq": seq,
            "kind": event.kind,
            "at": event.at,
            "offset_ms": call.offset_ms(event.at),
            "party": _side(event.party),
            "value": event.value,
            "detail": event.detail,
        }
        for seq, event in enumerate(call.events)
    ]


def call_from_row(row: Row, streams: Iterable[Row] = (), events: Iterable[Row] = ()) -> Call:
    """The Call a ``calls`` row and its children's rows (in ``seq`` order) describe."""
    return Call(
        id=row["id"],
        uid=row["uid"],
        sip_call_id=row["sip_call_id"],
        started_at=row["started_at"],
        ringing_at=row["ringing_at"],
        answered_at=row["answered_at"],
        ended_at=row["ended_at"],
        status=CallStatus(row["status"]),
        sip_code=row["sip_code"],
        reason=row["reason"],
        hangup_by=_to_side(row["hangup_by"]),
        end_cause=row["end_cause"],
        caller=_party(row, "caller"),
        callee=_party(row, "callee"),
        direction=Direction(row["direction"]),
        transport=row["transport"],
        codecs=tuple(row["codecs"].split()),
        streams=[_stream(stream) for stream in streams],
        events=[_event(event) for event in events],
        source=row["source"],
        recording=_recording(row),
        audio_issue=row["audio_issue"],
        comment=row["comment"],
        outcome=row["outcome"],
        tags=tags_from_text(row["tags"]),
        wrap_up_ms=row["wrap_up_ms"],
        csat=row["csat"],
        **{column: row[column] for column in DIRECTORY_COLUMNS},
    )


def tags_text(tags: Sequence[str]) -> str | None:
    """Tags as the ``tags`` column keeps them: a JSON array, None for none."""
    return json.dumps(list(tags), ensure_ascii=False) if tags else None


def tags_from_text(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(str(tag) for tag in json.loads(text))


def _recording(row: Row) -> Recording | None:
    if row["recording_path"] is None:
        return None
    return Recording(**{field: row[column] for field, column in RECORDING_COLUMNS.items()})


def _party(row: Row, side: str) -> Party:
    return Party(**{name: row[f"{side}_{name}"] for name in PARTY_FIELDS})


def _stream(row: Row) -> MediaStream:
    return MediaStream(
        ssrc=row["ssrc"],
        src_ip=row["src_ip"],
        src_port=row["src_port"],
        dst_ip=row["dst_ip"],
        dst_port=row["dst_port"],
        side=_to_side(row["side"]),
        payload_types=tuple(int(pt) for pt in row["payload_types"].split()),
        codec=row["codec"],
        packets=row["packets"],
        bytes=row["bytes"],
        first_at=row["first_at"],
        last_at=row["last_at"],
        rtcp_packets=row["rtcp_packets"],
        **{name: row[name] for name in QUALITY_FIELDS},
    )


def _event(row: Row) -> CallEvent:
    return CallEvent(
        kind=row["kind"],
        at=row["at"],
        party=_to_side(row["party"]),
        value=row["value"],
        detail=row["detail"],
    )


_SIDE_TEXT = {side: side.value for side in Side}
"""Each side's text, found by member or by its text alike (a StrEnum hashes as its text)."""


def _side(side: Side | None) -> str | None:
    if side is None:
        return None
    text = _SIDE_TEXT.get(side)
    return text if text is not None else Side(side).value


def _to_side(value: str | None) -> Side | None:
    return None if value is None else Side(value)

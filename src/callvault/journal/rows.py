"""Calls to journal rows and back: the one place that knows both shapes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping as Row

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


CALL_COLUMNS = (
    "uid", "sip_call_id", "started_at", "ringing_at", "answered_at", "ended_at", "status",
    "sip_code", "reason", "hangup_by", "end_cause",
    *(f"caller_{name}" for name in PARTY_FIELDS), *(f"callee_{name}" for name in PARTY_FIELDS),
    "direction", "transport", "codecs", "source", "ring_ms", "talk_ms", "duration_ms",
    "stream_count", "packet_count", "created_at", *RECORDING_COLUMNS.values(), "audio_issue",
    "comment", "outcome", "tags", "hold_ms", "transferred", "wrap_up_ms", "csat",
    *DIRECTORY_COLUMNS,
)  # fmt: skip
"""The ``calls`` columns (all but ``id``) in the order ``call_values`` gives them."""
STREAM_COLUMNS = ("call_id", "seq", "ssrc", "src_ip", "src_port", "dst_ip", "dst_port", "side",
                  "payload_types", "codec", "packets", "bytes", "first_at", "last_at",
                  "rtcp_packets", *QUALITY_FIELDS)
"""The ``streams`` columns (all but ``id``) in the order ``stream_values`` gives them."""
EVENT_COLUMNS = ("call_id", "seq", "kind", "at", "offset_ms", "party", "value", "detail")
"""The ``events`` columns (all but ``id``) in the order ``event_values`` gives them."""

# A row is written as a tuple, its runs of plain attributes taken in one C call each: the
# write path builds ≈ 1.5 rows per call, and a dict per row cost more than its statement.
_PARTY = attrgetter(*PARTY_FIELDS)
_RECORDING = attrgetter(*RECORDING_COLUMNS)
_NO_RECORDING = (None,) * len(RECORDING_COLUMNS)
_DIRECTORY = attrgetter(*DIRECTORY_COLUMNS)
_STREAM_ADDRESSES = attrgetter("ssrc", "src_ip", "src_port", "dst_ip", "dst_port")
_STREAM_TOTALS = attrgetter("codec", "packets", "bytes", "first_at", "last_at", "rtcp_packets",
                            *QUALITY_FIELDS)


def call_values(call: Call, created_at: float) -> tuple[Any, ...]:
    """The ``calls`` row of ``call`` (without ``id``), in ``CALL_COLUMNS`` order."""
    streams = call.streams
    recording = call.recording
    return (
        call.uid, call.sip_call_id, call.started_at, call.ringing_at, call.answered_at,
        call.ended_at, _text(_STATUS_TEXT, CallStatus, call.status), call.sip_code, call.reason,
        _side(call.hangup_by), call.end_cause, *_PARTY(call.caller), *_PARTY(call.callee),
        _text(_DIRECTION_TEXT, Direction, call.direction), call.transport,
        " ".join(call.codecs), call.source, call.ring_ms, call.talk_ms, call.duration_ms,
        len(streams), sum(stream.packets for stream in streams), created_at,
        *(_NO_RECORDING if recording is None else _RECORDING(recording)), call.audio_issue,
        call.comment, call.outcome, tags_text(call.tags), call.hold_ms, call.transferred,
        call.wrap_up_ms, call.csat, *_DIRECTORY(call),
    )  # fmt: skip


def stream_values(call_id: int, streams: Sequence[MediaStream]) -> list[tuple[Any, ...]]:
    """The ``streams`` rows of a call's streams, in ``STREAM_COLUMNS`` order."""
    return [
        (call_id, seq, *_STREAM_ADDRESSES(stream), _side(stream.side),
         " ".join(map(str, stream.payload_types)), *_STREAM_TOTALS(stream))
        for seq, stream in enumerate(streams)
    ]  # fmt: skip


def event_values(call_id: int, call: Call) -> list[tuple[Any, ...]]:
    """The ``events`` rows of a call, in ``EVENT_COLUMNS`` order."""
    return [
        (call_id, seq, event.kind, event.at, call.offset_ms(event.at), _side(event.party),
         event.value, event.detail)
        for seq, event in enumerate(call.events)
    ]  # fmt: skip


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


_SIDE_TEXT: dict[object, str] = {side: side.value for side in Side}
"""Each member's text, found by member or by its text alike (a StrEnum hashes as its text)."""
_STATUS_TEXT: dict[object, str] = {status: status.value for status in CallStatus}
_DIRECTION_TEXT: dict[object, str] = {direction: direction.value for direction in Direction}


def _text(texts: dict[object, str], enum: type[StrEnum], value: object) -> str:
    """``enum(value).value``, looked up (an enum's call costs ≈ 1 µs)."""
    text = texts.get(value)
    return text if text is not None else enum(value).value


def _side(side: Side | None) -> str | None:
    return None if side is None else _text(_SIDE_TEXT, Side, side)


def _to_side(value: str | None) -> Side | None:
    return None if value is None else Side(value)

"""Crash recovery: after a recorder died (kill -9, power loss), the audio it had written is
kept and its calls are saved, marked interrupted.

A recorder writes each recording as it runs into ``<name>.part`` (the WAV header is
brought up to date only now and then) and, when recoverable, the call's facts beside it in
``<name>.part.json``. Its calls in progress are on the live board. At start-up
``recover`` finds

- every partial recording not being written by a recorder still alive: its header is
  repaired (sizes from the data actually on disk, cut to whole frames), it is published
  under its name, and its call is saved from the board row's facts (or the file's own)
  with end cause ``interrupted``, an "interrupted" call event and an ``audio_issue``;
- every stale board row without a recording: its call is saved the same way, no audio.

Recovered calls leave the board. Saving is idempotent: a call already in the journal is
written again with the same uid (the journal replaces it).
"""

from __future__ import annotations

import json
import logging
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    Party,
    Recording,
    Side,
)
from callvault.errors import CallvaultError
from callvault.recording.recorder import MAX_RECORDING_S, SIDECAR
from callvault.recording.wav import WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW, WAVE_FORMAT_PCM
from callvault.vault.filesystem import PARTIAL, FilesystemVault

log = logging.getLogger(__name__)

ENCODING_OF_TAG = {WAVE_FORMAT_PCM: "pcm16", WAVE_FORMAT_ALAW: "alaw", WAVE_FORMAT_MULAW: "ulaw"}
INTERRUPTED = "interrupted"


class RecoveryError(CallvaultError):
    """A partial recording that cannot be repaired (not a WAV file, header destroyed)."""


@dataclass(slots=True)
class RecoveryReport:
    """What ``recover`` did."""

    calls: list[Call] = field(default_factory=list)
    """Calls saved as interrupted."""
    repaired: list[str] = field(default_factory=list)
    """Recordings repaired and published (vault names)."""
    skipped: list[str] = field(default_factory=list)
    """Partial recordings left alone, with why."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    encoding: str
    sample_rate: int
    channels: int
    frames: int


def repair_wav(path: Path) -> WavInfo:
    """Make a WAV file cut short valid: sizes in the header from the data on disk, the data
    cut to whole frames. RecoveryError when it is not a WAV file a recorder wrote."""
    with open(path, "r+b") as f:
        head = f.read(4096)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise RecoveryError(f"{path} is not a WAV file")
        at = 12
        fmt = fact_at = data_at = None
        while at + 8 <= len(head):
            chunk, size = head[at : at + 4], struct.unpack("<I", head[at + 4 : at + 8])[0]
            if chunk == b"fmt ":
                fmt = struct.unpack("<HHIIHH", head[at + 8 : at + 24])
            elif chunk == b"fact":
                fact_at = at + 8
            elif chunk == b"data":
                data_at = at + 8
                break
            at += 8 + size + (size & 1)
        if fmt is None or data_at is None or fmt[0] not in ENCODING_OF_TAG:
            raise RecoveryError(f"{path}: the WAV header is damaged")
        tag, channels, rate, _, block, _ = fmt
        size = os.fstat(f.fileno()).st_size
        frames = max(size - data_at, 0) // block
        data_bytes = frames * block
        f.truncate(data_at + data_bytes)
        f.seek(4)
        f.write(struct.pack("<I", data_at - 8 + data_bytes))
        if fact_at is not None:
            f.seek(fact_at)
            f.write(struct.pack("<I", frames))
        f.seek(data_at - 4)
        f.write(struct.pack("<I", data_bytes))
    return WavInfo(ENCODING_OF_TAG[tag], rate, channels, frames)


def recover(
    journal: object,
    data_dir: Path,
    board: object | None = None,
    recorder: str | None = None,
    older_than_s: float = 10.0,
    now: float | None = None,
) -> RecoveryReport:
    """Recover what recorders that died left behind (see the module docstring).

    ``journal``: an open Journal (``save``); ``board``: the LiveBoard, when there is one;
    ``recorder``: this recorder's name — its own rows are all stale at its start-up, other
    recorders' only once they have not been refreshed for ``older_than_s``. A partial
    recording without a board row is recovered once untouched for ``older_than_s``.
    """
    now = time.time() if now is None else now
    report = RecoveryReport()
    rows = {}
    live: set[str] = set()
    if board is not None:
        stale = board.stale(None, older_than_s, now=now)  # type: ignore[attr-defined]
        if recorder is not None:
            stale += [
                r
                for r in board.stale(recorder, 0.0, now=now + 1.0)  # type: ignore[attr-defined]
                if r.call_id not in {s.call_id for s in stale}
            ]
        rows = {row.call_id: row for row in stale}
        live = {row.call_id for row in board.calls()} - set(rows)  # type: ignore[attr-defined]
    vault = FilesystemVault(Path(data_dir) / "recordings")
    done: set[str] = set()
    root = vault.root
    for partial in sorted(root.rglob(f"*{PARTIAL}")) if root.exists() else []:
        name = partial.relative_to(root).as_posix()[: -len(PARTIAL)]
        facts = _read_facts(partial)
        uid = facts.get("uid") or Path(name).stem
        if uid in live:
            report.skipped.append(f"{name}: call in progress on a live recorder")
            continue
        if uid not in rows and now - partial.stat().st_mtime < older_than_s:
            report.skipped.append(f"{name}: written {now - partial.stat().st_mtime:.0f} s ago")
            continue
        try:
            info = repair_wav(partial)
        except RecoveryError as exc:
            report.skipped.append(str(exc))
            continue
        size, digest = vault.finish(name)
        Path(str(partial) + SIDECAR).unlink(missing_ok=True)
        report.repaired.append(name)
        row = rows.get(uid)
        if row is None and not facts.get("call"):
            log.warning("recovered recording %s has no call facts: not journaled", name)
            continue
        rate = int(facts.get("sample_rate") or info.sample_rate)
        origin = float(facts.get("origin") or (row.started_at if row else 0.0))
        first = int(facts.get("first") or 0)
        recording = Recording(
            path=name,
            format="wav",
            encoding=info.encoding,
            sample_rate=info.sample_rate,
            started_at=origin + first / rate,
            duration_ms=round(info.frames * 1000 / info.sample_rate),
            size=size,
            sha256=digest,
        )
        call = _call(uid, row, facts, recording)
        report.calls.append(call)
        done.add(uid)
    for uid, row in rows.items():
        if uid not in done:
            report.calls.append(_call(uid, row, {}, None))
    for call in report.calls:
        journal.save(call)  # type: ignore[attr-defined]
        if board is not None:
            board.ended(call.uid)  # type: ignore[attr-defined]
    return report


def _read_facts(partial: Path) -> dict:
    try:
        return json.loads(Path(str(partial) + SIDECAR).read_text())
    except (OSError, ValueError):
        return {}


def _party(facts: dict | None, number: str | None, name: str | None) -> Party:
    if facts:
        return Party(**facts)
    return Party(number=number, display_name=name)


def _call(uid: str, row: object | None, facts: dict, recording: Recording | None) -> Call:
    """The interrupted call from what is known: the board row first, the file's facts next."""
    known = facts.get("call") or {}
    started = getattr(row, "started_at", None) or known.get("started_at") or facts.get("origin")
    answered = getattr(row, "answered_at", None) or known.get("answered_at")
    last = [float(started)]
    heartbeat = getattr(row, "updated_at", None)
    if heartbeat is not None and 0 <= heartbeat - started <= MAX_RECORDING_S:
        last.append(heartbeat)  # the recorder's last sign of life (same clock as the call's)
    if recording is not None:
        last.append(recording.started_at + recording.duration_ms / 1000)
    ended = max(last)
    direction = getattr(row, "direction", None) or known.get("direction") or "unknown"
    events = [
        CallEvent(**{**e, "party": Side(e["party"]) if e.get("party") else None})
        for e in facts.get("events", [])
    ]
    events.append(CallEvent(INTERRUPTED, ended, None, None, "recorder stopped"))
    issue = "interrupted: audio up to the recorder's stop" if recording else "interrupted"
    return Call(
        uid=uid,
        sip_call_id=getattr(row, "sip_call_id", None) or known.get("sip_call_id"),
        started_at=float(started),
        ringing_at=known.get("ringing_at"),
        answered_at=answered,
        ended_at=ended,
        status=CallStatus.ANSWERED if answered is not None else CallStatus.FAILED,
        end_cause=INTERRUPTED,
        caller=_party(
            known.get("caller"),
            getattr(row, "caller_number", None),
            getattr(row, "caller_display_name", None),
        ),
        callee=_party(
            known.get("callee"),
            getattr(row, "callee_number", None),
            getattr(row, "callee_display_name", None),
        ),
        direction=Direction(direction),
        transport=known.get("transport"),
        codecs=tuple(known.get("codecs") or ()),
        events=sorted(events, key=lambda e: e.at),
        source=getattr(row, "source", None) or known.get("source"),
        recording=recording,
        audio_issue=issue,
    )

"""Compaction: re-encode older recordings in a smaller format (Opus, FLAC) after the fact.

Capture time keeps G.711 as sent (cheap, exact); weeks later the same audio can live in
Opus at a third of the size. The journal row follows (format, size, SHA-256), the old file
goes only once the new one is published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from callvault.calls.model import Call
from callvault.errors import CallvaultError
from callvault.journal import CallFilter, Journal
from callvault.recording.formats import EXTENSIONS, OPUS_RATES, Layout, open_audio
from callvault.vault.filesystem import FilesystemVault

PAGE = 500


@dataclass(slots=True)
class CompactSummary:
    recordings: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    skipped: int = 0


def compact(
    journal: Journal,
    vault: FilesystemVault,
    fmt: str,
    before: datetime | float,
    dry_run: bool = False,
) -> CompactSummary:
    """Re-encode every recording of a call that started before ``before`` into ``fmt``."""
    summary = CompactSummary()
    offset = 0
    while True:
        page = journal.list_calls(
            CallFilter(until=before, limit=PAGE, offset=offset, newest_first=False)
        )
        if not page:
            return summary
        offset += len(page)
        for call in page:
            rec = call.recording
            if rec is None or rec.format == fmt:
                continue
            if dry_run:
                summary.recordings += 1
                summary.bytes_before += rec.size
                continue
            try:
                after = _reencode(vault, call, fmt)
            except CallvaultError:
                summary.skipped += 1
                continue
            summary.recordings += 1
            summary.bytes_before += rec.size
            summary.bytes_after += after
            journal.save(call)


def _reencode(vault: FilesystemVault, call: Call, fmt: str) -> int:
    import soundfile

    rec = call.recording
    assert rec is not None
    source = vault.path(rec.path)
    try:
        samples, rate = soundfile.read(source, dtype="int16", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, OSError) as exc:
        raise CallvaultError(f"cannot read the recording {source}: {exc}") from exc
    if fmt == "opus" and rate not in OPUS_RATES:
        raise CallvaultError(f"Opus cannot hold {rate} Hz audio")
    name = vault.name_for(call.uid, call.started_at, EXTENSIONS[fmt])
    audio = open_audio(vault.create(name), Layout(fmt, rate, "pcm16"))
    audio.write(np.ascontiguousarray(samples))
    audio.close()
    size, digest = vault.finish(name)
    call.recording = replace(rec, path=name, format=fmt, encoding="pcm16", size=size, sha256=digest)
    if name != rec.path:
        source.unlink(missing_ok=True)
    return size

"""Recordings the PBX made itself (MixMonitor, record_session), found by the call's ids in
their file names (``<uniqueid>.wav``, ``<anything>-<uniqueid>.wav``) and copied into the vault."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import soundfile

from callvault.calls.model import Recording
from callvault.vault.filesystem import FilesystemVault

AUDIO_EXTENSIONS = frozenset({"wav", "flac", "ogg", "opus", "gsm", "au"})

_ENCODINGS = {"ULAW": "ulaw", "ALAW": "alaw", "PCM_16": "pcm16"}
"""soundfile subtypes as the journal names encodings; others are written in lower case."""


class RecordingIndex:
    """The audio files under a directory, by every id their name may end with."""

    def __init__(self, root: Path) -> None:
        self.by_stem: dict[str, Path] = {}
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix.lower().lstrip(".") in AUDIO_EXTENSIONS:
                self.by_stem.setdefault(path.stem, path)

    def find(self, ids: Iterable[str]) -> Path | None:
        """The first file named ``<id>.ext`` or ``…-<id>.ext`` / ``…_<id>.ext``."""
        wanted = [i for i in ids if i]
        for id_ in wanted:
            if id_ in self.by_stem:
                return self.by_stem[id_]
        for stem, path in self.by_stem.items():
            if any(stem.endswith(("-" + i, "_" + i)) for i in wanted):
                return path
        return None


def store_recording(source: Path, vault: FilesystemVault, uid: str,
                    started_at: float) -> Recording | None:
    """Copy ``source`` into the vault as the call's recording; None when it is not audio."""
    try:
        info = soundfile.info(str(source))
    except (RuntimeError, soundfile.LibsndfileError, OSError):
        return None
    extension = source.suffix.lower().lstrip(".")
    name = vault.name_for(uid, started_at, extension)
    with open(source, "rb") as reader, vault.create(name) as writer:
        shutil.copyfileobj(reader, writer)
    size, sha256 = vault.finish(name)
    return Recording(
        path=name,
        format=extension,
        encoding=_ENCODINGS.get(info.subtype, info.subtype.lower()),
        sample_rate=int(info.samplerate),
        started_at=started_at,
        duration_ms=round(info.frames * 1000 / info.samplerate) if info.samplerate else 0,
        size=size,
        sha256=sha256,
    )

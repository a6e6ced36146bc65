"""A call's recording out of the vault: as stored, or one channel, or another format."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from callvault.calls.model import Recording
from callvault.errors import CallvaultError
from callvault.recording.formats import OPUS_RATES
from callvault.vault.filesystem import FilesystemVault

CHANNELS = ("both", "caller", "callee")
SOUNDFILE_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "opus": ("OGG", "OPUS")}


def export_recording(
    vault: FilesystemVault, recording: Recording, out: Path, fmt: str | None, channel: str
) -> Path:
    """Write the recording to ``out``; byte for byte when nothing is to change (evidence)."""
    import soundfile

    source = vault.path(recording.path)
    if not source.exists():
        raise CallvaultError(f"the recording file {source} is missing from the vault")
    fmt = fmt or recording.format
    if fmt == recording.format and channel == "both":
        shutil.copyfile(source, out)
        return out
    try:
        samples, rate = soundfile.read(source, dtype="int16", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise CallvaultError(f"cannot read the recording {source}: {exc}") from exc
    if channel != "both":
        samples = samples[:, CHANNELS.index(channel) - 1 : CHANNELS.index(channel)]
    if fmt == "opus" and rate not in OPUS_RATES:
        raise CallvaultError(f"Opus cannot hold {rate} Hz audio; choose wav or flac")
    kind, subtype = SOUNDFILE_FORMATS[fmt]
    soundfile.write(out, np.ascontiguousarray(samples), rate, subtype=subtype, format=kind)
    return out

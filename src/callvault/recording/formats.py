"""Recording file formats: how a call's stereo samples become a file, incrementally.

| format | what is stored | why |
|---|---|---|
| wav (default) | G.711 calls: the µ-law/A-law bytes as sent; others: 16-bit PCM | lossless for G.711 and costs no encoding: keeps up with capture |
| flac | 16-bit PCM, lossless compression | smaller, still exact |
| opus | Ogg/Opus | compact (compaction of older recordings) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np

from callvault.codecs.g711 import ALAW_TO_PCM, ULAW_TO_PCM
from callvault.recording.wav import WavWriter

FORMATS = ("wav", "flac", "opus")
EXTENSIONS = {"wav": "wav", "flac": "flac", "opus": "opus"}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def _nearest_code_table(decode: np.ndarray) -> np.ndarray:
    """int16 sample (offset by 32768) → the G.711 code whose value is nearest."""
    order = np.argsort(decode, kind="stable")
    values = decode[order].astype(np.int32)
    samples = np.arange(-32768, 32768, dtype=np.int32)
    right = np.clip(np.searchsorted(values, samples), 1, len(values) - 1)
    left = right - 1
    pick = np.where(samples - values[left] <= values[right] - samples, left, right)
    return order[pick].astype(np.uint8)


_PCM_TO_ULAW = _nearest_code_table(ULAW_TO_PCM)
_PCM_TO_ALAW = _nearest_code_table(ALAW_TO_PCM)
SILENCE_CODE = {"ulaw": 0xFF, "alaw": 0xD5}
"""G.711 codes of a zero sample (µ-law positive zero; A-law +8, the smallest step)."""


def pcm_to_law(samples: np.ndarray, law: str) -> np.ndarray:
    """16-bit samples as G.711 codes (nearest; exact for samples that came from the law)."""
    table = _PCM_TO_ULAW if law == "ulaw" else _PCM_TO_ALAW
    return table[samples.astype(np.int32) + 32768]


def law_to_pcm(codes: np.ndarray, law: str) -> np.ndarray:
    return (ULAW_TO_PCM if law == "ulaw" else ALAW_TO_PCM)[codes]


@dataclass(frozen=True, slots=True)
class Layout:
    """What a recording file holds."""

    format: str
    sample_rate: int
    encoding: str
    """"ulaw", "alaw" (G.711 codes) or "pcm16"."""

    @property
    def dtype(self) -> type:
        return np.uint8 if self.encoding in SILENCE_CODE else np.int16

    @property
    def silence(self) -> int:
        return SILENCE_CODE.get(self.encoding, 0)


class AudioFile(Protocol):
    def write(self, frames: np.ndarray) -> None:
        """Interleaved frames, shape (n, 2), of the layout's dtype."""

    def close(self) -> None: ...


class _Wav:
    def __init__(self, file: BinaryIO, layout: Layout) -> None:
        self.file = file
        self.writer = WavWriter(file, layout.sample_rate, 2, layout.encoding)

    def write(self, frames: np.ndarray) -> None:
        self.writer.write(
            np.ascontiguousarray(frames)
            .astype("<i2" if frames.dtype == np.int16 else np.uint8, copy=False)
            .tobytes()
        )

    def close(self) -> None:
        self.writer.sync()
        self.file.close()


class _SoundFile:
    def __init__(self, file: BinaryIO, layout: Layout) -> None:
        import soundfile

        kind, subtype = ("FLAC", "PCM_16") if layout.format == "flac" else ("OGG", "OPUS")
        self.file = file
        self.sf = soundfile.SoundFile(file, "w", layout.sample_rate, 2, subtype, format=kind)

    def write(self, frames: np.ndarray) -> None:
        self.sf.write(np.ascontiguousarray(frames))

    def close(self) -> None:
        self.sf.close()
        self.file.close()


def open_audio(file: BinaryIO, layout: Layout) -> AudioFile:
    if layout.format == "wav":
        return _Wav(file, layout)
    return _SoundFile(file, layout)


def choose_layout(fmt: str, first_codec: str | None, decoded_rate: int) -> Layout:
    """The layout of a call's recording, decided when its first audio arrives."""
    name = (first_codec or "").upper()
    if fmt == "wav" and name.startswith("PCMU/8000"):
        return Layout("wav", 8000, "ulaw")
    if fmt == "wav" and name.startswith("PCMA/8000"):
        return Layout("wav", 8000, "alaw")
    rate = decoded_rate if decoded_rate in (8000, 16000, 48000) else 8000
    if fmt == "opus" and rate not in OPUS_RATES:
        rate = 16000
    return Layout(fmt, rate, "pcm16")

"""A recording's waveform peaks and silent spans, computed on the server.

The call page draws the waveform from these (``GET /api/calls/{ref}/recording/peaks``)
instead of downloading and decoding the whole file in the browser first: a call of hours is
a few kilobytes of peaks, and the audio then streams through the media element as it plays.
The same pass finds the spans where both parties are silent, which the player's
skip-silence jumps over.

The file is read in blocks (memory stays bounded whatever the call's length); results are
kept in a small in-memory cache keyed by the file's identity, size and modification time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from callvault.errors import CallvaultError

MAX_POINTS: Final = 20_000
"""The most peaks per channel one request may ask for (a wide screen draws ~4,000)."""
SILENCE_LEVEL: Final = 10 ** (-40 / 20)
"""A window is silent when no sample of either channel reaches -40 dBFS."""
SILENCE_WINDOW_S: Final = 0.05
"""The resolution of silence detection."""
MIN_SILENCE_S: Final = 1.0
"""Shorter pauses are part of speech: only longer silences are reported."""
BLOCK_FRAMES: Final = 1 << 16
"""Frames read from the file at a time."""
CACHE_ENTRIES: Final = 64


class PeaksError(CallvaultError):
    """The recording cannot be read as audio."""


@dataclass(frozen=True, slots=True)
class Peaks:
    """``points`` buckets of equal length per channel, each its smallest and largest sample
    (-1…1), and the silent spans (start, end) in seconds."""

    duration_s: float
    sample_rate: int
    minima: tuple[np.ndarray, ...]
    maxima: tuple[np.ndarray, ...]
    silences: tuple[tuple[float, float], ...]

    @property
    def points(self) -> int:
        return len(self.minima[0]) if self.minima else 0

    def as_record(self, digits: int = 4) -> dict[str, object]:
        """The peaks as JSON: per channel ``{"min": [...], "max": [...]}``."""
        return {
            "duration_s": self.duration_s,
            "sample_rate": self.sample_rate,
            "points": self.points,
            "channels": [
                {"min": np.round(low, digits).tolist(), "max": np.round(high, digits).tolist()}
                for low, high in zip(self.minima, self.maxima, strict=True)
            ],
            "silences": [
                {"start_s": round(start, 3), "end_s": round(end, 3)}
                for start, end in self.silences
            ],
        }


def compute_peaks(path: Path, points: int, *, block_frames: int = BLOCK_FRAMES) -> Peaks:
    """Peaks of the audio file at ``path`` (WAV with PCM, µ-law or A-law, FLAC, Ogg/Opus)
    in ``points`` buckets per channel (fewer when the file has fewer frames)."""
    import soundfile

    if points < 1:
        raise ValueError(f"points must be 1 or more, not {points}")
    try:
        with soundfile.SoundFile(path) as audio:
            return _scan(audio, points, block_frames)
    except (RuntimeError, soundfile.LibsndfileError, OSError) as exc:
        raise PeaksError(f"cannot read the recording as audio: {exc}") from exc


def _scan(audio: object, points: int, block_frames: int) -> Peaks:
    frames = int(audio.frames)  # type: ignore[attr-defined]
    rate = int(audio.samplerate)  # type: ignore[attr-defined]
    channels = int(audio.channels)  # type: ignore[attr-defined]
    if frames <= 0 or rate <= 0:
        empty = tuple(np.zeros(0, np.float32) for _ in range(channels))
        return Peaks(0.0, rate, empty, empty, ())
    points = min(points, frames)
    window = max(1, round(rate * SILENCE_WINDOW_S))
    windows = -(-frames // window)
    low = np.full((points, channels), np.inf, np.float32)
    high = np.full((points, channels), -np.inf, np.float32)
    loudest = np.zeros(windows, np.float32)
    done = 0
    while done < frames:
        block = audio.read(min(block_frames, frames - done), dtype="float32", always_2d=True)  # type: ignore[attr-defined]
        if not len(block):
            break  # the header promised more than the file holds (a cut-off recording)
        index = np.arange(done, done + len(block), dtype=np.int64)
        buckets = index * points // frames
        _reduce_into(low, buckets, block, np.minimum)
        _reduce_into(high, buckets, block, np.maximum)
        _reduce_into(loudest, index // window, np.abs(block).max(axis=1), np.maximum)
        done += len(block)
    seen = np.isfinite(low[:, 0])
    low[~seen] = 0.0
    high[~seen] = 0.0
    silent = loudest < SILENCE_LEVEL
    silent[-(-done // window):] = False  # windows past a cut-off file's end are unknown
    return Peaks(
        duration_s=frames / rate,
        sample_rate=rate,
        minima=tuple(np.ascontiguousarray(low[:, c]) for c in range(channels)),
        maxima=tuple(np.ascontiguousarray(high[:, c]) for c in range(channels)),
        silences=_spans(silent, window / rate, frames / rate),
    )


def _reduce_into(
    into: np.ndarray, buckets: np.ndarray, values: np.ndarray, combine: np.ufunc
) -> None:
    """``into[b] = combine(into[b], combine of values in bucket b)`` for the (sorted)
    ``buckets`` of ``values``' rows."""
    starts = np.flatnonzero(np.diff(buckets, prepend=buckets[0] - 1))
    reduced = combine.reduceat(values, starts, axis=0)
    where = buckets[starts]
    into[where] = combine(into[where], reduced)


def _spans(
    silent: np.ndarray, window_s: float, duration_s: float
) -> tuple[tuple[float, float], ...]:
    """Runs of silent windows lasting at least ``MIN_SILENCE_S``, as (start, end) seconds."""
    edges = np.diff(np.concatenate(([0], silent.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    found = []
    for start, end in zip(starts, ends, strict=True):
        begin_s, end_s = start * window_s, min(end * window_s, duration_s)
        if end_s - begin_s >= MIN_SILENCE_S:
            found.append((float(begin_s), float(end_s)))
    return tuple(found)


class PeaksCache:
    """The last ``size`` results, keyed by file, size, modification time and points: a
    replaced or re-encoded recording is read again."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, int, int, int], Peaks] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, points: int) -> Peaks:
        try:
            stat = path.stat()
        except OSError as exc:
            raise PeaksError(f"cannot read the recording: {exc}") from exc
        key = (str(path), stat.st_size, stat.st_mtime_ns, points)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        peaks = compute_peaks(path, points)
        with self._lock:
            self._entries[key] = peaks
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return peaks


CACHE: Final = PeaksCache()
"""The process's cache (the API's route reads through it)."""

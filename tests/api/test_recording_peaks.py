"""GET /api/calls/{ref}/recording/peaks on SQLite and PostgreSQL: the peaks against numpy
on a known stereo WAV, the silent spans, who may ask, the audit entry; and
``recording.peaks`` itself on odd sizes, short files and cut-off files."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import soundfile
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.calls.model import Direction, Recording
from callvault.config import Settings
from callvault.journal import Journal
from callvault.recording.formats import pcm_to_law
from callvault.recording.peaks import MIN_SILENCE_S, PeaksCache, PeaksError, compute_peaks
from callvault.recording.wav import WavWriter

RATE = 8000
SECONDS = 9
SILENT = (3.0, 5.5)
"""Both channels silent here; the caller speaks before, the callee after (and the caller
pauses for half a second at 1.0-1.5 s: too short to count)."""


def known_frames() -> np.ndarray:
    t = np.arange(SECONDS * RATE) / RATE
    left = 12000 * np.sin(2 * np.pi * 300 * t) * (t < SILENT[0])
    left[(t >= 1.0) & (t < 1.5)] = 0
    right = 6000 * np.sin(2 * np.pi * 500 * t) * (t >= SILENT[1])
    return np.stack([left, right], axis=1).astype(np.int16)


def ulaw_wav(frames: np.ndarray) -> bytes:
    out = io.BytesIO()
    writer = WavWriter(out, RATE, 2, "ulaw")
    writer.write(pcm_to_law(frames.reshape(-1), "ulaw").astype(np.uint8).tobytes())
    writer.sync()
    return out.getvalue()


def expected_peaks(path: Path, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket b holds frames i with i * points // frames == b: numpy, whole file at once."""
    samples, _ = soundfile.read(path, dtype="float32", always_2d=True)
    bucket = np.arange(len(samples)) * points // len(samples)
    low = np.array([[samples[bucket == b, c].min() for c in range(2)] for b in range(points)])
    high = np.array([[samples[bucket == b, c].max() for c in range(2)] for b in range(points)])
    return low, high


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    return backend_settings


@pytest.fixture
def recorded(settings: Settings, tokens: dict[str, str]) -> Path:
    audio = ulaw_wav(known_frames())
    name = "2024/05/01/anns.wav"
    path = settings.recordings_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio)
    call = make_call("anns", T0, "+4533123456", "201", Direction.INBOUND)
    call.recording = Recording(
        name, "wav", "ulaw", RATE, T0 + 2, SECONDS * 1000, len(audio),
        hashlib.sha256(audio).hexdigest(),
    )
    with Journal.open(settings.journal_url) as journal:
        journal.save(call)
    return path


def test_peaks_are_the_buckets_minima_and_maxima_and_the_silence_is_found(
    client: TestClient, tokens: dict[str, str], recorded: Path
) -> None:
    answer = client.get(
        "/api/calls/anns/recording/peaks", params={"points": 700}, headers=bearer(tokens["ann"])
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["duration_s"] == SECONDS
    assert body["sample_rate"] == RATE
    assert body["points"] == 700
    low, high = expected_peaks(recorded, 700)
    for channel, peaks in enumerate(body["channels"]):
        assert len(peaks["min"]) == len(peaks["max"]) == 700
        np.testing.assert_allclose(peaks["min"], low[:, channel], atol=1e-4)
        np.testing.assert_allclose(peaks["max"], high[:, channel], atol=1e-4)
    assert max(body["channels"][0]["max"]) > 0.3  # the caller's tone is there
    # one silence, where neither speaks; the caller's half-second pause is not one
    (silence,) = body["silences"]
    assert silence["start_s"] == pytest.approx(SILENT[0], abs=0.06)
    assert silence["end_s"] == pytest.approx(SILENT[1], abs=0.06)
    # audited as a playback of the call
    audit = client.get("/api/audit", headers=bearer(tokens["ada"])).json()["data"]
    assert [(e["username"], e["action"], e["detail"]) for e in audit] == [
        ("ann", "playback", '{"peaks": 700}')
    ]


def test_peaks_follow_the_recordings_scope_and_bounds(
    client: TestClient, tokens: dict[str, str], recorded: Path
) -> None:
    url = "/api/calls/anns/recording/peaks"
    assert client.get(url, headers=bearer(tokens["bob"])).status_code == 404  # not his call
    assert client.get(url, headers=bearer(tokens["cleo"])).status_code == 200
    assert client.get(url).status_code == 401
    too_many = client.get(url, params={"points": 10**6}, headers=bearer(tokens["ada"]))
    assert too_many.status_code == 422
    assert "points" in too_many.json()["error"]["message"]
    assert client.get("/api/calls/bobs/recording/peaks",
                      headers=bearer(tokens["ada"])).status_code == 404
    recorded.write_bytes(b"RIFF not really a wav")
    broken = client.get(url, headers=bearer(tokens["ada"]))
    assert broken.status_code == 404
    assert "cannot read the recording as audio" in broken.json()["error"]["message"]


def test_odd_sizes_blocks_and_short_files(tmp_path: Path) -> None:
    path = tmp_path / "odd.wav"
    frames = known_frames()[:12_345]
    path.write_bytes(ulaw_wav(frames))
    low, high = expected_peaks(path, 97)
    peaks = compute_peaks(path, 97, block_frames=1000)  # buckets across block boundaries
    np.testing.assert_allclose(np.stack(peaks.minima, axis=1), low, atol=1e-6)
    np.testing.assert_allclose(np.stack(peaks.maxima, axis=1), high, atol=1e-6)
    assert compute_peaks(path, 50_000).points == 12_345  # never more buckets than frames
    flac = tmp_path / "same.flac"
    soundfile.write(flac, frames, RATE, format="FLAC")
    assert compute_peaks(flac, 10).points == 10
    with pytest.raises(PeaksError):
        compute_peaks(tmp_path / "missing.wav", 10)


def test_a_cut_off_file_reports_what_it_holds(tmp_path: Path) -> None:
    """A recording whose header promises more than was written (the recorder died)."""
    path = tmp_path / "cut.wav"
    whole = ulaw_wav(np.zeros((4 * RATE, 2), np.int16))
    path.write_bytes(whole[: len(whole) // 2])
    peaks = compute_peaks(path, 40)
    assert all(s[1] - s[0] >= MIN_SILENCE_S for s in peaks.silences)
    assert peaks.silences and peaks.silences[-1][1] <= 2.1


def test_the_cache_reads_a_changed_file_again(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(ulaw_wav(known_frames()))
    cache = PeaksCache(size=1)
    first = cache.get(path, 20)
    assert cache.get(path, 20) is first
    path.write_bytes(ulaw_wav(np.zeros((RATE, 2), np.int16)))
    assert cache.get(path, 20).duration_s == 1.0

"""`callvault audio` and `callvault compact` as a user runs them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from callvault.cli import _register, cli
from callvault.config import Settings
from callvault.journal import Journal
from callvault.synth import demo_calls, write_capture

_register()


@pytest.fixture()
def journal_dir(tmp_path: Path) -> Path:
    capture = tmp_path / "demo.pcap"
    write_capture(capture, demo_calls())
    result = CliRunner().invoke(
        cli, ["ingest", str(capture), "--data-dir", str(tmp_path), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    return tmp_path


def stored(data_dir: Path) -> list:
    with Journal.open(Settings(data_dir=data_dir).journal_url) as journal:
        return [c for c in journal.list_calls() if c.recording]


def test_audio_as_stored_is_byte_for_byte_the_evidence(journal_dir: Path, tmp_path: Path) -> None:
    call = stored(journal_dir)[0]
    out = tmp_path / "copy.wav"
    result = CliRunner().invoke(
        cli, ["audio", str(call.id), "--out", str(out), "--data-dir", str(journal_dir)]
    )
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == call.recording.sha256
    assert out.stat().st_size == call.recording.size


@pytest.mark.parametrize(
    ("fmt", "channel", "channels"),
    [("flac", "both", 2), ("wav", "caller", 1), ("opus", "callee", 1)],
)
def test_audio_in_another_format_or_one_channel(
    journal_dir: Path, tmp_path: Path, fmt: str, channel: str, channels: int
) -> None:
    call = stored(journal_dir)[0]
    out = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(
        cli,
        [
            "audio",
            call.uid,
            "--out",
            str(out),
            "--format",
            fmt,
            "--channel",
            channel,
            "--data-dir",
            str(journal_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    info = soundfile.info(str(out))
    assert info.channels == channels and info.samplerate == 8000
    assert info.duration == pytest.approx(call.recording.duration_ms / 1000, abs=0.03)


def test_audio_of_a_call_without_recording_says_why(journal_dir: Path, tmp_path: Path) -> None:
    with Journal.open(Settings(data_dir=journal_dir).journal_url) as journal:
        missed = [c for c in journal.list_calls() if c.recording is None][0]
    result = CliRunner().invoke(
        cli,
        ["audio", str(missed.id), "--out", str(tmp_path / "x.wav"), "--data-dir", str(journal_dir)],
    )
    assert result.exit_code == 1 and "has no recording" in result.output


def test_compact_reencodes_and_the_journal_follows(journal_dir: Path) -> None:
    before = {c.uid: c.recording for c in stored(journal_dir)}
    first = CliRunner().invoke(
        cli, ["compact", "--older-than", "now", "--data-dir", str(journal_dir)]
    )
    assert first.exit_code == 0 and f"compacted {len(before)} recording(s) to opus" in first.output
    settings = Settings(data_dir=journal_dir)
    for call in stored(journal_dir):
        rec, old = call.recording, before[call.uid]
        assert rec.format == "opus" and rec.size < old.size / 2
        path = settings.recordings_dir / rec.path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == rec.sha256
        assert not (settings.recordings_dir / old.path).exists()
        audio, rate = soundfile.read(str(path), dtype="int16")
        assert rate == 8000 and audio.shape[1] == 2
        assert abs(audio.shape[0] / rate - old.duration_ms / 1000) < 0.1
        assert np.abs(audio).max() > 1000  # the tones are still there
    again = CliRunner().invoke(
        cli, ["compact", "--older-than", "now", "--data-dir", str(journal_dir)]
    )
    assert "compacted 0 recording(s)" in again.output

"""The consent notice: found in a recording's opening seconds despite G.711 coding, a gain
change and a start offset; not found where it is absent, replaced by other speech, only
partly there, or in random audio; results on the call, in the journal, filterable, and
rechecked by `callvault consent check`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner
from tests.recording.test_recording_control import capture

from callvault.calls.model import Call, Side
from callvault.cli import cli
from callvault.codecs.g711 import decode_ulaw, encode_ulaw
from callvault.config import Settings
from callvault.engine import ingest_file
from callvault.errors import ConfigError
from callvault.journal import Journal
from callvault.journal.filters import CallFilter
from callvault.recording.consent import RATE, ConsentDetector, consent_record, saved_result
from callvault.synth import _tone_frames


def _smooth(rng: np.random.Generator, n: int, per_s: float) -> np.ndarray:
    k = max(2, int(n / RATE * per_s))
    return np.interp(np.arange(n), np.linspace(0, n, k), rng.standard_normal(k))


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Voiced sound with a wandering pitch and syllable-rate loudness, different per seed."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    phase = 2 * np.pi * np.cumsum(140 + 40 * _smooth(rng, n, 3)) / RATE
    amps = rng.uniform(0.1, 1, 24) / np.arange(1, 25)
    voiced = sum(a * np.sin(k * phase + rng.uniform(0, 6)) for k, a in enumerate(amps, 1))
    loudness = 0.25 + np.abs(_smooth(rng, n, 8))  # never quite silent: every quarter counts
    return (voiced + 0.2 * rng.standard_normal(n)) * loudness * 3000


NOTICE = speech_like(3.0, 1)


def recording(
    notice: np.ndarray | None,
    offset_s: float = 2.37,
    gain: float = 0.3,
    seed: int = 5,
    seconds: int = 15,
) -> np.ndarray:
    """The opening of a call, G.711 µ-law coded: someone talking on the caller's channel, line
    noise on the callee's, the notice (if any) on the callee's at ``offset_s``."""
    rng = np.random.default_rng(seed)
    n = seconds * RATE
    audio = np.stack([speech_like(seconds, seed + 100) * 0.5, rng.standard_normal(n) * 30], axis=1)
    if notice is not None:
        at = int(offset_s * RATE)
        audio[at : at + notice.shape[0], 1] += notice * gain
    pcm = np.clip(audio, -32768, 32767).astype(np.int16).reshape(-1)
    return decode_ulaw(encode_ulaw(pcm)).reshape(-1, 2).astype(np.float64)


@pytest.fixture(scope="module")
def detector() -> ConsentDetector:
    return ConsentDetector(NOTICE)


def test_the_notice_is_found_coded_quieter_and_late(detector: ConsentDetector) -> None:
    result = detector.check(recording(NOTICE, offset_s=2.37, gain=0.3))
    assert result.heard and result.channel is Side.CALLEE
    assert result.offset_s == pytest.approx(2.37, abs=1 / RATE)
    assert result.score > 0.9
    louder = detector.check(recording(NOTICE, offset_s=0.0, gain=2.0, seed=9))
    assert louder.heard and louder.offset_s == 0.0


@pytest.mark.parametrize(
    ("what", "audio"),
    [
        ("no notice", lambda: recording(None)),
        ("other speech", lambda: recording(speech_like(3.0, 2))),
        ("its first half", lambda: recording(NOTICE[: NOTICE.shape[0] // 2])),
        ("its last three quarters", lambda: recording(NOTICE[NOTICE.shape[0] // 4 :])),
        ("after the window", lambda: recording(NOTICE, offset_s=13.5, seconds=20)),
    ],
)
def test_no_notice_no_detection(detector: ConsentDetector, what: str, audio) -> None:  # type: ignore[no-untyped-def]
    result = detector.check(audio())
    assert not result.heard, what
    assert result.score < 0.5 and result.channel is None and result.offset_s is None


def test_random_audio_scores_near_zero(detector: ConsentDetector) -> None:
    scores = [
        detector.check(np.random.default_rng(seed).standard_normal((15 * RATE, 2)) * 3000).score
        for seed in range(12)
    ]
    assert max(scores) < 0.1


def test_bad_announcements_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="longer than the consent window"):
        ConsentDetector(NOTICE, window_s=2.0)
    with pytest.raises(ConfigError, match="silent"):
        ConsentDetector(np.zeros(RATE))
    bad = tmp_path / "notice.wav"
    bad.write_bytes(b"RIFF nonsense")
    with pytest.raises(ConfigError, match="consent announcement: cannot read"):
        ConsentDetector.from_file(bad)


def tone_notice(path: Path, hz: float) -> Path:
    """A notice that is the synthetic callee's own tone (what its RTP carries) or another."""
    pcm = decode_ulaw(b"".join(_tone_frames(hz)[:40]))
    soundfile.write(path, pcm, RATE, subtype="PCM_16")
    return path


def test_ingest_checks_each_recording_and_flags_missing_notices(
    journal_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(
        data_dir=data_dir,
        database_url=journal_url,
        consent_announcement=tone_notice(tmp_path / "notice.wav", 330.0),
        consent_required=["direction=inbound"],
    )
    calls: list[Call] = []
    ingest_file(capture(tmp_path, n=2), settings, calls.append)
    for call in calls:
        (found,) = [e for e in call.events if e.kind == "consent"]
        assert (found.value, found.party) == ("heard", Side.CALLEE)
    other = replace(
        settings, consent_announcement=tone_notice(tmp_path / "other.wav", 500.0)
    )
    (tmp_path / "second").mkdir()
    missing: list[Call] = []
    ingest_file(capture(tmp_path / "second", n=1), other, missing.append)
    assert [e.value for e in missing[0].events if e.kind == "consent"] == ["missing"]
    with Journal.open(journal_url) as journal:
        journal.save_many([*calls, missing[0]])
        flagged = journal.list_calls(CallFilter(consent="missing"))
        assert [c.uid for c in flagged] == [missing[0].uid]
        from_event = consent_record(journal, flagged[0])  # checked by the recorder only
        assert from_event is not None and from_event["missing"] and not from_event["heard"]
        assert len(journal.list_calls(CallFilter(consent="heard"))) == 1  # same uid: replaced

    # recheck everything with the first notice: the flag goes, the results are stored
    env = {"CALLVAULT_DATA_DIR": str(data_dir), "CALLVAULT_DATABASE_URL": journal_url}
    result = CliRunner().invoke(
        cli,
        ["consent", "check", "--since", "@0", "--announcement", str(tmp_path / "notice.wav")],
        env={**env, "CALLVAULT_CONSENT_REQUIRED": "direction=inbound"},
    )
    assert result.exit_code == 0, result.output
    assert "heard on the callee channel" in result.output
    assert "0 missing the required notice" in result.output
    with Journal.open(journal_url) as journal:
        assert journal.list_calls(CallFilter(consent="missing")) == []
        heard = journal.list_calls(CallFilter(consent="heard"))
        assert len(heard) == 2
        on_call = consent_record(journal, heard[0])
        assert on_call is not None and on_call["heard"] and on_call["required"]
        for call in heard:
            stored = saved_result(journal, call.id)
            assert stored is not None and stored["heard"] and stored["channel"] == "callee"
            assert stored["required"] and not stored["missing"]
            assert [e.kind for e in call.events].count("consent") == 1


def test_the_command_says_what_is_wrong(tmp_path: Path) -> None:
    env = {"CALLVAULT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["consent", "check"], env=env)
    assert result.exit_code != 0 and "name the calls to check, or give --since" in result.output
    result = CliRunner().invoke(cli, ["consent", "check", "--since", "-1d"], env=env)
    assert result.exit_code != 0 and "no consent announcement" in result.output
    notice = tone_notice(tmp_path / "n.wav", 330.0)
    result = CliRunner().invoke(
        cli, ["consent", "check", "nope", "--announcement", str(notice)], env=env
    )
    assert result.exit_code != 0 and "no call with id, uid or Call-ID 'nope'" in result.output
    assert "Traceback" not in result.output

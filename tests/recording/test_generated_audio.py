"""SIPp calls whose sent audio is known byte for byte: the recording holds exactly that audio,
on the right channel, at the offset the capture shows (offsets from tshark's stream times)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.recording.conftest import GENERATED, oracle, record, shared, wav_codes

from callvault.codecs.g711 import decode_ulaw

pytestmark = pytest.mark.testdata


def reference(name: str) -> bytes:
    path = GENERATED / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path.read_bytes()


def check_channel(codes: np.ndarray, started_at: float, stream: dict, expected: bytes) -> None:
    channel = 0 if stream["side"] == "caller" else 1
    offset = round((stream["first_at"] - started_at) * 8000)
    got = codes[offset : offset + len(expected), channel].tobytes()
    assert got == expected, f"{stream['side']} audio differs at offset {offset}"
    # and decoded: the same PCM sample for sample
    assert np.array_equal(decode_ulaw(got), decode_ulaw(expected))
    # nothing of it one packet earlier or later
    assert codes[offset - 160 : offset, channel].tobytes() != expected[:160]


@pytest.mark.parametrize(
    "name",
    [
        "sipp_loopback_1call_pcmu_dtmf.pcap",
        "sipp_loopback_tcp_call.pcap",
        "sipp_loopback_10calls_pcmu.pcap",
    ],
)
def test_each_channel_is_exactly_what_was_sent(name: str, tmp_path: Path) -> None:
    calls, summary, settings = record(shared(name), tmp_path)
    caller, callee = reference("caller.ulaw"), reference("callee.ulaw")
    expected = {c["sip_call_id"]: c for c in oracle(name)["calls"]}
    assert len(calls) == len(expected)
    for call in calls:
        assert call.audio_issue is None
        rec = call.recording
        assert rec is not None and rec.format == "wav" and rec.encoding == "ulaw"
        codes = wav_codes(settings, call)
        audio_streams = [
            s for s in expected[call.sip_call_id]["streams"] if s["codec"] == "PCMU/8000"
        ]
        assert len(audio_streams) == 2
        for stream in audio_streams:
            check_channel(
                codes, rec.started_at, stream, caller if stream["side"] == "caller" else callee
            )
        # the file starts with the first audio and lasts until the last
        first = min(s["first_at"] for s in audio_streams)
        last = max(s["last_at"] for s in audio_streams)
        assert rec.started_at == pytest.approx(first, abs=1 / 8000)
        assert rec.duration_ms == pytest.approx((last - first) * 1000 + 20, abs=2)


@pytest.mark.tshark
def test_hold_tone_then_speech_on_the_caller_channel(tmp_path: Path) -> None:
    """The caller's one SSRC carries 4 s of hold tone, pauses, then speaks: the tone, then
    silence as long as the RTP timestamps say, then the speech (timestamps from tshark)."""
    import shutil
    import subprocess

    name = "sipp_loopback_hold_reinvite.pcap"
    path = shared(name)
    if not shutil.which("tshark"):
        pytest.skip("tshark is not installed")
    (call,), _, settings = record(path, tmp_path)
    codes = wav_codes(settings, call)
    streams = {s["side"]: s for s in oracle(name)["calls"][0]["streams"]}
    caller = streams["caller"]
    timestamps = subprocess.run(
        [
            "tshark",
            "-r",
            str(path),
            "-o",
            "rtp.heuristic_rtp:TRUE",
            "-Y",
            f"rtp.ssrc=={caller['ssrc']} && udp.srcport=={caller['src_port']}",
            "-T",
            "fields",
            "-e",
            "rtp.timestamp",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    tone, speech = reference("hold_tone.ulaw"), reference("caller.ulaw")
    speech_at = int(timestamps[len(tone) // 160]) - int(timestamps[0])
    assert speech_at > len(tone)
    start = round((caller["first_at"] - call.recording.started_at) * 8000)
    left = codes[:, 0]
    assert left[start : start + len(tone)].tobytes() == tone
    assert set(left[start + len(tone) : start + speech_at].tolist()) == {0xFF}  # µ-law silence
    assert left[start + speech_at : start + speech_at + len(speech)].tobytes() == speech
    check_channel(codes, call.recording.started_at, streams["callee"], reference("callee.ulaw"))
    assert [e.kind for e in call.events if e.kind in ("hold", "resume")] == ["hold", "resume"]


def test_flac_holds_the_same_samples(tmp_path: Path) -> None:
    import soundfile

    name = "sipp_loopback_1call_pcmu_dtmf.pcap"
    (wav_call,), _, wav_settings = record(shared(name), tmp_path / "wav")
    (flac_call,), _, flac_settings = record(shared(name), tmp_path / "flac", audio_format="flac")
    assert flac_call.recording.format == "flac" and flac_call.recording.encoding == "pcm16"
    pcm, rate = soundfile.read(
        flac_settings.recordings_dir / flac_call.recording.path, dtype="int16"
    )
    assert rate == 8000
    assert np.array_equal(
        pcm, decode_ulaw(wav_codes(wav_settings, wav_call).tobytes()).reshape(-1, 2)
    )


def test_siprec_streams_land_on_their_parties_channels(tmp_path: Path) -> None:
    """Both streams come from the recording client; the RFC 7865 metadata says label 1 is
    the caller's audio, label 2 the callee's (generated/SOURCES.md)."""
    name = "sipp_loopback_siprec.pcap"
    (call,), _, settings = record(shared(name), tmp_path)
    codes = wav_codes(settings, call)
    sides = {"1": "caller", "2": "callee"}
    for stream in oracle(name)["calls"][0]["streams"]:
        side = sides[stream["sdp_label"]]
        check_channel(
            codes, call.recording.started_at, {**stream, "side": side}, reference(f"{side}.ulaw")
        )
    assert call.audio_issue is None

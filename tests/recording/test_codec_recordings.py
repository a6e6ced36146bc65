"""Public captures with G.711, G.722, G.729 and Opus: the recording's channel holds what an
independent decoder (the ffmpeg and sox command-line tools, fed the payloads tshark exports)
makes of the same packets, at the stream's place on the timeline."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile
from tests.codecs.codecdata import ffmpeg_decode, need_tool, ogg_opus, sox_decode
from tests.recording.conftest import oracle, record, shared

pytestmark = [pytest.mark.testdata, pytest.mark.tshark]


def rtp_payloads(capture: str, pt: int) -> dict[tuple[int, int], list[tuple[int, int, bytes]]]:
    """(SSRC, source port) → (sequence, timestamp, payload) per packet, as tshark reads them:
    one direction per entry (some captures use one SSRC both ways)."""
    need_tool("tshark")
    out = subprocess.run(
        [
            "tshark",
            "-r",
            str(shared(capture)),
            "-o",
            "rtp.heuristic_rtp:TRUE",
            "-Y",
            f"rtp.p_type=={pt}",
            "-T",
            "fields",
            "-e",
            "rtp.ssrc",
            "-e",
            "udp.srcport",
            "-e",
            "rtp.seq",
            "-e",
            "rtp.timestamp",
            "-e",
            "rtp.payload",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    streams: dict[tuple[int, int], list[tuple[int, int, bytes]]] = defaultdict(list)
    for line in out.splitlines():
        ssrc, port, seq, ts, payload = line.split("\t")
        streams[(int(ssrc, 16), int(port))].append(
            (int(seq), int(ts), bytes.fromhex(payload.replace(":", "")))
        )
    return streams


def channel(settings, call, side: str) -> tuple[np.ndarray, int]:  # type: ignore[no-untyped-def]
    samples, rate = soundfile.read(
        settings.recordings_dir / call.recording.path, dtype="int16", always_2d=True
    )
    return samples[:, 0 if side == "caller" else 1], rate


@pytest.mark.parametrize(
    ("capture", "pt", "oracle_args", "tool", "rate"),
    [
        ("sip-rtp-g711.pcap", 0, ["-t", "ul", "-r", "8000"], "sox", 8000),
        ("sip-rtp-g711.pcap", 8, ["-t", "al", "-r", "8000"], "sox", 8000),
        ("sip-rtp-g722.pcap", 9, ["-f", "g722"], "ffmpeg", 16000),
        ("sip-rtp-g729a.pcap", 18, ["-f", "g729"], "ffmpeg", 8000),
        ("invite-opus-bye.pcap", 96, ["-c:a", "libopus"], "ffmpeg", 48000),
    ],
)
def test_recorded_channel_equals_an_independent_decode(
    capture: str, pt: int, oracle_args: list[str], tool: str, rate: int, tmp_path: Path
) -> None:
    calls, _, settings = record(shared(capture), tmp_path / "data", audio_format="flac")
    streams = rtp_payloads(capture, pt)
    assert streams
    expected_streams = [s for c in oracle(capture)["calls"] for s in c["streams"]]
    for (ssrc, port), packets in streams.items():
        payloads = [p for _, _, p in sorted(packets)]
        if tool == "sox":
            expected = sox_decode(b"".join(payloads), oracle_args, tmp_path)
        elif pt == 96:
            expected = ffmpeg_decode(ogg_opus(payloads), oracle_args, tmp_path)
        else:
            expected = ffmpeg_decode(b"".join(payloads), oracle_args, tmp_path)
        info = next(s for s in expected_streams if s["ssrc"] == ssrc and s["src_port"] == port)
        call = next(c for c in calls if any(m.ssrc == ssrc for m in c.streams))
        samples, file_rate = channel(settings, call, info["side"])
        assert file_rate == rate
        offset = round((info["first_at"] - call.recording.started_at) * rate)
        got = samples[offset : offset + expected.shape[0]]
        assert np.array_equal(got, expected), f"{capture} SSRC {ssrc:#x}"


@pytest.mark.parametrize(
    ("capture", "issues"),
    [
        # SOURCES.md: RTP in one direction only (the SIPp side offers recvonly)
        ("sip-rtp-g711.pcap", {"one-sided: the caller's audio is missing"}),
        # SOURCES.md: ZRTP-protected media, "payload encrypted (decodes to noise)"
        ("Asterisk_ZFONE_XLITE.pcap", {"not decodable: encrypted (ZRTP)"}),
        # SOURCES.md: a video stream only
        ("h263-over-rtp.pcap", {"not decodable: unsupported codec H263/90000"}),
        # SOURCES.md: signalling only, no media captured
        ("sip_tcp_websocket.pcap", {"no audio"}),
        ("invite-opus-bye.pcap", {None}),
    ],
)
def test_missing_one_sided_and_sealed_audio_is_flagged(
    capture: str, issues: set, tmp_path: Path
) -> None:
    calls, _, settings = record(shared(capture), tmp_path)
    answered = [c for c in calls if c.answered_at is not None]
    assert {c.audio_issue for c in answered} == issues
    for call in answered:
        if call.audio_issue and not call.audio_issue.startswith("one-sided"):
            assert call.recording is None  # never noise written as audio

"""Real payloads from the shared captures, decoded by callvault and, independently, by the ffmpeg
CLI from the same bytes in a container it reads (raw G.722, raw G.729, Ogg Opus).

Both sides run FFmpeg decoders (PyAV's bundled FFmpeg and libopus against Debian's ffmpeg with
its own libopus), so the test asks for identical samples: G.722 and G.729 are integer
decoders, and libopus gives the same samples for the same packets. What it proves is that the
payloads reach the decoder whole, in order, with nothing dropped, added or resampled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from codecdata import ffmpeg_decode, ogg_opus, opus_packet_samples, rtp_payloads

from callvault.codecs import decoder_for
from callvault.codecs.comfort_noise import ComfortNoiseDecoder
from callvault.codecs.events import TelephoneEventDecoder
from callvault.errors import ParseError

pytestmark = [pytest.mark.testdata, pytest.mark.tshark]
av = pytest.importorskip("av", reason="PyAV (pip install av) decodes every codec but G.711")


def _payloads(capture: str, payload_type: int) -> list[list[bytes]]:
    streams = rtp_payloads(capture, payload_type)
    assert streams, f"no RTP with payload type {payload_type} in {capture}"
    return [[payload for _, _, payload in packets] for packets in streams.values()]


def test_g722_is_16_khz_on_an_8_khz_clock_and_matches_ffmpeg(tmp_path: Path) -> None:
    (payloads,) = _payloads("sip-rtp-g722.pcap", 9)
    decoder = decoder_for("G722", 8000)
    assert decoder is not None
    assert (decoder.sample_rate, decoder.rtp_clock) == (16000, 8000)
    assert decoder.samples_for(160) == 320
    assert {len(p) for p in payloads} == {160}
    first = decoder.decode(payloads[0])
    assert first.dtype == np.int16 and first.shape == (320,)  # 20 ms: 160 bytes, 320 samples
    ours = np.concatenate([first, *(decoder.decode(p) for p in payloads[1:])])
    expected = ffmpeg_decode(b"".join(payloads), ["-f", "g722"], tmp_path)
    assert ours.size == 320 * len(payloads) and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)
    assert np.array_equal(decoder_for("G722", 8000).decode_many(payloads), expected)  # type: ignore[union-attr]


def test_g729a_frames_match_ffmpeg(tmp_path: Path) -> None:
    (payloads,) = _payloads("sip-rtp-g729a.pcap", 18)
    decoder = decoder_for("G729", 8000, fmtp="annexb=no")
    assert decoder is not None and (decoder.sample_rate, decoder.rtp_clock) == (8000, 8000)
    assert {len(p) for p in payloads} == {20}  # two 10-byte frames per packet
    ours = decoder.decode_many(payloads)
    expected = ffmpeg_decode(b"".join(payloads), ["-f", "g729"], tmp_path)
    assert ours.size == 160 * len(payloads) and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)


def test_g729_sid_frames_become_10_ms_of_silence(tmp_path: Path) -> None:
    (payloads,) = _payloads("sip-rtp-g729a.pcap", 18)
    plain = decoder_for("G729", 8000).decode_many(payloads[:20])  # type: ignore[union-attr]
    decoder = decoder_for("G729", 8000)
    assert decoder is not None
    sid = b"\x5a\x21"
    # Speech frames then a SID frame (RFC 3551 §4.5.6), then a SID-only payload.
    with_sid = [p + sid if i == 5 else p for i, p in enumerate(payloads[:20])] + [sid]
    ours = decoder.decode_many(with_sid)
    assert ours.size == plain.size + 80 + 80
    assert np.array_equal(ours[: 6 * 160], plain[: 6 * 160])
    assert not ours[6 * 160 : 6 * 160 + 80].any() and not ours[-80:].any()
    with pytest.raises(ParseError):
        decoder.decode(payloads[0] + b"\x00")  # 21 bytes: neither frames nor frames + SID


@pytest.mark.parametrize(
    ("capture", "payload_type", "streams", "bad"),
    [
        # Both repeat one made-up 80-byte packet (CELT fullband, 20 ms) that decodes to silence.
        ("invite-opus-bye.pcap", 96, 1, 0),
        ("register-invite-reinvite-bye.pcap", 96, 2, 0),
        # Code 3 packets with a padding length or frame length past their end (RFC 6716 §3.4
        # R6/R7): libopus, tshark's dissector and ffmpeg all refuse them.
        ("sip-rtp-opus-hybrid.pcap", 99, 1, 2),
    ],
)
def test_opus_matches_ffmpeg_with_libopus(
    capture: str, payload_type: int, streams: int, bad: int, tmp_path: Path
) -> None:
    found = _payloads(capture, payload_type)
    assert len(found) == streams
    for payloads in found:
        decoder = decoder_for("opus", 48000, 2)
        assert decoder is not None and (decoder.sample_rate, decoder.rtp_clock) == (48000, 48000)
        decoded, good = [], []
        for payload in payloads:
            try:
                samples = decoder.decode(payload)
            except ParseError:
                continue
            assert samples.size == opus_packet_samples(payload)  # multi-frame packets in full
            decoded.append(samples)
            good.append(payload)
        assert len(payloads) - len(good) == bad
        ours = np.concatenate(decoded)
        expected = ffmpeg_decode(ogg_opus(good), ["-c:a", "libopus"], tmp_path)
        assert np.array_equal(ours, expected)
        if capture == "sip-rtp-opus-hybrid.pcap":
            assert np.abs(ours).max() > 1000


def test_opus_hybrid_capture_holds_multi_frame_packets() -> None:
    (payloads,) = _payloads("sip-rtp-opus-hybrid.pcap", 99)
    decoder = decoder_for("opus", 48000, 2)
    assert decoder is not None
    sizes = []
    for payload in payloads[:3]:
        sizes.append(decoder.decode(payload).size)
    # TOC codes 0, 1 and 2: one 20 ms frame, then two equal and two unequal 20 ms frames.
    assert [p[0] & 3 for p in payloads[:3]] == [0, 1, 2]
    assert sizes == [960, 1920, 1920]


def test_dtmf_payloads_are_events_not_audio() -> None:
    (payloads,) = _payloads("SIP_DTMF2.cap", 96)
    decoder = decoder_for("telephone-event", 8000, fmtp="0-15")
    assert isinstance(decoder, TelephoneEventDecoder) and decoder.kind == "event"
    digits = []
    for payload in payloads:
        assert decoder.decode(payload).size == 0
        assert decoder.last_event is not None
        if decoder.last_event.end and decoder.last_event.digit not in digits[-1:]:
            digits.append(decoder.last_event.digit)
    assert len(payloads) == 35 and digits and all(d in "0123456789*#ABCD" for d in digits)


def test_comfort_noise_reports_levels_and_makes_quiet_noise() -> None:
    streams = _payloads("rtp-protocol.pcap", 13)
    decoder = decoder_for("CN", 8000)
    assert isinstance(decoder, ComfortNoiseDecoder) and decoder.kind == "comfort-noise"
    levels = []
    for payloads in streams:
        for payload in payloads:
            assert decoder.decode(payload).size == 0
            levels.append(decoder.level_dbov)
    assert len(levels) == 13 and all(level is not None and 30 <= level <= 127 for level in levels)
    level = levels[-1]
    assert level is not None
    noise = decoder.noise(8000)
    rms = float(np.sqrt(np.mean(noise.astype(np.float64) ** 2)))
    assert abs(20 * np.log10(rms / 32767) + level) < 1  # the level in -dBov, within 1 dB
    assert not ComfortNoiseDecoder(8000).conceal(80).any()  # no level yet: silence
    replay = ComfortNoiseDecoder(8000)
    replay.decode(bytes([level]))
    assert np.array_equal(replay.noise(8000), noise)  # replaying a capture gives the same audio

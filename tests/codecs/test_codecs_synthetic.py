"""Codecs the shared captures lack (GSM, AMR, AMR-WB, iLBC, G.726, G.723.1, L16): a speech-like
signal is encoded by a tool, cut into RTP payloads as the RFCs lay them out, decoded by
callvault, and compared with the same tool family's decode of the encoded file.

sox decodes GSM with libgsm and AMR with OpenCORE; the ffmpeg CLI decodes iLBC, G.726 and
G.723.1. Every one of these decoders is integer (fixed-point) code, so the test asks for
identical samples. Where no encoder exists on Debian or in PyAV (AMR-WB, iLBC), the frames
are random bits with valid headers: any bit pattern is a frame these decoders accept.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from codecdata import ffmpeg_decode, need_tool, sox_decode, speech_like, wav_bytes

from callvault.codecs import decoder_for
from callvault.errors import ParseError

av = pytest.importorskip("av", reason="PyAV (pip install av) decodes every codec but G.711")

# Speech bits per frame type, from 3GPP TS 26.101 and TS 26.201 (independent of the code's).
AMR_NB_BITS = {0: 95, 1: 103, 2: 118, 3: 134, 4: 148, 5: 159, 6: 204, 7: 244, 8: 39, 15: 0}
AMR_WB_BITS = {0: 132, 1: 177, 2: 253, 3: 285, 4: 317, 5: 365, 6: 397, 7: 461, 8: 477, 9: 40, 15: 0}


def _encode_file(tmp_path: Path, rate: int, args: list[str], name: str) -> bytes:
    (tmp_path / "in.wav").write_bytes(wav_bytes(speech_like(4.0, rate), rate))
    out = tmp_path / name
    subprocess.run([*args, str(out)], check=True, capture_output=True, cwd=tmp_path)
    return out.read_bytes()


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_gsm_matches_libgsm_via_sox(tmp_path: Path) -> None:
    need_tool("sox")
    coded = _encode_file(tmp_path, 8000, ["sox", "in.wav", "-t", "gsm"], "out.gsm")
    assert len(coded) % 33 == 0
    decoder = decoder_for("GSM", 8000)
    assert decoder is not None and decoder.sample_rate == 8000
    ours = decoder.decode_many(_split(coded, 66))  # 40 ms: two 33-byte frames per payload
    expected = sox_decode(coded, ["-t", "gsm"], tmp_path, ".gsm")
    assert ours.size == 160 * len(coded) // 33 and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)
    with pytest.raises(ParseError):
        decoder.decode(coded[:40])


def _storage_frames(
    data: bytes, magic: bytes, bits: dict[int, int]
) -> list[tuple[int, int, bytes]]:
    """(FT, Q, speech octets) of each frame of an AMR storage file (RFC 4867 §5)."""
    assert data.startswith(magic)
    frames, position = [], len(magic)
    while position < len(data):
        header = data[position]
        frame_type, size = (header >> 3) & 0x0F, (bits[(header >> 3) & 0x0F] + 7) // 8
        frames.append((frame_type, (header >> 2) & 1, data[position + 1 : position + 1 + size]))
        position += 1 + size
    return frames


def _amr_payload(
    frames: list[tuple[int, int, bytes]],
    bits: dict[int, int],
    octet_aligned: bool,
    crc: bool = False,
) -> bytes:
    """An RFC 4867 payload: CMR 15 (no request), table of contents, speech (§4.3, §4.4)."""
    if octet_aligned:
        toc = bytes(
            ((i < len(frames) - 1) << 7) | (ft << 3) | (q << 2)
            for i, (ft, q, _) in enumerate(frames)
        )
        crcs = bytes(0xA5 for ft, _, _ in frames if bits[ft]) if crc else b""
        return bytes([0xF0]) + toc + crcs + b"".join(speech for _, _, speech in frames)
    stream = [1, 1, 1, 1]
    for i, (ft, q, _) in enumerate(frames):
        stream += [int(i < len(frames) - 1), *((ft >> s) & 1 for s in (3, 2, 1, 0)), q]
    for ft, _, speech in frames:
        stream += list(np.unpackbits(np.frombuffer(speech, np.uint8))[: bits[ft]])
    stream += [0] * (-len(stream) % 8)
    return np.packbits(np.array(stream, dtype=np.uint8)).tobytes()


def _amr_nb_dtx_file() -> bytes:
    """AMR-NB at 12.2 kbit/s with DTX (speech, SID, NO_DATA frames) by PyAV's OpenCORE encoder."""
    if not _has_encoder("libopencore_amrnb"):
        pytest.skip("this PyAV has no OpenCORE AMR-NB encoder")
    speech = speech_like(4.0, 8000)
    encoder = av.CodecContext.create("libopencore_amrnb", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 8000, "mono", "s16"
    encoder.bit_rate = 12200
    encoder.options = {"dtx": "1"}
    packets = []
    for start in range(0, speech.size, 160):
        frame = av.AudioFrame.from_ndarray(
            speech[start : start + 160].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 8000, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return b"#!AMR\n" + b"".join(packets)


def _has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


@pytest.mark.parametrize(
    ("octet_aligned", "crc", "per_packet"),
    [(False, False, 1), (False, False, 3), (True, False, 1), (True, True, 2)],
)
def test_amr_nb_payloads_match_opencore_via_sox(
    tmp_path: Path, octet_aligned: bool, crc: bool, per_packet: int
) -> None:
    need_tool("sox")
    coded = _amr_nb_dtx_file()
    frames = _storage_frames(coded, b"#!AMR\n", AMR_NB_BITS)
    assert {ft for ft, _, _ in frames} == {7, 8, 15}  # speech, SID, NO_DATA
    fmtp = f"octet-align={int(octet_aligned)}" + ("; crc=1" if crc else "")
    decoder = decoder_for("AMR", 8000, fmtp=fmtp)
    assert decoder is not None and (decoder.sample_rate, decoder.rtp_clock) == (8000, 8000)
    groups = [frames[i : i + per_packet] for i in range(0, len(frames), per_packet)]
    ours = decoder.decode_many(_amr_payload(g, AMR_NB_BITS, octet_aligned, crc) for g in groups)
    expected = sox_decode(coded, ["-t", "amr-nb"], tmp_path, ".amr")
    assert ours.size == 160 * len(frames) and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)


def _random_amr_wb_file(count: int = 150) -> bytes:
    random = np.random.default_rng(3)
    types = random.choice([0, 2, 8, 8, 8, 9, 15], size=count)
    frames = []
    for ft in types:
        size = (AMR_WB_BITS[ft] + 7) // 8
        speech = bytearray(random.integers(0, 256, size, dtype=np.uint8).tobytes())
        if AMR_WB_BITS[ft] % 8:
            speech[-1] &= (0xFF << (8 - AMR_WB_BITS[ft] % 8)) & 0xFF  # zero padding bits
        frames.append(bytes([(int(ft) << 3) | 0x04]) + bytes(speech))
    return b"#!AMR-WB\n" + b"".join(frames)


@pytest.mark.parametrize("octet_aligned", [False, True])
def test_amr_wb_payloads_match_opencore_via_sox(tmp_path: Path, octet_aligned: bool) -> None:
    need_tool("sox")
    coded = _random_amr_wb_file()
    frames = _storage_frames(coded, b"#!AMR-WB\n", AMR_WB_BITS)
    decoder = decoder_for("AMR-WB", 16000, fmtp="octet-align=1" if octet_aligned else None)
    assert decoder is not None and (decoder.sample_rate, decoder.rtp_clock) == (16000, 16000)
    groups = [frames[i : i + 2] for i in range(0, len(frames), 2)]
    ours = decoder.decode_many(_amr_payload(g, AMR_WB_BITS, octet_aligned) for g in groups)
    expected = sox_decode(coded, ["-t", "amr-wb"], tmp_path, ".awb")
    assert ours.size == 320 * len(frames) and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)


def test_amr_payload_faults_are_parse_errors() -> None:
    decoder = decoder_for("AMR", 8000, fmtp="octet-align=1")
    assert decoder is not None
    speech = bytes(31)
    assert decoder.decode(bytes([0xF0, 7 << 3 | 4]) + speech).size == 160
    for bad in (
        b"",
        b"\xf0",
        bytes([0xF0, 0x80 | 7 << 3]),
        bytes([0xF0, 7 << 3 | 4]) + speech[:-1],
        bytes([0xF0, 13 << 3 | 4]),
    ):
        with pytest.raises(ParseError):
            decoder.decode(bad)
    assert decoder.conceal(200).size == 200  # NO_DATA frames through OpenCORE
    assert decoder_for("AMR", 8000, fmtp="octet-align=1; interleaving=4") is None
    assert decoder_for("AMR", 8000, fmtp="robust-sorting=1") is None


@pytest.mark.parametrize(
    ("fmtp", "mode"), [("mode=20", 20), ("mode=30", 30), (None, 20), (None, 30)]
)
def test_ilbc_matches_ffmpeg(tmp_path: Path, fmtp: str | None, mode: int) -> None:
    size = {20: 38, 30: 50}[mode]
    frames = np.random.default_rng(mode).integers(0, 256, (60, size), dtype=np.uint8).tobytes()
    decoder = decoder_for("iLBC", 8000, fmtp=fmtp)
    assert decoder is not None and decoder.sample_rate == 8000
    ours = decoder.decode_many(_split(frames, 2 * size))
    expected = ffmpeg_decode(f"#!iLBC{mode}\n".encode() + frames, ["-f", "ilbc"], tmp_path)
    assert ours.size == 60 * mode * 8 and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)
    with pytest.raises(ParseError):
        decoder.decode(frames[:45])


@pytest.mark.parametrize(("rate", "bits"), [("16", 2), ("24", 3), ("32", 4), ("40", 5)])
def test_g726_matches_ffmpeg(tmp_path: Path, rate: str, bits: int) -> None:
    need_tool("ffmpeg")
    args = [
        "ffmpeg",
        "-loglevel",
        "error",
        "-i",
        "in.wav",
        "-c:a",
        "g726le",
        "-code_size",
        str(bits),
        "-f",
        "g726le",
    ]
    coded = _encode_file(tmp_path, 8000, args, "out.g726")
    decoder = decoder_for(f"G726-{rate}", 8000)
    assert decoder is not None
    ours = decoder.decode_many(_split(coded, 20 * bits))  # 20 ms: 160 samples of `bits` bits
    expected = ffmpeg_decode(
        coded, ["-f", "g726le", "-code_size", str(bits), "-sample_rate", "8000"], tmp_path
    )
    assert ours.size == 32000 and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)


def test_g723_matches_ffmpeg(tmp_path: Path) -> None:
    need_tool("ffmpeg")
    args = [
        "ffmpeg",
        "-loglevel",
        "error",
        "-i",
        "in.wav",
        "-c:a",
        "g723_1",
        "-b:a",
        "6300",
        "-f",
        "g723_1",
    ]
    coded = _encode_file(tmp_path, 8000, args, "out.g723")
    decoder = decoder_for("G723", 8000)
    assert decoder is not None
    ours = decoder.decode_many(_split(coded, 48))  # 60 ms: two 24-byte frames
    expected = ffmpeg_decode(coded, ["-f", "g723_1"], tmp_path)
    assert ours.size == 240 * len(coded) // 24 and np.abs(ours).max() > 1000
    assert np.array_equal(ours, expected)
    with pytest.raises(ParseError):
        decoder.decode(coded[:30])


def test_l16_is_big_endian_and_mixes_channels() -> None:
    mono = decoder_for("L16", 16000)
    assert mono is not None and (mono.sample_rate, mono.rtp_clock) == (16000, 16000)
    assert mono.decode(b"\x01\x00\xff\xfe").tolist() == [256, -2]
    stereo = decoder_for("L16", 44100, 2)
    assert stereo is not None
    assert stereo.decode(b"\x00\x10\x00\x20\xff\xff\x00\x01").tolist() == [24, 0]
    with pytest.raises(ParseError):
        stereo.decode(b"\x00\x10\x00")


def test_amr_bandwidth_efficient_layout_of_rfc_4867_figure() -> None:
    from callvault.codecs.amr import AMR_NB, depacketize

    # RFC 4867 §4.3.5.1: CMR (4 bits), F=0, FT=7 (12.2 kbit/s), Q=1, then 244 speech bits
    # and 2 padding bits. Speech here is one bit set first and one set last.
    bits = [1, 1, 1, 1, 0, 0, 1, 1, 1, 1] + [1] + [0] * 242 + [1] + [0, 0]
    payload = np.packbits(np.array(bits, dtype=np.uint8)).tobytes()
    assert payload[:2] == b"\xf3\xe0" and len(payload) == 32
    (frame,) = depacketize(payload, AMR_NB, octet_aligned=False)
    assert (frame.frame_type, frame.good) == (7, True)
    assert frame.speech == b"\x80" + bytes(29) + b"\x10"  # 244 bits: 30 octets and 4 bits
    assert frame.storage()[:1] == b"\x3c"  # RFC 4867 §5.3 frame header: FT=7, Q=1


def test_stereo_opus_decodes_to_the_mean_of_its_channels() -> None:
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "stereo", "s16"
    encoder.bit_rate = 64000
    left = (8000 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype(np.int16)
    packets = []
    for start in range(0, left.size, 960):
        both = np.stack([left[start : start + 960], np.zeros(960, np.int16)]).T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(both.copy(), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    assert all(p[0] & 0x04 for p in packets)  # the TOC's stereo flag (RFC 6716 §3.1)
    decoder = decoder_for("opus", 48000, 2)
    assert decoder is not None
    mono = decoder.decode_many(packets)
    assert mono.size == 960 * len(packets)
    assert 3500 < np.abs(mono[4800:]).max() < 4500  # left at 8000, right silent: about 4000

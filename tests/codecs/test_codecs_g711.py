"""G.711: bit-exact with the old audioop tables (known values; every code where audioop still
exists), encoder round trips, and real PCMA/PCMU payloads decoded exactly as sox does."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest
from codecdata import rtp_payloads, snr_db, sox_decode, speech_like

from callvault.codecs import decoder_for
from callvault.codecs.g711 import (
    ALAW_TO_PCM,
    ULAW_TO_PCM,
    G711Decoder,
    decode_alaw,
    decode_ulaw,
    encode_alaw,
    encode_ulaw,
)

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)

# Values audioop.ulaw2lin / alaw2lin / lin2ulaw / lin2alaw (Python 3.11) gave, width 2.
ULAW_KNOWN = {0x00: -32124, 0x0F: -16764, 0x10: -15996, 0x7E: -8, 0x7F: 0, 0x80: 32124, 0xFF: 0}
ALAW_KNOWN = {0x00: -5504, 0x2A: -32256, 0x55: -8, 0x80: 5504, 0xAA: 32256, 0xD5: 8}
ULAW_ENCODED = {0: 0xFF, 1000: 0xCE, -1000: 0x4E, 32767: 0x80, -32768: 0x00, -31611: 0x00}
ALAW_ENCODED = {0: 0xD5, 1000: 0xFA, -1000: 0x7A, 32767: 0xAA, -32768: 0x2A}


def _audioop():  # type: ignore[no-untyped-def]
    """The stdlib audioop (Python <= 3.12) or audioop-lts; skips where neither exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return importlib.import_module("audioop")
        except ImportError:
            pytest.skip("audioop is gone from this Python (3.13+) and audioop-lts is not installed")


def test_decode_tables_hold_known_audioop_values() -> None:
    for code, sample in ULAW_KNOWN.items():
        assert ULAW_TO_PCM[code] == sample, hex(code)
    for code, sample in ALAW_KNOWN.items():
        assert ALAW_TO_PCM[code] == sample, hex(code)


def test_encoders_give_known_audioop_codes() -> None:
    for sample, code in ULAW_ENCODED.items():
        assert encode_ulaw(np.array([sample])) == bytes([code]), sample
    for sample, code in ALAW_ENCODED.items():
        assert encode_alaw(np.array([sample])) == bytes([code]), sample


def test_every_code_and_sample_matches_audioop() -> None:
    audioop = _audioop()
    codes = bytes(range(256))
    assert decode_ulaw(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert decode_alaw(codes).tobytes() == audioop.alaw2lin(codes, 2)
    assert encode_ulaw(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES.tobytes(), 2)
    assert encode_alaw(ALL_SAMPLES) == audioop.lin2alaw(ALL_SAMPLES.tobytes(), 2)


def test_round_trips() -> None:
    codes = bytes(range(256))
    # Every code survives decode → encode, but µ-law's negative zero (0x7F) comes back as 0xFF.
    assert encode_alaw(decode_alaw(codes)) == codes
    assert encode_ulaw(decode_ulaw(codes)) == codes.replace(b"\x7f", b"\xff")
    # Encode → decode: a logarithmic quantiser's error grows with the magnitude (1/16 of it
    # at most, plus the finest step); the speech-like signal keeps G.711's ~38 dB SNR.
    speech = speech_like(2.0, 8000)
    for encode, decode in ((encode_ulaw, decode_ulaw), (encode_alaw, decode_alaw)):
        error = np.abs(decode(encode(ALL_SAMPLES)).astype(np.int32) - ALL_SAMPLES)
        assert np.all(error <= np.abs(ALL_SAMPLES.astype(np.int32)) // 16 + 16)
        assert 35 < snr_db(speech, decode(encode(speech))) < 45


def test_decoder_and_bulk_path_agree() -> None:
    payloads = [bytes(range(i, i + 160)) for i in range(0, 96, 16)]
    for name in ("PCMU", "pcma"):
        decoder = decoder_for(name, 8000)
        assert isinstance(decoder, G711Decoder)
        assert (decoder.sample_rate, decoder.rtp_clock, decoder.kind) == (8000, 8000, "audio")
        one_by_one = np.concatenate([decoder.decode(p) for p in payloads])
        assert np.array_equal(decoder.decode_many(payloads), one_by_one)
        assert one_by_one.dtype == np.int16 and one_by_one.size == 960


@pytest.mark.testdata
@pytest.mark.tshark
@pytest.mark.parametrize(
    ("capture", "payload_type", "encoding", "streams"),
    [
        ("SIP_DTMF2.cap", 8, "PCMA", 2),
        ("rtp-protocol.pcap", 8, "PCMA", 2),
        ("FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 8, "PCMA", 2),
        ("register-invite-reinvite-bye.pcap", 0, "PCMU", 2),
        ("sip-rtp-g711.pcap", 0, "PCMU", 1),
    ],
)
def test_capture_payloads_decode_exactly_as_sox(
    capture: str, payload_type: int, encoding: str, streams: int, tmp_path: Path
) -> None:
    found = rtp_payloads(capture, payload_type)
    assert len(found) == streams
    sox_type = {"PCMA": "al", "PCMU": "ul"}[encoding]
    for packets in found.values():
        payloads = [payload for _, _, payload in packets]
        ours = decoder_for(encoding, 8000).decode_many(payloads)  # type: ignore[union-attr]
        expected = sox_decode(
            b"".join(payloads), ["-t", sox_type, "-r", "8000", "-c", "1"], tmp_path
        )
        assert ours.size == sum(map(len, payloads)) and np.any(ours != 0)
        assert np.array_equal(ours, expected)

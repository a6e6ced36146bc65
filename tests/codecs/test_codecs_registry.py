"""decoder_for picks the decoder an SDP rtpmap/fmtp names, with the right clocks; and
describe_undecodable says why a stream has no audio (SRTP, ZRTP, unknown codec)."""

from __future__ import annotations

import numpy as np
import pytest
from codecdata import udp_payloads

from callvault.codecs import decoder_for, describe_undecodable, is_zrtp_packet
from callvault.codecs.avcodec import AVAILABLE
from callvault.sip.sdp import RtpMap, parse_sdp

needs_av = pytest.mark.skipif(not AVAILABLE, reason="PyAV (pip install av) is not installed")

# encoding, clock, channels, fmtp → sample rate, RTP clock, kind
FORMATS = [
    ("PCMU", 8000, 1, None, 8000, 8000, "audio"),
    ("pcma", 8000, 1, None, 8000, 8000, "audio"),
    ("L16", 44100, 2, None, 44100, 44100, "audio"),
    ("CN", 8000, 1, None, 8000, 8000, "comfort-noise"),
    ("telephone-event", 8000, 1, "0-16", 8000, 8000, "event"),
    ("telephone-event", 48000, 1, "0-16", 48000, 48000, "event"),
]
AV_FORMATS = [
    ("G722", 8000, 1, None, 16000, 8000, "audio"),
    ("G729", 8000, 1, "annexb=yes", 8000, 8000, "audio"),
    ("g729a", 8000, 1, None, 8000, 8000, "audio"),
    ("G729D", 8000, 1, None, 8000, 8000, "audio"),
    ("G723", 8000, 1, None, 8000, 8000, "audio"),
    ("G726-32", 8000, 1, None, 8000, 8000, "audio"),
    ("GSM", 8000, 1, None, 8000, 8000, "audio"),
    ("iLBC", 8000, 1, "mode=30", 8000, 8000, "audio"),
    ("AMR", 8000, 1, "octet-align=1", 8000, 8000, "audio"),
    ("AMR-WB", 16000, 1, None, 16000, 16000, "audio"),
    ("opus", 48000, 2, "useinbandfec=1; stereo=0", 48000, 48000, "audio"),
]


@pytest.mark.parametrize(
    ("encoding", "clock", "channels", "fmtp", "rate", "rtp_clock", "kind"),
    FORMATS + [pytest.param(*f, marks=needs_av) for f in AV_FORMATS],
)
def test_decoder_for_each_format(
    encoding: str, clock: int, channels: int, fmtp: str | None, rate: int, rtp_clock: int, kind: str
) -> None:
    decoder = decoder_for(encoding, clock, channels, fmtp)
    assert decoder is not None
    assert (decoder.sample_rate, decoder.rtp_clock, decoder.kind) == (rate, rtp_clock, kind)
    assert decoder_for(encoding, clock, channels, fmtp) is not decoder  # state is per stream
    assert decoder.conceal(rate // 50).shape == (rate // 50,)
    assert decoder.conceal(rate // 50).dtype == np.int16


@pytest.mark.parametrize(
    ("encoding", "clock", "channels"),
    [
        ("G729E", 8000, 1),
        ("SPEEX", 8000, 1),
        ("BV32", 16000, 1),
        ("PCMU", 16000, 1),
        ("PCMA", 8000, 2),
        ("G722", 16000, 1),
        ("opus", 8000, 1),
        ("AMR", 16000, 1),
        ("H264", 90000, 1),
        ("L16", 0, 1),
    ],
)
def test_formats_without_a_decoder(encoding: str, clock: int, channels: int) -> None:
    assert decoder_for(encoding, clock, channels) is None


@needs_av
def test_ilbc_mode_from_fmtp_or_payload_size() -> None:
    assert decoder_for("iLBC", 8000, fmtp="mode=20").decode(bytes(76)).size == 320  # type: ignore[union-attr]
    assert decoder_for("iLBC", 8000).decode(bytes(100)).size == 480  # type: ignore[union-attr]
    # 950 bytes are whole frames of both sizes: fmtp decides, RFC 3952's default 30 otherwise.
    assert decoder_for("iLBC", 8000, fmtp="mode=20").decode(bytes(950)).size == 25 * 160  # type: ignore[union-attr]
    assert decoder_for("iLBC", 8000).decode(bytes(950)).size == 19 * 240  # type: ignore[union-attr]


def _media(sdp: str):  # type: ignore[no-untyped-def]
    return parse_sdp(sdp.replace("\n", "\r\n").encode()).media[0]


SDP_HEAD = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"


@pytest.mark.parametrize(
    ("media", "reason"),
    [
        ("m=audio 4000 RTP/AVP 0\n", None),
        (
            "m=audio 4000 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
            "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n",
            "encrypted (SRTP, no keys)",
        ),
        ("m=audio 4000 RTP/SAVPF 111\na=rtpmap:111 opus/48000/2\n", "encrypted (SRTP, no keys)"),
        (
            "m=audio 4000 RTP/AVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"
            "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n",
            "encrypted (SRTP, no keys)",
        ),
        (
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=fingerprint:sha-256 AB:CD\n",
            "encrypted (DTLS-SRTP, no keys)",
        ),
        (
            "m=audio 4000 RTP/AVP 0\na=zrtp-hash:1.10 fe30efd02423cb054e50efd0248742ac7a52c8f\n",
            "encrypted (ZRTP)",
        ),
    ],
)
def test_describe_undecodable_from_sdp(media: str, reason: str | None) -> None:
    described = _media(SDP_HEAD + media)
    pt = described.formats[0]
    assert (
        describe_undecodable(
            described.proto, described.attributes, described.rtpmap.get(pt), described.fmtp.get(pt)
        )
        == reason
    )


@pytest.mark.skipif(AVAILABLE, reason="checks the reason given where PyAV is missing")
def test_describe_codec_that_needs_pyav() -> None:
    assert describe_undecodable("RTP/AVP", (), RtpMap("G722", 8000)) == (
        "unsupported codec G722/8000 (PyAV is not installed)"
    )


def test_describe_unsupported_codec_and_zrtp_seen() -> None:
    media = _media(SDP_HEAD + "m=audio 4000 RTP/AVP 107\na=rtpmap:107 BV32/16000\n")
    assert describe_undecodable(media.proto, media.attributes, media.rtpmap[107]) == (
        "unsupported codec BV32/16000"
    )
    assert (
        describe_undecodable("RTP/AVP", (), RtpMap("G729E", 8000)) == "unsupported codec G729E/8000"
    )
    assert (
        describe_undecodable("RTP/AVP", (), RtpMap("PCMU", 8000), zrtp_seen=True)
        == "encrypted (ZRTP)"
    )


@pytest.mark.testdata
@pytest.mark.tshark
def test_zrtp_packets_of_a_zfone_call() -> None:
    datagrams = udp_payloads("Asterisk_ZFONE_XLITE.pcap")
    zrtp = [d for d in datagrams if is_zrtp_packet(d)]
    assert len(zrtp) == 10  # tshark: 10 ZRTP packets (Hello, Commit, DHPart, Confirm, acks)
    assert {d[16:24] for d in zrtp} >= {b"Hello   ", b"Commit  ", b"DHPart1 ", b"Confirm1"}
    rtp = bytes.fromhex("80000f2f00194ec0b72a7104") + bytes(160)
    assert not is_zrtp_packet(rtp) and not is_zrtp_packet(b"ZRTP")

"""Which decoder reads which RTP payload format (an SDP rtpmap and its fmtp)."""

from __future__ import annotations

from collections.abc import Callable

from callvault.codecs import avcodec
from callvault.codecs.amr import AMR_NB, AMR_WB, AmrDecoder, AmrVariant
from callvault.codecs.avcodec import AvDecoder, FramedDecoder, StreamDecoder
from callvault.codecs.base import Decoder, parse_fmtp
from callvault.codecs.comfort_noise import ComfortNoiseDecoder
from callvault.codecs.events import TelephoneEventDecoder
from callvault.codecs.g711 import G711Decoder
from callvault.codecs.g723 import G723Decoder
from callvault.codecs.g729 import G729Decoder
from callvault.codecs.ilbc import FRAME_BYTES as ILBC_FRAME_BYTES
from callvault.codecs.ilbc import IlbcDecoder
from callvault.codecs.pcm import L16Decoder

OPUS_SAMPLE_RATE = 48000
"""Opus is decoded at 48 kHz: its RTP clock (RFC 7587 §4.1) and the rate FFmpeg's decoders
give, so timestamps map 1:1 to samples, no resampler runs per stream, and fullband WebRTC
legs keep their bandwidth. Downsampling for storage or speech models is done once per call.
"""
GSM_FRAME_BYTES = 33
"""GSM 06.10 full rate: 260 bits in 33 octets, 20 ms (RFC 3551 §4.5.8)."""
G726_BITS = {"16": 2, "24": 3, "32": 4, "40": 5}
"""G.726 rates (kbit/s) and their bits per sample (RFC 3551 §4.5.4)."""

Builder = Callable[[int, int, dict[str, str]], Decoder | None]


def decoder_for(
    encoding: str, clock_rate: int, channels: int = 1, fmtp: str | None = None
) -> Decoder | None:
    """A fresh decoder for one RTP stream of this format, or None where callvault has none.

    ``encoding``, ``clock_rate`` and ``channels`` are an SDP rtpmap's fields (names are
    case-insensitive), ``fmtp`` the parameters of its a=fmtp line. Every call returns a new
    decoder: decoders keep per-stream state.
    """
    build = _BUILDERS.get(encoding.strip().upper())
    if build is None or clock_rate <= 0 or channels < 1:
        return None
    return build(clock_rate, channels, parse_fmtp(fmtp))


def _narrowband(
    build: Callable[[dict[str, str]], Decoder | None], codec: str | None = None
) -> Builder:
    """A mono 8 kHz format, needing the FFmpeg decoder ``codec`` if one is named."""

    def builder(clock_rate: int, channels: int, params: dict[str, str]) -> Decoder | None:
        if clock_rate != 8000 or channels != 1:
            return None
        if codec is not None and not avcodec.has_decoder(codec):
            return None
        return build(params)

    return builder


def _any_rate(make: Callable[[int, int], Decoder]) -> Builder:
    return lambda clock_rate, channels, params: make(clock_rate, channels)


def _g729(variant: str) -> Builder:
    return _narrowband(
        lambda p: G729Decoder(variant, p.get("annexb", "yes").lower() != "no"), "g729"
    )


def _g726(rate: str, codec: str) -> Builder:
    def make(params: dict[str, str]) -> Decoder:
        options = {"bits_per_coded_sample": str(G726_BITS[rate])}
        return StreamDecoder(f"G726-{rate}", codec, 8000, 8000, options)

    return _narrowband(make, codec)


def _ilbc(params: dict[str, str]) -> Decoder:
    mode = params.get("mode", "")
    return IlbcDecoder(int(mode) if mode.isdigit() and int(mode) in ILBC_FRAME_BYTES else None)


def _amr(variant: AmrVariant) -> Builder:
    def builder(clock_rate: int, channels: int, params: dict[str, str]) -> Decoder | None:
        if (
            clock_rate != variant.sample_rate
            or channels != 1
            or not avcodec.has_decoder(variant.codec)
        ):
            return None
        if params.get("interleaving") or params.get("robust-sorting", "0") != "0":
            return None
        crc = params.get("crc", "0") == "1"
        octet_aligned = crc or params.get("octet-align", "0") == "1"
        return AmrDecoder(variant, octet_aligned, crc)

    return builder


def _opus(clock_rate: int, channels: int, params: dict[str, str]) -> Decoder | None:
    # RFC 7587 §7: the rtpmap is always opus/48000/2, whatever the stream carries.
    if clock_rate != OPUS_SAMPLE_RATE or not avcodec.has_decoder("libopus"):
        return None
    return AvDecoder("opus", "libopus", OPUS_SAMPLE_RATE, OPUS_SAMPLE_RATE)


def _g722(clock_rate: int, channels: int, params: dict[str, str]) -> Decoder | None:
    # RFC 3551 §4.5.2: G.722's RTP clock is 8000 though it samples at 16 kHz.
    if clock_rate != 8000 or channels != 1 or not avcodec.has_decoder("g722"):
        return None
    return StreamDecoder("G722", "g722", 16000, 8000)


_BUILDERS: dict[str, Builder] = {
    "PCMU": _narrowband(lambda p: G711Decoder("PCMU")),
    "PCMA": _narrowband(lambda p: G711Decoder("PCMA")),
    "G722": _g722,
    "G729": _g729("G729"),
    "G729A": _g729("G729"),
    "G729B": _g729("G729"),
    "G729D": _g729("G729D"),
    "G723": _narrowband(lambda p: G723Decoder(), "g723_1"),
    "GSM": _narrowband(lambda p: FramedDecoder("GSM", "gsm", 8000, 8000, GSM_FRAME_BYTES), "gsm"),
    "ILBC": _narrowband(_ilbc, "ilbc"),
    "AMR": _amr(AMR_NB),
    "AMR-WB": _amr(AMR_WB),
    "OPUS": _opus,
    "L16": _any_rate(L16Decoder),
    "CN": _any_rate(lambda rate, channels: ComfortNoiseDecoder(rate)),
    "TELEPHONE-EVENT": _any_rate(lambda rate, channels: TelephoneEventDecoder(rate)),
    **{f"G726-{rate}": _g726(rate, "g726le") for rate in G726_BITS},
    **{f"AAL2-G726-{rate}": _g726(rate, "g726") for rate in G726_BITS},
}

KNOWN_ENCODINGS = frozenset(_BUILDERS)
"""Encoding names (upper case) that some decoder reads, given the right clock and PyAV."""

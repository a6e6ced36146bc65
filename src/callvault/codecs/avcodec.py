"""Payload formats decoded by FFmpeg's libavcodec, through PyAV (the ``av`` package).

PyAV bundles FFmpeg with its G.722, G.726, G.729, GSM, iLBC, Opus (libopus) and AMR
(OpenCORE) decoders. It is optional: without it ``AVAILABLE`` is False and only the formats
callvault decodes itself (G.711, L16, CN, telephone-event) have decoders.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np

from callvault.codecs.base import EMPTY, Decoder
from callvault.errors import ParseError


def _pyav_installed() -> bool:
    try:
        return importlib.util.find_spec("av") is not None
    except (ImportError, ValueError):
        return False


AVAILABLE = _pyav_installed()
"""Whether PyAV is installed, and with it the decoders of this module (imported on first use:
importing it costs about 60 ms that G.711-only work need not pay)."""


@cache
def _av() -> Any:
    return importlib.import_module("av")

INT16_SCALE = 32768.0
"""Float samples in [-1, 1) to 16-bit: x * 2^15, rounded and clipped, as FFmpeg's swresample."""


@cache
def has_decoder(codec: str) -> bool:
    """Whether the installed PyAV has the FFmpeg decoder named ``codec``."""
    if not AVAILABLE:
        return False
    try:
        av = _av()
        av.codec.Codec(codec, "r")
    except (ImportError, ValueError):  # av.FFmpegError is a ValueError
        return False
    return True


def open_decoder(codec: str, sample_rate: int, options: dict[str, str] | None = None) -> Any:
    """A mono FFmpeg decoder context (opened on its first packet)."""
    context: Any = _av().CodecContext.create(codec, "r")
    context.sample_rate = sample_rate
    context.layout = "mono"
    if options:
        context.options = dict(options)
    return context


def frames_to_pcm(frames: Sequence[Any]) -> np.ndarray:
    """Decoded audio frames → one mono int16 array (channels averaged, floats rounded)."""
    parts = [_frame_to_pcm(frame) for frame in frames]
    if not parts:
        return EMPTY.copy()
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _frame_to_pcm(frame: Any) -> np.ndarray:
    samples = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not frame.format.is_planar:
        samples = samples.reshape(-1, channels).T
    if channels > 1:
        samples = (
            samples.mean(axis=0)
            if samples.dtype.kind == "f"
            else (samples.astype(np.int32).sum(axis=0) // channels)
        )
    else:
        samples = samples[0]
    if samples.dtype.kind == "f":
        return np.clip(np.rint(samples * INT16_SCALE), -32768, 32767).astype(np.int16)
    if samples.dtype.itemsize == 4:
        return (samples >> 16).astype(np.int16)
    return samples.astype(np.int16, copy=False)


class AvDecoder(Decoder):
    """A payload format that one FFmpeg decoder takes whole: each payload is one packet."""

    def __init__(
        self,
        encoding: str,
        codec: str,
        sample_rate: int,
        rtp_clock: int,
        options: dict[str, str] | None = None,
    ) -> None:
        self.encoding = encoding
        self.sample_rate = sample_rate
        self.rtp_clock = rtp_clock
        self._context = open_decoder(codec, sample_rate, options)

    def decode(self, payload: bytes) -> np.ndarray:
        return self._decode_packet(payload)

    def _decode_packet(self, data: bytes) -> np.ndarray:
        if not data:
            return EMPTY.copy()
        av = _av()
        try:
            frames = self._context.decode(av.Packet(bytes(data)))
        except av.FFmpegError as exc:
            raise ParseError(f"{self.encoding} payload does not decode") from exc
        return frames_to_pcm(frames)


class StreamDecoder(AvDecoder):
    """A sample-by-sample format (G.722, G.726): payloads may be joined into one packet."""

    def decode_many(self, payloads: Iterable[bytes]) -> np.ndarray:
        return self._decode_packet(b"".join(payloads))


class FramedDecoder(AvDecoder):
    """A format of fixed-size frames (GSM, iLBC): a payload is whole frames, each decoded alone."""

    def __init__(
        self,
        encoding: str,
        codec: str,
        sample_rate: int,
        rtp_clock: int,
        frame_bytes: int,
        options: dict[str, str] | None = None,
    ) -> None:
        super().__init__(encoding, codec, sample_rate, rtp_clock, options)
        self.frame_bytes = frame_bytes
        """Octets per codec frame."""

    def decode(self, payload: bytes) -> np.ndarray:
        if len(payload) % self.frame_bytes:
            raise ParseError(f"{self.encoding} payload is not whole {self.frame_bytes}-byte frames")
        return self.decode_frames(
            [payload[i : i + self.frame_bytes] for i in range(0, len(payload), self.frame_bytes)]
        )

    def decode_frames(self, frames: Sequence[bytes]) -> np.ndarray:
        parts = [self._decode_packet(frame) for frame in frames]
        if not parts:
            return EMPTY.copy()
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

"""AMR and AMR-WB over RTP (RFC 4867), depacketised into the storage format OpenCORE decodes.

An RTP payload is a CMR (codec mode request), a table of contents with one entry per 20 ms
frame (F: more entries follow, FT: frame type, Q: frame is good), then the frames' speech
bits. In bandwidth-efficient mode (§4.3) the fields follow one another bit by bit; in
octet-aligned mode (§4.4, fmtp ``octet-align=1``) each field is padded to whole octets and
optional CRCs (``crc=1``) follow the table of contents. Each frame is rewritten as in the
storage format (§5.3): one header octet (FT, Q) and its speech bits padded to whole octets.
Interleaving and robust sorting (§4.4.5, §4.4.2.2) are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callvault.codecs.avcodec import FramedDecoder
from callvault.errors import ParseError, Truncated


@dataclass(frozen=True, slots=True)
class AmrVariant:
    """What differs between AMR (narrowband) and AMR-WB."""

    encoding: str
    """"AMR" or "AMR-WB"."""
    codec: str
    """The FFmpeg decoder: OpenCORE's, which also decodes SID frames and fills NO_DATA."""
    sample_rate: int
    """8000 or 16000, which is also the RTP clock (RFC 4867 §4.1)."""
    frame_bits: tuple[int | None, ...]
    """Speech bits per frame type (FT 0-15); None for reserved types."""
    no_data: tuple[int, ...]
    """Frame types carrying no speech that the decoder is given as NO_DATA (FT 15)."""

    @property
    def frame_samples(self) -> int:
        """Every frame stands for 20 ms."""
        return self.sample_rate // 50


AMR_NB = AmrVariant(
    "AMR",
    "libopencore_amrnb",
    8000,
    # 3GPP TS 26.101 table 1a: modes 4.75-12.2 kbit/s, SID, three legacy SIDs, NO_DATA.
    (95, 103, 118, 134, 148, 159, 204, 244, 39, 43, 38, 37, None, None, None, 0),
    (9, 10, 11, 15),
)
AMR_WB = AmrVariant(
    "AMR-WB",
    "libopencore_amrwb",
    16000,
    # 3GPP TS 26.201 table 1a: modes 6.60-23.85 kbit/s, SID, SPEECH_LOST (14), NO_DATA (15).
    (132, 177, 253, 285, 317, 365, 397, 461, 477, 40, None, None, None, None, 0, 0),
    (15,),
)
NO_DATA = 15


@dataclass(frozen=True, slots=True)
class AmrFrame:
    """One table-of-contents entry and its speech bits."""

    frame_type: int
    good: bool
    """The Q bit: False marks a damaged frame, which the decoder conceals."""
    speech: bytes
    """Speech bits, left-aligned and zero-padded to whole octets."""

    def storage(self) -> bytes:
        """The frame in the storage format of RFC 4867 §5.3 (a header octet, then speech)."""
        return bytes([(self.frame_type << 3) | (self.good << 2)]) + self.speech


def depacketize(
    payload: bytes, variant: AmrVariant, octet_aligned: bool, crc: bool = False
) -> list[AmrFrame]:
    """The frames of one RTP payload (RFC 4867 §4.3 or §4.4), in order."""
    if octet_aligned:
        return _octet_aligned(payload, variant, crc)
    return _bandwidth_efficient(payload, variant)


def _frame_bits(variant: AmrVariant, frame_type: int) -> int:
    bits = variant.frame_bits[frame_type]
    if bits is None:
        raise ParseError(f"{variant.encoding} payload names a reserved frame type")
    return bits


def _octet_aligned(payload: bytes, variant: AmrVariant, crc: bool) -> list[AmrFrame]:
    toc: list[tuple[int, bool]] = []
    position = 1  # the CMR octet
    while True:
        if position >= len(payload):
            raise Truncated(f"{variant.encoding} payload ends inside its table of contents")
        entry = payload[position]
        position += 1
        toc.append(((entry >> 3) & 0x0F, bool(entry & 0x04)))
        if not entry & 0x80:
            break
    sizes = [(_frame_bits(variant, ft) + 7) // 8 for ft, _ in toc]
    if crc:
        position += sum(1 for size in sizes if size)
    frames = []
    for (frame_type, good), size in zip(toc, sizes, strict=True):
        speech = payload[position : position + size]
        if len(speech) < size:
            raise Truncated(f"{variant.encoding} payload ends inside a speech frame")
        frames.append(AmrFrame(frame_type, good, speech))
        position += size
    return frames


def _bandwidth_efficient(payload: bytes, variant: AmrVariant) -> list[AmrFrame]:
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    toc: list[tuple[int, bool]] = []
    position = 4  # the CMR
    while True:
        if position + 6 > len(bits):
            raise Truncated(f"{variant.encoding} payload ends inside its table of contents")
        follows = bits[position]
        frame_type = int(np.packbits(bits[position + 1 : position + 5])[0]) >> 4
        toc.append((frame_type, bool(bits[position + 5])))
        position += 6
        if not follows:
            break
    frames = []
    for frame_type, good in toc:
        size = _frame_bits(variant, frame_type)
        if position + size > len(bits):
            raise Truncated(f"{variant.encoding} payload ends inside a speech frame")
        frames.append(
            AmrFrame(frame_type, good, np.packbits(bits[position : position + size]).tobytes())
        )
        position += size
    return frames


class AmrDecoder(FramedDecoder):
    """AMR or AMR-WB payloads (RFC 4867), through OpenCORE's decoder."""

    def __init__(self, variant: AmrVariant, octet_aligned: bool = False, crc: bool = False) -> None:
        super().__init__(
            variant.encoding, variant.codec, variant.sample_rate, variant.sample_rate, 1
        )
        self.variant = variant
        self.octet_aligned = octet_aligned
        """fmtp octet-align=1; bandwidth-efficient mode otherwise (the default, §8.1)."""
        self.crc = crc
        """fmtp crc=1: octet-aligned payloads carry a CRC octet per non-empty frame."""

    def decode(self, payload: bytes) -> np.ndarray:
        frames = depacketize(payload, self.variant, self.octet_aligned, self.crc)
        return self.decode_frames([self._storage(frame) for frame in frames])

    def conceal(self, samples: int) -> np.ndarray:
        """NO_DATA frames: the decoder's own concealment, or comfort noise after a SID."""
        count = -(-max(samples, 0) // self.variant.frame_samples)
        no_data = bytes([(NO_DATA << 3) | 0x04])
        return self.decode_frames([no_data] * count)[: max(samples, 0)]

    def _storage(self, frame: AmrFrame) -> bytes:
        if frame.frame_type in self.variant.no_data:
            return bytes([(NO_DATA << 3) | 0x04])
        return frame.storage()

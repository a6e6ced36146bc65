"""A streaming WAV writer whose header is valid after every write (a crash loses seconds).

RIFF/WAVE with WAVE_FORMAT_PCM (16-bit), WAVE_FORMAT_ALAW (6) or WAVE_FORMAT_MULAW (7):
G.711 is stored as the very bytes that were on the wire.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_ALAW = 6
WAVE_FORMAT_MULAW = 7

SYNC_BYTES = 80_000
"""About 5 s of stereo G.711 (2.5 s of 16-bit PCM) between header updates."""
ENCODINGS = {
    "pcm16": (WAVE_FORMAT_PCM, 2),
    "alaw": (WAVE_FORMAT_ALAW, 1),
    "ulaw": (WAVE_FORMAT_MULAW, 1),
}


class WavWriter:
    """Interleaved frames in, a WAV file out; sizes in the header kept up to date."""

    def __init__(self, file: BinaryIO, sample_rate: int, channels: int, encoding: str) -> None:
        self.file = file
        self.format_tag, self.sample_width = ENCODINGS[encoding]
        self.channels = channels
        self.sample_rate = sample_rate
        self.data_bytes = 0
        self._synced = 0
        block = channels * self.sample_width
        if self.format_tag == WAVE_FORMAT_PCM:
            fmt = struct.pack(
                "<HHIIHH",
                self.format_tag,
                channels,
                sample_rate,
                sample_rate * block,
                block,
                8 * self.sample_width,
            )
            self._fact_at = None
            header = b"fmt " + struct.pack("<I", len(fmt)) + fmt
        else:
            # non-PCM formats carry cbSize and a fact chunk (sample frames), RIFF/WAVE spec
            fmt = struct.pack(
                "<HHIIHHH",
                self.format_tag,
                channels,
                sample_rate,
                sample_rate * block,
                block,
                8 * self.sample_width,
                0,
            )
            header = (
                b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, 0)
            )
            self._fact_at = 12 + len(header) - 4
        self._data_at = 12 + len(header) + 8
        file.write(
            b"RIFF" + struct.pack("<I", 0) + b"WAVE" + header + b"data" + struct.pack("<I", 0)
        )

    def write(self, frames: bytes) -> None:
        """Interleaved sample bytes (a whole number of frames); the header follows at least
        every SYNC_BYTES, so a crash leaves a playable file missing seconds at most."""
        if not frames:
            return
        self.file.write(frames)
        self.data_bytes += len(frames)
        if self.data_bytes - self._synced >= SYNC_BYTES:
            self.sync()

    def sync(self) -> None:
        """Bring the header's sizes up to date and hand the data to the operating system."""
        self._update_header()
        self.file.flush()
        self._synced = self.data_bytes

    def _update_header(self) -> None:
        f = self.file
        f.seek(4)
        f.write(struct.pack("<I", self._data_at - 8 + self.data_bytes))
        if self._fact_at is not None:
            f.seek(self._fact_at)
            f.write(struct.pack("<I", self.data_bytes // (self.channels * self.sample_width)))
        f.seek(self._data_at - 4)
        f.write(struct.pack("<I", self.data_bytes))
        f.seek(self._data_at + self.data_bytes)

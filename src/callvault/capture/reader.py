"""Open a capture file (pcap or pcapng, plain or gzip) and read it as PacketBatches.

    with open_capture("calls.pcapng.gz") as reader:
        for batch in reader:
            ...  # reader.position / reader.size drive a progress bar

Every batch of complete packets before damage in the file is handed out first; then the
damage is raised as one CaptureError naming the byte offset, and iteration stops.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import BinaryIO, Protocol

import numpy as np

from callvault.capture import libpcap
from callvault.capture.arrays import Parsed, Piece, join
from callvault.capture.batch import PacketBatch
from callvault.capture.pcapfile import (
    FILE_HEADER_LEN,
    MAGIC_MODIFIED,
    PcapHeader,
    PcapParser,
    is_pcap,
)
from callvault.capture.pcapng import SHB_MAGIC, PcapngParser
from callvault.capture.streams import (
    GZIP_MAGIC,
    FileStream,
    GzipStream,
    PipeStream,
    RawPipeStream,
)
from callvault.errors import CaptureError

DEFAULT_BATCH_PACKETS = 131072
HANDOVER_SAMPLE = 4096
"""Packets a libpcap batch must hold before its record lengths decide who reads on."""
HANDOVER_MEAN_RUN = 12
"""Mean run of equal record lengths from which the Python reader is the faster one: it takes
a run at C speed, libpcap pays per record (about even at a run of 8-9 on mixed records,
the Python reader a quarter faster on a G.711 call center's capture at 20-25)."""
MIN_WINDOW = 64 * 1024
MAX_WINDOW = 128 * 1024 * 1024
"""Bytes read (or decompressed) at a time: about one batch's worth, within these bounds."""

OTHER_FORMATS = {
    b"\x28\xb5\x2f\xfd": "zstd-compressed: decompress it first (zstd -d)",
    b"\xfd7zXZ": "xz-compressed: decompress it first (xz -d)",
    b"BZh": "bzip2-compressed: decompress it first (bunzip2)",
    b"\x04\x22\x4d\x18": "lz4-compressed: decompress it first (lz4 -d)",
    b"PK\x03\x04": "a zip archive: unpack it first",
}
KNOWN_MAGICS = (
    SHB_MAGIC,
    GZIP_MAGIC,
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
)


Stream = FileStream | PipeStream
Batches = Generator[PacketBatch, None, None]


class Parser(Protocol):
    record_estimate: int

    def parse(self, data: bytes, base: int, limit: int) -> Parsed: ...

    def truncated(self, tail: bytes, offset: int) -> CaptureError: ...


def open_capture(
    path: str | os.PathLike[str],
    batch_packets: int = DEFAULT_BATCH_PACKETS,
    *,
    use_libpcap: bool = True,
) -> CaptureReader:
    """Open a capture for reading in batches of at most ``batch_packets`` frames.

    Raises CaptureError at once for a file that is missing, unreadable, empty or not a capture.
    ``use_libpcap=False`` reads plain pcap files with the pure-Python reader too.
    """
    return CaptureReader(path, batch_packets, use_libpcap=use_libpcap)


class CaptureReader:
    """An open capture file: iterate it for PacketBatches in capture order."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        batch_packets: int = DEFAULT_BATCH_PACKETS,
        *,
        use_libpcap: bool = True,
    ) -> None:
        if batch_packets < 1:
            raise ValueError(f"batch_packets must be at least 1, not {batch_packets}")
        self.path = os.fsdecode(path)
        self.size = 0
        """Bytes of the file on disk (0 for a pipe)."""
        self.position = 0
        """Bytes of the file read so far (compressed bytes for a gzip file)."""
        self.packets = 0
        """Frames handed out so far."""
        self.format = ""
        """"pcap" or "pcapng"."""
        self.compressed = False
        """Whether the file is gzip-compressed."""
        self.engine = "python"
        """What reads the records now: "libpcap" (pcapy-ng) or "python"."""
        self._batch_packets = batch_packets
        self._file = _open(self.path)
        try:
            self._batches = self._start(use_libpcap)
        except BaseException:
            self._file.close()
            raise

    def __iter__(self) -> Iterator[PacketBatch]:
        return self

    def __next__(self) -> PacketBatch:
        batch = next(self._batches)
        self.packets += len(batch)
        return batch

    def close(self) -> None:
        self._batches.close()
        self._file.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self, use_libpcap: bool) -> Batches:
        """Recognise the file and return the iterator of its batches."""
        try:
            info = os.fstat(self._file.fileno())
        except OSError as exc:
            raise CaptureError(self.path, f"cannot read: {exc.strerror}") from exc
        regular = stat.S_ISREG(info.st_mode)
        self.size = info.st_size if regular else 0
        stream: Stream = (
            FileStream(self.path, self._file) if regular else RawPipeStream(self.path, self._file)
        )
        head = stream.fetch(0, 64)
        if not head:
            raise CaptureError(self.path, "empty file (0 bytes)")
        if head[:2] == GZIP_MAGIC:
            self.compressed = True
            read = _Sequential(stream).read if isinstance(stream, PipeStream) else self._file.read
            stream = GzipStream(self.path, read)
            head = stream.fetch(0, 64)
            if not head:
                raise stream.error or CaptureError(self.path, "the gzip file holds no data")
        try:
            self.format = self._identify(head)
            header = PcapHeader.parse(self.path, head) if self.format == "pcap" else None
        except CaptureError:
            if stream.error:  # a gzip stream cut inside the first bytes: say that
                raise stream.error from None
            raise
        if header is None:
            return self._own(stream, PcapngParser(self.path), 0)
        parser = PcapParser(self.path, header)
        if use_libpcap and regular and not self.compressed and libpcap.suits(header):
            self.engine = "libpcap"
            return self._libpcap_then_own(stream, parser)
        return self._own(stream, parser, FILE_HEADER_LEN)

    def _identify(self, head: bytes) -> str:
        if head[:4] == SHB_MAGIC:
            return "pcapng"
        if is_pcap(head):
            return "pcap"
        inside = " inside the gzip file" if self.compressed else ""
        if len(head) < 4 and any(m.startswith(head) for m in KNOWN_MAGICS):
            raise CaptureError(
                self.path,
                f"truncated: the capture{inside} ends inside the file header ({len(head)} bytes)",
                0,
            )
        if head[:4] in (MAGIC_MODIFIED.to_bytes(4, "little"), MAGIC_MODIFIED.to_bytes(4, "big")):
            raise CaptureError(
                self.path,
                "unsupported pcap variant (Kuznetzov's modified "
                "format): convert it with editcap -F pcap",
                0,
            )
        for prefix, what in OTHER_FORMATS.items():
            if head.startswith(prefix):
                raise CaptureError(
                    self.path, f"not a pcap or pcapng capture{inside}: it is {what}", 0
                )
        raise CaptureError(
            self.path, f"not a pcap or pcapng capture{inside} (starts with {head[:4].hex(' ')})", 0
        )

    def _libpcap_then_own(self, stream: Stream, parser: PcapParser) -> Batches:
        """libpcap reads until the file ends, it stops, or its records come in runs of equal
        length long enough for the Python reader to be faster: from there on it reads."""
        batches = libpcap.read_batches(self.path, parser.header, self._batch_packets)
        try:
            while True:
                batch, self.position = next(batches)
                yield batch
                if _runs_favour_python(batch.caplen):
                    pos = self.position
                    break
        except StopIteration as stop:
            pos = stop.value
        finally:
            batches.close()
        if pos < self.size:
            self.engine = "python"
        yield from self._own(stream, parser, pos)

    def _own(self, stream: Stream, parser: Parser, pos: int) -> Batches:
        """The pure-Python reader from byte ``pos`` of the (decompressed) capture on."""
        windows = _Windows(stream, parser, pos)
        while True:
            pieces, error, ended = windows.batch(self._batch_packets)
            self.position = (
                stream.compressed_position if isinstance(stream, GzipStream) else windows.pos
            )
            if pieces:
                yield join(pieces)
            if error and self.compressed and error is not stream.error:
                error = CaptureError(
                    self.path, f"{error.reason} (offset in the decompressed data)", error.offset
                )
            if error:
                raise error
            if ended:
                return


def _runs_favour_python(caplen: np.ndarray) -> bool:
    """Whether a large enough batch's records come in long runs of one length."""
    if len(caplen) < HANDOVER_SAMPLE:
        return False
    runs = 1 + int(np.count_nonzero(caplen[1:] != caplen[:-1]))
    return len(caplen) >= HANDOVER_MEAN_RUN * runs


class _Windows:
    """Reads a capture through its parser in windows of about a batch's size."""

    def __init__(self, stream: Stream, parser: Parser, pos: int) -> None:
        self.stream = stream
        self.parser = parser
        self.pos = pos
        """Offset in the (decompressed) capture of the first byte not yet parsed."""
        self._estimate = parser.record_estimate
        self._need = 0

    def batch(self, packets: int) -> tuple[list[Piece], CaptureError | None, bool]:
        """The pieces of the next batch of up to ``packets`` packets, the error right after
        them, and whether the capture ended cleanly there.
        """
        pieces: list[Piece] = []
        count = 0
        while count < packets:
            want = int((packets - count) * self._estimate * 1.05)
            want = max(min(max(want, MIN_WINDOW), MAX_WINDOW), self._need)
            data = self.stream.fetch(self.pos, want)
            piece, used, error, self._need = self.parser.parse(data, self.pos, packets - count)
            if len(piece):
                pieces.append(piece)
                count += len(piece)
                self._estimate = max(16, used // len(piece))
            self.pos += used
            if error:
                return pieces, error, False
            if len(data) < want and count < packets:
                return pieces, self._end(data[used:]), not data[used:]
            if not (used or self._need):
                self._need = 2 * want
        return pieces, None, False

    def _end(self, tail: bytes) -> CaptureError | None:
        """Why the capture ends here: the stream's error, a record cut short, or nothing."""
        if self.stream.error:
            return self.stream.error
        return self.parser.truncated(tail, self.pos) if tail else None


class _Sequential:
    """Reads a PipeStream front to back, as a file's ``read`` would."""

    def __init__(self, stream: PipeStream) -> None:
        self._stream = stream
        self._offset = 0

    def read(self, size: int) -> bytes:
        data = self._stream.fetch(self._offset, size)[:size]
        self._offset += len(data)
        return data


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb", buffering=0)
    except FileNotFoundError as exc:
        raise CaptureError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise CaptureError(path, "is a directory, not a capture file") from exc
    except PermissionError as exc:
        raise CaptureError(path, "permission denied") from exc
    except OSError as exc:
        raise CaptureError(path, f"cannot open: {exc.strerror or exc}") from exc

"""The bytes of a capture file, plain or gzip-compressed, handed out in windows.

``fetch(offset, size)`` returns the capture's bytes from ``offset`` on: at least ``size`` of
them, or fewer only where the capture ends there. Offsets never go backwards. Memory stays
bounded by the window asked for: a gzip file is decompressed as it is read, never whole.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from typing import BinaryIO

from callvault.errors import CaptureError

GZIP_MAGIC = b"\x1f\x8b"
READ_CHUNK = 1 << 20
"""Compressed bytes read per call to the decompressor."""


def read_error(path: str, exc: OSError, offset: int | None) -> CaptureError:
    return CaptureError(path, f"read error: {exc.strerror or exc}", offset)


class FileStream:
    """A regular file read with ``pread``: a window is one copy out of the page cache."""

    def __init__(self, path: str, file: BinaryIO) -> None:
        self.path = path
        self._fd = file.fileno()
        self.error: CaptureError | None = None
        """Never set: a plain file ends where it ends."""

    def fetch(self, offset: int, size: int) -> bytes:
        try:
            data = os.pread(self._fd, size, offset)
            while 0 < len(data) < size:
                more = os.pread(self._fd, size - len(data), offset + len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            raise read_error(self.path, exc, offset) from exc
        return data


class PipeStream:
    """A forward-only byte source (a pipe, or a gzip member chain) with a carried-over tail."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._buf = b""
        self._base = 0
        self._ended = False
        self.error: CaptureError | None = None
        """Why the bytes ended early (a corrupt or cut gzip stream); None for a clean end."""

    def pull(self, size: int) -> bytes:
        """Up to ``size`` more bytes; b"" at the end."""
        raise NotImplementedError

    def fetch(self, offset: int, size: int) -> bytes:
        parts = [self._buf[offset - self._base :] if offset > self._base else self._buf]
        have = len(parts[0])
        while have < size and not self._ended:
            chunk = self.pull(size - have)
            if not chunk:
                self._ended = True
                break
            parts.append(chunk)
            have += len(chunk)
        self._buf = parts[0] if len(parts) == 1 else b"".join(parts)
        self._base = offset
        return self._buf


class RawPipeStream(PipeStream):
    """A file that cannot be read at an offset (a FIFO, a character device)."""

    def __init__(self, path: str, file: BinaryIO) -> None:
        super().__init__(path)
        self._file = file

    def pull(self, size: int) -> bytes:
        try:
            return self._file.read(size) or b""
        except OSError as exc:
            raise read_error(self.path, exc, None) from exc


class GzipStream(PipeStream):
    """The decompressed bytes of a gzip file (one or more members, RFC 1952)."""

    def __init__(self, path: str, read: Callable[[int], bytes]) -> None:
        super().__init__(path)
        self._read = read
        self._inflate = zlib.decompressobj(wbits=31)
        self._input = b""
        self._file_ended = False
        self.compressed_position = 0
        """Bytes of the compressed file read so far."""

    def pull(self, size: int) -> bytes:
        while not self.error:
            if not self._input and not self._file_ended:
                self._read_more()
            if self._inflate.eof and not self._next_member():
                return b""
            if not self._input and self._file_ended:
                self.error = CaptureError(
                    self.path,
                    "truncated gzip stream: the file ends inside compressed data",
                    self.compressed_position,
                )
                return b""
            try:
                out = self._inflate.decompress(self._input, size)
            except zlib.error as exc:  # the damage is at or after the input fed in this call
                fed_from = self.compressed_position - len(self._input)
                self.error = CaptureError(self.path, f"corrupt gzip stream ({exc})", fed_from)
                return b""
            self._input = self._inflate.unconsumed_tail or self._inflate.unused_data
            if out:
                return out
        return b""

    def _read_more(self) -> None:
        try:
            chunk = self._read(READ_CHUNK)
        except OSError as exc:
            raise read_error(self.path, exc, self.compressed_position) from exc
        self._file_ended = not chunk
        self.compressed_position += len(chunk)
        self._input += chunk

    def _next_member(self) -> bool:
        """After a member's end: start the next one; False at the end of the file.

        Zero bytes after the last member are padding, as gzip(1) accepts them.
        """
        self._input = self._input.lstrip(b"\0")
        while not self._input and not self._file_ended:
            self._read_more()
            self._input = self._input.lstrip(b"\0")
        if not self._input:
            return False
        self._inflate = zlib.decompressobj(wbits=31)
        return True

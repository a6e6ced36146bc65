"""RTP received on the ports the recording server allocates, read in bulk.

No asyncio callback per packet: ``drain`` asks one epoll set which sockets have data and
reads each with one ``recvmmsg`` (Linux; elsewhere one read per datagram until it would
block), and hands the lot back as a ``DatagramBatch`` (what a capture's network layer would
have decoded). Paused streams are read and thrown away, so audio outside a recording window
never reaches the recorder.
"""

from __future__ import annotations

import ctypes
import errno
import select
import socket
import struct
import sys
import time
from collections import deque

import numpy as np

from callvault.net.datagram import AddressTable, DatagramBatch
from callvault.siprec.handler import NoPorts

SOCKET_BUFFER = 1 << 19
"""SO_RCVBUF asked for each RTP socket: > 1 s of a G.711 stream at any drain interval."""
MAX_DATAGRAM = 2048
SO_TIMESTAMPNS = 35
"""Linux: each datagram comes with the kernel's receive time (struct timespec), so jitter
and a recording's timeline are the packets' own, not the moment a drain read them."""
_TIMESPEC = struct.Struct("=qq")


class MediaPorts:
    """The RTP port range: sockets opened and closed per stream, read together."""

    def __init__(self, host: str, low: int, high: int, addresses: AddressTable,
                 media_address: str | None = None) -> None:
        self.host = host
        self.addresses = addresses
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._free: deque[int] = deque(range(low + (low & 1), high + 1, 2))
        self._sockets: dict[int, socket.socket] = {}
        self._by_fd: dict[int, int] = {}
        self._dst: dict[int, int] = {}
        self.paused: set[int] = set()
        self.dropped_paused = 0
        self._poll = select.epoll()
        self._src_ids: dict[str, int] = {}
        self.media_address = media_address or host
        self._arena = _Arena.create()
        self._raw_ids: dict[tuple[int, bytes], int] = {}
        self.swept_at = time.time()
        """When the last full sweep began: all RTP that arrived before it has been read."""

    def __len__(self) -> int:
        return len(self._sockets)

    def open(self, address: str | None = None, after: int | None = None) -> int:
        """A new even port of the range with a bound, non-blocking socket; raises NoPorts.
        ``after``: the session's previous stream's port, whose next even port is taken when
        free (a session's ports together, as simple clients such as SIPp expect)."""
        dst = self.addresses.id_of_text(address or self.media_address)
        if after is not None and after + 2 in self._free:
            sock = self._bind(after + 2)
            if sock is not None:
                self._free.remove(after + 2)
                return self._register(after + 2, sock, dst)
        for _ in range(len(self._free)):
            port = self._free.popleft()
            sock = self._bind(port)
            if sock is None:
                self._free.append(port)  # in use by someone else for now: try it later
                continue
            return self._register(port, sock, dst)
        raise NoPorts

    def _bind(self, port: int) -> socket.socket | None:
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
            if sys.platform == "linux":
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    def _register(self, port: int, sock: socket.socket, dst: int) -> int:
        self._sockets[port] = sock
        self._by_fd[sock.fileno()] = port
        self._dst[port] = dst
        self._poll.register(sock.fileno(), select.EPOLLIN)
        return port

    def close(self, port: int) -> None:
        sock = self._sockets.pop(port, None)
        if sock is None:
            return
        self._by_fd.pop(sock.fileno(), None)
        self._dst.pop(port, None)
        self.paused.discard(port)
        self._poll.unregister(sock.fileno())
        sock.close()
        self._free.append(port)

    def close_all(self) -> None:
        for port in list(self._sockets):
            self.close(port)
        self._poll.close()

    def drain(self, only: list[int] | None = None, at: float | None = None) -> DatagramBatch:
        """Everything waiting on the RTP sockets (or on ``only`` those ports), each with the
        kernel's receive time; where there is none, ``at`` (the moment they are known to
        have arrived by) or now. ``swept_at`` is then the moment before which every datagram
        that arrived has been read: the capture clock a turn may move the recorder to."""
        swept_at = time.time()
        if only is None:
            # every ready socket at once: epoll's default is at most 1,023 per call, which
            # would leave the rest of > 511 two-stream sessions' sockets to later turns
            ready = self._poll.poll(0, len(self._by_fd) + 1)
            ports = [self._by_fd[fd] for fd, _ in ready if fd in self._by_fd]
        else:
            ports = [p for p in only if p in self._sockets]
        if only is None:
            self.swept_at = swept_at
        if not ports:
            return DatagramBatch.empty()
        if self._arena is not None:
            return self._drain_arena(ports, at)
        return self._drain_each(ports, at)

    def _drain_each(self, ports: list[int], at: float | None) -> DatagramBatch:
        """One ``recvmsg`` per datagram (where recvmmsg is not to be had), all there is."""
        chunks: list[bytes] = []
        srcs: list[int] = []
        sports: list[int] = []
        dports: list[int] = []
        dsts: list[int] = []
        stamps: list[float] = []
        src_ids = self._src_ids
        unpack = _TIMESPEC.unpack
        for port in ports:
            recv = self._sockets[port].recvmsg
            paused = port in self.paused
            first = len(chunks)
            while True:
                try:
                    data, ancillary, _, addr = recv(MAX_DATAGRAM, 32)
                except BlockingIOError:
                    break
                except OSError as exc:  # ICMP errors surface here on Linux
                    if exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
                        continue
                    break
                if paused:
                    self.dropped_paused += 1
                    continue
                host = addr[0]
                src = src_ids.get(host)
                if src is None:
                    src = src_ids[host] = self.addresses.id_of_text(host)
                chunks.append(data)
                srcs.append(src)
                sports.append(addr[1])
                if ancillary:
                    seconds, nanoseconds = unpack(ancillary[0][2][:16])
                    stamps.append(seconds + nanoseconds * 1e-9)
                else:
                    stamps.append(time.time() if at is None else at)
            got = len(chunks) - first
            dports.extend([port] * got)
            dsts.extend([self._dst[port]] * got)
        if not chunks:
            return DatagramBatch.empty()
        lengths = np.array([len(c) for c in chunks], dtype=np.int64)
        starts = np.zeros(len(chunks), dtype=np.int64)
        starts[1:] = np.cumsum(lengths)[:-1]
        return DatagramBatch(
            b"".join(chunks),
            np.array(stamps, dtype=np.float64),
            starts,
            lengths,
            np.array(srcs, dtype=np.uint64),
            np.array(dsts, dtype=np.uint64),
            np.array(sports, dtype=np.int64),
            np.array(dports, dtype=np.int64),
        )

    def _drain_arena(self, ports: list[int], at: float | None) -> DatagramBatch:
        """One ``recvmmsg`` per socket (all it holds), then every datagram's length, source,
        port and receive time taken from the arena at once. When the arena fills (a turn
        late on a busy machine finds seconds of RTP waiting) its datagrams are copied out
        and reading goes on: a turn reads everything, so that no audio still waiting in a
        socket falls behind the clock the recorder moves to."""
        arena = self._arena
        assert arena is not None
        now = time.time() if at is None else at
        parts: list[DatagramBatch] = []
        used = 0
        seg_ports: list[int] = []
        seg_counts: list[int] = []
        for port in ports:
            fd = self._sockets[port].fileno()
            paused = port in self.paused
            while True:
                if used == ARENA:
                    parts.append(self._arena_batch(used, seg_ports, seg_counts, now))
                    used, seg_ports, seg_counts = 0, [], []
                room = ARENA - used
                got = arena.read(fd, used, room)
                if got < 0:
                    if -got in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
                        continue  # an ICMP error reported on this socket: read on
                    break
                if paused:
                    self.dropped_paused += got
                elif got:
                    seg_ports.append(port)
                    seg_counts.append(got)
                    used += got
                if got < room:
                    break  # the socket is empty
        if used:
            parts.append(self._arena_batch(used, seg_ports, seg_counts, now))
        return concat(parts)

    def _arena_batch(self, used: int, seg_ports: list[int], seg_counts: list[int],
                     now: float) -> DatagramBatch:
        arena = self._arena
        assert arena is not None
        try:
            return arena.batch(used, seg_ports, seg_counts, self._dst, self._source_ids, now)
        finally:
            arena.reset(used)

    def _source_ids(self, family: int, raw: bytes) -> int:
        key = (family, raw)
        found = self._raw_ids.get(key)
        if found is None:
            found = self._raw_ids[key] = self.addresses.id_of_text(socket.inet_ntop(family, raw))
        return found


ARENA = 32768
"""Datagrams one ``recvmmsg`` sweep holds before they are copied out (~0.3 s of 1,000 calls;
the slots' memory is touched only as far as used)."""
_NAME = 28
"""sizeof(struct sockaddr_in6), room for either family."""
_CONTROL = 64
_MSG_DONTWAIT = 0x40
_SOL_SOCKET = 1
_MMSGHDR = np.dtype({
    "names": ["name", "namelen", "iov", "iovlen", "control", "controllen", "flags", "len"],
    "formats": ["<u8", "<u4", "<u8", "<u8", "<u8", "<u8", "<i4", "<u4"],
    "offsets": [0, 8, 16, 24, 32, 40, 48, 56],
    "itemsize": 64,
})
"""struct mmsghdr on 64-bit Linux."""


class _Arena:
    """Fixed slots for ``recvmmsg(2)``: each socket's datagrams read with one system call
    instead of one call per datagram (and one more that fails), the per-datagram work done
    by numpy over the whole turn. Linux, 64-bit only; ``create`` says None elsewhere."""

    def __init__(self, recvmmsg: object) -> None:
        self._recvmmsg = recvmmsg
        index = np.arange(ARENA, dtype=np.uint64)
        self.data = np.zeros((ARENA, MAX_DATAGRAM), dtype=np.uint8)
        self.names = np.zeros((ARENA, _NAME), dtype=np.uint8)
        self.control = np.zeros((ARENA, _CONTROL // 8), dtype=np.int64)
        self.iov = np.zeros((ARENA, 2), dtype=np.uint64)
        self.iov[:, 0] = self.data.ctypes.data + index * MAX_DATAGRAM
        self.iov[:, 1] = MAX_DATAGRAM
        self.msgs = np.zeros(ARENA, dtype=_MMSGHDR)
        self.msgs["name"] = self.names.ctypes.data + index * _NAME
        self.msgs["iov"] = self.iov.ctypes.data + index * 16
        self.msgs["iovlen"] = 1
        self.msgs["control"] = self.control.ctypes.data + index * _CONTROL
        self.reset()
        self._base = self.msgs.ctypes.data

    @classmethod
    def create(cls) -> _Arena | None:
        if sys.platform != "linux" or ctypes.sizeof(ctypes.c_void_p) != 8:
            return None
        try:
            # PyDLL: the call keeps the GIL. It never blocks (MSG_DONTWAIT), and handing the
            # GIL over 2,000 times a sweep would let another thread of the process (the live
            # board's writer in a burst of news) stretch one sweep to seconds, 5 ms a time
            recvmmsg = ctypes.PyDLL(None, use_errno=True).recvmmsg
        except (OSError, AttributeError):
            return None
        recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                             ctypes.c_void_p]
        recvmmsg.restype = ctypes.c_int
        return cls(recvmmsg)

    def reset(self, n: int = ARENA) -> None:
        """The kernel shrinks each used slot's name and control lengths to what it wrote:
        room again for the next turn."""
        self.msgs["namelen"][:n] = _NAME
        self.msgs["controllen"][:n] = _CONTROL

    def read(self, fd: int, at: int, room: int) -> int:
        """Datagrams read into slots ``at``…; -errno when none could be."""
        got = self._recvmmsg(fd, self._base + _MMSGHDR.itemsize * at, room,  # type: ignore[operator]
                             _MSG_DONTWAIT, None)
        return int(got) if got >= 0 else -ctypes.get_errno()

    def batch(self, n: int, seg_ports: list[int], seg_counts: list[int], dst_of: dict[int, int],
              source_id, now: float) -> DatagramBatch:  # type: ignore[no-untyped-def]
        """The first ``n`` slots as a DatagramBatch (payloads packed end to end)."""
        lengths = self.msgs["len"][:n].astype(np.int64)
        width = int(lengths.max()) if n else 0
        if int(lengths.min()) == width:  # one size (G.711 streams of one ptime): a slice
            packed = self.data[:n, :width]
        else:
            packed = self.data[:n, :width][np.arange(width) < lengths[:, None]]
        starts = np.zeros(n, dtype=np.int64)
        if n > 1:
            starts[1:] = np.cumsum(lengths)[:-1]
        names = self.names[:n]
        family = names[:, 0].astype(np.int64) | (names[:, 1].astype(np.int64) << 8)
        sports = (names[:, 2].astype(np.int64) << 8) | names[:, 3]
        srcs = np.zeros(n, dtype=np.uint64)
        for fam, lo, hi in ((socket.AF_INET, 4, 8), (socket.AF_INET6, 8, 24)):
            rows = np.flatnonzero(family == fam)
            if not len(rows):
                continue
            raw = np.ascontiguousarray(names[rows, lo:hi])
            keys, inverse = np.unique(raw.view(f"V{hi - lo}").ravel(), return_inverse=True)
            ids = np.array([source_id(fam, k.tobytes()) for k in keys], dtype=np.uint64)
            srcs[rows] = ids[inverse]
        ctl = self.control[:n]
        stamped = ((self.msgs["controllen"][:n] >= 32) & (ctl[:, 0] >= 32)
                   & (ctl[:, 1] == (SO_TIMESTAMPNS << 32 | _SOL_SOCKET)))
        stamps = np.where(stamped, ctl[:, 2] + ctl[:, 3] * 1e-9, now)
        counts = np.array(seg_counts, dtype=np.int64)
        return DatagramBatch(
            packed.tobytes(),
            stamps.astype(np.float64),
            starts,
            lengths,
            srcs,
            np.repeat(np.array([dst_of[p] for p in seg_ports], dtype=np.uint64), counts),
            sports,
            np.repeat(np.array(seg_ports, dtype=np.int64), counts),
        )


def concat(parts: list[DatagramBatch]) -> DatagramBatch:
    """Batches one after another as one (offsets into the joined data moved on)."""
    if not parts:
        return DatagramBatch.empty()
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(p.data) for p in parts[:-1]])
    return DatagramBatch(
        b"".join(p.data for p in parts),
        np.concatenate([p.ts for p in parts]),
        np.concatenate([p.start + off for p, off in zip(parts, offsets, strict=True)]),
        np.concatenate([p.length for p in parts]),
        np.concatenate([p.src for p in parts]),
        np.concatenate([p.dst for p in parts]),
        np.concatenate([p.sport for p in parts]),
        np.concatenate([p.dport for p in parts]),
    )

"""Live capture from a network interface with libpcap (pcapy-ng), as PacketBatches.

    with LiveInterface.open("eth1", bpf="udp or tcp port 5060") as source:
        batch = source.read(timeout_s=0.05)   # None when nothing arrived in that time
        source.stats()                        # the kernel's counters (pcap_stats)

The handle is opened non-blocking with a large kernel buffer: ``read`` waits on the
handle's file descriptor (select) and then takes everything waiting, up to
``max_packets`` frames, in one call to C (``next_batch``), so a busy mirror port costs one
Python round trip per batch, not per packet.

pcapy-ng's ``activate`` does not report libpcap's errors; when the activated handle has
no link type, the same device is opened once more with ``open_live`` to learn why, and
that reason is turned into a one-line message saying what to do.
"""

from __future__ import annotations

import select
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from callvault.capture.arrays import to_seconds
from callvault.capture.batch import LINKTYPE_RAW, PacketBatch
from callvault.errors import CallvaultError

try:
    import pcapy
except ImportError:  # pragma: no cover - pcapy-ng is a dependency
    pcapy = None

DEFAULT_SNAPLEN = 65535
DEFAULT_BUFFER_MB = 64
TIMEOUT_MS = 50
"""libpcap's read timeout: how long the kernel may hold packets to hand them over together."""
MAX_PACKETS = 16000
"""Frames taken at once at most (one batch); see Settings.batch_packets."""

_DLT_TO_LINKTYPE = {12: LINKTYPE_RAW, 14: LINKTYPE_RAW}
"""DLT values that differ from their LINKTYPE (DLT_RAW is 12 on Linux, 14 on OpenBSD)."""

PERMISSION_HINT = (
    "run as root, or give the program CAP_NET_RAW and CAP_NET_ADMIN "
    "(setcap cap_net_raw,cap_net_admin=eip on the Python interpreter)"
)


class LiveCaptureError(CallvaultError):
    """An interface that cannot be captured on, or a capture that failed (says what to do)."""


@dataclass(frozen=True, slots=True)
class KernelStats:
    """pcap_stats: what the kernel says about the capture since it was opened."""

    received: int = 0
    """ps_recv: packets that passed the filter."""
    dropped: int = 0
    """ps_drop: packets lost because the capture buffer was full (callvault too slow)."""
    interface_dropped: int = 0
    """ps_ifdrop: packets the network interface or its driver dropped."""


class LiveInterface:
    """One open live capture (use :meth:`open`)."""

    def __init__(self, handle: object, interface: str, linktype: int, bpf: str | None) -> None:
        self._handle = handle
        self.interface = interface
        self.linktype = linktype
        self.bpf = bpf
        self._fd: int = handle.getfd()  # type: ignore[attr-defined]
        self._last = KernelStats()
        self._base = KernelStats()
        self._base = self.stats()
        """What the kernel counted before the filter was in place (not this capture's)."""

    @classmethod
    def open(
        cls,
        interface: str,
        bpf: str | None = None,
        *,
        snaplen: int = DEFAULT_SNAPLEN,
        buffer_mb: int = DEFAULT_BUFFER_MB,
        promiscuous: bool = True,
    ) -> LiveInterface:
        """Open ``interface`` for capture. LiveCaptureError (one line, what to do) for an
        interface that does not exist, a missing permission or a bad BPF filter."""
        if pcapy is None:  # pragma: no cover
            raise LiveCaptureError("live capture needs pcapy-ng: pip install pcapy-ng")
        if snaplen < 64 or snaplen > 262144:
            raise LiveCaptureError(f"snaplen {snaplen} is out of range: use 64 to 262144 bytes")
        if buffer_mb < 1 or buffer_mb > 4096:
            raise LiveCaptureError(f"buffer {buffer_mb} MB is out of range: use 1 to 4096 MB")
        try:
            handle = pcapy.create(interface)
            handle.set_snaplen(snaplen)
            handle.set_promisc(1 if promiscuous else 0)
            handle.set_timeout(TIMEOUT_MS)
            handle.set_buffer_size(buffer_mb * 1024 * 1024)
            handle.activate()
            dlt = handle.datalink()
        except pcapy.PcapError as exc:
            raise LiveCaptureError(_open_message(interface, str(exc))) from None
        if dlt < 0:  # activation failed; pcapy-ng does not say why, open_live does
            handle.close()
            raise LiveCaptureError(_open_message(interface, _why_not(interface, snaplen)))
        if bpf:
            try:
                handle.setfilter(bpf)
            except pcapy.PcapError as exc:
                handle.close()
                raise LiveCaptureError(f"capture filter {bpf!r} is not valid BPF: {exc}") from None
        try:
            handle.setnonblock(1)
        except pcapy.PcapError as exc:  # pragma: no cover - a live handle always can
            handle.close()
            raise LiveCaptureError(f"interface {interface}: {exc}") from None
        return cls(handle, interface, _DLT_TO_LINKTYPE.get(dlt, dlt), bpf)

    def read(self, timeout_s: float, max_packets: int = MAX_PACKETS) -> PacketBatch | None:
        """The frames waiting now (at most ``max_packets``), waiting up to ``timeout_s`` for
        the first; None when nothing arrived."""
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return None
        try:
            blob, meta = self._handle.next_batch(max_packets)  # type: ignore[attr-defined]
        except pcapy.PcapError as exc:
            raise LiveCaptureError(f"capture on {self.interface} failed: {exc}") from None
        if not meta:
            return None
        records = np.frombuffer(meta, dtype=np.uint32).reshape(-1, 4).astype(np.int64)
        return PacketBatch(
            blob,
            to_seconds(records[:, 0], records[:, 1], 1_000_000),
            np.ascontiguousarray(records[:, 2]),
            np.ascontiguousarray(records[:, 3]),
            np.full(len(records), self.linktype, dtype=np.int64),
        )

    def stats(self) -> KernelStats:
        """The kernel's counters now (the last ones read once the handle is closed)."""
        if self._handle is not None:
            try:
                received, dropped, ifdropped = self._handle.stats()  # type: ignore[attr-defined]
            except pcapy.PcapError:
                return self._last
            base = self._base
            self._last = KernelStats(
                int(received) - base.received,
                int(dropped) - base.dropped,
                int(ifdropped) - base.interface_dropped,
            )
        return self._last

    def close(self) -> None:
        if self._handle is not None:
            self.stats()
            self._handle.close()  # type: ignore[attr-defined]
            self._handle = None

    def __enter__(self) -> LiveInterface:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _why_not(interface: str, snaplen: int) -> str:
    try:
        pcapy.open_live(interface, snaplen, 0, TIMEOUT_MS).close()
    except pcapy.PcapError as exc:
        return str(exc)
    return "libpcap could not activate it"


def _open_message(interface: str, reason: str) -> str:
    low = reason.lower()
    if "permission" in low or "not permitted" in low:
        return f"no permission to capture on {interface}: {PERMISSION_HINT}"
    if "no such device" in low or "doesn't exist" in low:
        return (
            f"there is no network interface {interface!r}: list them with `ip link` "
            "(or capture on 'any')"
        )
    return f"cannot capture on {interface}: {reason}"


def merge(batches: list[PacketBatch]) -> PacketBatch:
    """Several batches as one (in order): the engine's cost per batch is paid once. A
    live capture's batches are small when they arrive; those that waited are fed together."""
    if len(batches) == 1:
        return batches[0]
    offsets = np.cumsum([0] + [len(b.data) for b in batches[:-1]])
    return PacketBatch(
        b"".join(b.data for b in batches),
        np.concatenate([b.ts for b in batches]),
        np.concatenate([b.start + off for b, off in zip(batches, offsets, strict=True)]),
        np.concatenate([b.caplen for b in batches]),
        np.concatenate([b.linktype for b in batches]),
    )

"""Benchmark: the most concurrent SIPREC-recorded G.711 calls `callvault siprec` holds with
0 lost packets, load generated on loopback.

    .venv/bin/python benchmarks/live_benchmark.py --calls 250,500,750,1000,1250 --hold 30

For each N a fresh `callvault siprec` (recording and the live board on, as a user runs it;
SQLite journal in a temporary data directory) receives N recording sessions from a small
SIP client of this script — INVITE with a multipart body (SDP with two labelled streams +
RFC 7865 metadata), ACK, and at the end BYE — and, once all N are up, 2 x N RTP streams of
20 ms PCMU packets at real-time pace for ``--hold`` seconds (N x 100 packets/s). The RTP
comes from ``--senders`` processes that pre-build every packet (only sequence number and
timestamp change, patched in one numpy operation per tick) and hand each tick's packets to
the kernel with one ``sendmmsg`` per 1,024 (ctypes): the Python sender itself costs next to
nothing per packet. Each sender measures its lateness (how long after its due time each
tick had been handed over); a run whose sender fell behind by more than a packet time on
more than 1 % of ticks, or by more than ``--max-late`` once, is marked ``sender lagged``
and does not count.

Per N it reports: packets sent; packets the recorder received and put in recordings (the
journal's per-stream counts); the kernel's drops on callvault's RTP sockets (the ``drops``
column of /proc/net/udp, and the machine-wide UDP RcvbufErrors of /proc/net/snmp); every
recording's audio (non-silent samples per channel / 160) against the packets sent to that
stream; the recorder's CPU (user+system seconds per second of load, and µs per packet
sent from 5 s after the RTP started, when every call's file is open); the sender's lateness;
and the load average, since the machine is shared.

Needs: ``ulimit -n`` above 2 x N + 200 (raised here where the hard limit allows) and
``net.core.rmem_max`` ≥ 512 KiB (each RTP socket asks for 512 KiB; said when it is lower).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PTIME = 0.02
PAYLOAD = 160
HEADER = 12
SUBTICKS = 4
"""Each 20 ms is split in this many slots, a quarter of the streams sent in each: the load
is spread over the packet time as independent calls' would be."""
RMEM_WANTED = 1 << 19
STEADY_AFTER_S = 5.0
"""The recorder's CPU per packet is measured from this long after the RTP starts (its
first seconds open every call's file at once) to the end."""


# ---- the RTP sender (one process each) ---------------------------------------------------


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", _Msghdr), ("len", ctypes.c_uint32)]


def _sockaddrs(host: str, ports: list[int]) -> ctypes.Array[ctypes.c_char]:
    """struct sockaddr_in for each port, 16 bytes each."""
    raw = bytearray()
    addr = socket.inet_aton(host)
    for port in ports:
        raw += socket.AF_INET.to_bytes(2, sys.byteorder) + port.to_bytes(2, "big") + addr
        raw += bytes(8)
    return ctypes.create_string_buffer(bytes(raw), len(raw))


def _audio(rng: np.random.Generator, n: int) -> np.ndarray:
    """One 20 ms µ-law payload per stream, never a silence code (0xFF, 0x7F): every sample
    recorded is non-zero, so a recording's non-silent samples count its packets."""
    codes = rng.integers(0, 0x7E, size=(n, PAYLOAD), dtype=np.uint8)
    codes |= (rng.integers(0, 2, size=(n, PAYLOAD), dtype=np.uint8) << 7)
    return codes


def send_rtp(host: str, ports: list[int], ssrcs: list[int], start: float, ticks: int,
             seed: int, result: mp.Queue) -> None:  # type: ignore[type-arg]
    """Send ``ticks`` packets to each port at 20 ms intervals from ``start`` (time.time())."""
    libc = ctypes.CDLL(None, use_errno=True)
    sendmmsg = libc.sendmmsg
    sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    n = len(ports)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    sock.bind((host, 0))
    rng = np.random.default_rng(seed)
    packets = np.zeros((n, HEADER + PAYLOAD), dtype=np.uint8)
    packets[:, 0] = 0x80
    packets[:, 8:12] = np.array(ssrcs, dtype=">u4").view(np.uint8).reshape(n, 4)
    packets[:, HEADER:] = _audio(rng, n)
    seq0 = rng.integers(0, 1 << 16, n, dtype=np.uint32)
    ts0 = rng.integers(0, 1 << 31, n, dtype=np.uint32)
    names = _sockaddrs(host, ports)
    base = packets.ctypes.data
    iovs = (_Iovec * n)(*[_Iovec(base + i * packets.shape[1], packets.shape[1])
                           for i in range(n)])
    msgs = (_Mmsghdr * n)()
    name_base = ctypes.addressof(names)
    iov_base = ctypes.addressof(iovs)
    for i in range(n):
        h = msgs[i].hdr
        h.name = name_base + 16 * i
        h.namelen = 16
        h.iov = iov_base + ctypes.sizeof(_Iovec) * i
        h.iovlen = 1
    msg_base = ctypes.addressof(msgs)
    slots = [(g * n // SUBTICKS, (g + 1) * n // SUBTICKS) for g in range(SUBTICKS)]
    late = np.zeros(ticks * SUBTICKS, dtype=np.float64)
    done_at = np.zeros(ticks * SUBTICKS, dtype=np.float64)
    counts = np.zeros(ticks * SUBTICKS, dtype=np.int64)
    sent = 0
    errors = 0
    fd = sock.fileno()
    for k in range(ticks):
        seq = (seq0 + k) & 0xFFFF
        ts = ts0 + np.uint32(PAYLOAD * k)
        packets[:, 2:4] = seq.astype(">u2").view(np.uint8).reshape(n, 2)
        packets[:, 4:8] = ts.astype(">u4").view(np.uint8).reshape(n, 4)
        packets[:, 1] = 0x80 if k == 0 else 0
        for g, (lo, hi) in enumerate(slots):
            due = start + k * PTIME + g * PTIME / SUBTICKS
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            at = lo
            while at < hi:
                r = sendmmsg(fd, msg_base + ctypes.sizeof(_Mmsghdr) * at, hi - at, 0)
                if r < 0:
                    errors += 1
                    if errors > 1000:
                        raise OSError(ctypes.get_errno(), "sendmmsg keeps failing")
                    continue
                at += r
            sent += hi - lo
            done_at[k * SUBTICKS + g] = time.time()
            late[k * SUBTICKS + g] = done_at[k * SUBTICKS + g] - due
            counts[k * SUBTICKS + g] = hi - lo
    sock.close()
    result.put({"sent": sent, "per_stream": ticks, "late": late.tolist(), "errors": errors,
                "done_at": done_at.tolist(), "counts": counts.tolist()})


# ---- the SIP client ----------------------------------------------------------------------


METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <participant participant_id="p1"><nameID aor="sip:+1555{i:07d}@example.com">
    <name>Caller {i}</name></nameID></participant>
  <participant participant_id="p2"><nameID aor="sip:{ext}@example.com"/></participant>
  <stream stream_id="s1"><label>1</label></stream>
  <stream stream_id="s2"><label>2</label></stream>
  <participantstreamassoc participant_id="p1"><send>s1</send><recv>s2</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="p2"><send>s2</send><recv>s1</recv>
  </participantstreamassoc>
</recording>
"""


class Session:
    """One recording session as the client sees it."""

    def __init__(self, run: str, i: int, client_port: int) -> None:
        self.i = i
        self.call_id = f"bench-{run}-{i}@callvault"
        self.tag = f"src{i}"
        self.to_tag: str | None = None
        self.ports: list[int] = []
        self.offer_ports = (40000 + 4 * (i % 5000), 40002 + 4 * (i % 5000))
        self.client_port = client_port
        self.bye_done = False

    def invite(self, server: tuple[str, int]) -> bytes:
        sdp = ("v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {self.offer_ports[0]} RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n"
               f"m=audio {self.offer_ports[1]} RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n")
        xml = METADATA.format(i=self.i, ext=1000 + self.i % 100)
        body = ("--b1\r\nContent-Type: application/sdp\r\n\r\n" + sdp
                + "\r\n--b1\r\nContent-Type: application/rs-metadata+xml\r\n"
                "Content-Disposition: recording-session\r\n\r\n" + xml + "\r\n--b1--\r\n")
        return self._request("INVITE", 1, server, body, "multipart/mixed;boundary=b1")

    def ack(self, server: tuple[str, int]) -> bytes:
        return self._request("ACK", 1, server)

    def bye(self, server: tuple[str, int]) -> bytes:
        return self._request("BYE", 2, server)

    def _request(self, method: str, cseq: int, server: tuple[str, int], body: str = "",
                 content_type: str | None = None) -> bytes:
        host, port = server
        to = f"<sip:srs@{host}:{port}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        branch = f"z9hG4bK{self.i}x{method}{cseq}"
        lines = [f"{method} sip:srs@{host}:{port} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.client_port};branch={branch};rport",
                 f"From: <sip:src@127.0.0.1>;tag={self.tag}", f"To: {to}",
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:src@127.0.0.1:{self.client_port}>;+sip.src",
                 "Max-Forwards: 70"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        data = body.encode()
        lines.append(f"Content-Length: {len(data)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


_STATUS = re.compile(rb"^SIP/2\.0 (\d{3})")
_CALL_ID = re.compile(rb"\r\nCall-ID: *([^\r\n]+)", re.I)
_CSEQ = re.compile(rb"\r\nCSeq: *\d+ +(\w+)", re.I)
_TO_TAG = re.compile(rb"\r\nTo:[^\r\n]*;tag=([^;\r\n>]+)", re.I)
_M_LINE = re.compile(rb"\r\nm=audio (\d+) ")


class SipClient:
    """INVITE/ACK and BYE for many sessions over one UDP socket, a window at a time."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.unanswered = 0

    def establish(self, sessions: list[Session], window: int = 50) -> None:
        by_id = {s.call_id.encode(): s for s in sessions}
        for at in range(0, len(sessions), window):
            group = sessions[at:at + window]
            for s in group:
                self.sock.sendto(s.invite(self.server), self.server)
            self._collect(by_id, group, "INVITE", lambda s: bool(s.ports),
                          lambda s: s.invite(self.server))

    def end(self, sessions: list[Session], window: int = 100) -> None:
        by_id = {s.call_id.encode(): s for s in sessions}
        for at in range(0, len(sessions), window):
            group = sessions[at:at + window]
            for s in group:
                self.sock.sendto(s.bye(self.server), self.server)
            self._collect(by_id, group, "BYE", lambda s: s.bye_done,
                          lambda s: s.bye(self.server))

    def _collect(self, by_id: dict[bytes, Session], group: list[Session], method: str,
                 done, again, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.time() + timeout
        retry = time.time() + 2.0
        while not all(done(s) for s in group):
            if time.time() > deadline:
                missing = sum(not done(s) for s in group)
                if method == "INVITE":
                    raise SystemExit(f"{missing} {method}s not answered in {timeout:.0f} s")
                self.unanswered += missing  # the server ends those sessions itself
                return
            if time.time() > retry:
                for s in group:
                    if not done(s):
                        self.sock.sendto(again(s), self.server)
                retry = time.time() + 2.0
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self._answer(by_id, data)

    def _answer(self, by_id: dict[bytes, Session], data: bytes) -> None:
        status = _STATUS.match(data)
        call = _CALL_ID.search(data)
        cseq = _CSEQ.search(data)
        if status is None or call is None or cseq is None:
            return
        s = by_id.get(call.group(1).strip())
        code = int(status.group(1))
        if s is None or code < 200:
            return
        if code >= 300:
            raise SystemExit(f"{cseq.group(1).decode()} of session {s.i} refused: "
                             + data.split(b"\r\n")[0].decode(errors="replace"))
        if cseq.group(1) == b"INVITE":
            tag = _TO_TAG.search(data)
            s.to_tag = tag.group(1).decode() if tag else None
            s.ports = [int(p) for p in _M_LINE.findall(data)]
            self.sock.sendto(s.ack(self.server), self.server)  # again for a retransmitted 200
        elif cseq.group(1) == b"BYE":
            s.bye_done = True

    def drain(self) -> None:
        """Answer the 200s still retransmitted (ACK lost on a busy machine) for a moment."""
        self.sock.settimeout(0.05)
        try:
            while True:
                self.sock.recv(65536)
        except TimeoutError:
            pass
        self.sock.settimeout(0.5)


# ---- measurements ------------------------------------------------------------------------


def udp_snmp() -> dict[str, int]:
    lines = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines()
             if ln.startswith("Udp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:], strict=True)}


def socket_drops(ports: set[int]) -> int:
    """Sum of the kernel's per-socket drop counters for UDP sockets bound to ``ports``."""
    total = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].split(":")[1], 16)
        if port in ports:
            total += int(fields[-1])
    return total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def recordings(data_dir: Path) -> dict[str, tuple[list[int], int]]:
    """sip_call_id → (packets per stream in the journal, ...) and the recording's non-silent
    samples per channel."""
    import soundfile

    db = sqlite3.connect(data_dir / "journal.sqlite3")
    found: dict[str, tuple[list[int], int]] = {}
    rows = db.execute("SELECT c.id, c.sip_call_id, c.recording_path FROM calls c").fetchall()
    for call_id, sip_call_id, path in rows:
        packets = [p for (p,) in db.execute(
            "SELECT packets FROM streams WHERE call_id = ? ORDER BY seq", (call_id,))]
        samples: list[int] = []
        if path:
            file = Path(path) if Path(path).is_absolute() else data_dir / "recordings" / path
            audio, _ = soundfile.read(file, dtype="int16", always_2d=True)
            samples = [int(np.count_nonzero(audio[:, c])) for c in range(audio.shape[1])]
        found[sip_call_id] = (packets, samples)  # type: ignore[assignment]
    db.close()
    return found


# ---- one run -----------------------------------------------------------------------------


def run(n: int, hold: float, senders: int, max_late: float, keep: Path | None) -> dict:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f"cv-live-{n}-", dir=keep)
    data = Path(tmp)
    log_path = data / "siprec.log"
    env = dict(os.environ, CALLVAULT_BYE_LINGER_S="0.5")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "callvault", "siprec", "--port", "0", "--rtp-ports",
             "20000-29999", "--data-dir", tmp, "--name", "bench"],
            stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.time() + 60
        while not (found := re.search(r"recording on udp [^ ]+:(\d+)", log_path.read_text())):
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit("callvault siprec did not start: " + log_path.read_text())
            time.sleep(0.1)
        address = ("127.0.0.1", int(found.group(1)))
        client = SipClient(address)
        run_id = f"{n}{int(time.time()) % 100000}"
        sessions = [Session(run_id, i, client.port) for i in range(n)]
        began = time.time()
        client.establish(sessions)
        setup_s = time.time() - began
        client.drain()
        dests = [p for s in sessions for p in s.ports[:2]]
        ssrcs = [0x10000000 + i for i in range(len(dests))]
        ports = set(dests)
        ticks = int(hold / PTIME)
        snmp0 = udp_snmp()
        start = time.time() + 1.0
        ctx = mp.get_context("fork")
        results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        shares = np.array_split(np.arange(len(dests)), senders)
        procs = [ctx.Process(target=send_rtp, args=(
            "127.0.0.1", [dests[i] for i in share], [ssrcs[i] for i in share], start, ticks,
            k, results)) for k, share in enumerate(shares)]
        for p in procs:
            p.start()
        time.sleep(max(0.0, start - time.time()))
        cpu0, wall0 = cpu_seconds(server.pid), time.time()
        settle = min(STEADY_AFTER_S, hold / 2)
        time.sleep(settle)
        cpu_mid, wall_mid = cpu_seconds(server.pid), time.time()
        outcome = [results.get() for _ in procs]
        for p in procs:
            p.join()
        cpu1, wall1 = cpu_seconds(server.pid), time.time()
        load = os.getloadavg()[0]
        time.sleep(1.0)  # what is in the sockets' queues is read
        kernel_socket_drops = socket_drops(ports)
        snmp1 = udp_snmp()
        client.end(sessions)
        time.sleep(1.5)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(300)
        except subprocess.TimeoutExpired:
            server.kill()
    late = np.concatenate([np.array(o["late"]) for o in outcome])
    steady_packets = sum(int(np.array(o["counts"])[np.array(o["done_at"]) >= wall_mid].sum())
                         for o in outcome)
    late_steady = np.concatenate([np.array(o["late"])[np.array(o["done_at"]) >= wall_mid]
                                  for o in outcome])
    sent = sum(o["sent"] for o in outcome)
    saved = recordings(data)
    by_call = {s.call_id: s for s in sessions}
    received = 0
    short = 0
    recorded_packets = 0
    for call_id, (packets, samples) in saved.items():
        if call_id not in by_call:
            continue
        received += sum(packets)
        per_stream = ticks
        recorded = [c // PAYLOAD for c in samples]
        recorded_packets += sum(recorded)
        if len(recorded) != 2 or any(r != per_stream for r in recorded):
            short += 1
    missing_calls = sum(1 for s in sessions if s.call_id not in saved)
    lagged = bool(np.mean(late > PTIME) > 0.01 or late.max() > max_late)
    stats = _stats_file(data)
    if keep is None:
        shutil.rmtree(data, ignore_errors=True)  # up to 1 GB of recordings per run
    return {
        "calls": n,
        "hold_s": hold,
        "setup_s": round(setup_s, 1),
        "sent": sent,
        "send_pps": round(sent / (wall1 - wall0)),
        "received": received,
        "lost": sent - received,
        "recorded_packets": recorded_packets,
        "recordings_short": short,
        "calls_missing": missing_calls,
        "byes_unanswered": client.unanswered,
        "kernel_socket_drops": kernel_socket_drops,
        "snmp_rcvbuf_errors": snmp1["RcvbufErrors"] - snmp0["RcvbufErrors"],
        "snmp_in_errors": snmp1["InErrors"] - snmp0["InErrors"],
        "recorder_cpu": round((cpu1 - cpu0) / (wall1 - wall0), 2),
        "recorder_us_per_packet": round((cpu1 - cpu_mid) * 1e6 / max(steady_packets, 1), 2),
        "recorder_packets_read": stats.get("packets_read"),
        "recorder_skipped": stats.get("skipped"),
        "sender_late_p99_ms": round(float(np.percentile(late, 99)) * 1000, 1),
        "sender_late_max_ms": round(float(late.max()) * 1000, 1),
        "sender_late_steady_p99_ms": round(float(np.percentile(late_steady, 99)) * 1000, 1)
        if late_steady.size else None,
        "sender_lagged": lagged,
        "load_average": round(load, 2),
        "late_audio_packets": (stats.get("skipped") or {}).get("late audio (samples)", 0)
        // PAYLOAD,
        "zero_loss": (not lagged and sent == received == recorded_packets
                      and short == 0 and missing_calls == 0),
        "data_dir": tmp if keep else None,
    }


def _stats_file(data: Path) -> dict:
    for path in (data / "recorders").glob("*.json"):
        return json.loads(path.read_text())
    return {}


def preflight(n_max: int) -> list[str]:
    notes = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * n_max + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want), hard))
        if hard < want:
            notes.append(f"open-files limit {hard} < {want}: raise `ulimit -n`")
    rmem = int(Path("/proc/sys/net/core/rmem_max").read_text())
    if rmem < RMEM_WANTED:
        notes.append(f"net.core.rmem_max is {rmem}: each RTP socket gets less than the "
                     f"{RMEM_WANTED} bytes it asks for; `sysctl -w net.core.rmem_max=4194304`")
    return notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", default="250,500,750,1000,1250",
                    help="comma-separated concurrent session counts, run one after another")
    ap.add_argument("--hold", type=float, default=30.0,
                    help="seconds of RTP at full load per run")
    ap.add_argument("--senders", type=int, default=1, help="RTP sender processes")
    ap.add_argument("--max-late", type=float, default=0.2,
                    help="a run where a tick was handed over later than this (s) does not count")
    ap.add_argument("--keep", type=Path, help="keep each run's data directory under this")
    ap.add_argument("--stop-on-loss", action="store_true",
                    help="stop ramping at the first N that lost packets")
    ap.add_argument("--nice", type=int, default=0,
                    help="run the recorder and the senders at this niceness (e.g. -10 as root, "
                    "on a machine shared with other work)")
    args = ap.parse_args()
    if args.nice:
        os.nice(args.nice)  # inherited by the senders and the recorder
    try:
        counts = [int(c) for c in args.calls.split(",")]
    except ValueError:
        ap.error("--calls: write counts such as 250,500,1000")
    for note in preflight(max(counts)):
        print(f"# {note}", file=sys.stderr)
    best = 0
    for n in counts:
        result = run(n, args.hold, args.senders, args.max_late, args.keep)
        print(json.dumps(result), flush=True)
        if result["zero_loss"]:
            best = max(best, n)
        elif args.stop_on_loss and not result["sender_lagged"]:
            break
    print(json.dumps({"largest_zero_loss_calls": best}))


if __name__ == "__main__":
    main()

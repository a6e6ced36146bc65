"""Synthetic SIP/RTP traffic written with callvault's own capture writer.

Used by ``callvault demo``, by tests that need captures with exactly known facts, and by
the ingest benchmark (millions of packets: RTP frames are patched from per-stream templates).
"""

from __future__ import annotations

import heapq
import math
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from callvault.codecs.g711 import encode_ulaw
from callvault.net.build import udp_frame

PTIME_S = 0.020
SAMPLES_PER_PACKET = 160
EVENT_PT = 101


@dataclass(slots=True)
class SynthParty:
    number: str
    ip: str
    name: str | None = None
    sip_port: int = 5060
    rtp_port: int = 10000
    user_agent: str = "callvault-synth/1.0"


@dataclass(slots=True)
class SynthCall:
    """One call to synthesise; times in seconds since the Unix epoch."""

    call_id: str
    caller: SynthParty
    callee: SynthParty
    start: float
    ring_s: float = 2.0
    outcome: str = "answered"
    """answered, missed (caller cancels), busy (486), rejected (603) or failed (503)."""
    talk_s: float = 10.0
    hangup_by: str = "caller"
    dtmf: str = ""
    """RFC 4733 digits the caller sends, starting 1 s into the talk."""
    hold: tuple[float, float] | None = None
    """(offset into the talk, length): the caller holds with a re-INVITE a=sendonly."""
    ssrc_caller: int = 0x11110000
    ssrc_callee: int = 0x22220000
    tone_hz: tuple[float, float] = (440.0, 330.0)
    caller_nat_ip: str | None = None
    """The caller's RTP leaves from this address (a NAT), not the one its SDP announced."""
    callee_moves_port: tuple[float, int] | None = None
    """(offset into the talk, new port): the callee re-INVITEs with a new RTP port."""
    rtcp_every_s: float = 0.0
    """Send an RTCP receiver report each way this often (0: none)."""


@lru_cache(maxsize=64)
def _tone_frames(hz: float, count: int = 50) -> list[bytes]:
    t = np.arange(count * SAMPLES_PER_PACKET) / 8000.0
    pcm = (8000 * np.sin(2 * math.pi * hz * t)).astype(np.int16)
    data = encode_ulaw(pcm)
    return [data[i * 160 : (i + 1) * 160] for i in range(count)]


class _Sip:
    """SIP message texts of one call (RFC 3261 §8.1.1 mandatory headers)."""

    def __init__(self, call: SynthCall) -> None:
        self.c = call
        self.from_tag = f"{zlib.crc32(call.call_id.encode()):08x}"
        self.to_tag = f"{zlib.crc32(call.call_id[::-1].encode()):08x}"
        self.branch = 0

    def _sdp(self, party: SynthParty, direction: str = "sendrecv", version: int = 1) -> str:
        return (
            f"v=0\r\no=- 1000 {version} IN IP4 {party.ip}\r\ns=-\r\nc=IN IP4 {party.ip}\r\n"
            f"t=0 0\r\nm=audio {party.rtp_port} RTP/AVP 0 {EVENT_PT}\r\n"
            f"a=rtpmap:0 PCMU/8000\r\na=rtpmap:{EVENT_PT} telephone-event/8000\r\n"
            f"a=fmtp:{EVENT_PT} 0-16\r\na=ptime:20\r\na={direction}\r\n"
        )

    def _message(self, start_line: str, headers: list[str], body: str = "") -> bytes:
        content = "Content-Type: application/sdp\r\n" if body else ""
        text = (
            start_line
            + "\r\n"
            + "".join(h + "\r\n" for h in headers)
            + content
            + f"Content-Length: {len(body.encode())}\r\n\r\n"
            + body
        )
        return text.encode()

    def _dialog(self, to_tag: bool, cseq: int, method: str, from_callee: bool = False) -> list[str]:
        c = self.c
        caller = (
            f'"{c.caller.name}" <sip:{c.caller.number}@{c.caller.ip}>'
            if c.caller.name
            else (f"<sip:{c.caller.number}@{c.caller.ip}>")
        )
        callee = f"<sip:{c.callee.number}@{c.callee.ip}>"
        a = f"{caller};tag={self.from_tag}"
        b = callee + (f";tag={self.to_tag}" if to_tag else "")
        if from_callee:
            a, b = callee + f";tag={self.to_tag}", f"{caller};tag={self.from_tag}"
        return [f"From: {a}", f"To: {b}", f"Call-ID: {c.call_id}", f"CSeq: {cseq} {method}"]

    def request(
        self,
        method: str,
        cseq: int,
        *,
        to_tag: bool = True,
        body: str = "",
        from_callee: bool = False,
    ) -> bytes:
        c = self.c
        src = c.callee if from_callee else c.caller
        dst = c.caller if from_callee else c.callee
        self.branch += 1
        headers = [
            f"Via: SIP/2.0/UDP {src.ip}:{src.sip_port};branch=z9hG4bK{self.from_tag}{self.branch}",
            "Max-Forwards: 70",
            *self._dialog(to_tag, cseq, method, from_callee),
            f"Contact: <sip:{src.number}@{src.ip}:{src.sip_port}>",
            f"User-Agent: {src.user_agent}",
        ]
        return self._message(
            f"{method} sip:{dst.number}@{dst.ip}:{dst.sip_port} SIP/2.0", headers, body
        )

    def response(
        self,
        code: int,
        reason: str,
        cseq: int,
        method: str,
        *,
        to_tag: bool = True,
        body: str = "",
        from_callee_request: bool = False,
    ) -> bytes:
        c = self.c
        via_party = c.callee if from_callee_request else c.caller
        headers = [
            f"Via: SIP/2.0/UDP {via_party.ip}:{via_party.sip_port};branch=z9hG4bK{self.from_tag}{self.branch}",
            *self._dialog(to_tag, cseq, method, from_callee_request),
            f"Server: {c.callee.user_agent}",
        ]
        return self._message(f"SIP/2.0 {code} {reason}", headers, body)


FAILURES = {
    "busy": (486, "Busy Here"),
    "rejected": (603, "Decline"),
    "failed": (503, "Service Unavailable"),
}


def call_packets(call: SynthCall) -> Iterator[tuple[float, bytes]]:
    """Every frame of one call in time order."""
    sip = _Sip(call)
    a, b = call.caller, call.callee
    out: list[tuple[float, bytes]] = []
    media: list[Iterator[tuple[float, bytes]]] = []

    def to_b(t: float, payload: bytes) -> None:
        out.append((t, udp_frame(a.ip, a.sip_port, b.ip, b.sip_port, payload)))

    def to_a(t: float, payload: bytes) -> None:
        out.append((t, udp_frame(b.ip, b.sip_port, a.ip, a.sip_port, payload)))

    t = call.start
    to_b(t, sip.request("INVITE", 1, to_tag=False, body=sip._sdp(a)))
    to_a(t + 0.010, sip.response(100, "Trying", 1, "INVITE", to_tag=False))
    to_a(t + 0.050, sip.response(180, "Ringing", 1, "INVITE"))
    end_ring = t + call.ring_s
    if call.outcome == "missed":
        to_b(end_ring, sip.request("CANCEL", 1, to_tag=False))
        to_a(end_ring + 0.005, sip.response(200, "OK", 1, "CANCEL"))
        to_a(end_ring + 0.010, sip.response(487, "Request Terminated", 1, "INVITE"))
        to_b(end_ring + 0.015, sip.request("ACK", 1))
    elif call.outcome in FAILURES:
        code, reason = FAILURES[call.outcome]
        to_a(end_ring, sip.response(code, reason, 1, "INVITE"))
        to_b(end_ring + 0.005, sip.request("ACK", 1))
    else:
        to_a(end_ring, sip.response(200, "OK", 1, "INVITE", body=sip._sdp(b)))
        to_b(end_ring + 0.005, sip.request("ACK", 1))
        talk_start = end_ring + 0.020
        talk_end = talk_start + call.talk_s
        hold = None
        cseq = 1
        if call.hold:
            h0 = talk_start + call.hold[0]
            h1 = h0 + call.hold[1]
            hold = (h0, h1)
            cseq += 1
            to_b(h0, sip.request("INVITE", cseq, body=sip._sdp(a, "sendonly", 2)))
            to_a(
                h0 + 0.010, sip.response(200, "OK", cseq, "INVITE", body=sip._sdp(b, "recvonly", 2))
            )
            to_b(h0 + 0.015, sip.request("ACK", cseq))
            cseq += 1
            to_b(h1, sip.request("INVITE", cseq, body=sip._sdp(a, "sendrecv", 3)))
            to_a(
                h1 + 0.010, sip.response(200, "OK", cseq, "INVITE", body=sip._sdp(b, "sendrecv", 3))
            )
            to_b(h1 + 0.015, sip.request("ACK", cseq))
        a_media = SynthParty(a.number, call.caller_nat_ip or a.ip, rtp_port=a.rtp_port)
        media.append(
            _rtp(a_media, b, call.ssrc_caller, talk_start, talk_end, call.tone_hz[0], None)
        )
        b_end = talk_end
        if call.callee_moves_port:
            move = talk_start + call.callee_moves_port[0]
            moved = SynthParty(b.number, b.ip, rtp_port=call.callee_moves_port[1])
            cseq_b = 101
            sdp_b = sip._sdp(moved, "sendrecv", 9)
            to_a(move - 0.05, sip.request("INVITE", cseq_b, body=sdp_b, from_callee=True))
            to_b(
                move - 0.04,
                sip.response(
                    200,
                    "OK",
                    cseq_b,
                    "INVITE",
                    body=sip._sdp(a, "sendrecv", 9),
                    from_callee_request=True,
                ),
            )
            to_a(move - 0.035, sip.request("ACK", cseq_b, from_callee=True))
            media.append(
                _rtp(moved, a_media, call.ssrc_callee + 1, move, talk_end, call.tone_hz[1], hold)
            )
            b_end = move
        media.append(
            _rtp(b, a_media, call.ssrc_callee, talk_start + 0.003, b_end, call.tone_hz[1], hold)
        )
        if call.rtcp_every_s:
            k = talk_start + call.rtcp_every_s
            while k < talk_end:
                rr_a = struct.pack("!BBHI", 0x80, 201, 1, call.ssrc_caller)
                rr_b = struct.pack("!BBHI", 0x80, 201, 1, call.ssrc_callee)
                out.append((k, udp_frame(a_media.ip, a.rtp_port + 1, b.ip, b.rtp_port + 1, rr_a)))
                out.append(
                    (k + 0.001, udp_frame(b.ip, b.rtp_port + 1, a_media.ip, a.rtp_port + 1, rr_b))
                )
                k += call.rtcp_every_s
        if call.dtmf:
            media.append(_dtmf(a, b, call.ssrc_caller, talk_start + 1.0, call.dtmf))
        cseq += 1
        if call.hangup_by == "caller":
            to_b(talk_end + 0.030, sip.request("BYE", cseq))
            to_a(talk_end + 0.035, sip.response(200, "OK", cseq, "BYE"))
        else:
            to_a(talk_end + 0.030, sip.request("BYE", 1, from_callee=True))
            to_b(talk_end + 0.035, sip.response(200, "OK", 1, "BYE", from_callee_request=True))
    out.sort(key=lambda item: item[0])
    if not media:
        return iter(out)
    return heapq.merge(out, *media, key=lambda item: item[0])


def _rtp(
    src: SynthParty,
    dst: SynthParty,
    ssrc: int,
    t0: float,
    t1: float,
    hz: float,
    silent: tuple[float, float] | None,
) -> Iterator[tuple[float, bytes]]:
    frames = _tone_frames(hz)
    template = udp_frame(src.ip, src.rtp_port, dst.ip, dst.rtp_port, b"\x00" * (12 + 160))
    head = template[: len(template) - 172]
    n = int((t1 - t0) / PTIME_S)
    for i in range(n):
        t = t0 + i * PTIME_S
        if silent and silent[0] <= t < silent[1]:
            continue
        rtp = struct.pack(
            "!BBHII", 0x80, 0x80 if i == 0 else 0, i & 0xFFFF, (i * 160) & 0xFFFFFFFF, ssrc
        )
        yield t, head + rtp + frames[i % len(frames)]


def write_capture(path: Path | str, calls: list[SynthCall], **writer_options: object) -> int:
    """Write the calls' frames, interleaved in time, as a pcap file; returns the frame count."""
    from callvault.capture.writer import PcapWriter

    count = 0
    with PcapWriter(path, **writer_options) as writer:  # type: ignore[arg-type]
        for ts, frame in merge(calls):
            writer.write(ts, frame)
            count += 1
    return count


def _dtmf(
    src: SynthParty, dst: SynthParty, ssrc: int, t0: float, digits: str
) -> Iterator[tuple[float, bytes]]:
    codes = "0123456789*#ABCD"
    seq = 40000
    for k, digit in enumerate(digits):
        start = t0 + k * 0.5
        rtp_ts = 100000 + k * 4000
        for j in range(6):
            end = j >= 3
            duration = min(j + 1, 4) * 160
            payload = bytes([codes.index(digit), 0x8A if end else 0x0A]) + duration.to_bytes(
                2, "big"
            )
            rtp = struct.pack(
                "!BBHII", 0x80, EVENT_PT | (0x80 if j == 0 else 0), seq & 0xFFFF, rtp_ts, ssrc
            )
            seq += 1
            t = start + min(j, 3) * PTIME_S + (0.001 * (j - 3) if end else 0)
            yield t, udp_frame(src.ip, src.rtp_port, dst.ip, dst.rtp_port, rtp + payload)


def merge(calls: list[SynthCall]) -> Iterator[tuple[float, bytes]]:
    """Frames of many calls, interleaved in time order."""
    return heapq.merge(*(call_packets(c) for c in calls), key=lambda item: item[0])


def demo_calls(start: float = 1_767_225_600.0) -> list[SynthCall]:
    """A small, varied morning at a support desk: the demo capture's calls."""
    desk = "10.20.0."
    outside = [
        ("+4533123456", "Anna Jensen"),
        ("+5511987654321", "João Silva"),
        ("+74951234567", "Olga Petrova"),
        ("+4570112233", None),
        ("+351912345678", "Rita"),
    ]
    calls = []
    rng = random.Random(7)
    plans = [
        ("answered", 2.5, 21.0, "caller", "", None),
        ("answered", 4.0, 35.0, "callee", "4271", None),
        ("missed", 9.0, 0, "caller", "", None),
        ("answered", 1.5, 48.0, "caller", "", (12.0, 8.0)),
        ("busy", 0.6, 0, "callee", "", None),
        ("answered", 3.2, 15.5, "callee", "19#", None),
        ("rejected", 5.0, 0, "callee", "", None),
        ("answered", 2.0, 27.0, "caller", "", None),
    ]
    t = start
    for n, (outcome, ring, talk, hangup, dtmf, hold) in enumerate(plans):
        number, name = outside[n % len(outside)]
        inbound = n % 4 != 3
        customer = SynthParty(
            number,
            f"198.51.100.{10 + n}",
            name,
            rtp_port=40000 + 2 * n,
            user_agent="Carrier-SBC/4.2",
        )
        agent = SynthParty(
            f"1{n:03d}",
            f"{desk}{20 + n}",
            f"Agent {n}",
            rtp_port=16000 + 2 * n,
            user_agent="Desk-Phone/2.1",
        )
        caller, callee = (customer, agent) if inbound else (agent, customer)
        calls.append(
            SynthCall(
                call_id=f"demo-{n:04d}@callvault.example",
                caller=caller,
                callee=callee,
                start=t,
                ring_s=ring,
                outcome=outcome,
                talk_s=talk,
                hangup_by=hangup,
                dtmf=dtmf,
                hold=hold,
                ssrc_caller=0x1000 + n,
                ssrc_callee=0x2000 + n,
            )
        )
        t += 4.0 + rng.random() * 6.0
    return calls


OUTCOME_WEIGHTS = (
    ("answered", 0.80),
    ("missed", 0.10),
    ("busy", 0.05),
    ("rejected", 0.03),
    ("failed", 0.02),
)


def call_center_calls(
    count: int,
    *,
    concurrency: float = 300.0,
    mean_talk_s: float = 25.0,
    start: float = 1_767_258_000.0,
    seed: int = 1,
) -> list[SynthCall]:
    """``count`` calls of a busy center: Poisson arrivals at the rate that keeps about
    ``concurrency`` calls up, exponential talk times (at least 3 s), 1-15 s of ringing,
    80 % answered; every call on its own addresses and RTP ports, half of them with DTMF.
    """
    rng = random.Random(seed)
    rate = concurrency / (mean_talk_s * 0.8 + 8.0)
    outcomes = [o for o, _ in OUTCOME_WEIGHTS]
    weights = [w for _, w in OUTCOME_WEIGHTS]
    calls = []
    t = start
    for n in range(count):
        t += rng.expovariate(rate)
        slot = n % 14000
        customer = SynthParty(
            f"+4{rng.randint(5, 9)}{rng.randint(10_000_000, 99_999_999)}",
            f"198.51.{100 + slot // 250}.{slot % 250 + 1}",
            rtp_port=20000 + 2 * (slot % 20000) % 40000,
            user_agent="Carrier-SBC/4.2",
        )
        agent = SynthParty(
            f"{1000 + n % 500}",
            f"10.1.{(n % 500) // 250}.{(n % 500) % 250 + 1}",
            rtp_port=10000 + 4 * slot % 50000,
            user_agent="Desk-Phone/2.1",
        )
        inbound = rng.random() < 0.7
        caller, callee = (customer, agent) if inbound else (agent, customer)
        calls.append(
            SynthCall(
                call_id=f"{n:07d}-{seed}@load.callvault.example",
                caller=caller,
                callee=callee,
                start=t,
                ring_s=rng.uniform(1.0, 15.0),
                outcome=rng.choices(outcomes, weights)[0],
                talk_s=max(3.0, rng.expovariate(1 / mean_talk_s)),
                hangup_by=rng.choice(("caller", "callee")),
                dtmf=str(rng.randint(0, 9999)) if rng.random() < 0.5 else "",
                ssrc_caller=rng.getrandbits(32),
                ssrc_callee=rng.getrandbits(32),
            )
        )
    return calls

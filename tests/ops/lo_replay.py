"""Synthetic calls (``callvault.synth``) sent for real over loopback UDP, from the ports
their frames name, so that a live capture on lo sees them as a PBX's traffic."""

from __future__ import annotations

import socket
import struct
import time

from callvault.synth import SynthCall, SynthParty, call_packets


def loopback_call(call_id: str, ports: tuple[int, int, int, int], start: float,
                  talk_s: float = 0.5) -> SynthCall:
    """A call between two parties on 127.0.0.1: (caller SIP, callee SIP, caller RTP, callee
    RTP) ports."""
    return SynthCall(
        call_id,
        SynthParty("2001", "127.0.0.1", "Ann", sip_port=ports[0], rtp_port=ports[2]),
        SynthParty("3001", "127.0.0.1", sip_port=ports[1], rtp_port=ports[3]),
        start,
        ring_s=0.05,
        talk_s=talk_s,
    )


def frames_of(calls: list[SynthCall]) -> list[tuple[float, bytes]]:
    """Every frame of the calls, in time order."""
    return sorted(f for call in calls for f in list(call_packets(call)))


def send(calls: list[SynthCall]) -> int:
    """Send every call's packets in time order, as fast as the sockets take them; returns
    how many were sent."""
    return send_frames(frames_of(calls))


def send_frames(frames: list[tuple[float, bytes]], paced: bool = False) -> int:
    """Send each frame's UDP payload from its source port to its destination port; with
    ``paced``, at the frames' own pace (real time) rather than as fast as possible."""
    sockets: dict[int, socket.socket] = {}
    began = time.monotonic()
    first = frames[0][0] if frames else 0.0
    try:
        for ts, frame in frames:
            if paced and (ahead := ts - first - (time.monotonic() - began)) > 0.002:
                time.sleep(ahead)
            ihl = (frame[14] & 0x0F) * 4
            sport, dport = struct.unpack_from("!HH", frame, 14 + ihl)
            if sport not in sockets:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", sport))
                sockets[sport] = s
            sockets[sport].sendto(frame[14 + ihl + 8 :], ("127.0.0.1", dport))
    finally:
        for s in sockets.values():
            s.close()
    return len(frames)

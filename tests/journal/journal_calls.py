"""Calls built by hand (there is no engine in these tests), with every field set."""

from __future__ import annotations

from typing import Any

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Side,
)

T0 = 1_714_567_890.123456
"""2024-05-01 12:51:30.123456 UTC: microseconds, which every stored time must keep."""


def build_call(uid: str = "call-1", start: float = T0, **fields: Any) -> Call:
    """A call with every field set (two streams, four events), times with microseconds;
    ``fields`` override any of them."""
    call = Call(
        uid=uid,
        sip_call_id=f"{uid}@pbx.example.com",
        started_at=start,
        ringing_at=start + 0.250001,
        answered_at=start + 4.5,
        ended_at=start + 65.000999,
        status=CallStatus.ANSWERED,
        sip_code=200,
        reason='Q.850;cause=16;text="Normal call clearing"',
        hangup_by=Side.CALLEE,
        end_cause="bye",
        caller=Party(
            number="+4533123456",
            display_name="Kunde Ærø",
            uri="sip:+4533123456@carrier.example",
            e164="+4533123456",
            ip="198.51.100.7",
            user_agent="Carrier SBC 4.2",
        ),
        callee=Party(
            number="201",
            display_name="Support",
            uri="sip:201@pbx.example.com",
            e164=None,
            ip="10.0.0.21",
            user_agent="Yealink SIP-T46U 108.86.0.20",
        ),
        direction=Direction.INBOUND,
        transport="udp",
        codecs=("PCMA/8000", "telephone-event/8000"),
        streams=[
            MediaStream(
                ssrc=0xFEEDBEEF,
                src_ip="198.51.100.7",
                src_port=30000,
                dst_ip="10.0.0.21",
                dst_port=11780,
                side=Side.CALLER,
                payload_types=(8, 101),
                codec="PCMA/8000",
                packets=3025,
                bytes=484000,
                first_at=start + 4.52,
                last_at=start + 64.98,
                rtcp_packets=12,
            ),
            MediaStream(
                ssrc=0x0000BEEF,
                src_ip="10.0.0.21",
                src_port=11780,
                dst_ip="198.51.100.7",
                dst_port=30000,
                side=Side.CALLEE,
                payload_types=(8,),
                codec="PCMA/8000",
                packets=3020,
                bytes=483200,
                first_at=start + 4.61,
                last_at=start + 64.99,
                rtcp_packets=11,
            ),
        ],
        events=[
            CallEvent(
                kind="dtmf", at=start + 10.02, party=Side.CALLER, value="5", detail="rfc4733"
            ),
            CallEvent(
                kind="hold", at=start + 20.5, party=Side.CALLEE, value="sendonly", detail="sendonly"
            ),
            CallEvent(kind="resume", at=start + 30.75, party=Side.CALLEE, value=None, detail=None),
            CallEvent(
                kind="transfer", at=start + 60.0, party=None, value="sip:202@pbx.example.com"
            ),
        ],
        source="span-2024-05-01.pcapng",
    )
    for name, value in fields.items():
        setattr(call, name, value)
    return call

"""What the API tests share: calls to save, credentials to send."""

from __future__ import annotations

import base64

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Side,
)

T0 = 1_714_567_890.0
"""2024-05-01 12:51:30 UTC."""

PASSWORD = "pw-for-tests"


def make_call(uid: str, start: float, caller: str, callee: str, direction: Direction) -> Call:
    return Call(
        uid=uid,
        sip_call_id=f"{uid}@pbx.example.com",
        started_at=start,
        answered_at=start + 2,
        ended_at=start + 62,
        status=CallStatus.ANSWERED,
        sip_code=200,
        caller=Party(number=caller, e164=caller if caller.startswith("+") else None),
        callee=Party(number=callee, e164=callee if callee.startswith("+") else None),
        direction=direction,
        codecs=("PCMU/8000",),
        streams=[
            MediaStream(
                ssrc=1,
                src_ip="10.0.0.1",
                src_port=4000,
                dst_ip="10.0.0.2",
                dst_port=5000,
                side=Side.CALLER,
                payload_types=(0,),
                codec="PCMU/8000",
                packets=3000,
                bytes=516000,
                first_at=start + 2,
                last_at=start + 62,
            ),
        ],
        events=[CallEvent(kind="dtmf", at=start + 10, party=Side.CALLER, value="5")],
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}

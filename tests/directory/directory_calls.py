"""Calls for the directory tests: only the parties and the direction matter."""

from __future__ import annotations

from callvault.calls.model import Call, CallStatus, Direction, Party

T0 = 1_714_567_890.0
"""2024-05-01 12:51:30 UTC."""


def party(number: str | None, e164: str | None = None) -> Party:
    return Party(number=number, e164=e164)


def call(
    uid: str,
    caller: Party | str,
    callee: Party | str,
    direction: Direction = Direction.INBOUND,
    start: float = T0,
) -> Call:
    return Call(
        uid=uid,
        sip_call_id=f"{uid}@pbx.example.com",
        started_at=start,
        answered_at=start + 2,
        ended_at=start + 32,
        status=CallStatus.ANSWERED,
        caller=party(caller) if isinstance(caller, str) else caller,
        callee=party(callee) if isinstance(callee, str) else callee,
        direction=direction,
        codecs=("PCMU/8000",),
    )

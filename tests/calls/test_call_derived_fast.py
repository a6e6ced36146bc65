"""``Call.hold_ms`` and ``Call.transferred`` (read for every save, in C where they can be)
give what walking the sorted events gives."""

from __future__ import annotations

import random

from callvault.calls.model import Call, CallEvent


def _hold_ms(call: Call) -> int:
    total = 0.0
    held_since: float | None = None
    for event in sorted(call.events, key=lambda e: e.at):
        if event.kind == "hold" and held_since is None:
            held_since = event.at
        elif event.kind == "resume" and held_since is not None:
            total += event.at - held_since
            held_since = None
    if held_since is not None and call.ended_at is not None:
        total += max(0.0, call.ended_at - held_since)
    return round(total * 1000)


def test_hold_and_transfer_as_the_events_say() -> None:
    rng = random.Random(11)
    kinds = ("dtmf", "hold", "resume", "transfer", "reinvite")
    for _ in range(3000):
        events = [
            CallEvent(rng.choice(kinds), 1000.0 + rng.uniform(0, 60))
            for _ in range(rng.choice((0, 0, 1, 2, 3, 6)))
        ]
        ended_at = rng.choice((None, 1030.0, 1070.0))
        call = Call(uid="u", sip_call_id=None, started_at=1000.0, ended_at=ended_at, events=events)
        assert call.hold_ms == _hold_ms(call)
        assert call.transferred == any(event.kind == "transfer" for event in events)

"""A small journal built by hand, whose KPIs ``test_kpis_golden.py`` works out by hand.

The center is in Europe/Copenhagen, where summer time began on Sunday 2024-03-31 at 01:00
UTC (02:00 local became 03:00): that local day has 23 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from callvault.calls.model import Call, CallEvent, CallStatus, Direction, MediaStream, Party, Side
from callvault.journal import Journal
from callvault.journal.schema import agents, queues, teams, tracked_number_costs, tracked_numbers

ZONE = "Europe/Copenhagen"
A, B, C, D, E = "+4511111111", "+4522222222", "+4533333333", "+4544444444", "+4555555555"
"""The clients' numbers."""


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def call(
    uid: str,
    start: str,
    *,
    direction: Direction = Direction.INBOUND,
    status: CallStatus = CallStatus.ANSWERED,
    client: str | None = None,
    wait_s: float = 0.0,
    talk_s: float = 0.0,
    **fields: object,
) -> Call:
    """A call from (inbound) or to (outbound) ``client``, waiting ``wait_s`` on the line
    before its answer (or its end, unanswered) and talking ``talk_s``."""
    started = utc(start)
    answered = started + wait_s if status == CallStatus.ANSWERED else None
    ended = (answered + talk_s) if answered is not None else started + wait_s
    center = Party(number="7000")
    customer = Party(number=client, e164=client)
    made = Call(
        uid=uid,
        sip_call_id=None,
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        status=status,
        direction=direction,
        caller=customer if direction == Direction.INBOUND else center,
        callee=center if direction == Direction.INBOUND else customer,
    )
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def stream(mos: float, expected: int, lost: int) -> MediaStream:
    return MediaStream(ssrc=1, src_ip="192.0.2.1", src_port=4000, dst_ip="192.0.2.2",
                       dst_port=4002, side=Side.CALLER, expected=expected, lost=lost, mos=mos)


def build(journal: Journal, engine: sa.Engine) -> None:
    """The calls C1…C10 and the directory (two teams, two agents, a queue, a tracked number
    and its cost)."""
    c1_start = utc("2024-03-30T22:59:50")
    journal.save_many([
        # 23:59:50 local on Saturday 30 March, answered after midnight, on hold 30 s.
        call("C1", "2024-03-30T22:59:50", client=A, wait_s=15, talk_s=300, agent_id=1,
             team_id=1, queue_id=1, outcome="Resolved ", wrap_up_ms=60_000, csat=4,
             events=[CallEvent(kind="hold", at=c1_start + 115, party=Side.CALLEE),
                     CallEvent(kind="resume", at=c1_start + 145, party=Side.CALLEE)],
             streams=[stream(4.2, 1000, 10), stream(4.0, 1000, 30)]),
        # 01:30 local, before the clocks went forward: the caller gave up after 40 s.
        call("C2", "2024-03-31T00:30:00", status=CallStatus.MISSED, client=B, wait_s=40,
             team_id=1, queue_id=1),
        # 03:10 local, after: a short abandon (3 s).
        call("C3", "2024-03-31T01:10:00", status=CallStatus.MISSED, client=C, wait_s=3,
             team_id=1, queue_id=1),
        # 10:00 local: client A again (9 h after C1), transferred; a sale from search ads.
        call("C4", "2024-03-31T08:00:00", client=A, wait_s=25, talk_s=120, agent_id=2,
             team_id=2, tracked_number_id=1, channel="search", campaign="spring",
             outcome="sale",
             events=[CallEvent(kind="transfer", at=utc("2024-03-31T08:01:00"), party=None)]),
        # 11:00 local: an outbound sale to client D (its ringing is no customer's wait).
        call("C5", "2024-03-31T09:00:00", direction=Direction.OUTBOUND, client=D, wait_s=10,
             talk_s=60, agent_id=2, team_id=2, outcome="Sale"),
        # Internal: left out of every KPI.
        call("C6", "2024-03-31T09:30:00", direction=Direction.INTERNAL, client="201",
             wait_s=2, talk_s=50, agent_id=1, team_id=1),
        # 12:00 local: busy, no agent.
        call("C7", "2024-03-31T10:00:00", status=CallStatus.BUSY, client=E, wait_s=1,
             team_id=2),
        # Wednesday 3 April 12:00 local: client B, answered in 8 s, a callback promised.
        call("C8", "2024-04-03T10:00:00", client=B, wait_s=8, talk_s=200, agent_id=1,
             team_id=1, outcome="callback", csat=2),
        # Saturday 6 April 11:00 local: client B again, 71 h later; answered at exactly 20 s.
        call("C9", "2024-04-06T09:00:00", client=B, wait_s=20, talk_s=100, agent_id=1,
             team_id=1, outcome="resolved"),
        # A failed call: left out.
        call("C10", "2024-04-06T09:30:00", status=CallStatus.FAILED, client=E, wait_s=1,
             team_id=1),
    ])
    # After the calls: the directory's own assignment (journal.directory) stays out of
    # this journal, whose calls carry their agent, team, queue and channel by hand.
    now = utc("2024-01-01T00:00:00")
    with engine.begin() as connection:
        connection.execute(teams.insert(), [
            {"id": 1, "name": "Support", "department": "Service", "created_at": now},
            {"id": 2, "name": "Sales", "department": "Commerce", "created_at": now},
        ])
        connection.execute(agents.insert(), [
            {"id": 1, "name": "Anna", "team_id": 1, "active": True, "created_at": now},
            {"id": 2, "name": "Bo", "team_id": 2, "active": True, "created_at": now},
        ])
        connection.execute(queues.insert(), [
            {"id": 1, "name": "Help", "numbers": "7000", "team_id": 1, "created_at": now},
        ])
        connection.execute(tracked_numbers.insert(), [
            {"id": 1, "number": "7000", "channel": "search", "campaign": "spring",
             "active": True, "created_at": now},
        ])
        connection.execute(tracked_number_costs.insert(), [
            {"tracked_number_id": 1, "period_start": date(2024, 3, 1),
             "period_end": date(2024, 3, 31), "cost": 310, "currency": "EUR"},
        ])

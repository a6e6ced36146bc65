"""The rollups made in the database (``analytics.rollup_sql``) hold exactly what reading every
call gives (``analytics.measures.read``): every hour, local day, local month and month x
weekday x hour row, on SQLite and PostgreSQL, for a random journal across the end of summer
time (Europe/Copenhagen, 27 October 2024: a 25-hour day), with repeat clients, deals,
outcomes in odd case and spacing (Cyrillic too), streams and calls that are no contacts;
and again after calls are re-annotated, added and deleted (the refresh path)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from callvault.analytics import measures, rollups
from callvault.analytics.kpis import KpiSettings
from callvault.journal import Journal
from callvault.journal.schema import (
    KPI_MEASURES,
    agents,
    calls,
    kpi_rollups,
    queues,
    streams,
    teams,
)

ZONE = "Europe/Copenhagen"
SALE_RU = "\u043f\u0440\u043e\u0434\u0430\u0436\u0430"
"""A sale, in Russian: lower-casing it is Unicode's business, not ASCII's."""
SETTINGS = KpiSettings(timezone=ZONE, resolved_outcomes=frozenset({"resolved", "sale", SALE_RU}),
                       deal_outcomes=frozenset({"sale", SALE_RU}))
FIRST = datetime(2024, 10, 24, tzinfo=UTC).timestamp()
LAST = datetime(2024, 11, 3, tzinfo=UTC).timestamp()
OUTCOMES = (None, None, "", "  Sale ", "sale", "RESOLVED", "callback", f"\t{SALE_RU.upper()}\n",
            "no_sale")
CLIENTS = ("+4511000001", "+4511000002", "+4511000003", "004511000004", "", None)


def _call(rng: random.Random, uid: str, started: float) -> dict[str, object]:
    direction = rng.choice(("inbound", "inbound", "inbound", "outbound", "internal"))
    status = rng.choice(("answered", "answered", "answered", "missed", "busy", "rejected",
                         "failed"))
    client = rng.choice(CLIENTS)
    e164 = client if client and client.startswith("+") and rng.random() < 0.7 else None
    ours = "7000"
    answered = status == "answered"
    return {
        "uid": uid, "started_at": started, "status": status, "direction": direction,
        "codecs": "PCMA/8000", "stream_count": 0, "packet_count": 0, "created_at": started,
        "caller_number": client if direction == "inbound" else ours,
        "caller_e164": e164 if direction == "inbound" else None,
        "callee_number": ours if direction == "inbound" else client,
        "callee_e164": None if direction == "inbound" else e164,
        "ring_ms": rng.choice((None, 0, 4_999, 5_000, 20_000, 20_001, 61_000, 400_000)),
        "talk_ms": rng.randrange(1, 900_000) if answered else 0,
        "hold_ms": rng.choice((None, 0, 30_000)),
        "wrap_up_ms": rng.choice((None, 15_000)),
        "transferred": rng.random() < 0.2,
        "outcome": rng.choice(OUTCOMES),
        "csat": rng.choice((None, None, 1, 5)),
        "agent_id": rng.choice((None, 1, 2, 3)),
        "team_id": rng.choice((None, 1, 2)),
        "queue_id": rng.choice((None, 1)),
        "channel": rng.choice((None, "search", "radio")),
        "campaign": rng.choice((None, "autumn")),
    }


def _journal(engine: sa.Engine, rng: random.Random, count: int, prefix: str) -> None:
    rows = []
    for i in range(count):
        # Clustered starts: many calls in the same hours, clients calling back within
        # minutes, hours and days, some at the same moment (ordered by id then).
        started = FIRST + rng.random() * (LAST - FIRST)
        if rows and rng.random() < 0.2:
            started = float(rows[-1]["started_at"]) + rng.choice((0.0, 60.0, 86_400.0))
        rows.append(_call(rng, f"{prefix}{i}", round(min(started, LAST - 1), 6)))
    with engine.begin() as connection:
        connection.execute(calls.insert(), rows)
        answered = connection.execute(
            sa.select(calls.c.id, calls.c.started_at).where(calls.c.status == "answered",
                                                            calls.c.uid.like(f"{prefix}%"))
        ).all()
        connection.execute(streams.insert(), [
            {"call_id": call_id, "seq": seq, "ssrc": seq, "src_ip": "192.0.2.1",
             "src_port": 4000, "dst_ip": "192.0.2.2", "dst_port": 4002, "payload_types": "8",
             "packets": 100, "bytes": 16_000, "first_at": at, "last_at": at + 1,
             "rtcp_packets": 1, "expected": 1000, "lost": rng.randrange(0, 40),
             "mos": rng.choice((None, 3.2, 4.0625, 4.4))}
            for call_id, at in answered if rng.random() < 0.5 for seq in range(2)
        ])


def _expected(engine: sa.Engine) -> dict[tuple[str, str, int, str, int], list[int]]:
    """Every rollup row as the calls' measures say it must be."""
    with engine.connect() as connection:
        found = measures.read(connection, FIRST - 86_400, LAST + 86_400, SETTINGS)
    zone = SETTINGS.zone
    labels: list[tuple[str, str, int, str, int]] = []
    for i, at in enumerate(found.started_at.tolist()):
        team = int(found.keys["team"][i] or 0)
        hour = int(at // 3600) * 3600
        local = datetime.fromtimestamp(at, zone)
        day = int(datetime(local.year, local.month, local.day, tzinfo=zone).timestamp())
        month = int(datetime(local.year, local.month, 1, tzinfo=zone).timestamp())
        clock = f"{local.isoweekday()}:{local.hour}"
        labels.append(("month_hour", "center", month, clock, team))
        for dimension in rollups.ALL_DIMENSIONS:
            value = "" if dimension == "center" else found.keys[dimension][i]
            for grain, bucket in (("hour", hour), ("day", day), ("month", month)):
                labels.append((grain, dimension, bucket, value, team))
    rows_of = np.repeat(np.arange(len(found)), 1 + 3 * len(rollups.ALL_DIMENSIONS))
    grouped = measures.group(labels, found.matrix[rows_of])
    return {label: vector.tolist() for label, vector in grouped.items()}


def _stored(engine: sa.Engine) -> dict[tuple[str, str, int, str, int], list[int]]:
    with engine.connect() as connection:
        return {
            (row.grain, row.dimension, int(row.bucket), row.value, int(row.team_id)):
                [int(row._mapping[n]) for n in KPI_MEASURES]
            for row in connection.execute(sa.select(kpi_rollups))
        }


@pytest.fixture
def engine(journal_url: str) -> Iterator[sa.Engine]:
    with Journal.open(journal_url):
        engine = sa.create_engine(journal_url)
        with engine.begin() as connection:
            connection.execute(teams.insert(), [{"id": t, "name": f"T{t}", "created_at": FIRST}
                                                for t in (1, 2)])
            connection.execute(queues.insert(), [{"id": 1, "name": "Q", "numbers": "7000",
                                                  "team_id": 1, "created_at": FIRST}])
            connection.execute(agents.insert(), [
                {"id": a, "name": f"A{a}", "team_id": 1 + a % 2, "active": True,
                 "created_at": FIRST} for a in (1, 2, 3)])
        yield engine
        engine.dispose()


def _assert_same(engine: sa.Engine) -> None:
    stored, expected = _stored(engine), _expected(engine)
    assert sorted(stored) == sorted(expected)
    wrong = {key: (stored[key], expected[key]) for key in expected if stored[key] != expected[key]}
    assert not wrong
    assert {key[0] for key in stored} == {"hour", "day", "month", "month_hour"}


def test_rebuilt_rollups_equal_reading_every_call(engine: sa.Engine) -> None:
    rng = random.Random(7)
    _journal(engine, rng, 400, "a")
    assert rollups.rebuild(engine, SETTINGS) > 0
    _assert_same(engine)
    days = {key[2] for key in _stored(engine) if key[0] == "day"}
    # The local day of 27 October (summer time ends) starts at 22:00 UTC and lasts 25 hours.
    sunday = int(datetime(2024, 10, 26, 22, tzinfo=UTC).timestamp())
    assert {sunday, sunday + 25 * 3600} <= days


def test_refreshed_rollups_follow_changes(engine: sa.Engine) -> None:
    rng = random.Random(11)
    _journal(engine, rng, 250, "b")
    rollups.refresh(engine, SETTINGS)
    with engine.begin() as connection:  # the triggers mark the hours of these changes
        ids = connection.execute(sa.select(calls.c.id).order_by(calls.c.id)).scalars().all()
        for call_id in rng.sample(ids, 30):
            connection.execute(calls.update().where(calls.c.id == call_id)
                               .values(outcome=rng.choice(OUTCOMES), agent_id=2))
        connection.execute(calls.delete().where(calls.c.id.in_(rng.sample(ids, 10))))
    _journal(engine, rng, 40, "c")
    assert rollups.refresh(engine, SETTINGS) > 0
    _assert_same(engine)
    assert rollups.refresh(engine, SETTINGS) == 0

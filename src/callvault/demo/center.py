"""The demo call center's people and numbers: teams, agents and their extensions, queues,
tracked marketing numbers and what they cost — and writing them into the directory tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from callvault.errors import CallvaultError
from callvault.journal.schema import (
    agent_extensions,
    agents,
    queues,
    teams,
    tracked_number_costs,
    tracked_numbers,
)


class DemoError(CallvaultError):
    """The demo center cannot be generated as asked."""


@dataclass(frozen=True, slots=True)
class QueuePlan:
    """One queue: its share of inbound calls and how its calls go."""

    name: str
    share: float
    """Share of the center's inbound calls."""
    talk_median_s: float
    """Median talk time (talk times are lognormal)."""
    patience_s: float
    """Mean caller patience (exponential)."""
    outcomes: tuple[tuple[str, float], ...]
    """Outcomes of answered calls and their weights."""
    department: str


QUEUES = (
    QueuePlan("Support", 0.45, 300.0, 150.0,
              (("resolved", 0.72), ("follow-up", 0.16), ("unresolved", 0.07), ("escalated", 0.05)),
              "Customer service"),
    QueuePlan("Sales", 0.30, 240.0, 90.0,
              (("sale", 0.24), ("quote", 0.31), ("follow-up", 0.25), ("no-interest", 0.20)),
              "Sales"),
    QueuePlan("Billing", 0.15, 200.0, 120.0,
              (("resolved", 0.80), ("follow-up", 0.12), ("unresolved", 0.08)),
              "Customer service"),
    QueuePlan("Retention", 0.10, 360.0, 120.0,
              (("retained", 0.45), ("sale", 0.10), ("cancelled", 0.30), ("follow-up", 0.15)),
              "Sales"),
)
"""The center's queues (large centers have several teams on each)."""

CHANNELS = (
    # channel, campaign, queue, share of the queue's inbound calls, monthly cost
    ("google-ads", "brand-search", "Sales", 0.30, 2400),
    ("google-ads", "spring-offer", "Sales", 0.20, 3100),
    ("facebook", "retargeting", "Sales", 0.15, 1200),
    ("radio", "morning-show", "Sales", 0.10, 4500),
    ("billboard", "city-center", "Sales", 0.05, 1800),
    ("email", "newsletter", "Retention", 0.40, 150),
    ("website", None, "Support", 0.35, 40),
    ("invoice", None, "Billing", 0.60, 40),
)
"""Tracked numbers: the rest of each queue's calls come to its main number."""

FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Emma", "Felix", "Greta", "Hugo", "Ida",
               "Jonas", "Karin", "Lars", "Mia", "Nils", "Olga", "Paul", "Rosa", "Sven",
               "Tara", "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe")
LAST_NAMES = ("Berg", "Dahl", "Eriksen", "Fischer", "Holm", "Jensen", "Kowalski", "Larsen",
              "Meyer", "Nielsen", "Olsen", "Petersen", "Quist", "Rasmussen", "Schmidt",
              "Thomsen", "Vogel", "Weber")

TEAM_SIZE = 12
"""Agents per team (a supervisor's span)."""
MAIN_NUMBER = "+4570200{:03d}"
"""The queues' main numbers (E.164)."""
TRACKED_NUMBER = "+4578790{:03d}"


@dataclass(slots=True)
class DemoAgent:
    name: str
    employee_id: str
    extension: str
    team: str
    queue: str
    id: int = 0
    team_id: int = 0


@dataclass(slots=True)
class DemoNumber:
    """A number customers dial: a queue's main number or a tracked marketing number."""

    number: str
    queue: str
    share: float
    """Share of the queue's inbound calls that come to this number."""
    channel: str | None = None
    campaign: str | None = None
    monthly_cost: int = 0
    id: int | None = None
    """The tracked number's id (None for a main number)."""


@dataclass(slots=True)
class Center:
    """The whole demo center, with its directory ids once written."""

    agents: list[DemoAgent]
    teams: dict[str, str]
    """Team name → the queue it answers."""
    numbers: list[DemoNumber]
    team_ids: dict[str, int] = field(default_factory=dict)
    queue_ids: dict[str, int] = field(default_factory=dict)

    def queue_agents(self, queue: str) -> list[DemoAgent]:
        return [agent for agent in self.agents if agent.queue == queue]


def build_center(size: int, seed: int) -> Center:
    """A center of ``size`` agents, split over the queues by their share of calls."""
    if size < len(QUEUES):
        raise DemoError(f"a demo center needs at least {len(QUEUES)} agents (one per queue)")
    rng = np.random.default_rng([seed, 0xCE])
    per_queue = _split(size, [plan.share for plan in QUEUES])
    people: list[DemoAgent] = []
    team_queue: dict[str, str] = {}
    for plan, count in zip(QUEUES, per_queue, strict=True):
        n_teams = max(1, math.ceil(count / TEAM_SIZE))
        for index in range(count):
            team = f"{plan.name} {index % n_teams + 1}" if n_teams > 1 else plan.name
            team_queue[team] = plan.name
            serial = len(people) + 1
            first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
            last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
            people.append(DemoAgent(f"{first} {last}", f"demo-{serial:05d}",
                                    f"{1000 + serial}" if serial < 9000 else f"{10000 + serial}",
                                    team, plan.name))
    numbers: list[DemoNumber] = []
    for index, plan in enumerate(QUEUES):
        tracked = [c for c in CHANNELS if c[2] == plan.name]
        numbers.append(DemoNumber(MAIN_NUMBER.format(index + 1), plan.name,
                                  1.0 - sum(c[3] for c in tracked)))
    for index, (channel, campaign, queue, share, cost) in enumerate(CHANNELS):
        numbers.append(DemoNumber(TRACKED_NUMBER.format(index + 1), queue, share, channel,
                                  campaign, cost))
    return Center(people, team_queue, numbers)


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` (largest remainders), at least one each."""
    raw = [total * s / sum(shares) for s in shares]
    counts = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    while sum(counts) > total:
        counts[counts.index(max(counts))] -= 1
    return counts


def write_directory(engine: Engine, center: Center, first_day: date, last_day: date,
                    now: float) -> None:
    """Write (or bring up to date) the center's rows in the directory tables and set the ids
    on ``center``: teams, agents and extensions, queues with their numbers, tracked numbers
    and one cost row per calendar month of the period."""
    try:
        with engine.begin() as connection:
            _write(connection, center, first_day, last_day, now)
    except IntegrityError as exc:
        raise DemoError(
            "the directory already holds an extension or number the demo center uses "
            f"(demo agents have extensions 1001 and up): {exc.orig}"
        ) from exc


def _write(connection: Connection, center: Center, first_day: date, last_day: date,
           now: float) -> None:
    departments = {plan.name: plan.department for plan in QUEUES}
    for team, queue in center.teams.items():
        center.team_ids[team] = _ensure(connection, teams, "name", team,
                                        {"department": departments[queue], "created_at": now})
    for plan in QUEUES:
        queue_numbers = " ".join(n.number for n in center.numbers if n.queue == plan.name)
        main_team = next(t for t, q in center.teams.items() if q == plan.name)
        center.queue_ids[plan.name] = _ensure(
            connection, queues, "name", plan.name,
            {"numbers": queue_numbers, "team_id": center.team_ids[main_team], "created_at": now},
        )
    for agent in center.agents:
        agent.team_id = center.team_ids[agent.team]
        agent.id = _ensure(connection, agents, "employee_id", agent.employee_id,
                           {"name": agent.name, "team_id": agent.team_id, "active": True,
                            "created_at": now})
        _ensure(connection, agent_extensions, "extension", agent.extension,
                {"agent_id": agent.id})
    for number in center.numbers:
        if number.channel is None:
            continue
        number.id = _ensure(connection, tracked_numbers, "number", number.number,
                            {"channel": number.channel, "campaign": number.campaign,
                             "active": True, "created_at": now})
        connection.execute(tracked_number_costs.delete().where(
            tracked_number_costs.c.tracked_number_id == number.id,
            tracked_number_costs.c.period_start >= first_day.replace(day=1),
            tracked_number_costs.c.period_start <= last_day,
        ))
        connection.execute(tracked_number_costs.insert(), [
            {"tracked_number_id": number.id, "period_start": start, "period_end": end,
             "cost": Decimal(number.monthly_cost), "currency": "EUR"}
            for start, end in _months(first_day, last_day)
        ])


def _ensure(connection: Connection, table: sa.Table, key: str, value: str,
            values: dict[str, Any]) -> int:
    """The id of ``table``'s row whose ``key`` is ``value``, brought up to date, or inserted."""
    found = connection.execute(sa.select(table.c.id).where(table.c[key] == value)).scalar()
    if found is not None:
        updates = {k: v for k, v in values.items() if k != "created_at"}
        if updates:
            connection.execute(table.update().where(table.c.id == found).values(updates))
        return int(found)
    inserted = connection.execute(table.insert().values({key: value, **values}))
    return int(inserted.inserted_primary_key[0])


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months touching [first, last], each as (first day, last day)."""
    months = []
    start = first.replace(day=1)
    while start <= last:
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        months.append((start, date.fromordinal(following.toordinal() - 1)))
        start = following
    return months

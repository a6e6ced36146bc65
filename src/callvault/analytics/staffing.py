"""Staffing recommendations per interval: from observed arrivals, handle times and
(where known) abandonment to the agents a service-level target needs.

Erlang C where callers are taken never to give up; Erlang A where the interval's
abandonment gives their patience (``estimate_patience``). Agents on the phones are then
grossed up for shrinkage (breaks, training, absence): scheduled = ⌈agents / (1 − shrinkage)⌉.
Pure functions; see ``callvault.analytics.erlang`` for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from callvault.analytics import erlang

MAX_AGENTS = 1_000_000
"""A staffing search that needs more agents than this gives up (the input is wrong)."""


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What the center promises: a service level, and optionally an occupancy ceiling and a
    longest average speed of answer."""

    service_level: float = 0.8
    """Share of calls to answer within ``answer_within_s`` (0.8 for "80/20")."""
    answer_within_s: float = 20.0
    max_occupancy: float | None = None
    """Highest share of agent time on calls (e.g. 0.85), to keep agents from burning out."""
    max_asa_s: float | None = None
    """Longest acceptable average speed of answer, in seconds."""
    shrinkage: float = 0.0
    """Share of paid time agents are not available for calls (0.3 for 30 %)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.service_level < 1.0:
            raise ValueError(
                f"service level must be a share between 0 and 1 (0.8 for 80 %), "
                f"not {self.service_level!r}"
            )
        if not self.answer_within_s >= 0 or math.isinf(self.answer_within_s):
            raise ValueError(f"answer time must be ≥ 0 seconds, not {self.answer_within_s!r}")
        if self.max_occupancy is not None and not 0.0 < self.max_occupancy <= 1.0:
            raise ValueError(
                f"max occupancy must be a share in (0, 1], not {self.max_occupancy!r}"
            )
        if self.max_asa_s is not None and not self.max_asa_s > 0:
            raise ValueError(f"max ASA must be > 0 seconds, not {self.max_asa_s!r}")
        if not 0.0 <= self.shrinkage < 1.0:
            raise ValueError(f"shrinkage must be a share in [0, 1), not {self.shrinkage!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    """What was observed (or is forecast) in one interval."""

    label: str
    """How the interval is shown: "Mon 09:00", "2026-03-02T09:30"…"""
    seconds: float
    """Length of the interval (1800 for half an hour)."""
    calls: float
    """Calls offered in the interval (answered plus abandoned); a mean over weeks is fine."""
    aht_s: float
    """Average handle time of the interval's calls: talk + hold + after-call work."""
    patience_s: float | None = None
    """Mean caller patience (``estimate_patience``); None: callers never give up."""


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The agents one interval needs and what they achieve."""

    interval: Interval
    model: str
    """"erlang-c" or "erlang-a"."""
    traffic: float
    """Offered load in erlangs: calls × AHT / interval length."""
    agents: int
    """Agents on the phones."""
    scheduled: int
    """Agents to schedule: ``agents`` grossed up for shrinkage."""
    service_level: float
    average_speed_of_answer: float
    occupancy: float
    abandon_probability: float
    """Share of calls expected to hang up before an answer (0 for Erlang C)."""


def estimate_patience(abandoned: int, total_wait_s: float) -> float | None:
    """Mean caller patience from an interval's queue: the time all callers spent waiting
    (answered and abandoned alike) over the number who gave up — the maximum-likelihood
    estimate for exponential patience. None when nobody gave up (patience unknown)."""
    if abandoned < 0 or total_wait_s < 0:
        raise ValueError("abandoned calls and waiting time must be ≥ 0")
    if abandoned == 0:
        return None
    return max(total_wait_s, 1e-9) / abandoned


def performance(
    arrival_rate: float, aht_s: float, agents: int, target: StaffingTarget,
    patience_s: float | None = None,
) -> erlang.ErlangA:
    """What ``agents`` achieve for calls at ``arrival_rate`` per second (Erlang C without a
    patience, Erlang A with one)."""
    return erlang.erlang_a(
        arrival_rate, aht_s, math.inf if patience_s is None else patience_s, agents,
        target.answer_within_s,
    )


def meets(
    result: erlang.ErlangA, arrival_rate: float, aht_s: float, agents: int,
    target: StaffingTarget,
) -> bool:
    """Whether a performance satisfies every part of the target."""
    if result.service_level < target.service_level:
        return False
    if target.max_asa_s is not None and result.average_speed_of_answer > target.max_asa_s:
        return False
    if target.max_occupancy is not None:
        carried = arrival_rate * (1.0 - result.abandon_probability) * aht_s
        if agents == 0 or carried / agents > target.max_occupancy:
            return False
    return True


def agents_needed(
    arrival_rate: float, aht_s: float, target: StaffingTarget, patience_s: float | None = None
) -> int:
    """The fewest agents on the phones that meet ``target`` (every measure improves with
    more agents, so the search gallops up and bisects back)."""
    if not arrival_rate >= 0 or math.isinf(arrival_rate):
        raise ValueError(f"arrival rate must be ≥ 0 calls per second, not {arrival_rate!r}")
    if arrival_rate == 0:
        return 0

    def ok(n: int) -> bool:
        return meets(performance(arrival_rate, aht_s, n, target, patience_s),
                     arrival_rate, aht_s, n, target)

    traffic = arrival_rate * aht_s
    low = 0 if patience_s is not None else math.floor(traffic)  # known to fall short
    high = max(1, low + 1)
    step = max(1, math.ceil(math.sqrt(traffic)))
    while not ok(high):
        low = high
        high += step
        step *= 2
        if high > MAX_AGENTS:
            raise ValueError(f"no staffing up to {MAX_AGENTS:,} agents meets the target")
    while high - low > 1:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle
    return high


def recommend(intervals: Iterable[Interval], target: StaffingTarget) -> list[Recommendation]:
    """A staffing recommendation for each interval."""
    recommendations = []
    for interval in intervals:
        if not interval.seconds > 0:
            raise ValueError(f"{interval.label}: interval length must be > 0 seconds")
        if not interval.calls >= 0:
            raise ValueError(f"{interval.label}: calls must be ≥ 0")
        if interval.calls > 0 and not interval.aht_s > 0:
            raise ValueError(f"{interval.label}: average handle time must be > 0 seconds")
        rate = interval.calls / interval.seconds
        aht = interval.aht_s if interval.aht_s > 0 else 1.0
        agents = agents_needed(rate, aht, target, interval.patience_s)
        result = performance(rate, aht, agents, target, interval.patience_s)
        carried = rate * aht * (1.0 - result.abandon_probability)
        recommendations.append(
            Recommendation(
                interval=interval,
                model="erlang-c" if interval.patience_s is None else "erlang-a",
                traffic=rate * aht,
                agents=agents,
                scheduled=math.ceil(agents / (1.0 - target.shrinkage) - 1e-9),
                service_level=result.service_level,
                average_speed_of_answer=result.average_speed_of_answer,
                occupancy=carried / agents if agents else 0.0,
                abandon_probability=result.abandon_probability,
            )
        )
    return recommendations

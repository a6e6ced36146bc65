"""When calls arrive and how the queues treat them.

Arrivals are Poisson per hour, the rate following a daily curve and a weekly pattern in the
center's time zone. Each queue is simulated first come, first served: agents on shift (as
many as Erlang C says the hour needs for 80/20, times the ``staffing`` factor), each caller
with an exponential patience — a caller whose wait would exceed it hangs up (Erlang A's
world), the others are answered after their wait.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from callvault.analytics.staffing import StaffingTarget, agents_needed

DAILY_CURVE = (0.02, 0.01, 0.01, 0.01, 0.01, 0.03, 0.08, 0.30, 0.70, 0.95, 1.00, 0.95,
               0.75, 0.85, 0.90, 0.85, 0.70, 0.50, 0.30, 0.20, 0.15, 0.10, 0.06, 0.04)
"""Inbound calls per local hour of the day, relative to the busiest (10:00)."""
WEEKLY_PATTERN = (1.15, 1.05, 1.00, 1.00, 0.90, 0.35, 0.20)
"""Inbound calls per weekday (Monday first), relative to Wednesday."""
PEAK_OCCUPANCY = 0.85
"""The busiest hour keeps this share of the center's agents' time on calls."""
ON_SHIFT = 0.7
"""Share of agents working in the busiest hour (the rest: other shifts, days off)."""
TALK_SIGMA = 0.6
"""Lognormal shape of talk times."""
HOLD_SHARE, HOLD_MEDIAN_S = 0.18, 35.0
WRAP_MEDIAN_S = 25.0
IVR_S = 6.0
"""Announcement before a call joins the queue."""
RING_S = (2.0, 6.0)
"""An agent's phone rings for this long (uniform) before the answer."""


@dataclass(slots=True)
class QueueState:
    """A queue's agents between hours: who is on shift and when each is free."""

    roster: list[int]
    """Indexes of the queue's agents in the center."""
    free: list[tuple[float, int]]
    """Heap of (free at, agent index) of the agents on shift."""
    next_in: int = 0
    """Where in the roster the next agent to come on shift is."""


@dataclass(slots=True)
class Arrivals:
    """One queue's inbound calls of one hour, with what happened to them (arrays)."""

    at: np.ndarray
    patience: np.ndarray
    talk: np.ndarray
    hold: np.ndarray
    wrap: np.ndarray
    ring: np.ndarray
    answered_at: np.ndarray
    """NaN for an abandoned call."""
    agent: np.ndarray
    """Agent index, −1 for an abandoned call."""


def peak_rate(agents: int, aht_s: float) -> float:
    """Calls per second in the busiest hour of the week for a center of ``agents``."""
    return agents * ON_SHIFT * PEAK_OCCUPANCY / aht_s


def mean_handle_s(talk_median_s: float) -> float:
    """Mean of talk (lognormal) + hold + wrap-up: the agent's time per call."""
    talk = talk_median_s * math.exp(TALK_SIGMA**2 / 2)
    return talk + HOLD_SHARE * HOLD_MEDIAN_S * math.exp(0.5**2 / 2) + WRAP_MEDIAN_S * 1.08


_STAFFING_CACHE: dict[tuple[float, float], int] = {}


def agents_for(rate: float, aht_s: float, staffing: float, roster: int) -> int:
    """Agents on shift for an hour of ``rate`` calls per second: Erlang C's answer for 80/20
    times ``staffing``, at least one, at most the whole roster."""
    key = (round(rate, 9), round(aht_s, 3))
    if key not in _STAFFING_CACHE:
        _STAFFING_CACHE[key] = agents_needed(rate, aht_s, StaffingTarget(0.8, 20))
    return max(1, min(roster, round(_STAFFING_CACHE[key] * staffing)))


def draw_hour(rng: np.random.Generator, start: float, rate: float, talk_median_s: float,
              patience_s: float) -> Arrivals:
    """Poisson arrivals in the hour from ``start`` at ``rate`` per second, with their
    callers' patience and the handling each would need."""
    count = int(rng.poisson(rate * 3600.0))
    at = np.sort(start + rng.random(count) * 3600.0)
    talk = rng.lognormal(math.log(talk_median_s), TALK_SIGMA, count)
    hold = np.where(rng.random(count) < HOLD_SHARE,
                    rng.lognormal(math.log(HOLD_MEDIAN_S), 0.5, count), 0.0)
    return Arrivals(
        at=at,
        patience=rng.exponential(patience_s, count),
        talk=np.maximum(talk, 8.0),
        hold=hold,
        wrap=rng.lognormal(math.log(WRAP_MEDIAN_S), 0.4, count),
        ring=rng.uniform(*RING_S, count),
        answered_at=np.full(count, np.nan),
        agent=np.full(count, -1, dtype=np.int64),
    )


def staff(state: QueueState, on_shift: int, at: float) -> None:
    """Bring the agents on shift to ``on_shift`` at ``at``: newcomers are free at once; those
    who leave are the ones free soonest (they finish their call and go)."""
    while len(state.free) > on_shift:
        heapq.heappop(state.free)
    working = {agent for _, agent in state.free}
    while len(state.free) < on_shift:
        agent = state.roster[state.next_in % len(state.roster)]
        state.next_in += 1
        if agent not in working:
            heapq.heappush(state.free, (at, agent))
            working.add(agent)


def serve(state: QueueState, calls: Arrivals) -> None:
    """First come, first served: each caller (after the announcement) takes the agent free
    soonest, or hangs up when that wait exceeds their patience."""
    free = state.free
    queued = calls.at + IVR_S
    handle = calls.ring + calls.talk + calls.hold + calls.wrap
    answered_at = calls.answered_at
    agent_of = calls.agent
    for i in range(len(queued)):
        arrival = queued[i]
        free_at, agent = free[0]
        start = free_at if free_at > arrival else arrival
        if start - arrival > calls.patience[i]:
            continue
        answered_at[i] = start + calls.ring[i]
        agent_of[i] = agent
        heapq.heapreplace(free, (start + handle[i], agent))

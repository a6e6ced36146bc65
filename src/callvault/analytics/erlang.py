"""Queueing formulas for staffing: Erlang B, Erlang C and Erlang A (Palm's M/M/n+M).

Pure functions of the offered load; no I/O. Rates are per second and times in seconds
(any one unit works, as long as every argument uses it).

Numerics: Erlang B by its recursion B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)), which never
forms A**n or n! and stays exact to rounding at thousands of agents; Erlang C from B; the
Erlang A queue's stationary distribution in log space (its terms rise and fall over many
orders of magnitude when the queue is overloaded), its service level by uniformisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_TAIL = 1e-15
"""Queue states whose probability falls below this share are left out (Erlang A)."""


def _check_load(traffic: float, agents: int) -> None:
    if not traffic >= 0 or math.isinf(traffic):
        raise ValueError(f"traffic must be a finite number of erlangs ≥ 0, not {traffic!r}")
    if agents < 0:
        raise ValueError(f"agents must be ≥ 0, not {agents!r}")


def erlang_b(traffic: float, agents: int) -> float:
    """Erlang B: the probability that a call offered ``traffic`` erlangs finds all ``agents``
    busy in a loss system (M/M/n/n)."""
    return math.exp(-_log_inverse_erlang_b(traffic, agents))


def _log_inverse_erlang_b(traffic: float, agents: int) -> float:
    """log(1 / B(A, n)) by the recursion 1/B(k) = 1 + (k/A)·1/B(k-1), in log space: no
    power, no factorial, no overflow or underflow at any number of agents."""
    _check_load(traffic, agents)
    if agents == 0:
        return 0.0
    if traffic == 0:
        return math.inf
    log_traffic = math.log(traffic)
    log_inverse = 0.0
    for k in range(1, agents + 1):
        log_inverse = _log1p_exp(math.log(k) - log_traffic + log_inverse)
    return log_inverse


def _log1p_exp(x: float) -> float:
    """log(1 + e**x) without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def erlang_c(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a call waits (M/M/n, callers never give up);
    1.0 when the agents cannot keep up (``agents`` ≤ ``traffic``)."""
    _check_load(traffic, agents)
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(traffic: float, agents: int, aht: float, target: float) -> float:
    """Erlang C: the share of calls answered within ``target`` seconds,
    1 − C·exp(−(n − A)·t / AHT); 0.0 when the queue grows without bound."""
    _check_positive(aht, "aht")
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * target / aht)


def average_speed_of_answer(traffic: float, agents: int, aht: float) -> float:
    """Erlang C: the mean wait of all calls, C·AHT / (n − A); infinite when overloaded."""
    _check_positive(aht, "aht")
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht / (agents - traffic)


def _check_positive(value: float, name: str) -> None:
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite number of seconds > 0, not {value!r}")


def occupancy(traffic: float, agents: int) -> float:
    """The share of agent time spent on calls, A / n (at most 1)."""
    _check_load(traffic, agents)
    if agents == 0:
        return 1.0
    return min(1.0, traffic / agents)


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Erlang A (Palm, M/M/n+M): performance of ``agents`` agents when callers give up after
    an exponential patience."""

    wait_probability: float
    """Share of calls that find every agent busy and queue."""
    abandon_probability: float
    """Share of calls that hang up before an answer."""
    service_level: float
    """Share of all calls answered within the target (abandoned calls count as missed)."""
    average_wait: float
    """Mean time in queue over all calls, answered or not (seconds)."""
    average_speed_of_answer: float
    """Mean wait of the answered calls (seconds)."""


def erlang_a(
    arrival_rate: float, aht: float, patience: float, agents: int, target: float
) -> ErlangA:
    """Erlang A for calls arriving at ``arrival_rate`` per second, handled in ``aht`` seconds
    on average, by callers waiting ``patience`` seconds on average before they hang up
    (``math.inf``: they never do, which is Erlang C), with ``target`` the service level's
    answer time in seconds."""
    _check_positive(aht, "aht")
    if not patience > 0:
        raise ValueError(f"patience must be > 0 seconds, not {patience!r}")
    if not target >= 0:
        raise ValueError(f"target must be ≥ 0 seconds, not {target!r}")
    traffic = arrival_rate * aht
    _check_load(traffic, agents)
    if math.isinf(patience):
        asa = average_speed_of_answer(traffic, agents, aht)
        return ErlangA(
            erlang_c(traffic, agents), 0.0, service_level(traffic, agents, aht, target), asa, asa
        )
    if arrival_rate == 0:
        return ErlangA(0.0, 0.0, 1.0, 0.0, 0.0)
    if agents == 0:
        # Nobody answers: every caller waits out their patience.
        return ErlangA(1.0, 1.0, 0.0, patience, math.inf)
    mu, theta = 1.0 / aht, 1.0 / patience
    serving = agents * mu
    log_queue = _queue_log_weights(arrival_rate, serving, theta)
    log_inverse_b = _log_inverse_erlang_b(traffic, agents)
    # states with a free agent, relative to "all busy, nobody queued": 1/B − 1
    log_free = (
        log_inverse_b + math.log1p(-math.exp(-log_inverse_b)) if log_inverse_b else -math.inf
    )
    log_total = float(np.logaddexp(log_free, np.logaddexp.reduce(log_queue)))
    # the share of arrivals that queue at position j = 1, 2, … (PASTA)
    share = np.exp(log_queue - log_total)
    positions = np.arange(1, len(share) + 1, dtype=float)
    # a caller leaves position j at rate nμ + jθ: the queue moves (nμ, plus (j − 1)θ from
    # callers ahead giving up) or the caller gives up (θ) …
    exit_rate = serving + positions * theta
    # … so reaching an agent from position j is a product that telescopes to nμ/(nμ + jθ)
    answered = serving / exit_rate
    wait_probability = float(share.sum())
    abandon_probability = float((share * (1.0 - answered)).sum())
    # From position j the caller visits positions i = j…1 (each reached with probability
    # (nμ + iθ)/(nμ + jθ)), staying 1/(nμ + iθ) on average: E[wait] = j / (nμ + jθ).
    average_wait = float((share * positions / exit_rate).sum())
    # An answered caller went through every position; the time spent in a position does
    # not depend on how it was left.
    answered_wait = float((share * answered * np.cumsum(1.0 / exit_rate)).sum())
    within = _answered_within(share * answered, exit_rate, target)
    answered_share = 1.0 - abandon_probability
    return ErlangA(
        wait_probability=_probability(wait_probability),
        abandon_probability=_probability(abandon_probability),
        service_level=_probability((1.0 - wait_probability) + within),
        average_wait=average_wait,
        average_speed_of_answer=answered_wait / answered_share if answered_share > 0 else math.inf,
    )


def _probability(value: float) -> float:
    """Rounding kept inside [0, 1]."""
    return min(1.0, max(0.0, value))


MAX_QUEUE_POSITIONS = 5_000_000
"""Erlang A keeps at most this many queue positions (patience very long for an overload)."""


def _queue_log_weights(arrival_rate: float, serving: float, theta: float) -> np.ndarray:
    """log of prod_{i<j} λ/(nμ + iθ) for positions j = 1…J, J where the terms have fallen
    below _TAIL of the largest and keep falling."""
    chunks: list[np.ndarray] = []
    start, size, last, peak = 1, 1024, 0.0, 0.0
    log_rate = math.log(arrival_rate)
    while True:
        i = np.arange(start, start + size, dtype=float)
        logs = last + np.cumsum(log_rate - np.log(serving + i * theta))
        chunks.append(logs)
        peak = max(peak, float(logs.max()))
        last = float(logs[-1])
        falling = arrival_rate < serving + (start + size) * theta
        if falling and last < peak + math.log(_TAIL):
            break
        start += size
        if start > MAX_QUEUE_POSITIONS:
            raise ValueError(
                "patience too long for this overload: Erlang A's queue does not settle "
                "(give a shorter patience, or more agents)"
            )
        size *= 2
    return np.concatenate([[0.0], *chunks])


def _answered_within(mass: np.ndarray, exit_rate: np.ndarray, target: float) -> float:
    """Σ_j mass_j · P(Exp(r_1) + … + Exp(r_j) ≤ target): the share of calls that queue and
    are answered within ``target``, the time from position j to an agent being a sum of
    independent exponential stays. By uniformisation at the largest rate Λ: a jump chain
    whose step count by time t is Poisson(Λt)."""
    if target == 0 or not mass.any():
        return 0.0
    uniform = float(exit_rate[-1])
    move = exit_rate / uniform
    x = mass.astype(float).copy()
    expected = uniform * target
    steps = int(expected + 12.0 * math.sqrt(expected) + 30)
    done = 0.0
    within = 0.0
    log_expected = math.log(expected)
    for m in range(steps + 1):
        weight = math.exp(m * log_expected - expected - math.lgamma(m + 1))
        within += weight * done
        # one step: the caller at position 1 reaches an agent, the others move up
        done += float(x[0] * move[0])
        leaving = x * move
        x -= leaving
        x[:-1] += leaving[1:]
    return within

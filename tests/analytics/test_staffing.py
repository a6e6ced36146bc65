"""Staffing per interval: agents for a target, shrinkage, Erlang A where callers give up."""

from __future__ import annotations

import pytest

from callvault.analytics.erlang import erlang_a, service_level
from callvault.analytics.staffing import (
    Interval,
    StaffingTarget,
    agents_needed,
    estimate_patience,
    recommend,
)


def test_classic_example_needs_14_agents_and_20_scheduled() -> None:
    # 100 calls per half hour, AHT 180 s, 80/20, 30 % shrinkage: 14 on the phones, 20 paid
    # (Call Centre Helper's worked example).
    [rec] = recommend(
        [Interval("Mon 09:00", 1800, 100, 180)], StaffingTarget(0.8, 20, shrinkage=0.3)
    )
    assert (rec.model, rec.agents, rec.scheduled) == ("erlang-c", 14, 20)
    assert rec.traffic == pytest.approx(10)
    assert rec.service_level == pytest.approx(0.8884, abs=5e-5)
    assert rec.occupancy == pytest.approx(10 / 14)


def test_the_answer_is_the_fewest_agents_that_meet_every_part() -> None:
    rate = 100 / 1800
    for target in (StaffingTarget(0.9, 20), StaffingTarget(0.8, 20, max_asa_s=3),
                   StaffingTarget(0.8, 20, max_occupancy=0.6)):
        n = agents_needed(rate, 180, target)
        ok = [
            service_level(10, k, 180, 20) >= target.service_level
            and (target.max_occupancy is None or 10 / k <= target.max_occupancy)
            and (target.max_asa_s is None or erlang_a(rate, 180, float("inf"), k, 20)
                 .average_speed_of_answer <= target.max_asa_s)
            for k in range(1, 40)
        ]
        assert n == ok.index(True) + 1
    assert agents_needed(rate, 180, StaffingTarget(0.9, 20)) == 15
    assert agents_needed(rate, 180, StaffingTarget(0.8, 20, max_occupancy=0.6)) == 17


def test_a_500_seat_interval() -> None:
    # 9,000 calls an hour at 180 s: 450 erlangs
    n = agents_needed(2.5, 180, StaffingTarget(0.8, 20))
    assert 450 < n < 480
    assert service_level(450, n, 180, 20) >= 0.8 > service_level(450, n - 1, 180, 20)


def test_abandonment_lowers_the_agents_needed() -> None:
    target = StaffingTarget(0.8, 20)
    without = agents_needed(0.1, 180, target)
    with_patience = agents_needed(0.1, 180, target, patience_s=60)
    assert with_patience < without
    assert erlang_a(0.1, 180, 60, with_patience, 20).service_level >= 0.8
    assert erlang_a(0.1, 180, 60, with_patience - 1, 20).service_level < 0.8
    [rec] = recommend([Interval("Tue 10:00", 1800, 180, 180, patience_s=60)], target)
    assert (rec.model, rec.agents) == ("erlang-a", with_patience)
    assert 0 < rec.abandon_probability < 0.2


def test_patience_from_observed_abandonment() -> None:
    # 4 callers gave up; all callers together waited 600 s in the queue
    assert estimate_patience(4, 600.0) == 150.0
    assert estimate_patience(0, 600.0) is None
    with pytest.raises(ValueError):
        estimate_patience(-1, 0)


def test_quiet_intervals_and_bad_targets() -> None:
    [rec] = recommend([Interval("Sun 03:00", 1800, 0, 0)], StaffingTarget())
    assert (rec.agents, rec.scheduled) == (0, 0)
    with pytest.raises(ValueError, match="service level"):
        StaffingTarget(80, 20)
    with pytest.raises(ValueError, match="shrinkage"):
        StaffingTarget(0.8, 20, shrinkage=1.0)
    with pytest.raises(ValueError, match="handle time"):
        recommend([Interval("x", 1800, 5, 0)], StaffingTarget())

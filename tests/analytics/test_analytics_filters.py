"""Filtered analytics on the hand-built journal (golden_journal.py), on SQLite and
PostgreSQL: every filter's KPIs, heatmap, intervals, staffing profile and marketing equal the
same figures worked out from only the matching calls, from rollups where one filter allows
and from the calls otherwise; bad filters are refused with what to fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest
import sqlalchemy as sa
import test_kpis_golden
from golden_journal import ZONE, utc

from callvault.analytics import measures, query
from callvault.analytics.kpis import AnalyticsError, KpiSettings, evaluate, offered

SINCE = utc("2024-03-29T23:00:00")
"""Saturday 30 March 2024, 00:00 local (UTC+1)."""
UNTIL = utc("2024-04-07T22:00:00")
"""Monday 8 April 2024, 00:00 local (UTC+2)."""
EDGY = (utc("2024-03-30T22:30:00"), utc("2024-04-06T09:15:00"))
"""A range that starts and ends inside hours: its edges are read from the calls."""
ROLLUPS = KpiSettings(timezone=ZONE, deal_value=100)
CALLS = replace(ROLLUPS, service_level_s=17)
"""17 s is no bound of the rollups' histogram: these settings always read the calls."""
engine = test_kpis_golden.engine
"""The fixture: the hand-built journal."""

FOCUSES: list[tuple[dict[str, list[str]], dict[str, set[str]]]] = [
    ({"team": ["Sales"]}, {"team": {"2"}}),
    ({"department": ["Service"]}, {"team": {"1"}}),
    ({"agent": ["Anna"]}, {"agent": {"1"}}),
    ({"agent": ["1", "Bo"]}, {"agent": {"1", "2"}}),
    ({"queue": ["Help"]}, {"queue": {"1"}}),
    ({"direction": ["outbound"]}, {"direction": {"outbound"}}),
    ({"direction": ["inbound"], "team": ["Support"]}, {"direction": {"inbound"}, "team": {"1"}}),
    ({"channel": ["search"]}, {"channel": {"search"}}),
    ({"campaign": ["spring"]}, {"campaign": {"spring"}}),
    ({"tracked_number": ["7000"]}, {"tracked_number": {"1"}}),
    ({"agent": ["Anna"], "queue": ["Help"]}, {"agent": {"1"}, "queue": {"1"}}),
    ({"team": ["Sales"], "department": ["Service"]}, {"team": set()}),
]
"""(the filters as a user gives them, the calls' keys they match)."""


def matching(engine: sa.Engine, since: float, until: float, settings: KpiSettings,
             keys: dict[str, set[str]]) -> measures.CallMeasures:
    """The measures of every contact of the range, then only those whose keys match: the
    reference, filtered in Python, apart from the code under test."""
    with engine.connect() as connection:
        found = measures.read(connection, since, until, settings)
    mask = np.ones(len(found), dtype=bool)
    for dimension, wanted in keys.items():
        mask &= np.array([k in wanted for k in found.keys[dimension]], dtype=bool)
    return measures.CallMeasures(
        found.started_at[mask], found.matrix[mask],
        {d: [k for k, m in zip(v, mask, strict=True) if m] for d, v in found.keys.items()},
        set())


def values(found: measures.CallMeasures, settings: KpiSettings) -> dict[str, object]:
    vector = (measures.combine(found.matrix) if len(found) else measures.empty(settings))
    return evaluate(measures.as_mapping(vector, settings), settings)


def offered_of(row: np.ndarray, settings: KpiSettings) -> int:
    return offered(measures.as_mapping(row, settings), settings)


@pytest.mark.parametrize("settings", [ROLLUPS, CALLS], ids=["rollups", "calls"])
def test_filtered_kpis_equal_those_of_the_matching_calls(
    engine: sa.Engine, settings: KpiSettings
) -> None:
    for since, until in ((SINCE, UNTIL), EDGY):
        for chosen, keys in FOCUSES:
            focus = query.filters(engine, chosen)
            reference = matching(engine, since, until, settings, keys)
            report = query.kpis(engine, since, until, settings=settings, filters=focus)
            assert report.total.values == pytest.approx(values(reference, settings)), chosen
            for by in ("agent", "team", "date", "hour", "weekday", "channel"):
                grouped = query.kpis(engine, since, until, by=by, settings=settings,
                                     filters=focus, names=["calls", "answered", "asa_s"])
                groups = query._group_calls(reference, by, settings)
                names = ("calls", "answered", "asa_s")
                assert {(r.key, n): r.values[n] for r in grouped.rows for n in names} == (
                    pytest.approx({
                        (key, n): evaluate(measures.as_mapping(v, settings), settings)[n]
                        for key, v in groups.items() for n in names})), (chosen, by)


@pytest.mark.parametrize("settings", [ROLLUPS, CALLS], ids=["rollups", "calls"])
def test_filtered_heatmap_intervals_and_staffing(engine: sa.Engine, settings: KpiSettings) -> None:
    zone = settings.zone
    for chosen, keys in FOCUSES:
        focus = query.filters(engine, chosen)
        reference = matching(engine, SINCE, UNTIL, settings, keys)
        grid = [[0] * 24 for _ in range(7)]
        for at, row in zip(reference.started_at, reference.matrix, strict=True):
            local = datetime.fromtimestamp(at, zone)
            grid[local.isoweekday() - 1][local.hour] += offered_of(row, settings)
        assert query.heatmap(engine, SINCE, UNTIL, settings=settings, filters=focus) == grid
        profile = query.weekly_profile(engine, SINCE, UNTIL, settings=settings, filters=focus)
        weeks = (UNTIL - SINCE) / (7 * 86400)
        assert [p.calls_per_week * weeks for p in profile] == pytest.approx(
            [grid[p.weekday - 1][p.hour] for p in profile])
        for minutes in (60, 15):
            width = minutes * 60
            found = query.intervals(engine, *EDGY, minutes=minutes, settings=settings,
                                    filters=focus)
            edgy = matching(engine, *EDGY, settings, keys)
            expected: dict[float, list[int]] = {}
            for at, row in zip(edgy.started_at, edgy.matrix, strict=True):
                m = measures.as_mapping(row, settings)
                sums = expected.setdefault(float(at // width * width), [0, 0])
                sums[0] += offered_of(row, settings)
                sums[1] += m["inbound_answered"]
            assert {i.start: [i.offered, i.answered] for i in found
                    if i.offered or i.answered} == {
                k: v for k, v in expected.items() if any(v)}, (chosen, minutes)


def test_filtered_marketing_and_outcomes(engine: sa.Engine) -> None:
    for chosen, keys in FOCUSES:
        focus = query.filters(engine, chosen)
        reference = matching(engine, SINCE, UNTIL, ROLLUPS, keys)
        rows = query.marketing(engine, SINCE, UNTIL, settings=ROLLUPS, filters=focus)
        groups = query._group_calls(reference, "channel", ROLLUPS)
        assert {r.key: (r.calls, r.conversions) for r in rows if r.calls} == {
            key or "(none)": (int(v[measures.INDEX["calls"]]), int(v[measures.INDEX["deals"]]))
            for key, v in groups.items()}, chosen
        found = dict(query.outcomes(engine, SINCE, UNTIL, settings=ROLLUPS, filters=focus))
        assert sum(found.values()) == len(reference), chosen
    # the tracked number's cost goes with a channel filter, and no further
    search = query.filters(engine, {"channel": ["search"]})
    assert [(r.key, r.cost) for r in query.marketing(
        engine, SINCE, UNTIL, settings=ROLLUPS, filters=search)] == [("search", 20.0)]
    other = query.filters(engine, {"channel": ["radio"]})
    assert query.marketing(engine, SINCE, UNTIL, settings=ROLLUPS, filters=other) == []


def test_where_the_measures_come_from(engine: sa.Engine) -> None:
    def source(chosen: dict[str, list[str]], by: str = "center") -> str:
        focus = query.filters(engine, chosen)
        return query.kpis(engine, SINCE, UNTIL, by=by, settings=ROLLUPS, filters=focus).source

    assert source({"team": ["Sales"]}, "agent") == "rollups"     # rows are kept per team
    assert source({"agent": ["Anna"]}) == "rollups"
    assert source({"agent": ["Anna"]}, "hour") == "rollups"
    assert source({"agent": ["Anna"]}, "agent") == "rollups"
    assert source({"agent": ["Anna"], "team": ["Support"]}, "date") == "rollups"
    assert source({"agent": ["Anna"]}, "queue") == "calls"       # another dimension
    assert source({"agent": ["Anna"], "queue": ["Help"]}) == "calls"
    assert query.source(engine, SINCE, UNTIL, settings=CALLS) == "calls"


def test_a_scope_and_filters_meet(engine: sa.Engine) -> None:
    """A supervisor of Sales (team 2) filtering on Support sees nothing; on Bo, Bo's calls."""
    support = query.filters(engine, {"team": ["Support"]})
    report = query.kpis(engine, SINCE, UNTIL, settings=ROLLUPS, teams_only=[2], filters=support)
    assert report.total.values["calls"] == 0
    anna = query.filters(engine, {"agent": ["Anna"]})
    assert query.kpis(engine, SINCE, UNTIL, settings=ROLLUPS, teams_only=[2],
                      filters=anna).total.values["calls"] == 0
    bo = query.filters(engine, {"agent": ["Bo"]})
    assert query.kpis(engine, SINCE, UNTIL, settings=ROLLUPS, teams_only=[2],
                      filters=bo).total.values["calls"] == 2              # C4, C5


@pytest.mark.parametrize(("chosen", "message"), [
    ({"agent": ["Nobody"]}, "no agent 'Nobody': give its id or its name"),
    ({"team": ["99"]}, "no team '99': give its id or its name"),
    ({"department": ["Legal"]}, "no department 'Legal': give the department of a team"),
    ({"tracked_number": ["123"]}, "no tracked number '123': give its id or its number"),
    ({"direction": ["internal"]}, "direction 'internal': inbound or outbound"),
    ({"colour": ["red"]}, "unknown filter 'colour': one of team, department, queue, agent, "
     "direction, channel, campaign, tracked_number"),
    ({"channel": [" "]}, "the channel filter needs a value"),
])
def test_bad_filters_say_what_to_fix(engine: sa.Engine, chosen: dict[str, list[str]],
                                     message: str) -> None:
    with pytest.raises(AnalyticsError) as raised:
        query.filters(engine, chosen)
    assert str(raised.value) == message

"""Every KPI of the hand-built journal (golden_journal.py), worked out by hand, on SQLite
and PostgreSQL: from rollups, from the calls, and across midnight, DST, interval edges,
transfers and calls without an agent."""

from __future__ import annotations

from collections.abc import Iterator
import pytest
import sqlalchemy as sa
from golden_journal import A, ZONE, build, call, utc

from callvault.analytics import query, rollups
from callvault.analytics.kpis import AnalyticsError, KpiSettings
from callvault.journal import Journal
from callvault.journal.schema import KPI_MEASURES

SINCE = utc("2024-03-29T23:00:00")
"""Saturday 30 March 2024, 00:00 local (UTC+1)."""
UNTIL = utc("2024-04-07T22:00:00")
"""Monday 8 April 2024, 00:00 local (UTC+2)."""
CENTER = KpiSettings(timezone=ZONE, deal_value=100)


@pytest.fixture
def engine(analytics_url: str) -> Iterator[sa.Engine]:
    with Journal.open(analytics_url) as journal:
        engine = sa.create_engine(analytics_url)
        build(journal, engine)
        yield engine
        engine.dispose()


def test_every_kpi_of_the_whole_range(engine: sa.Engine) -> None:
    report = query.kpis(engine, SINCE, UNTIL, settings=CENTER)
    assert report.source == "rollups"
    # Contacts: C1-C5, C7-C9 (C6 is internal, C10 failed).
    assert report.total.values == pytest.approx({
        "calls": 8,
        # Inbound: C1 C2 C3 C4 C7 C8 C9; C3 gave up within 5 s: a short abandon, not offered.
        "offered": 6,
        "answered": 4,                      # C1 C4 C8 C9
        "missed": 2,                        # C2 (abandoned), C7 (busy)
        "abandoned": 1,
        "short_abandoned": 1,
        "outbound": 1,
        "outbound_answered": 1,
        "answer_rate": 4 / 6,
        "missed_share": 2 / 6,
        "abandon_rate": 1 / 6,
        "service_level": 3 / 6,             # C1 15 s, C8 8 s, C9 exactly 20 s; not C4 (25 s)
        "avg_talk_s": (300 + 120 + 60 + 200 + 100) / 5,
        "avg_handle_s": (300 + 120 + 60 + 200 + 100 + 60) / 5,   # + C1's 60 s of wrap-up
        "avg_hold_s": 30 / 5,
        "asa_s": (15 + 25 + 8 + 20) / 4,
        "avg_wait_s": (15 + 40 + 3 + 25 + 1 + 8 + 20) / 7,
        "longest_wait_s": 40,
        "transfer_rate": 1 / 5,             # C4 of the five answered
        "resolution_rate": 4 / 5,           # "Resolved ", sale, Sale, resolved; not callback
        "deals": 2,                         # C4, C5
        "contacts_before_deal": (1 + 0) / 2,  # C4 after C1; C5 the first contact of D
        "repeat_24h_rate": 1 / 4,           # C1 (A again 9 h later) of C1 C4 C8 C9
        "repeat_7d_rate": 2 / 4,            # and C8 (B again 71 h later)
        "fcr_24h": 3 / 4,
        "fcr_7d": 2 / 4,
        "csat_scored": 2,
        "csat_avg": 3.0,
        "mos_avg": 4.1,
        "poor_quality_share": 0.0,
        "loss_pct": 2.0,
    })


def test_the_same_from_the_calls_as_from_the_rollups(engine: sa.Engine) -> None:
    from_rollups = query.kpis(engine, SINCE, UNTIL, by="agent", settings=CENTER)
    # 21 s is no bound of the histogram: the calls are read.
    from_calls = query.kpis(engine, SINCE, UNTIL, by="agent",
                            settings=KpiSettings(timezone=ZONE, service_level_s=21))
    assert from_calls.source == "calls"
    common = [{k: r.measures[k] for k in KPI_MEASURES} for r in from_calls.rows]
    assert common == [r.measures for r in from_rollups.rows]
    assert from_calls.rows[-1].measures["answered_within_21"] == 0
    assert from_calls.total.values["service_level"] == pytest.approx(3 / 6)


def test_by_agent_calls_without_an_agent_are_a_group(engine: sa.Engine) -> None:
    report = query.kpis(engine, SINCE, UNTIL, by="agent", settings=CENTER)
    rows = {r.label: r.values for r in report.rows}
    assert list(rows) == ["Anna", "Bo", "(none)"]
    assert rows["Anna"]["calls"] == 3 and rows["Anna"]["answered"] == 3      # C1 C8 C9
    assert rows["Anna"]["avg_handle_s"] == pytest.approx((360 + 200 + 100) / 3)
    assert rows["Bo"]["calls"] == 2 and rows["Bo"]["transfer_rate"] == pytest.approx(0.5)
    assert rows["(none)"]["calls"] == 3                                      # C2 C3 C7
    assert rows["(none)"]["offered"] == 2 and rows["(none)"]["missed"] == 2
    assert rows["(none)"]["avg_talk_s"] is None


def test_by_team_and_department(engine: sa.Engine) -> None:
    by_team = {r.label: r.values["calls"] for r in
               query.kpis(engine, SINCE, UNTIL, by="team", settings=CENTER).rows}
    assert by_team == {"Support": 5, "Sales": 3}
    by_department = {r.key: r.values["offered"] for r in
                     query.kpis(engine, SINCE, UNTIL, by="department", settings=CENTER).rows}
    assert by_department == {"Service": 4, "Commerce": 2}


def test_dates_hours_and_weekdays_are_local_across_midnight_and_dst(engine: sa.Engine) -> None:
    by_date = {r.key: r.values["calls"] for r in
               query.kpis(engine, SINCE, UNTIL, by="date", settings=CENTER).rows}
    # C1 started at 23:59:50 local on the 30th: the 30th's, though answered on the 31st.
    assert by_date == {"2024-03-30": 1, "2024-03-31": 5, "2024-04-03": 1, "2024-04-06": 1}
    by_hour = {r.key: r.values["calls"] for r in
               query.kpis(engine, SINCE, UNTIL, by="hour", settings=CENTER).rows}
    # C2 at 00:30 UTC is 01:30 local (UTC+1); C3 at 01:10 UTC is 03:10 (UTC+2).
    assert by_hour == {"01": 1, "03": 1, "10": 1, "11": 2, "12": 2, "23": 1}
    by_weekday = {r.label: r.values["calls"] for r in
                  query.kpis(engine, SINCE, UNTIL, by="weekday", settings=CENTER).rows}
    assert by_weekday == {"Wednesday": 1, "Saturday": 2, "Sunday": 5}
    in_utc = {r.key: r.values["calls"] for r in
              query.kpis(engine, SINCE, UNTIL, by="date", settings=KpiSettings()).rows}
    assert in_utc == {"2024-03-30": 1, "2024-03-31": 5, "2024-04-03": 1, "2024-04-06": 1}
    hours_utc = {r.key: r.values["calls"] for r in
                 query.kpis(engine, SINCE, UNTIL, by="hour", settings=KpiSettings()).rows}
    assert hours_utc == {"00": 1, "01": 1, "08": 1, "09": 2, "10": 2, "22": 1}


def test_whole_months_read_month_rows_with_the_same_answer(engine: sa.Engine) -> None:
    # March and April 2024, local: month rows (and month × weekday × hour rows).
    months = (utc("2024-02-29T23:00:00"), utc("2024-04-30T22:00:00"))
    for by in ("center", "agent", "hour", "date"):
        whole = query.kpis(engine, *months, by=by, settings=CENTER)
        days = query.kpis(engine, SINCE, UNTIL, by=by, settings=CENTER)
        assert whole.source == "rollups"
        assert [(r.key, r.measures) for r in whole.rows] == [(r.key, r.measures) for r in days.rows]
    with engine.connect() as connection:
        grains = dict(connection.execute(sa.text(
            "SELECT grain, count(*) FROM kpi_rollups GROUP BY grain")).all())
    assert set(grains) == {"hour", "day", "month", "month_hour"}


def test_the_dst_day_alone_and_ranges_cut_inside_hours(engine: sa.Engine) -> None:
    sunday = query.kpis(engine, utc("2024-03-30T23:00:00"), utc("2024-03-31T22:00:00"),
                        settings=CENTER)
    assert sunday.total.values["calls"] == 5 and sunday.source == "rollups"
    # From 22:59 UTC to 00:30:30 UTC: C1 (in the first, partial hour) and C2 (last).
    cut = query.kpis(engine, utc("2024-03-30T22:59:00"), utc("2024-03-31T00:30:30"),
                     settings=CENTER)
    assert cut.total.values["calls"] == 2
    assert cut.total.values["longest_wait_s"] == 40
    assert query.kpis(engine, utc("2024-03-30T22:59:51"), utc("2024-03-31T00:30:00"),
                      settings=CENTER).total.values["calls"] == 0


def test_a_call_spanning_intervals_counts_where_it_started(engine: sa.Engine) -> None:
    hours = query.intervals(engine, utc("2024-03-30T22:00:00"), utc("2024-03-31T01:00:00"),
                            settings=CENTER)
    assert [(i.offered, i.answered, i.avg_handle_s) for i in hours] == [
        (1, 1, 360.0), (0, 0, None), (1, 0, None)]
    assert hours[2].avg_patience_s == 40.0
    quarters = query.intervals(engine, utc("2024-03-30T22:45:00"), utc("2024-03-30T23:15:00"),
                               minutes=15, settings=CENTER)
    assert [i.offered for i in quarters] == [1, 0]


def test_heatmap_of_offered_calls(engine: sa.Engine) -> None:
    grid = query.heatmap(engine, SINCE, UNTIL, settings=CENTER)
    cells = {(day, hour): n for day, row in enumerate(grid) for hour, n in enumerate(row) if n}
    # Monday = 0: Sat 23 (C1), Sun 01 (C2), Sun 10 (C4), Sun 12 (C7), Wed 12 (C8), Sat 11 (C9).
    assert cells == {(5, 23): 1, (6, 1): 1, (6, 10): 1, (6, 12): 1, (2, 12): 1, (5, 11): 1}


def test_rollups_follow_annotations_and_later_calls(analytics_url: str) -> None:
    with Journal.open(analytics_url) as journal:
        engine = sa.create_engine(analytics_url)
        build(journal, engine)
        before = query.kpis(engine, SINCE, UNTIL, settings=CENTER).total.values
        assert before["resolution_rate"] == pytest.approx(4 / 5)
        c8 = journal.get_call("C8")
        assert c8 is not None and c8.id is not None
        journal.annotate(c8.id, outcome="resolved")
        # Client A calls again 12 h after C4, in another hour: C4 becomes a repeat call.
        journal.save(call("C11", "2024-03-31T20:00:00", client=A, wait_s=5, talk_s=30,
                          agent_id=1, team_id=1))
        after = query.kpis(engine, SINCE, UNTIL, settings=CENTER).total.values
        engine.dispose()
    assert after["resolution_rate"] == pytest.approx(5 / 5)
    assert after["repeat_24h_rate"] == pytest.approx(2 / 5)   # C1 and C4 of five


def test_rebuilding_gives_the_same_rollups(engine: sa.Engine) -> None:
    first = query.kpis(engine, SINCE, UNTIL, by="queue", settings=CENTER)
    assert rollups.rebuild(engine, CENTER) > 0
    again = query.kpis(engine, SINCE, UNTIL, by="queue", settings=CENTER)
    assert [r.measures for r in again.rows] == [r.measures for r in first.rows]
    assert [r.label for r in again.rows] == ["Help", "(none)"]


def test_a_supervisor_sees_their_teams_only(engine: sa.Engine) -> None:
    sales = query.kpis(engine, SINCE, UNTIL, settings=CENTER, teams_only=[2])
    assert sales.total.values["calls"] == 3                    # C4 C5 C7
    assert query.kpis(engine, SINCE, UNTIL, settings=CENTER,
                      teams_only=[]).total.values["calls"] == 0


def test_marketing_by_channel(engine: sa.Engine) -> None:
    rows = {r.key: r for r in query.marketing(engine, SINCE, UNTIL, settings=CENTER)}
    search = rows["search"]
    # 310 EUR over the 31 days of March; the range holds two of them (30, 31 March).
    assert (search.calls, search.answered, search.conversions) == (1, 1, 1)
    assert search.cost == pytest.approx(20.0) and search.currency == "EUR"
    assert search.cost_per_call == pytest.approx(20.0)
    assert search.roi == pytest.approx((100 - 20) / 20)
    assert rows["(none)"].calls == 7 and rows["(none)"].cost is None


def test_outcomes(engine: sa.Engine) -> None:
    assert query.outcomes(engine, SINCE, UNTIL, settings=CENTER) == [
        ("", 3), ("resolved", 2), ("sale", 2), ("callback", 1)]


def test_bad_queries_say_what_to_fix(engine: sa.Engine) -> None:
    with pytest.raises(AnalyticsError, match="unknown grouping 'colour'"):
        query.kpis(engine, SINCE, UNTIL, by="colour")
    with pytest.raises(AnalyticsError, match="unknown KPI 'speed'"):
        query.kpis(engine, SINCE, UNTIL, names=["speed"])
    with pytest.raises(AnalyticsError, match="until must be after since"):
        query.kpis(engine, UNTIL, SINCE)
    with pytest.raises(AnalyticsError, match="unknown time zone"):
        KpiSettings(timezone="Mars/Olympus")



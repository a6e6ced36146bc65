"""The dashboard in real headless Chromium against a real `callvault serve`: the console's
journal gets two weeks of the demo call center (ending today), then a manager and a
supervisor open the dashboard and every chart is checked against /api/analytics — the
heatmap's 7 x 24 cells and a cell's tooltip, the KPI cards, the trend's points, the tables'
rows — through quick ranges, a custom range, a focus (which every panel covers, as the
filtered API does) and an empty range; an agent gets the 403 page. Screenshots go to
$CALLVAULT_SCREENSHOTS (docs/screenshots) when set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from console_helpers import PASSWORD, Console
from test_console_browser import Tab, browser, shoot  # noqa: F401  (the module's browser)

from callvault.demo import DemoConfig, generate
from callvault.journal import Journal
from callvault.journal.engine import create_engine
from callvault.vault.filesystem import FilesystemVault

pytestmark = pytest.mark.timeout(180)

DAYS = 14


@pytest.fixture(scope="module")
def center(console: Console) -> Console:
    """The console's journal with the demo center's last two weeks in it (its team
    "Support" is the one supervisor sam already supervises)."""
    settings = console.settings
    engine = create_engine(sa.make_url(settings.journal_url))
    try:
        with Journal.open(settings.journal_url) as journal:
            generate(journal, engine, FilesystemVault(settings.recordings_dir),
                     DemoConfig(agents=8, days=DAYS, recordings=0))
    finally:
        engine.dispose()
    return console


@contextmanager
def dashboard(
    chromium: Any, console: Console, username: str, query: str = "", *, refused: bool = False
) -> Iterator[Tab]:
    """A tab logged in as ``username`` on the dashboard (``query`` in the URL), its figures
    loaded (or, ``refused``, the 403 page shown); on leaving, no script error, CSP refusal or
    failed request (but that 403) may have happened."""
    tab = Tab(chromium, console)
    try:
        page = tab.page
        page.goto(f"/login?next={quote('/dashboard' + query, safe='')}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/dashboard"))
        page.wait_for_selector("#cv-error-message" if refused else "#dash[data-loaded]")
        yield tab
        tab.no_problems(*((403,) if refused else ()))
    finally:
        tab.close()


def loaded(page: Any) -> None:
    page.wait_for_selector("#dash[data-loaded]")


def reload_after(page: Any, action: Any) -> None:
    """Do ``action`` (which redraws the dashboard) and wait for the new figures."""
    page.evaluate("document.getElementById('dash').removeAttribute('data-loaded')")
    action()
    loaded(page)


def api(page: Any, path: str, **params: Any) -> Any:
    """``path`` of the analytics API for the page's current range, with its session."""
    main = page.locator("#dash")
    query = {"since": main.get_attribute("data-since"), "until": main.get_attribute("data-until")}
    answer = page.request.get(f"/api/analytics/{path}", params={**query, **params})
    assert answer.status == 200, answer.text()
    return answer.json()


def card(page: Any, kpi: str) -> str:
    return page.locator(f'.cv-kpi[data-kpi="{kpi}"] .cv-kpi-value').inner_text()


def test_a_manager_sees_every_chart_drawn_from_the_api(
    browser: Any, center: Console, tmp_path: Path  # noqa: F811
) -> None:
    with dashboard(browser, center, "max") as tab:
        page = tab.page
        assert "range=7d" in page.url
        assert "Dashboard" in page.locator("nav a[data-nav]").all_inner_texts()
        # the range is the last 7 local (here UTC) days, today included
        today = datetime.now(UTC).date()
        since = page.locator("#dash").get_attribute("data-since")
        assert since == f"{today - timedelta(days=6)}T00:00:00.000Z"
        kpis = api(page, "kpis")["total"]
        assert kpis["calls"] > 500
        assert card(page, "calls") == f"{kpis['calls']:,}"
        assert card(page, "answered") == f"{kpis['answered']:,}"
        service_level = page.locator('.cv-kpi[data-kpi="service_level"]')
        assert float(service_level.get_attribute("data-value")) == pytest.approx(
            kpis["service_level"])
        assert card(page, "service_level") == f"{kpis['service_level'] * 100:.1f}%".replace(
            ".0%", "%")
        # the heatmap: 7 x 24 cells, each titled with the API's figure
        grid = api(page, "heatmap")["offered"]
        cells = page.locator("#dash-heatmap svg .cv-heat rect")
        assert cells.count() == 7 * 24
        peak = max(((v, r, c) for r, row in enumerate(grid) for c, v in enumerate(row)))
        value, row, column = peak
        cell = page.locator(f'#dash-heatmap rect[data-row="{row}"][data-column="{column}"]')
        assert cell.locator("title").text_content().endswith(f":00 — {value:,} offered")
        assert cell.get_attribute("fill-opacity") == "1.000"
        # the trend: a point per day, its answered line the API's by date
        trend = page.locator("#dash-trend")
        assert trend.get_attribute("data-points") == "7"
        by_date = api(page, "kpis", by="date", kpi="answered")["rows"]
        answered = [int(v) for v in page.locator(
            "#dash-trend .cv-series-1 circle").evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('data-value'))")]
        assert answered == [r["values"]["answered"] for r in by_date]
        # tables: a row per agent and per team
        agents = api(page, "kpis", by="agent", kpi="calls")["rows"]
        assert page.locator("#dash-agents tbody tr").count() == len(agents) >= 8
        assert page.locator("#dash-teams tbody tr").count() == len(
            api(page, "kpis", by="team", kpi="calls")["rows"])
        # ROI per channel, then per campaign
        channels = api(page, "marketing", by="channel")["data"]
        assert page.locator("#dash-roi tbody tr").count() == len(channels)
        assert page.locator("#dash-roi-chart svg .cv-series-2 rect").count() == len(
            [c for c in channels if c["key"] != "(none)"])
        reload_after(page, lambda: page.get_by_label("Group by").select_option("campaign"))
        assert "roi=campaign" in page.url
        campaigns = api(page, "marketing", by="campaign")["data"]
        assert page.locator("#dash-roi tbody tr").count() == len(campaigns)
        # staffing: agents needed per hour of Monday, as the API plans them
        plan = [p for p in api(page, "staffing")["data"] if p["weekday"] == 1]
        bars = page.locator("#dash-staffing svg .cv-series-0 rect").evaluate_all(
            "nodes => nodes.map(n => Number(n.getAttribute('data-value')))")
        assert bars == [p["agents"] for p in sorted(plan, key=lambda p: p["hour"])]
        assert max(bars) > 0
        shoot(page, "dashboard", tmp_path)
        # an accessible summary and table behind each chart
        heatmap = page.locator("#dash-heatmap svg")
        assert heatmap.get_attribute("role") == "img"
        assert "busiest hour" in heatmap.locator("desc").text_content()
        assert page.locator("#dash-heatmap details table tbody tr").count() == 7


def test_ranges_and_focus_redraw_and_the_link_shares_them(
    browser: Any, center: Console, tmp_path: Path  # noqa: F811
) -> None:
    with dashboard(browser, center, "max") as tab:
        page = tab.page
        # a one-day range: the trend goes hourly
        reload_after(page, lambda: page.get_by_role("button", name="Yesterday").click())
        assert "range=yesterday" in page.url
        assert page.locator("#dash-trend").get_attribute("data-points") == "24"
        assert card(page, "calls") == f"{api(page, 'kpis')['total']['calls']:,}"
        # a custom range and a focus on team Support
        # from a Monday: the staffing chart shows Monday's plan, which an all-zero plan
        # (a range without a Monday) would leave as the empty state
        first = datetime.now(UTC).date() - timedelta(days=6)
        first -= timedelta(days=first.weekday())
        last = first + timedelta(days=4)
        page.get_by_label("From").fill(first.isoformat())
        page.get_by_label("Until").fill(last.isoformat())
        page.get_by_label("Focus on").select_option("team")
        key = page.get_by_label("Which one")
        support_option = key.locator("option", has_text="Support")
        support_option.wait_for(state="attached")
        key.select_option(support_option.get_attribute("value"))
        reload_after(page, lambda: page.get_by_role("button", name="Apply").click())
        teams = api(page, "kpis", by="team")["rows"]
        support = next(r for r in teams if r["label"] == "Support")
        assert f"from={first}" in page.url and f"to={last}" in page.url
        assert f"dimension=team&key={support['key']}" in page.url
        assert page.locator("#dash-trend").get_attribute("data-points") == "5"
        assert card(page, "calls") == f"{support['values']['calls']:,}"
        assert page.locator("#dash-kpis-scope").inner_text() == "Team: Support"
        assert page.locator(f'#dash-teams tr.cv-focus[data-key="{support["key"]}"]').count() == 1
        # every panel covers the focus: the filtered API's heatmap, trend, tables and plan
        focus = {"team": support["key"]}
        grid = api(page, "heatmap", **focus)
        assert grid["filters"] == {"team": [support["key"]]}
        cells = page.locator("#dash-heatmap svg .cv-heat rect").evaluate_all(
            "nodes => nodes.map(n => ['row', 'column', 'value'].map("
            "a => Number(n.getAttribute('data-' + a))))")
        assert {(r, c): v for r, c, v in cells} == {
            (r, c): v for r, row in enumerate(grid["offered"]) for c, v in enumerate(row)}
        assert 0 < sum(map(sum, grid["offered"])) < sum(map(sum, api(page, "heatmap")["offered"]))
        assert page.locator("#dash-heatmap-h small").inner_text() == "Team: Support"
        answered = [int(v) for v in page.locator("#dash-trend .cv-series-1 circle").evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('data-value'))")]
        by_date = {r["key"]: r["values"]["answered"]
                   for r in api(page, "kpis", by="date", kpi="answered", **focus)["rows"]}
        assert answered == [by_date.get(str(first + timedelta(days=d)), 0) for d in range(5)]
        assert page.locator("#dash-teams tbody tr").count() == 1
        assert page.locator("#dash-agents tbody tr").count() == len(
            api(page, "kpis", by="agent", kpi="calls", **focus)["rows"])
        plan = sorted((p for p in api(page, "staffing", **focus)["data"] if p["weekday"] == 1),
                      key=lambda p: p["hour"])
        assert any(p["agents"] for p in plan)
        assert page.locator("#dash-staffing svg .cv-series-0 rect").evaluate_all(
            "nodes => nodes.map(n => Number(n.getAttribute('data-value')))") == [
            p["agents"] for p in plan]
        # the previous period (the 5 days before) is the comparison
        before = page.request.get("/api/analytics/kpis", params={
            "by": "team",
            "since": f"{first - timedelta(days=5)}T00:00:00Z", "until": f"{first}T00:00:00Z",
        }).json()["rows"]
        earlier = next(r for r in before if r["key"] == support["key"])["values"]["calls"]
        delta = page.locator('.cv-kpi[data-kpi="calls"] .cv-kpi-delta')
        assert delta.get_attribute("title") == f"Previous period: {earlier:,}"
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, "dashboard-focus", tmp_path, full_page=False)
        # sorting the agents by name, then back
        header = page.locator("#dash-agents thead button[data-sort=label]")
        header.click()
        names = page.locator("#dash-agents tbody th").all_inner_texts()
        assert names == sorted(names, reverse=True)
        assert "sort_agents=label-desc" in page.url
        page.locator("#dash-agents thead button[data-sort=label]").click()
        assert page.locator("#dash-agents tbody th").all_inner_texts() == sorted(names)
        assert page.locator("#dash-agents th[aria-sort]").get_attribute("aria-sort") == "ascending"
        # the link opens the same view
        shared = page.url
        other = Tab(browser, center)
        try:
            other.context.add_cookies(tab.context.cookies())
            other.page.goto(shared)
            loaded(other.page)
            assert card(other.page, "calls") == f"{support['values']['calls']:,}"
            assert other.page.get_by_label("From").input_value() == first.isoformat()
            assert other.page.get_by_label("Which one").input_value() == support["key"]
            other.no_problems()
        finally:
            other.close()
        # back: the previous state (sorting replaced, not pushed, a state) comes back
        reload_after(page, page.go_back)
        assert "range=yesterday" in page.url
        assert page.locator("#dash-trend").get_attribute("data-points") == "24"
        assert page.get_by_label("Focus on").input_value() == ""


def test_an_empty_range_shows_empty_states_not_broken_charts(
    browser: Any, center: Console, tmp_path: Path  # noqa: F811
) -> None:
    with dashboard(browser, center, "ada", "?from=2019-03-01&to=2019-03-31") as tab:
        page = tab.page
        assert page.locator("#dash-kpis").inner_text() == "No calls in this range."
        for chart in ("trend", "heatmap", "roi-chart", "staffing"):
            box = page.locator(f"#dash-{chart}")
            assert box.get_attribute("data-empty") == ""
            assert box.locator("svg").count() == 0
            assert box.locator(".cv-empty").count() == 1
        assert page.locator("#dash-agents tbody").inner_text() == "No rows in this range."
        assert page.locator("#cv-status").inner_text() == "0 calls, Mar 1 \u2013 Mar 31"
        shoot(page, "dashboard-empty", tmp_path, full_page=False)
        # a backwards range is refused on the page, not sent
        page.get_by_label("From").fill("2019-04-02")
        page.get_by_label("Until").fill("2019-04-01")
        page.get_by_role("button", name="Apply").click()
        assert page.locator("#cv-status").inner_text() == (
            "Choose a start date on or before the end date.")
        assert "from=2019-03-01" in page.url
        # a dimension without a choice is no focus
        page.get_by_label("From").fill("2019-04-01")
        page.get_by_label("Focus on").select_option("queue")
        reload_after(page, lambda: page.get_by_role("button", name="Apply").click())
        assert page.url.endswith("/dashboard?from=2019-04-01&to=2019-04-01")
        assert page.locator("#dash-kpis-scope").inner_text() == ""


def test_a_supervisor_sees_their_teams_and_an_agent_gets_the_403_page(
    browser: Any, center: Console, tmp_path: Path  # noqa: F811
) -> None:
    with dashboard(browser, center, "sam") as tab:
        page = tab.page
        teams = api(page, "kpis", by="team", kpi="calls")["rows"]
        assert [r["label"] for r in teams] == ["Support"]
        assert page.locator("#dash-teams tbody th").all_inner_texts() == ["Support"]
        everything = page.locator("#dash-heatmap svg .cv-heat rect").evaluate_all(
            "nodes => nodes.reduce((s, n) => s + Number(n.getAttribute('data-value')), 0)")
        grid = api(page, "heatmap")["offered"]
        assert everything == sum(map(sum, grid)) > 0
        assert card(page, "calls") == f"{api(page, 'kpis')['total']['calls']:,}"
        shoot(page, "dashboard-supervisor", tmp_path, full_page=False)
    with dashboard(browser, center, "ann", refused=True) as agent:
        page = agent.page
        assert page.locator("#cv-error-message").inner_text() == "Your role may not open this page."
        assert "Dashboard" not in page.locator("nav a[data-nav]").all_inner_texts()


def test_numbers_and_dates_follow_the_language(
    browser: Any, center: Console, tmp_path: Path  # noqa: F811
) -> None:
    with dashboard(browser, center, "max") as tab:
        page = tab.page
        page.context.add_cookies([{"name": "callvault_lang", "value": "ru", "url": center.base}])
        reload_after(page, page.reload)
        calls = api(page, "kpis")["total"]["calls"]
        assert card(page, "calls") == f"{calls:,}".replace(",", "\u00a0")
        assert page.locator("h1").inner_text() == "Панель показателей"
        assert page.locator("#dash-heatmap svg .cv-axis text").first.text_content() == "00"
        rows = page.locator("#dash-heatmap details tbody th").all_text_contents()
        assert rows[0] == "понедельник"
        shoot(page, "dashboard-ru", tmp_path, full_page=False)

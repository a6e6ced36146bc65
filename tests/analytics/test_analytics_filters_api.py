"""Filters through /api/analytics (SQLite and PostgreSQL) and `callvault report --filter`
(SQLite) over the hand-built journal: a supervisor's filters stay within their teams, every
endpoint says where it read, the interval length is taken from the query string, and bad
filters are a 400 (a one-line error) saying what to fix."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from test_analytics_api import RANGE, client  # noqa: F401  (the API over the journal)
from test_report_command import RANGE as DAYS
from test_report_command import db, run  # noqa: F401  (the journal as a SQLite file)

Client = tuple[TestClient, dict[str, str]]


def get(http: TestClient, token: str, path: str, **params: object) -> dict:
    answer = http.get(f"/api/analytics/{path}", params={**RANGE, **params},
                      headers={"Authorization": token})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_filters_narrow_every_endpoint(client: Client) -> None:  # noqa: F811
    http, auth = client
    mia = auth["mia"]
    anna = get(http, mia, "kpis", agent="Anna", kpi=["calls", "answered"])
    assert (anna["total"], anna["source"]) == ({"calls": 3, "answered": 3}, "rollups")
    assert anna["filters"] == {"agent": ["Anna"]}
    both = get(http, mia, "kpis", agent=["1", "2"], queue="Help", kpi="calls")
    assert (both["total"], both["source"]) == ({"calls": 1}, "calls")       # C1
    grid = get(http, mia, "heatmap", queue="Help")["offered"]
    assert sum(map(sum, grid)) == 2 and grid[5][23] == 1                    # C1, C2 (C3 short)
    sales = get(http, mia, "heatmap", team="Sales", direction="inbound")
    assert sum(map(sum, sales["offered"])) == 2 and sales["source"] == "rollups"  # C4, C7
    staffing = get(http, mia, "staffing", department="Commerce")
    assert {(h["weekday"], h["hour"]) for h in staffing["data"] if h["calls_per_week"]} == {
        (7, 10), (7, 12)}                                                   # C4, C7
    roi = get(http, mia, "marketing", campaign="spring")
    assert [(r["key"], r["calls"], r["cost"]) for r in roi["data"]] == [("search", 1, 20.0)]
    assert get(http, mia, "outcomes", agent="Bo")["data"] == [{"outcome": "sale", "calls": 2}]


def test_minutes_come_from_the_query_string(client: Client) -> None:  # noqa: F811
    http, auth = client
    night = {"since": "2024-03-30T22:00:00Z", "until": "2024-03-31T01:00:00Z"}
    for minutes, offered in ((60, [1, 0, 1]), (30, [0, 1, 0, 0, 0, 1]), (15, None)):
        answer = http.get("/api/analytics/intervals", headers={"Authorization": auth["mia"]},
                          params={**night, "minutes": str(minutes)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["minutes"] == minutes and len(body["data"]) == 180 // minutes
        assert body["source"] == ("rollups" if minutes == 60 else "calls")
        if offered is not None:
            assert [i["offered"] for i in body["data"]] == offered
    bad = http.get("/api/analytics/intervals", headers={"Authorization": auth["mia"]},
                   params={**night, "minutes": "45"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "minutes must be 15, 30 or 60"


def test_a_supervisors_filters_stay_within_their_teams(client: Client) -> None:  # noqa: F811
    http, auth = client
    sam = auth["sam"]                                  # supervises Sales: C4 C5 C7
    assert get(http, sam, "kpis", kpi="calls")["total"] == {"calls": 3}
    assert get(http, sam, "kpis", kpi="calls", agent="Bo")["total"] == {"calls": 2}
    assert get(http, sam, "kpis", kpi="calls", team="Support")["total"] == {"calls": 0}
    assert get(http, sam, "kpis", kpi="calls", agent="Anna")["total"] == {"calls": 0}
    grid = get(http, sam, "heatmap", department="Service")["offered"]
    assert sum(map(sum, grid)) == 0
    by_agent = get(http, sam, "kpis", by="agent", kpi="calls", direction="inbound")
    assert [(r["label"], r["values"]["calls"]) for r in by_agent["rows"]] == [
        ("Bo", 1), ("(none)", 1)]                        # C4; C7 without an agent


@pytest.mark.parametrize(("params", "message"), [
    ({"agent": "Nobody"}, "no agent 'Nobody': give its id or its name"),
    ({"direction": "sideways"}, "direction 'sideways': inbound or outbound"),
    ({"department": "Legal"}, "no department 'Legal': give the department of a team"),
])
def test_bad_filters_are_a_400(client: Client, params: dict[str, str],  # noqa: F811
                               message: str) -> None:
    http, auth = client
    for path in ("kpis", "heatmap", "intervals", "staffing", "outcomes", "marketing"):
        answer = http.get(f"/api/analytics/{path}", params={**RANGE, **params},
                          headers={"Authorization": auth["mia"]})
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"]["message"] == message


def test_report_filters(db: str) -> None:  # noqa: F811
    answer = json.loads(run(db, *DAYS, "--filter", "agent=Anna", "--filter", "agent=Bo",
                            "--filter", "direction=inbound", "--kpi", "calls",
                            "--format", "json").output)
    assert (answer["total"], answer["source"]) == ({"calls": 4}, "calls")   # C1 C4 C8 C9
    heat = json.loads(run(db, "heatmap", *DAYS, "--filter", "team=Support",
                          "--format", "json").output)
    assert sum(map(sum, heat["offered"])) == 4       # C1 C2 C8 C9 (C3 a short abandon)
    for args, message in (
        (["--filter", "agent"], "write DIMENSION=VALUE"),
        (["--filter", "colour=red"], "'colour' is not a filter"),
        (["--filter", "agent=Nobody"], "no agent 'Nobody': give its id or its name"),
    ):
        done = subprocess.run([sys.executable, "-m", "callvault", "report", *args, "--db", db],
                              capture_output=True, text=True, check=False)
        assert done.returncode != 0 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr

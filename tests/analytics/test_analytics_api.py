"""/api/analytics over the hand-built journal, on SQLite and PostgreSQL: the same figures as
the library, a supervisor's limited to their teams, agents refused, bad input a 400."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from golden_journal import ZONE, build

from callvault.accounts import Accounts, credentials
from callvault.api import create_app
from callvault.config import Settings
from callvault.journal import Journal
from callvault.journal.schema import team_supervisors, users

RANGE = {"since": "2024-03-30T00:00:00+01:00", "until": "2024-04-08T00:00:00+02:00"}


@pytest.fixture
def client(analytics_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str]]]:
    monkeypatch.setattr(credentials, "SCRYPT_LOG_N", 10)
    monkeypatch.setenv("CALLVAULT_TIMEZONE", ZONE)
    monkeypatch.setenv("CALLVAULT_DEAL_VALUE", "100")
    with Journal.open(analytics_url) as journal:
        engine = sa.create_engine(analytics_url)
        build(journal, engine)
    tokens = {}
    with Accounts.open(analytics_url) as accounts:
        for name, role in (("mia", "manager"), ("sam", "supervisor"), ("ann", "agent")):
            accounts.add_user(name, role, extensions=[])
            tokens[name] = accounts.issue_token(name, "tests")
    with engine.begin() as connection:
        sam = connection.execute(sa.select(users.c.id).where(users.c.username == "sam")).scalar()
        connection.execute(team_supervisors.insert().values(team_id=2, user_id=sam))
    engine.dispose()
    settings = Settings(data_dir=tmp_path / "data", database_url=analytics_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client, {name: f"Bearer {token}" for name, token in tokens.items()}


def test_kpis_by_agent(client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client
    answer = http.get("/api/analytics/kpis", params={**RANGE, "by": "agent"},
                      headers={"Authorization": auth["mia"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "rollups" and body["timezone"] == ZONE
    assert [(r["label"], r["values"]["calls"]) for r in body["rows"]] == [
        ("Anna", 3), ("Bo", 2), ("(none)", 3)]
    assert body["total"]["service_level"] == pytest.approx(0.5)
    assert {k["name"] for k in body["kpis"]} >= {"asa_s", "fcr_24h", "loss_pct"}


def test_a_supervisor_sees_their_teams_and_an_agent_nothing(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, auth = client
    answer = http.get("/api/analytics/kpis", params={**RANGE, "kpi": ["calls", "deals"]},
                      headers={"Authorization": auth["sam"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == {"calls": 3, "deals": 2}       # Sales: C4 C5 C7
    refused = http.get("/api/analytics/kpis", params=RANGE,
                       headers={"Authorization": auth["ann"]})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "an agent account may not read analytics"


def test_heatmap_intervals_outcomes_marketing(client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client
    headers = {"Authorization": auth["mia"]}
    grid = http.get("/api/analytics/heatmap", params=RANGE, headers=headers).json()
    assert grid["offered"][5][23] == 1 and sum(map(sum, grid["offered"])) == 6
    hours = http.get("/api/analytics/intervals", headers=headers, params={
        "since": "2024-03-30T22:00:00Z", "until": "2024-03-31T01:00:00Z"}).json()["data"]
    assert [h["offered"] for h in hours] == [1, 0, 1]
    outcomes = http.get("/api/analytics/outcomes", params=RANGE, headers=headers).json()
    assert outcomes["data"][0] == {"outcome": "", "calls": 3}
    search = http.get("/api/analytics/marketing", params=RANGE, headers=headers).json()["data"][-1]
    assert (search["key"], search["conversions"]) == ("search", 1)
    assert search["cost"] == pytest.approx(20.0) and search["roi"] == pytest.approx(4.0)


@pytest.mark.parametrize(("params", "message"), [
    ({"by": "colour"}, "unknown grouping 'colour'"),
    ({"kpi": "speed"}, "unknown KPI 'speed'"),
    ({"since": "2024-04-08T00:00:00Z", "until": "2024-04-01T00:00:00Z"},
     "until must be after since"),
])
def test_bad_input_is_a_400(client: tuple[TestClient, dict[str, str]], params: dict[str, str],
                            message: str) -> None:
    http, auth = client
    answer = http.get("/api/analytics/kpis", params=params, headers={"Authorization": auth["mia"]})
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]


def test_staffing(client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client
    answer = http.get("/api/analytics/staffing", params={**RANGE, "target": 0.9},
                      headers={"Authorization": auth["mia"]})
    assert answer.status_code == 200, answer.text
    hours = {(h["weekday"], h["hour"]): h for h in answer.json()["data"]}
    # Sunday 01:00 local: C2, abandoned after 40 s: Erlang A with that patience.
    assert hours[(7, 1)]["model"] == "erlang-a" and hours[(7, 1)]["patience_s"] == 40.0
    assert hours[(1, 3)]["agents"] == 0
    bad = http.get("/api/analytics/staffing", params={"target": 2},
                   headers={"Authorization": auth["mia"]})
    assert bad.status_code == 422

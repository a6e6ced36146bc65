"""/api/directory on SQLite and PostgreSQL: every kind's list, create, change and delete;
CSV uploads; re-apply; errors in the envelope with what to fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import PASSWORD, T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.accounts import Accounts
from callvault.api import create_app
from callvault.calls.model import Direction
from callvault.config import Settings
from callvault.journal import Journal


@pytest.fixture
def directory_settings(backend_settings: Settings) -> Settings:
    return backend_settings


@pytest.fixture
def api(directory_settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with Journal.open(directory_settings.journal_url) as journal:
        journal.save(make_call("in-201", T0, "+4533123456", "201", Direction.INBOUND))
        journal.save(make_call("in-ads", T0 + 60, "+4533123456", "+4570101010", Direction.INBOUND))
    with Accounts.open(directory_settings.journal_url) as accounts:
        accounts.add_user("ada", "admin", password=PASSWORD)
        accounts.add_user("sam", "supervisor", password=PASSWORD)
        headers = bearer(accounts.issue_token("ada", "tests"))
    with TestClient(create_app(directory_settings)) as client:
        yield client, headers


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"] if status != 204 else None


def error(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    message: str = answer.json()["error"]["message"]
    return message


def test_teams_agents_queues_and_numbers_round_trip(api: tuple[TestClient, dict[str, str]]) -> None:
    client, admin = api
    base = "/api/directory"
    assert ok(client.post(f"{base}/teams", headers=admin, json={"name": "Sales"}), 201)["id"]
    team = ok(client.put(f"{base}/teams/Sales/supervisors/sam", headers=admin))
    assert team["supervisors"] == ["sam"]
    team = ok(client.patch(f"{base}/teams/Sales", headers=admin, json={"department": "Revenue"}))
    assert team["department"] == "Revenue"
    agent = ok(
        client.post(
            f"{base}/agents",
            headers=admin,
            json={"name": "Ann", "employee_id": "E1", "extensions": ["201"], "team": "Sales"},
        ),
        201,
    )
    assert (agent["extensions"], agent["team"], agent["active"]) == (["201"], "Sales", True)
    agent = ok(
        client.patch(f"{base}/agents/E1", headers=admin, json={"extensions": ["201", "2011"]})
    )
    assert agent["extensions"] == ["201", "2011"]
    queue = ok(
        client.post(
            f"{base}/queues",
            headers=admin,
            json={"name": "support", "numbers": ["600"], "team": "Sales"},
        ),
        201,
    )
    assert queue["numbers"] == ["600"]
    number = ok(
        client.post(
            f"{base}/numbers",
            headers=admin,
            json={"number": "+4570101010", "channel": "google-ads"},
        ),
        201,
    )
    assert number["campaign"] is None
    number = ok(
        client.post(
            f"{base}/numbers/+4570101010/costs",
            headers=admin,
            json={
                "period_start": "2024-05-01",
                "period_end": "2024-05-31",
                "cost": "1250.50",
                "currency": "EUR",
            },
        ),
        201,
    )
    assert number["costs"][0]["cost"] == "1250.50"
    listed = {
        kind: ok(client.get(f"{base}/{kind}", headers=admin))
        for kind in ("teams", "agents", "queues", "numbers")
    }
    assert [len(listed[kind]) for kind in listed] == [1, 1, 1, 1]
    assert ok(client.post(f"{base}/reapply", headers=admin, json={})) == {"changed": 2}
    calls = {c["uid"]: c for c in client.get("/api/calls", headers=admin).json()["data"]}
    assert calls["in-ads"]["channel"] == "google-ads"
    assert ok(
        client.post(
            f"{base}/reapply",
            headers=admin,
            json={"since": "2024-05-01T00:00:00Z", "until": "2024-05-02T00:00:00Z"},
        )
    ) == {"changed": 0}
    cost_id = number["costs"][0]["id"]
    ok(client.delete(f"{base}/numbers/+4570101010/costs/{cost_id}", headers=admin), 204)
    ok(client.delete(f"{base}/teams/Sales/supervisors/sam", headers=admin))
    for path in ("agents/E1", "queues/support", "numbers/+4570101010", "teams/Sales"):
        ok(client.delete(f"{base}/{path}", headers=admin), 204)
    assert all(ok(client.get(f"{base}/{kind}", headers=admin)) == [] for kind in listed)


def test_csv_uploads_are_whole_or_refused(api: tuple[TestClient, dict[str, str]]) -> None:
    client, admin = api
    base = "/api/directory"
    good = b"name,department\nSales,Revenue\nSupport,\n"
    assert ok(client.post(f"{base}/teams/import", headers=admin, content=good)) == {
        "kind": "teams",
        "rows": 2,
    }
    bad = b"name,employee_id,extensions,team\nAnn,E1,201,Sales\nBob,E2,202,Nope\n"
    message = error(client.post(f"{base}/agents/import", headers=admin, content=bad), 422)
    assert message == "line 3, column 'team': no team 'Nope'"
    assert ok(client.get(f"{base}/agents", headers=admin)) == []
    assert "one of: teams, agents" in error(
        client.post(f"{base}/people/import", headers=admin, content=good), 404
    )


def test_errors_say_what_to_fix(api: tuple[TestClient, dict[str, str]]) -> None:
    client, admin = api
    base = "/api/directory"
    client.post(f"{base}/teams", headers=admin, json={"name": "Sales"})
    assert error(client.post(f"{base}/teams", headers=admin, json={"name": "Sales"}), 422) == (
        "team 'Sales' already exists"
    )
    assert error(client.delete(f"{base}/teams/Nope", headers=admin), 404) == "no team 'Nope'"
    assert error(client.patch(f"{base}/agents/E9", headers=admin, json={"name": "X"}), 404) == (
        "no agent with employee id or id 'E9'"
    )
    assert "send at least one field" in error(
        client.patch(f"{base}/teams/Sales", headers=admin, json={}), 422
    )
    assert (
        "extra"
        in error(
            client.post(f"{base}/teams", headers=admin, json={"name": "X", "colour": "red"}), 422
        ).lower()
    )
    assert "no user 'ghost'" in error(
        client.put(f"{base}/teams/Sales/supervisors/ghost", headers=admin), 404
    )
    assert "until must be after since" in error(
        client.post(
            f"{base}/reapply",
            headers=admin,
            json={"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"},
        ),
        422,
    )
    ok(
        client.post(
            f"{base}/numbers", headers=admin, json={"number": "+4570101010", "channel": "ads"}
        ),
        201,
    )
    cost = {
        "period_start": "2024-05-01",
        "period_end": "2024-05-31",
        "cost": "1",
        "currency": "eu1",
    }
    assert "ISO 4217" in error(
        client.post(f"{base}/numbers/+4570101010/costs", headers=admin, json=cost), 422
    )


def test_renaming_a_queue_or_a_tracked_number_keeps_the_record(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    """The path names the record and the body may rename it (a body field of the same name
    as the path's once collided with it: a 500)."""
    client, admin = api
    base = "/api/directory"
    sales = {"name": "Sales", "numbers": ["600"]}
    ok(client.post(f"{base}/queues", headers=admin, json=sales), 201)
    queue = ok(client.patch(f"{base}/queues/Sales", headers=admin, json={"name": "Sales DK"}))
    assert (queue["name"], queue["numbers"]) == ("Sales DK", ["600"])
    error(client.patch(f"{base}/queues/Sales", headers=admin, json={"name": "x"}), 404)
    ok(client.post(f"{base}/numbers", headers=admin,
                   json={"number": "+4570101010", "channel": "radio"}), 201)
    number = ok(client.patch(f"{base}/numbers/+4570101010", headers=admin,
                             json={"number": "+4570202020"}))
    assert (number["number"], number["channel"]) == ("+4570202020", "radio")

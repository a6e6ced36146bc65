"""GET /api/calls and /api/calls/{ref}: filters, shapes, and what each role may see."""

from __future__ import annotations

import pytest
from api_helpers import bearer
from fastapi.testclient import TestClient


def uids(client: TestClient, token: str, **params: object) -> list[str]:
    answer = client.get("/api/calls", headers=bearer(token), params=params)
    assert answer.status_code == 200, answer.text
    return [call["uid"] for call in answer.json()["data"]]


@pytest.mark.parametrize("user", ["cleo", "ada"])  # supervisors: their teams (test_roles.py)
def test_supervisors_compliance_and_admins_see_every_call(
    client: TestClient, tokens: dict[str, str], user: str
) -> None:
    answer = client.get("/api/calls", headers=bearer(tokens[user]))
    body = answer.json()
    assert [call["uid"] for call in body["data"]] == ["other", "bobs", "anns"]
    assert body["count"] == 3
    assert body["data"][2]["callee"]["number"] == "201"
    assert "streams" not in body["data"][0]


def test_an_agent_lists_only_calls_with_their_extension(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert uids(client, tokens["ann"]) == ["anns"]
    assert uids(client, tokens["bob"]) == ["bobs"]
    assert uids(client, tokens["nobody"]) == []
    body = client.get("/api/calls", headers=bearer(tokens["ann"])).json()
    assert body["count"] == 1
    assert uids(client, tokens["ann"], number="99887766") == []


def test_an_agent_reads_their_own_call_and_gets_404_for_others(
    client: TestClient, tokens: dict[str, str]
) -> None:
    own = client.get("/api/calls/anns", headers=bearer(tokens["ann"]))
    assert own.status_code == 200
    detail = own.json()
    assert detail["uid"] == "anns"
    assert [stream["codec"] for stream in detail["streams"]] == ["PCMU/8000"]
    assert [event["kind"] for event in detail["events"]] == ["dtmf"]
    for ref in ("bobs", "2", "bobs@pbx.example.com", "other"):
        hidden = client.get(f"/api/calls/{ref}", headers=bearer(tokens["ann"]))
        assert hidden.status_code == 404
        assert hidden.json() == {"error": {"code": "not_found", "message": f"no call {ref!r}"}}
    missing = client.get("/api/calls/999", headers=bearer(tokens["ann"]))
    assert missing.json() == {"error": {"code": "not_found", "message": "no call '999'"}}


def test_admins_read_any_call_by_id_uid_or_call_id(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for ref in ("2", "bobs", "bobs@pbx.example.com"):
        answer = client.get(f"/api/calls/{ref}", headers=bearer(tokens["ada"]))
        assert answer.json()["uid"] == "bobs"


def test_filters_narrow_the_list(client: TestClient, tokens: dict[str, str]) -> None:
    ada = tokens["ada"]
    assert uids(client, ada, direction="inbound") == ["anns"]
    assert uids(client, ada, number="+45 99 88") == ["bobs"]
    assert uids(client, ada, since="2024-05-01T13:51:30Z") == ["other", "bobs"]
    assert uids(client, ada, until="2024-05-01T13:51:30+00:00") == ["anns"]
    assert uids(client, ada, since="2024-05-01T13:51:30") == ["other", "bobs"]
    assert uids(client, ada, status="missed") == []
    page = client.get("/api/calls", headers=bearer(ada), params={"limit": 1, "offset": 1}).json()
    assert [call["uid"] for call in page["data"]] == ["bobs"]
    assert page["count"] == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "ten"}, "query parameter 'limit': Input should be a valid integer"),
        ({"limit": -1}, "query parameter 'limit': Input should be greater than or equal to 0"),
        ({"limit": 5000}, "query parameter 'limit': Input should be less than or equal to 1000"),
        ({"offset": -3}, "query parameter 'offset': Input should be greater than or equal to 0"),
        ({"status": "lost"}, "query parameter 'status': Input should be 'answered', 'missed'"),
        ({"direction": "up"}, "query parameter 'direction': Input should be 'inbound'"),
        ({"since": "yesterday"}, "query parameter 'since': Input should be a valid datetime"),
    ],
)
def test_bad_filters_are_422_envelopes_saying_what_to_fix(
    client: TestClient, tokens: dict[str, str], params: dict[str, object], message: str
) -> None:
    answer = client.get("/api/calls", headers=bearer(tokens["ada"]), params=params)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(message), error["message"]
    assert set(answer.json()) == {"error"}

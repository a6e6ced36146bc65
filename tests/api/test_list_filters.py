"""GET /api/calls and its exports with every filter, sort, cursor and count mode; bad
values are 422 naming the parameter. test_list_filters_postgres.py runs these again on
PostgreSQL.

The journal: conftest's three calls (other, bobs, anns, newest first) and three more.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.api import create_app
from callvault.calls.model import CallStatus, Direction
from callvault.config import Settings
from callvault.journal import Journal
from callvault.journal.export import CSV_FIELDS


@pytest.fixture
def client(settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    """conftest's client over a journal with three more calls: x1 (missed, agent 7 of
    team 3, radio), x2 (agent 8, team 3, tagged, commented), x3 (failed, queue 4)."""
    x1 = make_call("x1", T0 + 3 * 3600, "+4570707070", "207", Direction.INBOUND)
    x1.status, x1.sip_code, x1.answered_at = CallStatus.MISSED, 487, None
    x1.ended_at = x1.started_at + 25
    x1.agent_id, x1.team_id, x1.queue_id, x1.channel, x1.campaign = 7, 3, 4, "radio", "jingle"
    x1.tracked_number_id = 9
    x2 = make_call("x2", T0 + 4 * 3600, "208", "+4570707070", Direction.OUTBOUND)
    x2.agent_id, x2.team_id = 8, 3
    x2.ended_at = x2.started_at + 602
    x3 = make_call("x3", T0 + 5 * 3600, "+4580808080", "209", Direction.INBOUND)
    x3.status, x3.sip_code, x3.answered_at = CallStatus.FAILED, 503, None
    x3.ended_at = x3.started_at + 1
    x3.queue_id, x3.team_id, x3.codecs = 4, 3, ("opus/48000",)
    x3.transport, x3.source = "tls", "cdr"
    with Journal.open(settings.journal_url) as journal:
        journal.save_many([x1, x2, x3])
        assert x2.id is not None
        journal.annotate(x2.id, comment="Promised a Callback", outcome="Sale", tags=["vip", "q3"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def get(client: TestClient, token: str, path: str = "/api/calls", **params: object) -> dict:
    answer = client.get(path, headers=bearer(token), params=params)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return answer.json()


def uids(client: TestClient, token: str, **params: object) -> list[str]:
    return [call["uid"] for call in get(client, token, **params)["data"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["x3", "x2", "x1", "other", "bobs", "anns"]),
        ({"party": "+45 70 70 70 70"}, ["x2", "x1"]),
        ({"party": "7070"}, []),  # whole numbers only
        ({"number": "7070"}, ["x2", "x1"]),  # a part, as before
        ({"caller": "208"}, ["x2"]),
        ({"callee": "004570707070"}, ["x2"]),
        ({"status": ["missed", "failed"]}, ["x3", "x1"]),
        ({"direction": ["outbound"]}, ["x2", "other", "bobs"]),
        ({"agent_id": [7, 8]}, ["x2", "x1"]),
        ({"team_id": 3, "status": "answered"}, ["x2"]),
        ({"queue_id": 4}, ["x3", "x1"]),
        ({"tracked_number_id": 9}, ["x1"]),
        ({"min_duration_ms": 600_000}, ["x2"]),
        ({"max_duration_ms": 25_000}, ["x3", "x1"]),
        ({"min_talk_ms": 1, "max_talk_ms": 60_000}, ["other", "bobs", "anns"]),
        ({"min_ring_ms": 25_000}, ["x1"]),
        ({"max_ring_ms": 1_000}, ["x3"]),
        ({"has_recording": "false", "since": "2024-05-01T15:00:00Z"}, ["x3", "x2", "x1"]),
        ({"has_audio_issue": "true"}, []),
        ({"outcome": "sale"}, ["x2"]),
        ({"tag": ["vip", "q3"]}, ["x2"]),
        ({"tag": ["vip", "q4"]}, []),
        ({"channel": "radio", "campaign": "jingle"}, ["x1"]),
        ({"channel": "Radio"}, []),  # as the directory spells it
        ({"sip_code": [487, 503]}, ["x3", "x1"]),
        ({"codec": "opus"}, ["x3"]),
        ({"transport": "TLS"}, ["x3"]),
        ({"source": "cdr"}, ["x3"]),
        ({"comment": "callback"}, ["x2"]),
        ({"sort": "duration", "limit": 2}, ["x2", "other"]),  # ties: newest id first
        ({"sort": "ring", "order": "asc", "limit": 2}, ["x3", "anns"]),
        ({"sort": "caller", "order": "asc", "limit": 3}, ["anns", "x1", "x3"]),
        ({"sort": "status", "limit": 2}, ["x1", "x3"]),
    ],
)
def test_every_filter_and_sort_through_the_api(
    client: TestClient, tokens: dict[str, str], params: dict[str, object], expected: list[str]
) -> None:
    body = get(client, tokens["ada"], **params)
    assert [call["uid"] for call in body["data"]] == expected
    if "limit" not in params:
        assert body["count"] == len(expected) and body["count_capped"] is False


def test_the_record_has_the_directory_and_annotation_fields(
    client: TestClient, tokens: dict[str, str]
) -> None:
    (x2,) = get(client, tokens["ada"], caller="208")["data"]
    assert {key: x2[key] for key in ("agent_id", "team_id", "queue_id", "outcome", "tags")} == {
        "agent_id": 8, "team_id": 3, "queue_id": None, "outcome": "Sale", "tags": ["vip", "q3"]
    }
    assert x2["hold_ms"] == 0 and x2["transferred"] is False and "csat" in x2


def test_a_cursor_walks_the_list_and_the_count_has_three_modes(
    client: TestClient, tokens: dict[str, str]
) -> None:
    ada = tokens["ada"]
    seen, cursor = [], None
    for _ in range(10):
        params: dict[str, object] = {"limit": 4, "sort": "talk", "order": "asc", "count": "exact"}
        if cursor:
            params["cursor"] = cursor
        body = get(client, ada, **params)
        assert body["count"] == 6
        seen += [call["uid"] for call in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == uids(client, ada, sort="talk", order="asc")
    assert len(seen) == 6
    none = get(client, ada, count="none", limit=1)
    assert (none["count"], none["count_capped"], len(none["data"])) == (None, False, 1)
    assert none["next_cursor"] and set(none["next_cursor"]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


def test_an_agent_pages_only_through_their_own_calls(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = get(client, tokens["ann"], limit=1)
    assert ([c["uid"] for c in body["data"]], body["count"], body["next_cursor"]) == (
        ["anns"], 1, None
    )
    assert uids(client, tokens["ann"], agent_id=7) == []


def test_client_history_pages_by_cursor(client: TestClient, tokens: dict[str, str]) -> None:
    ada = tokens["ada"]
    first = get(client, ada, "/api/clients/+4570707070/calls", limit=1)
    assert [c["uid"] for c in first["data"]] == ["x2"] and first["count"] == 2
    rest = get(client, ada, "/api/clients/+4570707070/calls", limit=1, cursor=first["next_cursor"])
    assert [c["uid"] for c in rest["data"]] == ["x1"] and rest["next_cursor"] is None


def test_exports_take_the_same_filters(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get(
        "/api/calls/export.csv",
        headers=bearer(tokens["ada"]),
        params={"team_id": 3, "sort": "duration", "order": "asc"},
    )
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["uid"] for row in rows] == ["x3", "x1", "x2"]
    assert tuple(rows[0]) == CSV_FIELDS
    assert rows[2]["agent_id"] == "8" and rows[2]["team_id"] == "3"
    bad = client.get("/api/calls/export.csv", headers=bearer(tokens["ada"]), params={"sort": "x"})
    assert bad.status_code == 422


def test_an_export_walks_past_one_chunk(
    client: TestClient, tokens: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from callvault.api import routes

    monkeypatch.setattr(routes, "EXPORT_CHUNK", 2)
    answer = client.get("/api/calls/export.csv", headers=bearer(tokens["ada"]))
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["uid"] for row in rows] == ["x3", "x2", "x1", "other", "bobs", "anns"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cursor": "bogus"}, "query parameter 'cursor': cursor 'bogus' is not one this list gave"),
        ({"sort": "length"}, "query parameter 'sort': Input should be 'started_at', 'duration'"),
        ({"order": "up"}, "query parameter 'order': Input should be 'desc' or 'asc'"),
        ({"count": "maybe"}, "query parameter 'count': Input should be 'capped', 'exact' or"),
        ({"agent_id": "seven"}, "query parameter 'agent_id': Input should be a valid integer"),
        ({"team_id": -1}, "query parameter 'team_id': Input should be greater than or equal to 0"),
        ({"sip_code": 99}, "query parameter 'sip_code': Input should be greater than or equal"),
        ({"status": ["missed", "lost"]}, "query parameter 'status': Input should be 'answered'"),
        ({"has_recording": "perhaps"}, "query parameter 'has_recording': Input should be a valid"),
        ({"hangup_by": "both"}, "query parameter 'hangup_by': Input should be 'caller' or"),
        ({"min_talk_ms": -5}, "query parameter 'min_talk_ms': Input should be greater than or"),
        (
            {"min_talk_ms": 10, "max_talk_ms": 5},
            "query parameter 'min_talk_ms': min_talk_ms (10) is more than max_talk_ms (5)",
        ),
        ({"party": " "}, "query parameter 'party': party: send a phone number or extension"),
        ({"caller": "x" * 65}, "query parameter 'caller': String should have at most 64"),
    ],
)
def test_bad_values_are_422_naming_the_parameter(
    client: TestClient, tokens: dict[str, str], params: dict[str, object], message: str
) -> None:
    answer = client.get(
        "/api/calls", headers=bearer(tokens["ada"]), params=params  # type: ignore[arg-type]
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    assert answer.json()["error"]["message"].startswith(message), answer.json()["error"]["message"]


def test_a_cursor_from_another_order_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    cursor = get(client, tokens["ada"], limit=1, sort="talk")["next_cursor"]
    answer = client.get(
        "/api/calls", headers=bearer(tokens["ada"]), params={"cursor": cursor, "sort": "ring"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == (
        "query parameter 'cursor': cursor belongs to a list sorted by talk desc, not ring desc"
    )
    history = client.get(
        "/api/clients/201/calls", headers=bearer(tokens["ada"]), params={"cursor": cursor}
    )
    assert history.status_code == 422

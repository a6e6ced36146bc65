"""PATCH /api/calls/{ref}: annotations, who may write them, and re-ingest keeping them."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.calls.model import Direction
from callvault.config import Settings
from callvault.journal import Journal


def patch(client: TestClient, token: str, ref: str, body: object) -> Any:
    return client.patch(f"/api/calls/{ref}", headers=bearer(token), json=body)


def test_an_agent_annotates_their_own_call(client: TestClient, tokens: dict[str, str]) -> None:
    answer = patch(
        client,
        tokens["ann"],
        "anns",
        {"comment": "wants a callback", "outcome": "Resolved", "tags": ["vip", " vip", "billing"]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["comment"], body["outcome"], body["tags"]) == (
        "wants a callback",
        "resolved",
        ["vip", "billing"],
    )
    listed = client.get("/api/calls", headers=bearer(tokens["ann"])).json()["data"][0]
    assert listed["tags"] == ["vip", "billing"]
    # Only what is sent changes; null clears.
    again = patch(client, tokens["ann"], "anns", {"comment": None}).json()
    assert (again["comment"], again["outcome"], again["tags"]) == (
        None,
        "resolved",
        ["vip", "billing"],
    )


def test_an_agent_gets_404_for_calls_not_theirs(client: TestClient, tokens: dict[str, str]) -> None:
    for ref in ("bobs", "3", "missing"):
        answer = patch(client, tokens["ann"], ref, {"comment": "x"})
        assert answer.status_code == 404
        assert answer.json() == {"error": {"code": "not_found", "message": f"no call {ref!r}"}}


@pytest.mark.parametrize("user", ["ada"])  # supervisors: their teams' (test_roles.py)
def test_supervisors_and_admins_annotate_any_call(
    client: TestClient, tokens: dict[str, str], user: str
) -> None:
    answer = patch(client, tokens[user], "other", {"outcome": "sale", "tags": []})
    assert answer.status_code == 200
    assert (answer.json()["outcome"], answer.json()["tags"]) == ("sale", [])


def test_compliance_and_managers_are_read_only(
    client: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    from callvault.accounts import Accounts

    with Accounts.open(settings.journal_url) as accounts:
        accounts.add_user("mia", "manager")
        mia = accounts.issue_token("mia", "tests")
    for token, role in ((tokens["cleo"], "compliance"), (mia, "manager")):
        answer = patch(client, token, "anns", {"comment": "x"})
        assert answer.status_code == 403
        assert answer.json() == {
            "error": {"code": "forbidden", "message": f"a {role} account may not annotate calls"}
        }
    assert client.get("/api/calls/anns", headers=bearer(tokens["ada"])).json()["comment"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "request body: send at least one of comment, outcome, tags"),
        ({"colour": "red"}, "body parameter 'colour': Extra inputs are not permitted"),
        ({"tags": "vip"}, "body parameter 'tags': Input should be a valid list"),
        ({"outcome": "x" * 65}, "body parameter 'outcome': String should have at most 64"),
        ({"tags": ["t" * 65]}, "body parameter 'tags': Value error, a tag is at most 64"),
        ([1, 2], "body: Input should be a valid dictionary"),
    ],
)
def test_bad_bodies_are_422_envelopes(
    client: TestClient, tokens: dict[str, str], body: object, message: str
) -> None:
    answer = patch(client, tokens["ada"], "anns", body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(message), error["message"]


def test_not_json_is_a_422_envelope(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.patch(
        "/api/calls/anns",
        headers={**bearer(tokens["ada"]), "Content-Type": "application/json"},
        content=b"{nope",
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"


def test_saving_a_call_again_keeps_its_annotations(settings: Settings) -> None:
    with Journal.open(settings.journal_url) as journal:
        call_id = journal.save(make_call("x", T0, "201", "+4599887766", Direction.OUTBOUND))
        assert journal.annotate(call_id, comment="angry", outcome="transferred", tags=["a", "b"])
        again = make_call("x", T0, "201", "+4599887766", Direction.OUTBOUND)
        again.sip_code = 486
        assert journal.save(again) == call_id
        assert journal.save(make_call("x", T0, "201", "+4599887766", Direction.OUTBOUND)) == call_id
        stored = journal.get_call("x")
        assert stored is not None
        assert (stored.comment, stored.outcome, stored.tags) == ("angry", "transferred", ("a", "b"))
        assert stored.sip_code == 200
        assert journal.annotate(call_id, tags=None)
        assert journal.annotate(call_id)
        stored = journal.get_call("x")
        assert stored is not None and stored.tags == () and stored.comment == "angry"
        assert not journal.annotate(9999, comment="x")

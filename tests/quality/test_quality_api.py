"""Quality review over HTTP on SQLite and PostgreSQL: a supervisor defines a scorecard,
scores a call of their team and comments at a moment; the agent evaluated sees it once
submitted, other agents and other teams' supervisors never; versions, playlists within the
scope, and bad requests answered with what to fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from callvault.accounts import Accounts
from callvault.api import create_app
from callvault.calls.model import Call, CallStatus, Direction, Party
from callvault.config import Settings
from callvault.directory import Directory
from callvault.journal import Journal

T0 = 1_714_567_890.0
USERS = {
    "ann": ("agent", ["201"]),
    "bob": ("agent", ["202"]),
    "carl": ("agent", ["203"]),
    "sam": ("supervisor", []),
    "sue": ("supervisor", []),
    "max": ("manager", []),
    "cleo": ("compliance", []),
    "ada": ("admin", []),
}
SCORECARD = {
    "name": "Support calls",
    "description": "How we answer",
    "sections": [
        {"title": "Opening", "weight": 1, "questions": [
            {"text": "Greeted by name"},
            {"text": "Stated the reason", "weight": 2},
        ]},
        {"title": "Resolution", "weight": 2, "questions": [
            {"text": "Solved the issue", "kind": "scale", "scale_max": 5, "weight": 3},
            {"text": "Offered more help", "allow_na": True},
        ]},
    ],
}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]

    def call(self, user: str, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    """Team Support (ann 201, bob 202; supervised by sam), team Sales (carl 203; sue);
    calls "anns" (client → 201), "bobs" (202 → client), "carls" (client → 203) and
    "nobodys" (client → 299, Support's but no agent account's)."""
    settings = backend_settings
    with Directory.open(settings.journal_url) as directory:
        support = directory.add_team("Support")
        sales = directory.add_team("Sales")
    with Journal.open(settings.journal_url) as journal:
        for uid, caller, callee, team in (
            ("anns", "+4533123456", "201", support.id),
            ("bobs", "202", "+4599887766", support.id),
            ("carls", "+4533123456", "203", sales.id),
            ("nobodys", "+4533123456", "299", support.id),
        ):
            journal.save(Call(
                uid=uid, sip_call_id=uid, started_at=T0, answered_at=T0 + 1, ended_at=T0 + 60,
                status=CallStatus.ANSWERED, caller=Party(number=caller),
                callee=Party(number=callee), direction=Direction.INBOUND,
                codecs=("PCMU/8000",), team_id=team,
            ))
    tokens = {}
    with Accounts.open(settings.journal_url) as accounts:
        for username, (role, extensions) in USERS.items():
            accounts.add_user(username, role, extensions=extensions)
            tokens[username] = accounts.issue_token(username, "tests")
    with Directory.open(settings.journal_url) as directory:
        directory.add_supervisor("Support", "sam")
        directory.add_supervisor("Sales", "sue")
    with TestClient(create_app(settings)) as client:
        yield World(client, tokens)


def questions(card: dict[str, Any]) -> list[int]:
    return [q["id"] for section in card["sections"] for q in section["questions"]]


def scored(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sam's scorecard and his submitted evaluation of ann's call, with a comment at 4.5 s."""
    made = world.call("sam", "POST", "/api/quality/scorecards", json=SCORECARD)
    assert made.status_code == 201, made.text
    card = made.json()["data"]
    q = questions(card)
    draft = world.call("sam", "POST", "/api/quality/evaluations", json={
        "call": "anns", "scorecard_id": card["id"],
        "answers": [{"question_id": q[0], "value": 1}, {"question_id": q[1], "value": 0}],
    })
    assert draft.status_code == 201, draft.text
    evaluation = draft.json()["data"]
    assert (evaluation["agent"], evaluation["status"]) == ("ann", "draft")
    commented = world.call("sam", "POST", "/api/quality/calls/anns/comments", json={
        "offset_s": 4.5, "text": "forgot to name the reason", "evaluation_id": evaluation["id"],
    })
    assert commented.status_code == 201, commented.text
    submitted = world.call("sam", "POST", f"/api/quality/evaluations/{evaluation['id']}/submit",
                           json={"answers": [{"question_id": q[2], "value": 4},
                                             {"question_id": q[3], "na": True}],
                                 "comment": "solid"})
    assert submitted.status_code == 200, submitted.text
    return card, submitted.json()["data"]


def test_score_submit_and_who_sees_it(world: World) -> None:
    card, evaluation = scored(world)
    # Opening (1·1 + 2·0)/3 = 33.33 %; Resolution 3·4/5 / 3 = 80 % (N/A left out);
    # total (1·33.33 + 2·80) / 3 = 64.44 %
    assert evaluation["score"] == 64.44
    assert evaluation["section_scores"] == [33.33, 80.0]
    assert evaluation["status"] == "submitted" and evaluation["comment"] == "solid"
    assert evaluation["call"]["uid"] == "anns"
    assert evaluation["scorecard"] == {"id": card["id"], "name": "Support calls", "version": 1}
    url = f"/api/quality/evaluations/{evaluation['id']}"
    # the audit trail records who scored which call, with the score
    trail = world.call("ada", "GET", "/api/audit?action=evaluate").json()["data"]
    assert [(e["username"], e["call_id"], e["detail"]) for e in trail] == [
        ("sam", evaluation["call_id"], f"evaluation {evaluation['id']} submitted: 64.44 %")
    ]
    # the agent evaluated: in "my scores", by id, and the moment comment on her call
    mine = world.call("ann", "GET", "/api/quality/evaluations").json()["data"]
    assert [(e["id"], e["score"]) for e in mine] == [(evaluation["id"], 64.44)]
    assert world.call("ann", "GET", url).json()["data"]["score"] == 64.44
    comments = world.call("ann", "GET", "/api/quality/calls/anns/comments").json()["data"]
    assert [(c["offset_s"], c["author"]) for c in comments] == [(4.5, "sam")]
    # another agent, another team's supervisor: nothing, and 404 as for what does not exist
    assert world.call("bob", "GET", "/api/quality/evaluations").json()["data"] == []
    assert world.call("bob", "GET", url).status_code == 404
    assert world.call("bob", "GET", "/api/quality/calls/anns/comments").status_code == 404
    assert world.call("bob", "GET", "/api/quality/evaluations?call=anns").status_code == 404
    assert world.call("sue", "GET", "/api/quality/evaluations").json()["data"] == []
    assert world.call("sue", "GET", url).status_code == 404
    refused = world.call("sue", "POST", "/api/quality/evaluations",
                         json={"call": "anns", "scorecard_id": card["id"]})
    assert refused.status_code == 404
    # every call role reads it; the agent and compliance may not score
    for reader in ("max", "cleo", "ada", "sam"):
        assert world.call(reader, "GET", url).status_code == 200, reader
    for role in ("ann", "cleo", "max"):
        answer = world.call(role, "POST", "/api/quality/evaluations",
                            json={"call": "anns", "scorecard_id": card["id"]})
        assert answer.status_code == 403, role
        assert answer.json()["error"]["code"] == "forbidden"
    assert world.call("ann", "POST", "/api/quality/scorecards", json=SCORECARD).status_code == 403
    # submitted, it no longer changes
    again = world.call("sam", "PATCH", url, json={"comment": "changed"})
    assert again.status_code == 422 and "submitted" in again.json()["error"]["message"]


def test_drafts_stay_with_the_evaluators(world: World) -> None:
    made = world.call("sam", "POST", "/api/quality/scorecards", json=SCORECARD).json()["data"]
    draft = world.call("sam", "POST", "/api/quality/evaluations",
                       json={"call": "anns", "scorecard_id": made["id"]}).json()["data"]
    note = world.call("sam", "POST", "/api/quality/calls/anns/comments",
                      json={"offset_s": 1, "text": "draft note", "evaluation_id": draft["id"]})
    free = world.call("sam", "POST", "/api/quality/calls/anns/comments",
                      json={"offset_s": 9.25, "text": "nice close"})
    assert note.status_code == free.status_code == 201
    assert world.call("ann", "GET", "/api/quality/evaluations").json()["data"] == []
    assert world.call("ann", "GET", f"/api/quality/evaluations/{draft['id']}").status_code == 404
    seen = world.call("ann", "GET", "/api/quality/calls/anns/comments").json()["data"]
    assert [c["text"] for c in seen] == ["nice close"]
    listed = world.call("sam", "GET", "/api/quality/evaluations?status=draft&agent=ann")
    assert [e["id"] for e in listed.json()["data"]] == [draft["id"]]
    # only its author (or an admin) removes a comment
    comment_url = f"/api/quality/calls/anns/comments/{free.json()['data']['id']}"
    assert world.call("ada", "DELETE", comment_url).status_code == 204
    assert world.call("sam", "DELETE", comment_url).status_code == 404
    assert world.call("sam", "DELETE", f"/api/quality/evaluations/{draft['id']}").status_code == 204


def test_editing_a_scorecard_in_use_makes_a_version(world: World) -> None:
    card, evaluation = scored(world)
    changed = world.call("sam", "PATCH", f"/api/quality/scorecards/{card['id']}", json={
        "sections": [{"title": "Everything", "questions": [{"text": "Good call"}]}],
    })
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["version"] == 2
    old = world.call("ann", "GET", f"/api/quality/evaluations/{evaluation['id']}").json()["data"]
    assert (old["scorecard"]["version"], old["score"]) == (1, 64.44)
    first = world.call("ann", "GET", f"/api/quality/scorecards/{card['id']}?version=1")
    assert [s["title"] for s in first.json()["data"]["sections"]] == ["Opening", "Resolution"]
    removed = world.call("max", "DELETE", f"/api/quality/scorecards/{card['id']}")
    assert removed.json() == {"deleted": False}
    assert world.call("sam", "GET", "/api/quality/scorecards").json()["data"] == []


def test_playlists_show_each_reader_only_their_calls(world: World) -> None:
    made = world.call("max", "POST", "/api/quality/playlists",
                      json={"name": "Onboarding", "description": "week one"})
    assert made.status_code == 201, made.text
    playlist = made.json()["data"]
    url = f"/api/quality/playlists/{playlist['id']}"
    for ref, body in (("anns", {"start_s": 2, "end_s": 8, "note": "greeting"}),
                      ("carls", {}), ("bobs", {})):
        added = world.call("max", "POST", f"{url}/items", json={"call": ref, **body})
        assert added.status_code == 201, added.text
    every = world.call("max", "GET", url).json()["data"]
    assert [i["call"]["uid"] for i in every["items"]] == ["anns", "carls", "bobs"]
    assert every["items"][0]["start_s"] == 2 and every["items"][0]["note"] == "greeting"
    anns = world.call("ann", "GET", url).json()["data"]
    assert [i["call"]["uid"] for i in anns["items"]] == ["anns"] and anns["hidden"] == 2
    sams = world.call("sam", "GET", url).json()["data"]
    assert [i["call"]["uid"] for i in sams["items"]] == ["anns", "bobs"]
    # sam adds only his teams' calls
    assert world.call("sam", "POST", f"{url}/items", json={"call": "carls"}).status_code == 404
    refused = world.call("ann", "POST", "/api/quality/playlists", json={"name": "x"})
    assert refused.status_code == 403
    last = every["items"][2]["id"]
    moved = world.call("max", "PATCH", f"{url}/items/{last}", json={"position": 0})
    assert [i["call"]["uid"] for i in moved.json()["data"]["items"]] == ["bobs", "anns", "carls"]
    refused = world.call("ann", "PATCH", f"{url}/items/{last}", json={"position": 1})
    assert refused.status_code == 403
    item = every["items"][1]["id"]
    assert world.call("max", "DELETE", f"{url}/items/{item}").status_code == 204
    assert world.call("max", "DELETE", f"{url}/items/{item}").status_code == 404
    renamed = world.call("sam", "PATCH", url, json={"name": "Week one"})
    assert renamed.json()["data"]["name"] == "Week one"
    assert world.call("max", "DELETE", url).status_code == 204
    assert world.call("max", "GET", url).status_code == 404


BAD_REQUESTS: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/quality/scorecards", {"name": "x", "sections": []}, 422,
         "body parameter 'sections'"),
        ("POST", "/api/quality/scorecards",
         {"name": "x", "sections": [{"title": "s", "questions": [{"text": "q", "kind": "scale"}]}]},
         422, "give scale_max"),
        ("POST", "/api/quality/scorecards",
         {"name": "x", "sections": [{"title": "s", "weight": 0, "questions": [{"text": "q"}]}]},
         422, "greater than 0"),
        ("POST", "/api/quality/scorecards", {**SCORECARD, "colour": "red"}, 422, "colour"),
        ("POST", "/api/quality/scorecards", {**SCORECARD, "name": "Support calls"}, 422,
         "exists already"),
        ("POST", "/api/quality/evaluations", {"call": "anns", "scorecard_id": 9999}, 404,
         "no scorecard 9999"),
        ("POST", "/api/quality/evaluations", {"call": "no-such", "scorecard_id": 0}, 404,
         "no call 'no-such'"),
        ("POST", "/api/quality/evaluations", {"call": "nobodys", "scorecard_id": 0}, 422,
         "name the agent evaluated"),
        ("POST", "/api/quality/evaluations", {"call": "anns", "scorecard_id": 0, "agent": "bob"},
         422, "not one of 'bob'"),
        ("POST", "/api/quality/evaluations", {"call": "anns", "scorecard_id": 0, "agent": "sam"},
         422, "no agent account 'sam'"),
        ("POST", "/api/quality/evaluations",
         {"call": "anns", "scorecard_id": 0, "answers": [{"question_id": -1, "value": 1}]},
         422, "is not on scorecard"),
        ("POST", "/api/quality/evaluations",
         {"call": "anns", "scorecard_id": 0, "answers": [{"question_id": "Q0", "value": 7}]},
         422, "send 1 (yes) or 0 (no)"),
        ("POST", "/api/quality/calls/anns/comments", {"offset_s": -2, "text": "x"}, 422,
         "offset_s"),
        ("POST", "/api/quality/calls/anns/comments", {"offset_s": 2, "text": "   "}, 422,
         "needs a text"),
        ("GET", "/api/quality/evaluations/424242", None, 404, "no evaluation 424242"),
        ("GET", "/api/quality/scorecards/abc", None, 422, "path parameter 'scorecard_id'"),
        ("PATCH", "/api/quality/scorecards/0", {}, 422, "at least one field"),
        ("POST", "/api/quality/playlists/4242/items", {"call": "anns"}, 404, "no playlist 4242"),
        ("POST", "/api/quality/playlists/4242/items", {"call": "anns", "start_s": 9, "end_s": 3},
         422, "end_s must come after"),
]
"""(method, URL, body, status, part of the message); scorecard 0 and question "Q0" stand
for the ones made first."""


def test_bad_requests_say_what_to_fix(world: World) -> None:
    card = world.call("ada", "POST", "/api/quality/scorecards", json=SCORECARD).json()["data"]
    first = questions(card)[0]

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if value == "Q0":
            return first
        return value

    playlist = world.call("ada", "POST", "/api/quality/playlists", json={"name": "p"})
    for method, url, body, status, message in BAD_REQUESTS:
        if isinstance(body, dict) and body.get("scorecard_id") == 0:
            body = {**body, "scorecard_id": card["id"]}
        url = url.replace("/scorecards/0", f"/scorecards/{card['id']}")
        if "playlists/4242/items" in url and "end_s" in (body or {}):
            url = url.replace("4242", str(playlist.json()["data"]["id"]))
        answer = world.call("ada", method, url, json=fill(body))
        assert answer.status_code == status, (url, answer.text)
        assert message in answer.json()["error"]["message"], (url, answer.text)

"""The live API on both backends: the list of calls in progress and recording control,
scoped per role like calls; the event stream's first answer and its resumption."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from callvault.accounts import Accounts, Role, credentials
from callvault.api import create_app
from callvault.calls.model import Call, CallStatus, Direction, Party
from callvault.config import Settings
from callvault.directory import Directory
from callvault.journal import Journal
from callvault.live import LiveBoard, LiveCall

T0 = 1_714_567_890.0
USERS = {"ann": Role.AGENT, "sam": Role.SUPERVISOR, "mia": Role.MANAGER,
         "cleo": Role.COMPLIANCE, "ada": Role.ADMIN}

LIVE = {
    # call id: (caller, callee, direction, extension): who may see it besides all-seeing roles
    "to-ann": ("+4533123456", "201", "inbound", None),  # ann by extension
    "ann-desk": ("2011", "+4533000000", "outbound", None),  # ann through her agent record
    "to-bob": ("+4533123456", "202", "inbound", None),  # sam: Bob is in Support
    "to-queue": ("+4533999999", "600", "inbound", None),  # sam: the Support queue
    "elsewhere": ("+4533888888", "299", "inbound", None),  # nobody in particular
}
SEES = {
    "ann": {"to-ann", "ann-desk"},
    "sam": {"to-bob", "to-queue"},
    "mia": set(LIVE),
    "cleo": set(LIVE),
    "ada": set(LIVE),
}


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "SCRYPT_LOG_N", 10)


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """The API, a token per user, the directory of the scope rules and LIVE on the board."""
    url = backend_settings.journal_url
    headers = {}
    with Accounts.open(url) as accounts:
        for username, role in USERS.items():
            accounts.add_user(username, role, password="pw-for-tests",
                              extensions=["201"] if role is Role.AGENT else [])
            token = accounts.issue_token(username, "tests")
            headers[username] = {"Authorization": f"Bearer {token}"}
    with Directory.open(url) as directory:
        directory.add_team("Sales")
        directory.add_team("Support")
        directory.add_agent("Ann", employee_id="E1", extensions=["201", "2011"], team="Sales",
                            username="ann")
        directory.add_agent("Bob", employee_id="E2", extensions=["202"], team="Support")
        directory.add_supervisor("Support", "sam")
        directory.add_queue("support", numbers=["600"], team="Support")
    with LiveBoard.open(url) as board:
        for offset, (call_id, (caller, callee, direction, extension)) in enumerate(LIVE.items()):
            board.started(LiveCall(call_id, "rec-1", "siprec", T0 + offset, caller_number=caller,
                                   callee_number=callee, direction=direction,
                                   extension=extension))
    with TestClient(create_app(backend_settings)) as client:
        yield client, headers


def test_each_role_lists_the_live_calls_it_may_see(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    for username, visible in SEES.items():
        answer = client.get("/api/live/calls", headers=headers[username])
        assert answer.status_code == 200, answer.text
        listed = answer.json()
        assert {call["call_id"] for call in listed["data"]} == visible, username
        assert listed["count"] == len(visible)
        assert listed["can_control"] is (username in ("ann", "sam", "ada"))
    first = client.get("/api/live/calls", headers=headers["ada"]).json()["data"][0]
    assert first["call_id"] == "to-ann"
    assert first["started_at"] == T0
    assert first["recording"] == "recording"
    assert first["caller_number"] == "+4533123456"


def test_recording_control_within_scope(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    answer = client.post("/api/live/calls/to-ann/recording", headers=headers["ann"],
                         json={"action": "pause"})
    assert answer.status_code == 202, answer.text
    pending = answer.json()
    assert (pending["call_id"], pending["action"], pending["by"], pending["state"]) == (
        "to-ann", "pause", "ann", "paused")

    listed = client.get("/api/live/calls", headers=headers["ann"]).json()["data"]
    assert (listed[0]["call_id"], listed[0]["requested"], listed[0]["requested_by"]) == (
        "to-ann", "pause", "ann")

    # Pausing twice makes no sense; resuming the pending pause does.
    again = client.post("/api/live/calls/to-ann/recording", headers=headers["ann"],
                        json={"action": "pause"})
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "conflict",
        "message": "cannot pause the recording of call to-ann: it is paused once the pending "
                   "pause is applied"}
    resumed = client.post("/api/live/calls/to-ann/recording", headers=headers["ann"],
                          json={"action": "resume"})
    assert resumed.status_code == 202
    # the audit trail keeps each accepted request (not the refused one)
    trail = client.get("/api/audit?action=recording_control", headers=headers["cleo"]).json()
    assert [(e["username"], e["detail"]) for e in reversed(trail["data"])] == [
        ("ann", "pause call in progress to-ann"), ("ann", "resume call in progress to-ann")]

    # Out of scope is as unknown: 404, and nothing is requested.
    for username, call_id in (("ann", "to-bob"), ("sam", "to-ann"), ("ada", "gone")):
        refused = client.post(f"/api/live/calls/{call_id}/recording",
                              headers=headers[username], json={"action": "stop"})
        assert refused.status_code == 404, (username, call_id)
        assert refused.json()["error"]["code"] == "not_found"
    assert client.post("/api/live/calls/to-bob/recording", headers=headers["sam"],
                       json={"action": "stop"}).status_code == 202

    # Roles without recording.control: 403, with what to do.
    forbidden = client.post("/api/live/calls/elsewhere/recording", headers=headers["cleo"],
                            json={"action": "stop"})
    assert forbidden.status_code == 403
    assert "may not control recording" in forbidden.json()["error"]["message"]

    # Bad bodies: 422 naming the field.
    bad = client.post("/api/live/calls/to-ann/recording", headers=headers["ann"],
                      json={"action": "mute"})
    assert bad.status_code == 422
    assert "action" in bad.json()["error"]["message"]


def _events(text: str) -> list[tuple[str, str, dict[str, object]]]:
    """(id, event, data) of each event in a server-sent events body."""
    found = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if "event" in fields:
            found.append((fields["id"], fields["event"], json.loads(fields["data"])))
    return found


def _finished_call(uid: str, callee: str) -> Call:
    return Call(uid=uid, sip_call_id=f"{uid}@pbx", started_at=T0, answered_at=T0 + 1,
                ended_at=T0 + 30, status=CallStatus.ANSWERED, sip_code=200,
                caller=Party(number="+4533123456"), callee=Party(number=callee),
                direction=Direction.INBOUND, codecs=("PCMU/8000",))


def test_the_event_stream_starts_with_the_board_and_resumes_after_an_id(
    api: tuple[TestClient, dict[str, dict[str, str]]], backend_settings: Settings,
) -> None:
    client, headers = api
    answer = client.get("/api/events?max_seconds=0", headers=headers["ann"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.startswith("retry: ")
    events = _events(answer.text)
    assert [(name, data["call_id"]) for _, name, data in events] == [
        ("call.started", "to-ann"), ("call.started", "ann-desk")]
    assert {event_id for event_id, _, _ in events} == {"0"}

    with Journal.open(backend_settings.journal_url) as journal:
        first = journal.save(_finished_call("done-ann", "201"))
        journal.save(_finished_call("done-bob", "202"))
        third = journal.save(_finished_call("done-ann-2", "201"))
    resumed = client.get("/api/events?max_seconds=0",
                         headers={**headers["ann"], "Last-Event-ID": "0"})
    events = _events(resumed.text)
    finished = [(event_id, data["uid"]) for event_id, name, data in events
                if name == "call.finished"]
    assert finished == [(str(first), "done-ann"), (str(third), "done-ann-2")]
    assert [name for _, name, _ in events][-2:] == ["call.started", "call.started"]

    after = client.get("/api/events?max_seconds=0",
                       headers={**headers["ann"], "Last-Event-ID": str(first)})
    assert [data["uid"] for _, name, data in _events(after.text)
            if name == "call.finished"] == ["done-ann-2"]
    sam = client.get("/api/events?max_seconds=0",
                     headers={**headers["sam"], "Last-Event-ID": "0"})
    assert [data.get("uid", data.get("call_id")) for _, _, data in _events(sam.text)] == [
        "done-bob", "to-bob", "to-queue"]
    # A fresh stream starts after the newest saved call: nothing finished is replayed.
    fresh = client.get("/api/events?max_seconds=0", headers=headers["ada"])
    assert {name for _, name, _ in _events(fresh.text)} == {"call.started"}
    assert {event_id for event_id, _, _ in _events(fresh.text)} == {str(third)}

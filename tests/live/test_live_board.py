"""The live board on both backends: what a recorder publishes, what readers see, control
requests going round through the database, stale rows of a recorder that died."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callvault.errors import JournalError
from callvault.live import LiveBoard, LiveCall, LiveConflict, LiveError, NoSuchLiveCall, Request


@pytest.fixture
def board(journal_url: str) -> Iterator[LiveBoard]:
    with LiveBoard.open(journal_url) as opened:
        yield opened


def _call(call_id: str = "c1", recorder: str = "rec-a", **fields: object) -> LiveCall:
    values: dict[str, object] = {
        "call_id": call_id,
        "recorder": recorder,
        "source": "siprec",
        "started_at": 1_000.0,
        "caller_number": "+4512345678",
        "caller_display_name": "Ana Lima",
        "callee_number": "201",
        "direction": "inbound",
        "extension": "201",
    }
    values.update(fields)
    return LiveCall(**values)  # type: ignore[arg-type]


def test_started_calls_are_listed_oldest_first_and_end(board: LiveBoard) -> None:
    board.started(_call("late", started_at=2_000.0), now=2_000.0)
    stored = board.started(_call("early", started_at=1_500.5, recording_path="/r/early.wav"),
                           now=2_001.0)
    assert stored.revision == 1 and stored.updated_at == 2_001.0

    listed = board.calls()
    assert [call.call_id for call in listed] == ["early", "late"]
    early = listed[0]
    assert early == stored
    assert early.started_at == 1_500.5
    assert early.caller_display_name == "Ana Lima"
    assert early.recording == "recording"
    assert early.recording_path == "/r/early.wav"
    assert early.numbers == ("+4512345678", "201", "201")
    assert early.to_dict()["call_id"] == "early"

    assert board.ended("early") is True
    assert board.ended("early") is False
    assert [call.call_id for call in board.calls()] == ["late"]
    assert board.get("early") is None


def test_changed_updates_fields_and_revision(board: LiveBoard) -> None:
    board.started(_call(), now=1_000.0)
    assert board.changed("c1", answered_at=1_004.25, callee_display_name="Bo", now=1_005.0)
    call = board.get("c1")
    assert call is not None
    assert (call.answered_at, call.callee_display_name) == (1_004.25, "Bo")
    assert (call.revision, call.updated_at) == (2, 1_005.0)
    assert board.changed("missing", answered_at=1.0) is False
    with pytest.raises(LiveError, match="cannot change revision"):
        board.changed("c1", revision=9)
    with pytest.raises(LiveError, match="unknown recording state 'loud'"):
        board.changed("c1", recording="loud")


def test_started_again_replaces_the_row_and_keeps_a_pending_request(board: LiveBoard) -> None:
    board.started(_call(), now=1_000.0)
    board.request("c1", "pause", by="ana", now=1_001.0)
    again = board.started(_call(answered_at=1_002.0), now=1_003.0)
    assert again.revision == 3
    assert again.answered_at == 1_002.0
    assert again.request == Request("c1", "pause", "ana", 1_001.0)


def test_a_request_goes_round_to_the_recorder_and_back(board: LiveBoard) -> None:
    board.started(_call("c1"), now=1_000.0)
    board.started(_call("c2", recorder="rec-b"), now=1_000.0)

    asked = board.request("c1", "pause", by="ana", now=1_010.0)
    assert asked == Request("c1", "pause", "ana", 1_010.0)
    assert asked.state == "paused"
    assert board.pending("rec-a") == [asked]
    assert board.pending("rec-b") == []

    assert board.applied("c1", "paused", now=1_011.0) is True
    assert board.pending("rec-a") == []
    call = board.get("c1")
    assert call is not None
    assert (call.recording, call.request) == ("paused", None)

    board.request("c1", "resume", by="ana")
    board.applied("c1", "recording")
    board.request("c1", "stop", by="sup")
    board.applied("c1", "stopped")
    board.request("c1", "start", by="sup")
    board.applied("c1", "recording")
    call = board.get("c1")
    assert call is not None and call.recording == "recording" and call.request is None
    assert board.applied("missing", "paused") is False


def test_a_request_made_while_another_is_applied_stays_pending(board: LiveBoard) -> None:
    board.started(_call(), now=1_000.0)
    board.request("c1", "pause", by="ana", now=1_001.0)
    # The recorder read "pause"; before it reports, the agent resumes again.
    board.request("c1", "resume", by="ana", now=1_002.0)
    board.applied("c1", "paused")
    assert [request.action for request in board.pending("rec-a")] == ["resume"]
    board.applied("c1", "recording")
    assert board.pending("rec-a") == []


def test_requests_that_make_no_sense_are_refused(board: LiveBoard) -> None:
    board.started(_call("c1"), now=1_000.0)
    board.started(_call("quiet", recording="not recorded"), now=1_000.0)
    with pytest.raises(NoSuchLiveCall, match="no call in progress has the id 'nope'"):
        board.request("nope", "pause", by="ana")
    with pytest.raises(LiveConflict,
                       match="cannot resume the recording of call c1: it is recording"):
        board.request("c1", "resume", by="ana")
    with pytest.raises(LiveConflict, match="cannot start"):
        board.request("c1", "start", by="ana")
    with pytest.raises(LiveConflict, match=r"cannot pause .* it is not recorded"):
        board.request("quiet", "pause", by="ana")
    with pytest.raises(LiveError, match="unknown recording action 'mute'"):
        board.request("c1", "mute", by="ana")
    board.request("c1", "pause", by="ana")
    with pytest.raises(LiveConflict, match="it is paused"):
        board.request("c1", "pause", by="ana")
    assert board.request("quiet", "start", by="sup").state == "recording"


def test_heartbeat_and_stale_rows(board: LiveBoard) -> None:
    board.started(_call("a1"), now=1_000.0)
    board.started(_call("a2"), now=1_000.0)
    board.started(_call("b1", recorder="rec-b"), now=1_000.0)
    assert board.heartbeat("rec-a", now=1_050.0) == 2
    assert board.heartbeat("nobody", now=1_050.0) == 0

    assert [call.call_id for call in board.stale(None, 30, now=1_060.0)] == ["b1"]
    assert board.stale("rec-a", 30, now=1_060.0) == []
    assert [call.call_id for call in board.stale("rec-a", 5, now=1_060.0)] == ["a1", "a2"]
    # A heartbeat is no change of the call: its revision stays.
    assert {call.revision for call in board.calls()} == {1}


def test_bad_calls_are_refused(board: LiveBoard) -> None:
    with pytest.raises(LiveError, match="unknown recording state 'on'"):
        board.started(_call(recording="on"))
    with pytest.raises(LiveError, match="needs a call id"):
        board.started(_call(""))
    with pytest.raises(LiveError, match="needs its recorder"):
        board.started(_call(recorder=""))
    with pytest.raises(LiveError, match="unknown recording state"):
        board.applied("c1", "muted")
    assert board.calls() == []


def test_two_boards_on_one_journal_share_the_calls(journal_url: str) -> None:
    with LiveBoard.open(journal_url) as recorder, LiveBoard.open(journal_url) as reader:
        recorder.started(_call())
        reader.request("c1", "pause", by="ana")
        assert [request.action for request in recorder.pending("rec-a")] == ["pause"]
        recorder.applied("c1", "paused")
        assert [call.recording for call in reader.calls()] == ["paused"]


def test_open_refuses_what_is_not_a_journal() -> None:
    with pytest.raises(JournalError, match="not a database URL"):
        LiveBoard.open("no such thing")

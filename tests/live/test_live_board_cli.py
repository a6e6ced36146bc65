"""`callvault live` as a user runs it, on both backends: the table, the JSON, the requests
it writes to the board, and one-line errors."""

from __future__ import annotations

import json
import time

import pytest

from callvault.cli import main
from callvault.live import LiveBoard, LiveCall


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_live_calls_and_control(journal_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ("--db", journal_url)
    assert run(capsys, "live", "calls", *db)[1] == "No calls in progress.\n"
    with LiveBoard.open(journal_url) as board:
        board.started(LiveCall("call-1", "rec-1", "capture", time.time() - 3725,
                               caller_number="+4533123456", caller_display_name="Ana Lima",
                               callee_number="201"))

    code, out, _ = run(capsys, "live", "calls", *db)
    header, row = out.splitlines()
    assert header.split() == ["CALL", "STARTED", "DURATION", "CALLER", "CALLEE", "RECORDING",
                              "REQUESTED", "RECORDER"]
    assert row.startswith("call-1  ")
    assert " 1:02:0" in row  # an hour, two minutes and five (or six) seconds
    assert "Ana Lima <+4533123456>" in row and "recording" in row
    assert row.endswith("rec-1 (capture)")

    code, out, err = run(capsys, "live", "pause", "call-1", "--by", "ana", *db)
    assert (code, err) == (0, "")
    assert out == ("pause requested for call call-1: its recording will be paused once its "
                   "recorder applies it\n")
    listed = json.loads(run(capsys, "live", "calls", "--json", *db)[1])
    assert [(c["call_id"], c["requested"], c["requested_by"]) for c in listed] == [
        ("call-1", "pause", "ana")]

    code, out, err = run(capsys, "live", "pause", "call-1", *db)
    assert code == 1 and out == ""
    assert err == ("callvault: error: cannot pause the recording of call call-1: it is paused "
                   "once the pending pause is applied\n")
    code, _, err = run(capsys, "live", "stop", "no-such-call", *db)
    assert (code, err) == (1, "callvault: error: no call in progress has the id 'no-such-call'\n")
    code, _, err = run(capsys, "live", "mute", "call-1", *db)
    assert code == 2 and "No such command 'mute'" in err
    assert "Traceback" not in err

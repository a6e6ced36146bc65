"""`callvault calls` and `callvault call` as a user runs them: every format, parsed back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result

from callvault.calls.model import Call
from callvault.errors import JournalError
from callvault.journal.export import CSV_FIELDS

Run = Callable[..., Result]
"""The ``run`` fixture: a command line on the test journal."""

CALL_KEYS = [
    "id",
    "uid",
    "sip_call_id",
    "started_at",
    "ringing_at",
    "answered_at",
    "ended_at",
    "status",
    "sip_code",
    "reason",
    "hangup_by",
    "end_cause",
    "direction",
    "caller",
    "callee",
    "transport",
    "codecs",
    "ring_ms",
    "talk_ms",
    "duration_ms",
    "stream_count",
    "packet_count",
    "source",
    "audio_issue",
    "recording",
    "comment",
    "outcome",
    "tags",
    "agent_id",
    "team_id",
    "queue_id",
    "tracked_number_id",
    "channel",
    "campaign",
    "hold_ms",
    "transferred",
    "wrap_up_ms",
    "csat",
]


def table_rows(output: str) -> list[list[str]]:
    """The table's lines split on runs of two or more spaces (cells may hold one)."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines() if line.strip()]


def epoch(iso: str | None) -> float | None:
    return None if iso is None or iso == "" else datetime.fromisoformat(iso).timestamp()


# -- calls: table --------------------------------------------------------------------------


def test_the_table_shows_one_line_per_call_newest_first(run: Run, three_calls: list[Call]) -> None:
    result = run("calls")
    assert result.exit_code == 0, result.output
    header, *rows, footer = table_rows(result.output)
    assert header == [
        "id",
        "start",
        "caller",
        "callee",
        "direction",
        "status",
        "ring",
        "talk",
        "streams",
    ]
    assert [" | ".join(row) for row in rows] == [
        "3 | 2024-05-02 14:51:30+02:00 | - | - | unknown | unsignalled | 0:00:30 | 0:00:00 | 0",
        "2 | 2024-05-01 15:51:30+02:00 | 202 | +4522334455 | outbound | missed 487 | 0:00:22 | "
        "0:00:00 | 0",
        "1 | 2024-05-01 14:51:30+02:00 | +4533123456 | 201 | inbound | answered 200 | 0:00:04 | "
        "1:02:00 | 2",
    ]
    assert footer == ["3 calls."]


def test_the_table_says_which_page_it_shows(run: Run, three_calls: list[Call]) -> None:
    result = run("calls", "--limit", "1", "--offset", "1")
    assert result.exit_code == 0, result.output
    _, row, footer = table_rows(result.output)
    assert row[:2] == ["2", "2024-05-01 15:51:30+02:00"]
    assert footer[0].startswith("Calls 2-2 of 3; the next page: --cursor ")


def test_an_empty_journal_is_a_friendly_line_not_an_empty_table(run: Run, data_dir: Path) -> None:
    result = run("calls")
    assert result.exit_code == 0
    assert result.output.startswith("The journal has no calls yet: `callvault ingest CAPTURE`")
    assert "status" not in result.output
    assert len(result.output.splitlines()) == 1


def test_no_match_says_so_and_how_many_calls_there_are(run: Run, three_calls: list[Call]) -> None:
    result = run("calls", "--status", "busy")
    assert (result.exit_code, result.output) == (0, "No calls match; 3 calls in the journal.\n")


# -- calls: filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "uids"),
    [
        ([], ["rtp-3", "missed-2", "answered-1"]),
        (["--status", "missed"], ["missed-2"]),
        (["--status", "ANSWERED"], ["answered-1"]),
        (["--direction", "inbound"], ["answered-1"]),
        (["--number", "+45 22 33"], ["missed-2"]),
        (["--number", "20"], ["missed-2", "answered-1"]),
        (["--since", "2024-05-01T15:00"], ["rtp-3", "missed-2"]),  # local time
        (["--since", "2024-05-01T13:00Z"], ["rtp-3", "missed-2"]),
        (["--until", "2024-05-02"], ["missed-2", "answered-1"]),
        (["--since", "2024-05-01", "--until", "2024-05-01T15:00+02:00"], ["answered-1"]),
        (["--since", "@1714571490.123456"], ["rtp-3", "missed-2"]),
        (["--since", "-1d"], []),  # the calls are from 2024
        (["--until", "now", "--status", "unsignalled"], ["rtp-3"]),
        (["--oldest-first"], ["answered-1", "missed-2", "rtp-3"]),
        (["--limit", "2"], ["rtp-3", "missed-2"]),
        (["--offset", "2"], ["answered-1"]),
        (["--limit", "0"], []),
        (["--status", "missed", "--status", "unsignalled"], ["rtp-3", "missed-2"]),
        (["--direction", "outbound", "--direction", "inbound"], ["missed-2", "answered-1"]),
        (["--party", "+45 22 33 44 55"], ["missed-2"]),  # exact, in any written form
        (["--party", "2233"], []),
        (["--caller", "202"], ["missed-2"]),
        (["--callee", "202"], []),
        (["--min-talk-ms", "1"], ["answered-1"]),
        (["--min-ring-ms", "25000"], ["rtp-3"]),
        (["--min-duration-ms", "3725000"], ["answered-1"]),
        (["--sip-code", "487", "--sip-code", "200"], ["missed-2", "answered-1"]),
        (["--hangup-by", "caller"], ["missed-2", "answered-1"]),
        (["--codec", "pcma"], ["answered-1"]),
        (["--transport", "TCP"], ["missed-2"]),
        (["--recorded"], []),
        (["--not-recorded", "--no-audio-issue"], ["rtp-3", "missed-2", "answered-1"]),
        (["--agent-id", "1"], []),
        (["--sort", "talk", "--limit", "1"], ["answered-1"]),
        (["--sort", "caller", "--asc"], ["rtp-3", "answered-1", "missed-2"]),
    ],
)
def test_filters(run: Run, three_calls: list[Call], args: list[str], uids: list[str]) -> None:
    result = run("calls", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [record["uid"] for record in json.loads(result.output)] == uids


# -- calls: exports ------------------------------------------------------------------------


def test_json_is_an_array_of_objects_with_stable_keys(run: Run, three_calls: list[Call]) -> None:
    result = run("calls", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [list(record) for record in records] == [CALL_KEYS] * 3
    answered = records[2]
    call = three_calls[0]
    assert answered["id"] == 1 and answered["uid"] == "answered-1"
    assert answered["started_at"] == "2024-05-01T12:51:30.123456+00:00"
    for name in ("started_at", "ringing_at", "answered_at", "ended_at"):
        assert epoch(answered[name]) == pytest.approx(getattr(call, name), abs=1e-6)
    assert answered["caller"] == {
        "number": "+4533123456",
        "display_name": "Kunde Ærø",
        "uri": "sip:+4533123456@carrier.example",
        "e164": "+4533123456",
        "ip": "198.51.100.7",
        "user_agent": "Carrier SBC 4.2",
    }
    assert answered["codecs"] == ["PCMA/8000", "telephone-event/8000"]
    assert (answered["status"], answered["sip_code"], answered["hangup_by"]) == (
        "answered",
        200,
        "caller",
    )
    assert (answered["ring_ms"], answered["talk_ms"], answered["duration_ms"]) == (
        4500,
        3720500,
        3725000,
    )
    assert (answered["stream_count"], answered["packet_count"]) == (2, 371990)
    assert records[0]["ringing_at"] is None and records[0]["sip_call_id"] is None


def test_csv_has_a_header_and_every_journal_field(run: Run, three_calls: list[Call]) -> None:
    result = run("calls", "--format", "csv", "--oldest-first")
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.output))
    assert tuple(reader.fieldnames or ()) == CSV_FIELDS
    answered, missed, rtp = list(reader)
    call = three_calls[0]
    assert answered["id"] == "1" and answered["uid"] == call.uid
    assert answered["sip_call_id"] == call.sip_call_id
    assert answered["reason"] == 'Q.850;cause=16;text="Normal call clearing"'
    assert answered["caller_display_name"] == "Kunde Ærø"
    assert answered["callee_user_agent"] == "Yealink SIP-T46U"
    assert answered["codecs"] == "PCMA/8000 telephone-event/8000"
    assert epoch(answered["ended_at"]) == pytest.approx(call.ended_at, abs=1e-6)
    assert (answered["talk_ms"], answered["packet_count"], answered["source"]) == (
        "3720500",
        "371990",
        "span-2024-05-01.pcapng",
    )
    assert (missed["status"], missed["sip_code"], missed["callee_e164"]) == (
        "missed",
        "487",
        "+4522334455",
    )
    assert missed["answered_at"] == "" and rtp["sip_call_id"] == ""


# -- calls: bad arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "hungup"], "'hungup' is not one of 'answered', 'missed', 'busy', "),
        (["--direction", "up"], "'up' is not one of 'inbound', 'outbound', 'internal', "),
        (["--since", "last week"], "'last week' is not a time; use an ISO date or date-time"),
        (["--until", "2024-02-30"], "'2024-02-30' is not a time; use an ISO date"),
        (["--since", "-2y"], "'-2y' is not a time; use"),
        (["--limit", "-1"], "-1 is not in the range x>=0"),
        (["--format", "xml"], "'xml' is not one of 'table', 'csv', 'json'"),
        (["--sort", "length"], "'length' is not one of 'started_at', 'duration'"),
        (["--agent-id", "x"], "'x' is not a valid integer"),
        (["--sip-code", "99"], "99 is not in the range 100<=x<=699"),
    ],
)
def test_bad_arguments_are_usage_errors(
    run: Run, data_dir: Path, args: list[str], message: str
) -> None:
    result = run("calls", *args)
    assert result.exit_code == 2
    error_line = result.output.strip().splitlines()[-1]
    assert error_line.startswith("Error: Invalid value for '--")
    assert message in error_line
    assert not data_dir.exists()  # refused before the journal was opened


def test_a_journal_that_cannot_be_opened(run: Run, tmp_path: Path) -> None:
    result = run("calls", "--db", "mysql://db/journal", data=False)
    assert result.exit_code == 1
    assert isinstance(result.exception, JournalError)  # main() prints it as one line
    assert str(result.exception) == (
        "cannot open the journal at mysql://db/journal: it runs on SQLite or PostgreSQL, not mysql"
    )


def test_db_and_the_environment_choose_the_journal(
    run: Run, three_calls: list[Call], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{data_dir / 'journal.sqlite3'}"
    result = run("calls", "--db", url, "--format", "json", data=False)
    assert len(json.loads(result.output)) == 3
    monkeypatch.setenv("CALLVAULT_DATA_DIR", str(data_dir))
    result = run("calls", "--format", "json", data=False)
    assert len(json.loads(result.output)) == 3


# -- call ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["1", "answered-1", "a84b4c76e66710@pc33.example.com"])
def test_call_finds_by_id_uid_or_call_id(run: Run, three_calls: list[Call], ref: str) -> None:
    result = run("call", ref, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["uid"] == "answered-1"


def test_call_shows_every_field_stream_and_event(run: Run, three_calls: list[Call]) -> None:
    result = run("call", "1")
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert lines[0] == "Call 1: inbound, answered 200"
    text = "\n".join(lines)
    for expected in (
        "uid         answered-1",
        "Call-ID     a84b4c76e66710@pc33.example.com",
        "started     2024-05-01 14:51:30.123+02:00",
        "ringing     2024-05-01 14:51:30.373+02:00  (+250 ms)",
        "answered    2024-05-01 14:51:34.623+02:00  (+4,500 ms)",
        "ended       2024-05-01 15:53:35.123+02:00  (+3,725,000 ms)",
        "talk        1:02:00  (3,720,500 ms)",
        'reason      Q.850;cause=16;text="Normal call clearing"',
        "hung up by  caller",
        "end         bye",
        "transport   udp",
        "codecs      PCMA/8000, telephone-event/8000",
        "source      span-2024-05-01.pcapng",
        "display name  Kunde Ærø",
        "user agent    Carrier SBC 4.2",
        "Streams (2)",
        "Events (2)",
    ):
        assert expected in text
    streams = table_rows(text.split("Streams (2)")[1].split("Events")[0])
    assert streams[1] == [
        "caller",
        "0xFEEDBEEF",
        "198.51.100.7:30000",
        "10.0.0.21:11780",
        "PCMA/8000",
        "8 101",
        "186,000",
        "29,760,000",
        "744",
        "+4,520",
        "+3,724,980",
        "-",
        "-",
        "-",
    ]
    assert streams[2][:4] == ["callee", "0x00001234", "[2001:db8::21]:11780", "[2001:db8::7]:30000"]
    events = table_rows(text.split("Events (2)")[1])
    assert events[1:] == [
        ["+10,020", "dtmf", "caller", "5", "rfc4733"],
        ["+20,500", "hold", "callee", "sendonly", "-"],
    ]


def test_call_as_json_has_streams_and_events(run: Run, three_calls: list[Call]) -> None:
    result = run("call", "answered-1", "--format", "json")
    record = json.loads(result.output)
    assert list(record) == [*CALL_KEYS, "streams", "events"]
    first, second = record["streams"]
    assert first == {
        "ssrc": 0xFEEDBEEF,
        "side": "caller",
        "src_ip": "198.51.100.7",
        "src_port": 30000,
        "dst_ip": "10.0.0.21",
        "dst_port": 11780,
        "codec": "PCMA/8000",
        "payload_types": [8, 101],
        "packets": 186000,
        "bytes": 29760000,
        "rtcp_packets": 744,
        "first_at": "2024-05-01T12:51:34.643456+00:00",
        "last_at": "2024-05-01T13:53:35.103456+00:00",
        "first_offset_ms": 4520,
        "last_offset_ms": 3724980,
        "expected": None,
        "lost": None,
        "loss_bursts": None,
        "duplicates": None,
        "out_of_order": None,
        "jitter_mean_ms": None,
        "jitter_max_ms": None,
        "max_delta_ms": None,
        "mos": None,
        "not_decodable": None,
    }
    assert second["src_ip"] == "2001:db8::21"
    assert record["events"] == [
        {
            "kind": "dtmf",
            "at": "2024-05-01T12:51:40.143456+00:00",
            "offset_ms": 10020,
            "party": "caller",
            "value": "5",
            "detail": "rfc4733",
        },
        {
            "kind": "hold",
            "at": "2024-05-01T12:51:50.623456+00:00",
            "offset_ms": 20500,
            "party": "callee",
            "value": "sendonly",
            "detail": None,
        },
    ]


def test_a_call_without_streams_or_events_says_so(run: Run, three_calls: list[Call]) -> None:
    result = run("call", "rtp-3")
    assert result.exit_code == 0, result.output
    assert "Streams (0)" in result.output and "Events (0)" in result.output
    assert "Call-ID     -" in result.output


def test_an_unknown_call_is_one_line_and_exit_code_1(run: Run, three_calls: list[Call]) -> None:
    result = run("call", "x")
    assert result.exit_code == 1
    assert result.output == "Error: no call with id, uid or Call-ID 'x' in the journal\n"


def test_a_table_pages_on_by_the_cursor_it_prints(run: Run, three_calls: list[Call]) -> None:
    seen: list[str] = []
    args = ["calls", "--limit", "1", "--sort", "duration"]
    for _ in range(4):
        result = run(*args)
        assert result.exit_code == 0, result.output
        *_, row, footer = table_rows(result.output)
        seen.append(row[0])
        if "--cursor" not in footer[0]:
            break
        args = ["calls", "--limit", "1", "--sort", "duration", "--cursor", footer[0].split()[-1]]
    assert seen == ["1", "3", "2"]  # ids, longest call first
    assert footer == ["1 call of 3."]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cursor", "bogus"], "Error: --cursor: cursor 'bogus' is not one this list gave"),
        (["--min-talk-ms", "9", "--max-talk-ms", "1"], "Error: --min-talk-ms: min_talk_ms (9) is"),
        (["--party", " "], "Error: --party: party: send a phone number or extension"),
    ],
)
def test_filters_that_mean_nothing_are_one_line_usage_errors(
    run: Run, data_dir: Path, args: list[str], message: str
) -> None:
    result = run("calls", *args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(message), result.output
    assert "Traceback" not in result.output

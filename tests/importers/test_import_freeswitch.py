"""FreeSWITCH mod_cdr_csv, mod_cdr_sqlite (database and .dump) and mod_json_cdr into calls;
numbers worked out by hand from the rows quoted."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cdr_samples import DATA, cdr_file

from callvault.calls.model import CallStatus, Side
from callvault.config import Settings
from callvault.importers import CdrFileError, read_calls, zone_named
from callvault.importers.freeswitch import CSV_COLUMNS, parse_columns

FS_CSV = "freeswitch_mod_cdr_csv_Master.csv"
DUMP = "freeswitch_mod_cdr_sqlite_dump.sql"


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.testdata
def test_resaved_csv_with_minute_stamps(settings: Settings) -> None:
    # 10 rows; the last three repeat uuid 7adced1a-4c7c-11ea-b08c-2bfc2a06d67d: 8 calls.
    # Only line 3 has no answer stamp (NO_USER_RESPONSE): missed.
    result = read_calls("freeswitch-csv", [cdr_file(FS_CSV)], settings, zone=zone_named("UTC"))
    assert result.report.rows == 10 and result.report.skipped == []
    calls = {c.sip_call_id: c for c in result.calls}
    assert len(calls) == 8
    assert Counter(c.status for c in calls.values()) == {
        CallStatus.ANSWERED: 7, CallStatus.MISSED: 1}
    # line 2: Outbound Call,1002,&,default,2020/2/10 22:40,2020/2/10 22:40,2020/2/10 22:41,
    # 64,61,NORMAL_CLEARING,b9d0a33e-...: stamps in minutes, so end = start + 64 s and
    # answer = end - 61 s
    call = calls["b9d0a33e-4c15-11ea-978a-9dd79410affb"]
    assert call.started_at == _utc("2020-02-10 22:40")
    assert (call.ring_ms, call.talk_ms, call.duration_ms) == (3_000, 61_000, 64_000)
    assert (call.caller.display_name, call.caller.number, call.callee.number) == (
        "Outbound Call", "1002", "&")
    assert call.codecs == ("PCMU",)
    # line 3: ,0,1002,default,2020/2/10 22:41,,2020/2/10 22:41,2,0,NO_USER_RESPONSE,f1542038-...
    missed = calls["f1542038-4c15-11ea-97ca-9dd79410affb"]
    assert missed.status is CallStatus.MISSED
    assert (missed.ring_ms, missed.talk_ms) == (2_000, 0)
    assert (missed.caller.number, missed.caller.display_name, missed.callee.number) == (
        "0", None, "1002")
    # line 7: 1002,1002,1004,default,2020/2/11 11:05,2020/2/11 11:05,2020/2/11 11:06,43,32,
    # RECOVERY_ON_TIMER_EXPIRE,559758f2-...: answered whatever the cause
    timer = calls["559758f2-4c7b-11ea-b071-2bfc2a06d67d"]
    assert timer.status is CallStatus.ANSWERED and timer.reason == "RECOVERY_ON_TIMER_EXPIRE"
    assert (timer.ring_ms, timer.talk_ms) == (11_000, 32_000)
    assert (timer.caller.number, timer.callee.number) == ("1002", "1004")
    # lines 8-10: 2020/2/11 11:13 ... 31,20, twice NORMAL_CLEARING then USER_BUSY
    repeated = calls["7adced1a-4c7c-11ea-b08c-2bfc2a06d67d"]
    assert repeated.status is CallStatus.ANSWERED
    assert (repeated.ring_ms, repeated.talk_ms) == (11_000, 20_000)
    assert len(repeated.events) == 3


@pytest.mark.testdata
def test_csv_with_a_custom_column_list(settings: Settings, tmp_path: Path) -> None:
    # the same file with its columns reversed, read through --columns
    text = cdr_file(FS_CSV).read_text()
    reversed_file = tmp_path / "Master.csv"
    reversed_file.write_text("".join(",".join(reversed(line.split(","))) + "\n"
                                     for line in text.splitlines()))
    columns = parse_columns(",".join("${" + c + "}" for c in reversed(CSV_COLUMNS)))
    plain = read_calls("freeswitch-csv", [cdr_file(FS_CSV)], settings, zone=zone_named("UTC"))
    custom = read_calls("freeswitch-csv", [reversed_file], settings, columns=columns,
                        zone=zone_named("UTC"))
    assert [c.uid for c in custom.calls] == [c.uid for c in plain.calls]


@pytest.mark.testdata
def test_sqlite_dump(settings: Settings) -> None:
    # INSERT ... VALUES('Outbound Call','800123123','34650881188','default',
    # '2015-01-14 17:58:01','2015-01-14 17:58:01','2015-01-14 17:59:56',50,50,
    # 'NORMAL_CLEARING',16,'2bbe83f7-5111-4b5b-9626-c5154608d4ee','','')
    # The stamps have seconds, so they decide: 115 s of talk (the row's billsec says 50).
    result = read_calls("freeswitch-sqlite", [cdr_file(DUMP)], settings, zone=zone_named("UTC"))
    assert result.report.rows == 2 and result.report.skipped == []
    calls = {c.sip_call_id: c for c in result.calls}
    first = calls["2bbe83f7-5111-4b5b-9626-c5154608d4ee"]
    assert first.started_at == _utc("2015-01-14 17:58:01")
    assert first.status is CallStatus.ANSWERED
    assert (first.ring_ms, first.talk_ms) == (0, 115_000)
    assert (first.caller.number, first.callee.number) == ("800123123", "34650881188")
    # the second uuid is not a valid UUID; it is still the call's id
    second = calls["2bbe83f7-5111-4b5b-1324-joij32j2o344"]
    assert (second.ring_ms, second.talk_ms) == (0, 15_000)


@pytest.mark.testdata
def test_sqlite_database_file_gives_the_same_calls_as_its_dump(settings: Settings,
                                                               tmp_path: Path) -> None:
    database = tmp_path / "cdr.db"
    with sqlite3.connect(database) as db:
        db.executescript(cdr_file(DUMP).read_text())
    db.close()
    from_dump = read_calls("freeswitch-sqlite", [cdr_file(DUMP)], settings)
    from_file = read_calls("freeswitch-sqlite", [database], settings)
    assert [c.uid for c in from_file.calls] == [c.uid for c in from_dump.calls]
    assert len(from_file.calls) == 2


def test_dump_runs_only_create_table_and_insert(settings: Settings, tmp_path: Path) -> None:
    victim = tmp_path / "victim.db"
    dump = tmp_path / "evil.sql"
    dump.write_text(
        "CREATE TABLE cdr (caller_id_number, destination_number, start_stamp, answer_stamp,"
        " end_stamp, duration, billsec, hangup_cause, uuid);\n"
        f"ATTACH DATABASE '{victim}' AS victim;\n"
        "INSERT INTO cdr VALUES('201','202','2020-01-01 10:00:00','','2020-01-01 10:00:09',"
        "9,0,'USER_BUSY','u-1');\n"
        "DELETE FROM cdr;\nDROP TABLE cdr;\n"
        "INSERT INTO cdr SELECT * FROM cdr;\n"
    )
    result = read_calls("freeswitch-sqlite", [dump], settings, zone=zone_named("UTC"))
    assert not victim.exists()
    assert [(c.sip_call_id, c.status) for c in result.calls] == [("u-1", CallStatus.BUSY)]
    assert [line for line, _ in result.report.skipped] == [2, 4, 5, 6]
    assert result.report.skipped[0][1] == "statement not allowed in a dump: ATTACH DATABASE"
    assert result.report.skipped[3][1] == "SQL: not authorized"


def test_dump_with_newlines_the_way_sqlite_writes_them(settings: Settings,
                                                       tmp_path: Path) -> None:
    dump = tmp_path / "dump.sql"
    dump.write_text(
        "CREATE TABLE cdr (caller_id_name, start_stamp, end_stamp, hangup_cause, uuid);\n"
        "INSERT INTO cdr VALUES(replace('Front\\ndesk','\\n',char(10)),"
        "'2020-01-01 10:00:00','2020-01-01 10:00:09','NO_ANSWER','u-2');\n")
    (call,) = read_calls("freeswitch-sqlite", [dump], settings).calls
    assert call.caller.display_name == "Front\ndesk"
    assert call.status is CallStatus.MISSED


def test_not_a_cdr_database_is_one_clear_error(settings: Settings, tmp_path: Path) -> None:
    other = tmp_path / "other.sql"
    other.write_text("CREATE TABLE calls (x);\n")
    with pytest.raises(CdrFileError, match=r"other\.sql: no table 'cdr' \(tables: calls\)"):
        read_calls("freeswitch-sqlite", [other], settings)


def test_json_cdrs_a_and_b_leg_are_one_call(settings: Settings) -> None:
    # a_leg_1001_to_1002.json: start_uepoch 1517990400000000, answer_uepoch 1517990405500000,
    # end_uepoch 1517990465250000, bleg_uuid = the uuid of b_leg_1002.json, recv_bye.
    # missed_1003_cancel.json: start_epoch 1517994000, answer_epoch 0, end_epoch 1517994012,
    # ORIGINATOR_CANCEL, its callflow an object (older mod_json_cdr) not an array.
    result = read_calls("freeswitch-json", [DATA / "freeswitch_json"], settings)
    assert result.report.rows == 3 and result.report.skipped == []
    answered, missed = result.calls
    assert answered.sip_call_id == "e3133bf7-dcde-4daf-9663-9a79ffcef5ad"
    assert answered.status is CallStatus.ANSWERED
    assert (answered.started_at, answered.answered_at, answered.ended_at) == (
        1517990400.0, 1517990405.5, 1517990465.25)
    assert (answered.ring_ms, answered.talk_ms) == (5_500, 59_750)
    assert (answered.caller.display_name, answered.caller.number) == ("Alice Smith", "1001")
    assert answered.callee.number == "1002"
    assert answered.hangup_by is Side.CALLER
    assert answered.codecs == ("PCMU",)
    assert len(answered.events) == 2
    assert missed.status is CallStatus.MISSED
    assert (missed.ring_ms, missed.talk_ms) == (12_000, 0)
    assert (missed.caller.display_name, missed.caller.number) == ("Bob", "1003")
    assert missed.hangup_by is Side.CALLER


def test_json_b_leg_alone_and_file_order_do_not_matter(settings: Settings) -> None:
    folder = DATA / "freeswitch_json"
    forward = read_calls("freeswitch-json", [folder / "a_leg_1001_to_1002.json",
                                             folder / "b_leg_1002.json"], settings)
    backward = read_calls("freeswitch-json", [folder / "b_leg_1002.json",
                                              folder / "a_leg_1001_to_1002.json"], settings)
    assert len(forward.calls) == len(backward.calls) == 1


def test_json_bad_documents_are_skipped_by_file(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text('{"variables": {"uuid": "x"}}')
    (tmp_path / "c.json").write_text('["a list"]')
    result = read_calls("freeswitch-json", [tmp_path], settings)
    assert result.calls == []
    assert result.report.skipped == [
        (1, "a.json: not JSON"), (1, "b.json: no start_epoch"), (1, "c.json: no variables object")]

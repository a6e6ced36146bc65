"""Asterisk cdr_csv and cdr_custom files into calls: every number below is worked out by hand
from the rows quoted (times are the PBX's; the tests say which zone they were written in)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cdr_samples import cdr_file

from callvault.calls.model import Call, CallStatus, Direction
from callvault.config import Settings
from callvault.importers import read_calls, zone_named
from callvault.journal import Journal

pytestmark = pytest.mark.testdata

MASTER = "asterisk_cdr_csv_Master_pseudonymized.csv"
CUSTOM = "asterisk_cdr_custom_Master.csv"


def _calls(settings: Settings, fmt: str, name: str, zone: str = "UTC") -> dict[str, Call]:
    result = read_calls(fmt, [cdr_file(name)], settings, zone=zone_named(zone))
    assert result.report.skipped == []
    return {call.sip_call_id or "": call for call in result.calls}


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_master_csv_groups_84_rows_into_36_calls_by_linkedid(settings: Settings) -> None:
    # 84 rows, 36 distinct values in the linkedid column (the 20th); five linkedids have no
    # ANSWERED row: 1706372196.12, 1706401101.30 (ring groups, all NO ANSWER),
    # mainserverdss-1706430495.50 and -1706430532.55 (both legs NO ANSWER), and
    # mainserverdss-1706443058.100 (its only row is BUSY).
    result = read_calls("asterisk-csv", [cdr_file(MASTER)], settings, zone=zone_named("UTC"))
    assert result.report.rows == 84
    assert len(result.calls) == 36
    assert Counter(c.status for c in result.calls) == {
        CallStatus.ANSWERED: 31, CallStatus.MISSED: 4, CallStatus.BUSY: 1}
    assert len({c.uid for c in result.calls}) == 36


def test_single_leg_answered_by_the_pbx(settings: Settings) -> None:
    # line 1: "","55500000001","211474","stadion-pstn","""55500000001"" <55500000001>",
    # "SIP/211474-00000000","","Hangup","","2024-01-27 15:07:24","2024-01-27 15:07:24",
    # "2024-01-27 15:07:51",27,27,"ANSWERED",...,"1706368044.0",...,"1706368044.0",0
    call = _calls(settings, "asterisk-csv", MASTER)["1706368044.0"]
    assert call.status is CallStatus.ANSWERED
    assert call.started_at == _utc("2024-01-27 15:07:24") == 1706368044.0
    assert (call.ring_ms, call.talk_ms) == (0, 27_000)
    assert (call.caller.number, call.caller.display_name) == ("55500000001", "55500000001")
    assert call.callee.number == "211474"  # no dstchannel: the dialled number
    # default settings: numbers of up to 6 digits are extensions, so 211474 is local and the
    # 11-digit caller is not
    assert call.direction is Direction.INBOUND
    assert call.end_cause == "cdr" and call.transport is None and call.streams == []
    assert call.source is not None and call.source.startswith("asterisk-csv:")


def test_ring_group_without_answer_is_one_missed_call(settings: Settings) -> None:
    # lines 7-13 all carry linkedid 1706372196.12, all "NO ANSWER", start 2024-01-27 16:16:36
    # (line 13 starts 16:16:56); the latest end is "2024-01-27 16:17:16" (lines 8, 10-13).
    # The first leg by sequence (8, line 9) is SIP/211553-00000006 dialling 211553.
    call = _calls(settings, "asterisk-csv", MASTER)["1706372196.12"]
    assert call.status is CallStatus.MISSED
    assert call.started_at == _utc("2024-01-27 16:16:36")
    assert call.answered_at is None
    assert (call.ring_ms, call.talk_ms) == (40_000, 0)
    assert call.callee.number == "211553"
    assert len([e for e in call.events if e.kind == "leg"]) == 7


def test_ring_group_answered_through_local_channels_names_the_agent(settings: Settings) -> None:
    # lines 22-26, linkedid 1706407446.50, src "55500000004"; start "2024-01-28 02:04:06" on
    # all but line 26; ANSWERED legs answer at "2024-01-28 02:04:12" (lines 22, 23, 26);
    # line 26:
    # "SIP/211553-00000011","SIP/301-00000012",...,"2024-01-28 02:04:12","2024-01-28 02:04:12",
    # "2024-01-28 02:04:29",17,17,"ANSWERED"
    call = _calls(settings, "asterisk-csv", MASTER)["1706407446.50"]
    assert call.status is CallStatus.ANSWERED
    assert (call.ring_ms, call.talk_ms) == (6_000, 17_000)
    assert call.callee.number == "301"
    assert call.caller.number == "55500000004"  # src of lines 22-26


def test_forked_dial_answered_by_a_trunk_peer_keeps_the_dialled_number(
    settings: Settings,
) -> None:
    # lines 41-42, linkedid 1706415046.98: line 41 SIP/301 NO ANSWER; line 42
    # "SIP/211553-0000001c","SIP/stadionpbx-0000001e",...,"2024-01-28 04:10:46",
    # "2024-01-28 04:10:52","2024-01-28 04:11:23",36,30,"ANSWERED". Talk from the stamps is
    # 31 s though billsec says 30: Asterisk rounds billsec from microseconds.
    call = _calls(settings, "asterisk-csv", MASTER)["1706415046.98"]
    assert (call.ring_ms, call.talk_ms) == (6_000, 31_000)
    assert call.callee.number == "211553"
    assert any(e.detail is not None and "billsec=30" in e.detail for e in call.events)


def test_mis_decoded_clid_bytes_are_kept_as_latin_1(settings: Settings) -> None:
    # line 41's clid is the bytes  ""5550000009\xa5\xa5b"" <55500000000008>  (not UTF-8);
    # its src is 55500000000008.
    call = _calls(settings, "asterisk-csv", MASTER)["1706415046.98"]
    assert call.caller.display_name == "5550000009\u00a5\u00a5b"
    assert call.caller.number == "55500000000008"


def test_busy_and_restart_uniqueid_style(settings: Settings) -> None:
    # line 83: ...,"2024-01-28 11:57:38",,"2024-01-28 11:57:38",0,0,"BUSY",...,
    # "mainserverdss-1706443058.100"
    calls = _calls(settings, "asterisk-csv", MASTER)
    busy = calls["mainserverdss-1706443058.100"]
    assert busy.status is CallStatus.BUSY
    assert (busy.ring_ms, busy.talk_ms) == (0, 0)
    # lines 45-46: answered 06:05:30 -> 06:05:40, ended 06:06:14 (billsec 33)
    answered = calls["mainserverdss-1706421930.5"]
    assert (answered.ring_ms, answered.talk_ms) == (10_000, 34_000)
    assert answered.callee.number == "301"


def test_timezone_is_the_pbxs(settings: Settings) -> None:
    # Asterisk's uniqueid begins with the channel's creation in epoch seconds: 1706368044 is
    # 2024-01-27 15:07:24 UTC, the stamp of line 1, so this PBX wrote UTC. Read as
    # Copenhagen time (UTC+1 in January) the same stamp is an hour earlier.
    utc = _calls(settings, "asterisk-csv", MASTER, "UTC")["1706368044.0"]
    cph = _calls(settings, "asterisk-csv", MASTER, "Europe/Copenhagen")["1706368044.0"]
    nyc = _calls(settings, "asterisk-csv", MASTER, "America/New_York")["1706368044.0"]
    assert utc.started_at == 1706368044.0
    assert cph.started_at == 1706368044.0 - 3600
    assert nyc.started_at == 1706368044.0 + 5 * 3600
    assert utc.uid != cph.uid


def test_default_timezone_is_the_machines(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    time.tzset()
    try:
        local = _calls(settings, "asterisk-csv", MASTER, "")["1706368044.0"]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert local.started_at == 1706368044.0 - 3600


def test_custom_file_in_the_sample_mapping(settings: Settings) -> None:
    # 14 rows, 14 different uniqueids, 3 "NO ANSWER". Line 1:
    # """"" <client1>","client1","6789",...,"2023-07-26 01:51:32","2023-07-26 01:51:50",
    # "2023-07-26 01:52:04","31","13","ANSWERED","DOCUMENTATION","","1690325492.2","",2
    # The uniqueid 1690325492 is 2023-07-25 22:51:32 UTC: the lab PBX wrote UTC+3
    # (Indian/Antananarivo).
    calls = _calls(settings, "asterisk-custom", CUSTOM, "Indian/Antananarivo")
    assert len(calls) == 14
    assert Counter(c.status for c in calls.values()) == {
        CallStatus.ANSWERED: 11, CallStatus.MISSED: 3}
    first = calls["1690325492.2"]
    assert first.started_at == 1690325492.0
    assert (first.ring_ms, first.talk_ms) == (18_000, 14_000)
    assert (first.caller.number, first.caller.display_name) == ("client1", None)
    assert first.callee.number == "6789"
    # line 2: client2 -> 1234, "2023-07-26 01:52:11","","2023-07-26 01:52:42", NO ANSWER
    missed = calls["1690325531.5"]
    assert missed.status is CallStatus.MISSED
    assert (missed.ring_ms, missed.talk_ms) == (31_000, 0)
    assert (missed.caller.number, missed.callee.number) == ("client2", "1234")


def test_custom_file_with_explicit_columns_in_cdr_custom_conf_form(settings: Settings) -> None:
    from callvault.importers.asterisk import CUSTOM_PRESET, parse_columns

    text = ",".join(f'"${{CDR({name})}}"' for name in CUSTOM_PRESET)
    assert parse_columns(text) == CUSTOM_PRESET
    result = read_calls("asterisk-custom", [cdr_file(CUSTOM)], settings,
                        columns=parse_columns(text), zone=zone_named("UTC"))
    assert len(result.calls) == 14


def test_custom_file_read_as_cdr_csv_skips_every_row_with_a_reason(settings: Settings) -> None:
    result = read_calls("asterisk-csv", [cdr_file(CUSTOM)], settings, zone=zone_named("UTC"))
    assert result.calls == []
    assert result.report.reasons() == {
        "19 fields, expected 16, 17, 18 or 21": list(range(1, 15))}


def test_older_18_column_layout(settings: Settings, tmp_path: Path) -> None:
    # line 1 of the Master file without peeraccount, linkedid and sequence
    old = tmp_path / "Master.csv"
    old.write_text('"","201","202","internal","""Alice"" <201>","SIP/201-00000001",'
                   '"SIP/202-00000002","Dial","SIP/202,30","2024-01-27 15:07:24",'
                   '"2024-01-27 15:07:30","2024-01-27 15:08:00",36,30,"ANSWERED",'
                   '"DOCUMENTATION","1706368044.7",""\n')
    (call,) = read_calls("asterisk-csv", [old], settings, zone=zone_named("UTC")).calls
    assert call.sip_call_id == "1706368044.7"
    assert (call.caller.display_name, call.caller.number, call.callee.number) == (
        "Alice", "201", "202")
    assert (call.ring_ms, call.talk_ms) == (6_000, 30_000)


def test_importing_twice_never_duplicates(settings: Settings) -> None:
    result = read_calls("asterisk-csv", [cdr_file(MASTER)], settings, zone=zone_named("UTC"))
    with Journal.open(settings.journal_url) as journal:
        journal.save_many(result.calls)
        again = read_calls("asterisk-csv", [cdr_file(MASTER)], settings,
                           zone=zone_named("UTC"))
        journal.save_many(again.calls)
        assert journal.count_calls() == 36
        stored = journal.get_call("1706407446.50")
    assert stored is not None and stored.callee.number == "301"


def test_malformed_rows_are_skipped_with_line_and_reason(settings: Settings,
                                                         tmp_path: Path) -> None:
    good = ('"","201","202","internal","""A"" <201>","SIP/201-1","SIP/202-2","Dial","",'
            '"2024-01-27 15:07:24","2024-01-27 15:07:30","2024-01-27 15:08:00",36,30,'
            '"ANSWERED","DOCUMENTATION","{id}","","","{id}",0\n')
    bad_time = good.replace("2024-01-27 15:07:24", "yesterday")
    bad_disposition = good.replace('"ANSWERED"', '"MAYBE"')
    bad_number = good.replace(",36,30,", ",36,lots,")
    backwards = good.replace("2024-01-27 15:08:00", "2024-01-27 14:00:00")
    path = tmp_path / "Master.csv"
    path.write_bytes("".join([
        good.format(id="1.1"), "short,row\n", bad_time.format(id="1.2"),
        bad_disposition.format(id="1.3"), "\n", bad_number.format(id="1.4"),
        backwards.format(id="1.5"), good.format(id="1.6"),
    ]).encode() + b'"\x00\xff\xfe",broken\n')
    result = read_calls("asterisk-csv", [path], settings, zone=zone_named("UTC"))
    assert [c.sip_call_id for c in result.calls] == ["1.1", "1.6"]
    assert result.report.rows == 8
    assert result.report.skipped == [
        (2, "2 fields, expected 16, 17, 18 or 21"),
        (3, "not a time: 'yesterday'"),
        (4, "unknown disposition 'MAYBE'"),
        (6, "billsec is not a number: 'lots'"),
        (7, "ends before it starts"),
        (9, "2 fields, expected 16, 17, 18 or 21"),
    ]

"""`callvault siprec` on both journal backends: a session's participants and streams are
stored and read back, and SIGTERM in the middle of a session saves the call and its audio
so far."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.siprec.siprec_helpers import (
    known_audio,
    need_sipp,
    rtp_pcap,
    run_sipp,
    scenario,
    start_srs,
)

from callvault.journal import Journal
from callvault.journal.schema import calls
from callvault.siprec.store import participants_of


def test_participants_are_stored_and_read_back(journal_url: str, tmp_path: Path) -> None:
    need_sipp()
    rtp_pcap(tmp_path / "audio.pcap", [known_audio(0.4, 1), known_audio(0.4, 2)])
    srs = start_srs(tmp_path, db=journal_url)
    try:
        xml = scenario(tmp_path, "siprec_record.xml", pcap=tmp_path / "audio.pcap", hold_ms=500)
        result = run_sipp(tmp_path, srs.port, xml)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    finally:
        log = srs.stop()
    assert "1 calls saved" in log, log
    journal = Journal.open(journal_url)
    try:
        with journal.engine.connect() as connection:
            uid = connection.execute(sa.select(calls.c.uid)).scalar_one()
        found = participants_of(journal.engine, uid)
        nothing = participants_of(journal.engine, "no-such-call")
    finally:
        journal.close()
    assert [(p["aor"], p["name"], p["sends"], p["receives"]) for p in found["participants"]] == [
        ("sip:+4533221100@pbx.example.com", "Alice Caller", ["1"], ["2"]),
        ("sip:1001@pbx.example.com", "Support Desk", ["2"], ["1"]),
    ]
    assert [(s["label"], s["sender"], s["state"]) for s in found["streams"]] == [
        ("1", "YWxpY2U=", "recording"), ("2", "ZGVzaw==", "recording")]
    assert nothing == {"participants": [], "streams": []}


def test_sigterm_mid_session_saves_the_call_and_its_audio(tmp_path: Path) -> None:
    sipp = need_sipp()
    rtp_pcap(tmp_path / "audio.pcap", [known_audio(6, 1), known_audio(6, 2)])
    srs = start_srs(tmp_path)
    xml = scenario(tmp_path, "siprec_record.xml", pcap=tmp_path / "audio.pcap", hold_ms=8000)
    client = subprocess.Popen(
        [sipp, f"127.0.0.1:{srs.port}", "-sf", str(xml), "-m", "1", "-i", "127.0.0.1",
         "-t", "u1", "-nostdin", "-timeout", "15s"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        log = srs.stop()
    finally:
        client.kill()
        client.wait()
    assert "1 calls saved" in log, log
    with sqlite3.connect(srs.data_dir / "journal.sqlite3") as db:
        row = db.execute("SELECT end_cause, recording_path, recording_duration_ms "
                         "FROM calls").fetchone()
    end_cause, path, duration_ms = row
    assert end_cause == "bye"  # callvault's BYE ended it
    assert path and (srs.data_dir / "recordings" / path).exists()
    assert duration_ms == pytest.approx(1900, abs=600)


def test_after_kill_9_a_restart_saves_the_interrupted_call_with_its_audio(
        tmp_path: Path) -> None:
    sipp = need_sipp()
    rtp_pcap(tmp_path / "audio.pcap", [known_audio(8, 1), known_audio(8, 2)])
    srs = start_srs(tmp_path)
    xml = scenario(tmp_path, "siprec_record.xml", pcap=tmp_path / "audio.pcap", hold_ms=9000)
    client = subprocess.Popen(
        [sipp, f"127.0.0.1:{srs.port}", "-sf", str(xml), "-m", "1", "-i", "127.0.0.1",
         "-t", "u1", "-nostdin", "-timeout", "15s"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5.0)
        srs.proc.kill()  # no shutdown at all
        srs.proc.wait()
    finally:
        client.kill()
        client.wait()
    again = start_srs(tmp_path)
    log = again.stop()
    assert "recovered 1 interrupted calls" in log, log
    with sqlite3.connect(srs.data_dir / "journal.sqlite3") as db:
        path, duration_ms = db.execute(
            "SELECT recording_path, recording_duration_ms FROM calls").fetchone()
    assert path and (srs.data_dir / "recordings" / path).exists()
    assert duration_ms > 1000

"""`callvault siprec` recording SIPp recording clients over loopback: the audio is what was
sent, the metadata lands in the journal, pause/resume leaves exactly the paused span out,
OPTIONS, the allow-list, digest authentication and TCP."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from tests.siprec.siprec_helpers import (
    PACKET,
    known_audio,
    need_sipp,
    rtp_pcap,
    run_sipp,
    scenario,
    start_srs,
)

from callvault.codecs.g711 import decode_ulaw

SILENCE = 0xFF
"""µ-law code of a zero sample: what a recording holds where nothing was recorded."""


@pytest.fixture(autouse=True)
def _sipp() -> None:
    need_sipp()


def journal(data: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(data / "journal.sqlite3")
    connection.row_factory = sqlite3.Row
    return connection


def recording_codes(data: Path, path: str) -> np.ndarray:
    raw = (data / "recordings" / path).read_bytes()
    start = raw.index(b"data") + 8
    return np.frombuffer(raw[start:], dtype=np.uint8).reshape(-1, 2)


def locate(channel: np.ndarray, sent: bytes) -> int:
    """Where the first packet of ``sent`` is on the channel."""
    first = np.frombuffer(sent[:PACKET], dtype=np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(channel, PACKET)
    hits = np.flatnonzero((windows == first).all(axis=1))
    assert hits.size == 1, "the sent audio's first packet is not on the channel exactly once"
    return int(hits[0])


def record_one(tmp_path: Path, name: str, seconds: float = 2.0, transport: str = "u1",
               **values: object) -> tuple[Path, sqlite3.Row, list[bytes], str]:
    caller, callee = known_audio(seconds, 1), known_audio(seconds, 2)
    rtp_pcap(tmp_path / "audio.pcap", [caller, callee])
    srs = start_srs(tmp_path)
    xml = scenario(tmp_path, name, pcap=tmp_path / "audio.pcap", **values)
    result = run_sipp(tmp_path, srs.port, xml, transport=transport)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    time.sleep(0.3)
    log = srs.stop()
    assert "1 calls saved" in log, log
    with journal(srs.data_dir) as db:
        (call,) = db.execute("SELECT * FROM calls").fetchall()
    return srs.data_dir, call, [caller, callee], log


def test_a_recorded_session_holds_exactly_the_audio_sent(tmp_path: Path) -> None:
    data, call, (caller, callee), _ = record_one(tmp_path, "siprec_record.xml", hold_ms=2500)
    assert call["status"] == "answered" and call["end_cause"] == "bye"
    assert call["transport"] == "udp"
    codes = recording_codes(data, call["recording_path"])
    # label 1 carries the first participant (the caller, left), label 2 the callee (right)
    for channel, sent in ((0, caller), (1, callee)):
        at = locate(codes[:, channel], sent)
        got = codes[at:at + len(sent), channel].tobytes()
        assert got == sent
        assert np.array_equal(decode_ulaw(got), decode_ulaw(sent))


def test_the_metadata_lands_in_the_journal(tmp_path: Path) -> None:
    data, call, _, _ = record_one(tmp_path, "siprec_record.xml", seconds=0.5, hold_ms=600)
    # the row describes the recorded call: its participants, not the recording client
    assert (call["caller_number"], call["caller_display_name"]) == ("+4533221100",
                                                                   "Alice Caller")
    assert call["caller_uri"] == "sip:+4533221100@pbx.example.com"
    assert call["caller_e164"] == "+4533221100"
    assert (call["callee_number"], call["callee_display_name"]) == ("1001", "Support Desk")
    with journal(data) as db:
        people = db.execute("SELECT * FROM siprec_participants WHERE call_uid = ? "
                            "ORDER BY position", (call["uid"],)).fetchall()
        streams = db.execute("SELECT * FROM siprec_streams WHERE call_uid = ? ORDER BY label",
                             (call["uid"],)).fetchall()
        sides = db.execute("SELECT side, dst_port FROM streams WHERE call_id = ? "
                           "ORDER BY dst_port", (call["id"],)).fetchall()
    assert [(p["participant_id"], p["aor"], p["name"], p["sends"], p["receives"])
            for p in people] == [
        ("YWxpY2U=", "sip:+4533221100@pbx.example.com", "Alice Caller", "1", "2"),
        ("ZGVzaw==", "sip:1001@pbx.example.com", "Support Desk", "2", "1"),
    ]
    assert [(s["label"], s["stream_id"], s["sender"], s["state"]) for s in streams] == [
        ("1", "c3RyZWFtMQ==", "YWxpY2U=", "recording"),
        ("2", "c3RyZWFtMg==", "ZGVzaw==", "recording"),
    ]
    assert [s["side"] for s in sides] == ["caller", "callee"]


def first_sent(windows: np.ndarray, got: np.ndarray, j: int) -> tuple[int, int] | None:
    """(k, m): the first k ≥ j where a packet's length of ``got`` is sent audio, and where it
    was sent (m). A packet that reached a loaded machine late leaves silence inside the first
    window; the window moves past it."""
    k = j
    while k + PACKET <= min(len(got), j + 8000):  # within a second of the resume
        window = got[k:k + PACKET]
        quiet = np.flatnonzero(window == SILENCE)
        if len(quiet):
            k += int(quiet[-1]) + 1
            continue
        found = np.flatnonzero((windows == window).all(axis=1))
        if len(found) == 1:
            return k, int(found[0])
        k += 1
    return None


def test_pause_and_resume_leave_exactly_the_paused_span_out(tmp_path: Path) -> None:
    data, call, (caller, callee), _ = record_one(
        tmp_path, "siprec_pause.xml", seconds=4.0, pause_at_ms=1000, paused_ms=1500,
        hold_ms=2000)
    with journal(data) as db:
        events = db.execute("SELECT kind, offset_ms, value FROM events WHERE call_id = ? AND "
                            "kind = 'recording' ORDER BY seq", (call["id"],)).fetchall()
    assert [e["value"] for e in events] == ["paused", "resumed"]
    paused_s = (events[1]["offset_ms"] - events[0]["offset_ms"]) / 1000
    codes = recording_codes(data, call["recording_path"])
    for channel, sent in ((0, caller), (1, callee)):
        at = locate(codes[:, channel], sent)
        got = np.ascontiguousarray(codes[at:, channel])
        want = np.frombuffer(sent, dtype=np.uint8)
        # the audio before the pause is exactly what was sent (sent audio holds no silence
        # code), cut at the sample; then silence as long as the pause; then the audio sent
        # from the resume on, exactly. Where the audio sent during the pause belongs is
        # left out: as much of it as the pause lasted. (A sender more than 0.3 s late
        # moves the resumed audio to when it arrived: the silence's length is looser.)
        i0 = int(np.flatnonzero(got[:len(want)] != want[:len(got)])[0])
        assert (got[i0:i0 + 800] == SILENCE).all()
        j = i0 + int(np.flatnonzero(got[i0:] != SILENCE)[0])
        windows = np.lib.stride_tricks.sliding_window_view(want, PACKET)
        m = first_sent(windows, got, j)
        if m is None:
            pytest.fail(f"channel {channel}: no sent audio after the pause")
        j, m = m
        n = min(len(want) - m, len(got) - j)
        assert n > 8000 and (got[j:j + n] == want[m:m + n]).all()
        assert (m - i0) / 8000 == pytest.approx(paused_s, abs=0.03)
        assert (j - i0) / 8000 == pytest.approx(paused_s, abs=0.35)
        assert paused_s == pytest.approx(1.5, abs=0.3)


def test_options_are_answered(tmp_path: Path) -> None:
    srs = start_srs(tmp_path)
    try:
        result = run_sipp(tmp_path, srs.port, scenario(tmp_path, "siprec_options.xml"))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    finally:
        srs.stop()


def test_a_client_outside_the_allow_list_gets_403(tmp_path: Path) -> None:
    srs = start_srs(tmp_path, "--allow", "10.9.8.0/24")
    try:
        xml = scenario(tmp_path, "siprec_forbidden.xml", pcap=tmp_path / "none.pcap")
        result = run_sipp(tmp_path, srs.port, xml)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    finally:
        log = srs.stop()
    assert "0 calls saved" in log


def test_digest_authentication(tmp_path: Path) -> None:
    env = {"CALLVAULT_SIPREC_CREDENTIALS": "sbc:s3cret"}
    srs = start_srs(tmp_path, env=env)
    try:
        xml = scenario(tmp_path, "siprec_auth.xml", user="sbc", password="s3cret")
        result = run_sipp(tmp_path, srs.port, xml)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        # a wrong password is challenged again, never let in
        wrong = scenario(tmp_path, "siprec_auth.xml", user="sbc", password="guess")
        failed = run_sipp(tmp_path, srs.port, wrong, timeout=5)
        assert failed.returncode != 0
    finally:
        log = srs.stop()
    assert "1 calls saved" in log, log


def test_tcp_transport(tmp_path: Path) -> None:
    data, call, (caller, callee), _ = record_one(
        tmp_path, "siprec_record.xml", seconds=1.0, transport="t1", hold_ms=1200)
    assert call["transport"] == "tcp"
    codes = recording_codes(data, call["recording_path"])
    for channel, sent in ((0, caller), (1, callee)):
        at = locate(codes[:, channel], sent)
        assert codes[at:at + len(sent), channel].tobytes() == sent

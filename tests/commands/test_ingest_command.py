"""`callvault ingest` and `callvault demo` as a user runs them: the real console entry point
in a subprocess, so exit codes and the absence of tracebacks are what a user sees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from callvault.journal import Journal
from callvault.synth import demo_calls, write_capture


def cli(*args: str | Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", *map(str, args), "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cap") / "desk.pcap"
    write_capture(path, demo_calls())
    return path


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_ingest_twice_never_duplicates_a_call(capture: Path, tmp_path: Path) -> None:
    first = cli("ingest", capture, "--format", "json", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["calls"] == 8 and summary["packets"] > 10_000
    assert summary["statuses"] == {"answered": 5, "busy": 1, "missed": 1, "rejected": 1}
    assert summary["skipped"] == {} and summary["errors"] == []
    again = cli("ingest", capture, "--format", "json", data_dir=tmp_path)
    assert again.returncode == 0
    with Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal:
        assert journal.count_calls() == 8


def test_ingest_text_summary_names_skip_reasons(tmp_path: Path) -> None:
    from callvault.capture.writer import PcapWriter
    from callvault.net.build import udp_frame

    path = tmp_path / "noise.pcap"
    with PcapWriter(path) as w:
        w.write(1.0, udp_frame("192.0.2.1", 4000, "192.0.2.2", 53, b"\x12\x34\x01\x00" * 8))
        w.write(2.0, b"\x00" * 10)  # a runt frame
    result = cli("ingest", path, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "packets read" in result.stdout and "skipped: udp neither SIP nor RTP" in result.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.pcap", "missing.pcap: no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "notes.txt").write_text("hello, world\n") and d / "notes.txt",
         "not a pcap or pcapng capture"),
        (lambda d: (d / "empty.pcap").write_bytes(b"") or d / "empty.pcap", "empty"),
    ],
    ids=["missing", "directory", "text", "empty"],
)
def test_bad_files_get_one_clear_line_and_exit_1(tmp_path: Path, make, message: str) -> None:
    target = make(tmp_path)
    result = cli("ingest", target, "--no-progress", data_dir=tmp_path / "data")
    assert result.returncode == 1
    no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("callvault: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr


def test_truncated_capture_keeps_every_finished_call(capture: Path, tmp_path: Path) -> None:
    data = capture.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) * 2 // 3 + 7])
    result = cli("ingest", cut, "--format", "json", data_dir=tmp_path)
    assert result.returncode == 1
    no_traceback(result)
    (error,) = json.loads(result.stdout)["errors"]
    assert error.startswith(f"{cut} at byte ") and "truncated" in error
    offset = int(error.split(" at byte ")[1].split(":")[0])
    assert len(data) * 2 // 3 - 300 < offset <= len(data) * 2 // 3 + 7
    with Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal:
        stored = journal.list_calls()
    complete = {c.call_id for c in demo_calls() if c.start + c.ring_s + c.talk_s + 3 < 1_767_225_600 + 30}
    assert complete <= {c.sip_call_id for c in stored}
    assert len(stored) >= 4


def test_other_files_are_still_ingested_after_a_bad_one(capture: Path, tmp_path: Path) -> None:
    result = cli("ingest", tmp_path / "nope.pcap", capture, "--format", "json", data_dir=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["calls"] == 8


def test_wrong_arguments_are_usage_errors(tmp_path: Path) -> None:
    result = cli("ingest", data_dir=tmp_path)
    assert result.returncode == 2 and "Missing argument" in result.stderr
    result = cli("ingest", "x.pcap", "--local-net", "10.0.0.300/8", data_dir=tmp_path)
    assert result.returncode == 1 and "local network" in result.stderr
    no_traceback(result)


def test_demo_writes_ingests_and_lists(tmp_path: Path) -> None:
    result = cli("demo", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "8 calls" in result.stdout
    assert (tmp_path / "demo" / "demo-capture.pcap").exists()
    for number in ("+4533123456", "+74951234567"):
        assert number in result.stdout

"""`callvault demo` as a user runs it: the console entry point in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", "demo", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300,
    )


def test_demo_generates_a_center_and_says_what_it_made(tmp_path: Path) -> None:
    result = cli("--no-capture", "--agents", "8", "--days", "2", "--end", "2026-03-25",
                 "--recordings", "3", "--timezone", "Europe/Copenhagen", "--progress",
                 data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "demo call center" in result.stdout
    assert "2026-03-24 – 2026-03-25 (Europe/Copenhagen)" in result.stdout
    assert "8 in 4 teams, 4 queues" in result.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    try:
        with engine.connect() as connection:
            total, recorded = connection.execute(sa.text(
                "SELECT count(*), count(recording_path) FROM calls")).one()
    finally:
        engine.dispose()
    assert f"{total:,} (" in result.stdout and recorded == 3
    assert len(list((tmp_path / "recordings").rglob("*.wav"))) == 3


def test_demo_input_errors_are_one_line(tmp_path: Path) -> None:
    for args, expected in (
        (("--timezone", "Mars/Olympus"), "not a time zone"),
        (("--agents", "2"), "--agents"),
        (("--end", "yesterday"), "--end"),
    ):
        result = cli("--no-capture", *args, data_dir=tmp_path)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr

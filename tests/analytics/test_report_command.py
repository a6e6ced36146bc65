"""`callvault report` over the hand-built journal (SQLite): tables, CSV, JSON, the heatmap
as a table and a PNG, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from golden_journal import ZONE, build

from callvault.commands.report import report
from callvault.journal import Journal

RANGE = ["--since", "2024-03-30", "--until", "2024-04-08", "--timezone", ZONE]
"""Dates without a zone are the center's: 30 March to 8 April, Copenhagen."""


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    with Journal.open(url) as journal:
        engine = sa.create_engine(url)
        build(journal, engine)
        engine.dispose()
    return url


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(report, [*args, "--db", db])


def test_kpis_of_the_center_as_a_table(db: str) -> None:
    result = run(db, *RANGE)
    assert result.exit_code == 0, result.output
    assert "Service level" in result.output and "50.0 %" in result.output
    assert "ASA" in result.output and "17.0 s" in result.output


def test_by_agent_as_csv_and_json(db: str) -> None:
    result = run(db, "kpis", *RANGE, "--by", "agent", "--kpi", "calls", "--kpi",
                 "avg_handle_s", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["agent", "calls", "avg_handle_s"]
    assert rows[1][:2] == ["Anna", "3"] and float(rows[1][2]) == pytest.approx(220.0)
    assert rows[-1][:2] == ["All", "8"]
    answer = json.loads(run(db, *RANGE, "--by", "hour", "--format", "json").output)
    assert answer["source"] == "rollups"
    assert {r["key"]: r["values"]["calls"] for r in answer["rows"]}["11"] == 2


def test_heatmap_table_csv_and_png(db: str, tmp_path: Path) -> None:
    table = run(db, "heatmap", *RANGE)
    assert table.exit_code == 0 and "Sat" in table.output
    rows = list(csv.reader(io.StringIO(run(db, "heatmap", *RANGE, "--format", "csv").output)))
    assert rows[6][0] == "Saturday" and rows[6][1 + 23] == "1"
    png = tmp_path / "heat.png"
    drawn = run(db, "heatmap", *RANGE, "--png", str(png), "--format", "json")
    assert drawn.exit_code == 0, drawn.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_marketing_outcomes_intervals_and_rebuild(db: str) -> None:
    marketing = run(db, "marketing", *RANGE, "--deal-value", "100", "--format", "json")
    search = [r for r in json.loads(marketing.output) if r["key"] == "search"][0]
    assert search["roi"] == pytest.approx(4.0)
    outcomes = run(db, "outcomes", *RANGE, "--format", "csv").output.splitlines()
    assert outcomes[:2] == ["outcome,calls", "(none),3"]
    hours = json.loads(run(db, "intervals", "--since", "2024-03-30 23:00", "--until",
                           "2024-03-31 02:00", "--timezone", ZONE, "--format", "json").output)
    assert [h["offered"] for h in hours] == [1, 0, 1]
    rebuilt = run(db, "rebuild", "--timezone", ZONE)
    assert rebuilt.exit_code == 0 and "rolled up" in rebuilt.output


def test_errors_are_one_line(db: str, tmp_path: Path) -> None:
    env_db = ["--db", db]
    for args, message in (
        (["--by", "colour"], "Invalid value for '--by'"),
        (["--kpi", "speed"], "unknown KPI 'speed'"),
        (["--timezone", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["--since", "yesterday-ish"], "is not a time"),
        (["--since", "2024-04-08", "--until", "2024-04-01"], "until must be after since"),
    ):
        done = subprocess.run([sys.executable, "-m", "callvault", "report", *args, *env_db],
                              capture_output=True, text=True, check=False)
        assert done.returncode != 0
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_staffing_for_the_typical_week(db: str) -> None:
    result = run(db, "staffing", *RANGE, "--format", "json")
    assert result.exit_code == 0, result.output
    plan = {r["interval"]: r for r in json.loads(result.output)}
    assert len(plan) == 7 * 24
    # Saturday 23:00: C1, once in the range's 9 days of 215 hours (summer time began).
    saturday = plan["Sat 23:00"]
    assert saturday["calls_per_week"] == pytest.approx(168 / 215)
    assert saturday["aht_s"] == pytest.approx(360.0) and saturday["agents"] >= 1
    assert plan["Mon 03:00"]["agents"] == 0


def test_kpis_by_date_drawn_as_a_trend(db: str, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ElementTree

    svg = tmp_path / "trend.svg"
    result = run(db, *RANGE, "--by", "date", "--kpi", "offered", "--kpi", "answered",
                 "--chart", str(svg), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("{"):])["rows"]
    texts = " ".join(t.text or "" for t in ElementTree.parse(svg).iter() if t.text)
    assert rows and all(row["label"] in texts for row in rows)  # one point per date
    assert "Offered" in texts and "Answered" in texts
    png = tmp_path / "trend.png"
    assert run(db, *RANGE, "--by", "hour", "--chart", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = run(db, *RANGE, "--chart", str(png))
    assert refused.exit_code == 2 and "--by date" in refused.output

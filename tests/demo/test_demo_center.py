"""The generated call center as the journal holds it: its size, its rhythm, its queues'
response to staffing, its reproducibility and its recordings."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import soundfile
import sqlalchemy as sa

from callvault.demo import DemoConfig, DemoError, DemoSummary, generate
from callvault.journal import Journal
from callvault.journal.engine import create_engine
from callvault.journal.schema import (
    agent_extensions,
    agents,
    calls,
    queues,
    teams,
    tracked_number_costs,
    tracked_numbers,
)
from callvault.vault.filesystem import FilesystemVault

ZONE = "Europe/Copenhagen"
END = date(2026, 3, 29)  # a Sunday, and the day the clocks go forward


def run(url: str, root: Path, **options: object) -> DemoSummary:
    config = DemoConfig(**{"end": END, "timezone": ZONE, "recordings": 0, **options})
    engine = create_engine(sa.make_url(url))
    try:
        with Journal.open(url) as journal:
            return generate(journal, engine, FilesystemVault(root / "recordings"), config)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, DemoSummary]:
    root = tmp_path_factory.mktemp("center")
    url = f"sqlite:///{root / 'journal.sqlite3'}"
    return url, root, run(url, root, agents=16, days=7, recordings=6, seed=3)


def _rows(url: str, query: sa.Select) -> list[sa.Row]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(query))
    finally:
        engine.dispose()


def test_the_center_has_the_configured_size(center: tuple[str, Path, DemoSummary]) -> None:
    url, _, summary = center

    def count(table: sa.Table) -> int:
        return int(_rows(url, sa.select(sa.func.count()).select_from(table))[0][0])

    assert count(agents) == count(agent_extensions) == 16
    assert count(queues) == 4 and count(teams) == summary.teams >= 4
    assert count(tracked_numbers) == 8
    assert count(tracked_number_costs) == 8  # one month: March
    assert count(calls) == summary.calls > 3_000
    first, last = _rows(url, sa.select(sa.func.min(calls.c.started_at),
                                       sa.func.max(calls.c.started_at)))[0]
    zone = ZoneInfo(ZONE)
    assert datetime.fromtimestamp(first, zone).date() == date(2026, 3, 23)
    assert datetime.fromtimestamp(last, zone).date() == END
    # every agent a call names is in the directory, with the team the directory gives it
    known = dict(_rows(url, sa.select(agents.c.id, agents.c.team_id)))
    answered = _rows(url, sa.select(calls.c.agent_id, calls.c.team_id, calls.c.callee_number)
                     .where(calls.c.direction == "inbound", calls.c.status == "answered"))
    extension = dict(_rows(url, sa.select(agent_extensions.c.extension,
                                          agent_extensions.c.agent_id)))
    assert all(known[a] == t and extension[n] == a for a, t, n in answered)
    # marketing: tracked numbers' calls carry their channel
    channels = Counter(c for (c,) in _rows(url, sa.select(calls.c.channel)) if c)
    assert {"google-ads", "facebook", "radio", "website"} <= set(channels)


def test_arrivals_follow_the_daily_and_weekly_shape(
    center: tuple[str, Path, DemoSummary],
) -> None:
    url, _, _ = center
    zone = ZoneInfo(ZONE)
    moments = [datetime.fromtimestamp(t, zone) for (t,) in _rows(
        url, sa.select(calls.c.started_at).where(calls.c.direction == "inbound"))]
    by_hour = Counter(m.hour for m in moments)
    by_weekday = Counter(m.weekday() for m in moments)
    assert by_hour[10] > 20 * by_hour[3]
    assert by_hour[10] > by_hour[13] > by_hour[19] > by_hour[23]
    assert by_weekday[0] > by_weekday[2] > by_weekday[5] > by_weekday[6]
    assert by_weekday[6] < 0.3 * by_weekday[2]


def test_abandonment_responds_to_staffing(tmp_path: Path) -> None:
    shares = {}
    for staffing in (0.6, 1.0, 1.5):
        url = f"sqlite:///{tmp_path / f'{staffing}.sqlite3'}"
        shares[staffing] = run(url, tmp_path, agents=20, days=2, staffing=staffing,
                               end=date(2026, 3, 25)).abandon_share
    assert shares[0.6] > 2 * shares[1.0] > 2 * shares[1.5]
    assert 0.01 < shares[1.0] < 0.15


def _journal_rows(url: str) -> list[tuple[object, ...]]:
    skip = {"id", "created_at"}
    columns = [c for c in calls.c if c.name not in skip]
    return [tuple(r) for r in _rows(url, sa.select(*columns).order_by(calls.c.uid))]


def test_the_same_seed_gives_the_same_journal(tmp_path: Path, postgres_url: str) -> None:
    sqlite = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    options = {"agents": 8, "days": 2, "seed": 11, "recordings": 0}
    first = run(sqlite, tmp_path, **options)
    rows = _journal_rows(sqlite)
    assert len(rows) == first.calls
    again = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    run(again, tmp_path, **options)
    assert _journal_rows(again) == rows
    run(postgres_url, tmp_path, **options)
    assert _journal_rows(postgres_url) == rows
    other = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    run(other, tmp_path, **{**options, "seed": 12})
    assert _journal_rows(other) != rows


def test_recordings_are_valid_wav_with_the_journal_digest(
    center: tuple[str, Path, DemoSummary],
) -> None:
    url, root, summary = center
    recorded = _rows(url, sa.select(calls.c.recording_path, calls.c.recording_sha256,
                                    calls.c.recording_size, calls.c.recording_duration_ms,
                                    calls.c.answered_at, calls.c.ended_at)
                     .where(calls.c.recording_path.is_not(None)))
    assert len(recorded) == summary.recordings == 6
    for path, digest, size, duration_ms, answered, ended in recorded:
        data = (root / "recordings" / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == digest
        audio, rate = soundfile.read(root / "recordings" / path, dtype="int16")
        info = soundfile.info(root / "recordings" / path)
        assert (rate, info.channels, info.subtype) == (8000, 2, "ULAW")
        assert len(audio) * 1000 // 8000 == pytest.approx(duration_ms, abs=1)
        assert duration_ms == pytest.approx((ended - answered) * 1000, abs=1)
        # both parties speak: each channel has loud stretches and quiet ones
        for channel in (0, 1):
            level = np.abs(audio[:, channel].astype(float))
            assert level.max() > 3000 and np.median(level) < 2000
    # the recordings are of the most recent answered calls
    latest = _rows(url, sa.select(calls.c.recording_path).where(calls.c.status == "answered",
                                                                 calls.c.direction != "internal")
                   .order_by(calls.c.started_at.desc()).limit(6))
    assert all(path is not None for (path,) in latest)


def test_impossible_centers_are_refused() -> None:
    with pytest.raises(DemoError, match="at least 4"):
        DemoConfig(agents=2)
    with pytest.raises(DemoError, match="staffing"):
        DemoConfig(staffing=0)

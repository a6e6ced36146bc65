"""The options commands share: times as people write them, and where the journal is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from callvault.commands.common import (
    TimeParam,
    journal_options,
    open_journal,
    parse_time,
    settings_from,
)
from callvault.errors import ConfigError

NOW = datetime(2024, 5, 1, 12, 51, 30, tzinfo=UTC)
"""14:51:30 in Copenhagen (the tests' local zone, +02:00 in May)."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", "2024-05-01T14:51:30+02:00"),
        ("today", "2024-05-01T00:00:00+02:00"),
        ("Yesterday", "2024-04-30T00:00:00+02:00"),
        ("-30m", "2024-05-01T14:21:30+02:00"),
        ("-2h", "2024-05-01T12:51:30+02:00"),
        ("-7d", "2024-04-24T14:51:30+02:00"),
        ("-1w", "2024-04-24T14:51:30+02:00"),
        ("-90s", "2024-05-01T14:50:00+02:00"),
        ("2024-05-01", "2024-05-01T00:00:00+02:00"),
        ("2024-01-15", "2024-01-15T00:00:00+01:00"),  # local time of that day: winter
        ("2024-05-01T09:15", "2024-05-01T09:15:00+02:00"),
        ("2024-05-01 09:15:00.250", "2024-05-01T09:15:00.250000+02:00"),
        ("2024-05-01T07:15:00Z", "2024-05-01T09:15:00+02:00"),
        ("2024-05-01T09:15:00-03:00", "2024-05-01T14:15:00+02:00"),
        ("@1714567890.5", "2024-05-01T14:51:30.500000+02:00"),
    ],
)
def test_times_people_write(text: str, expected: str) -> None:
    moment = parse_time(text, NOW)
    assert moment.isoformat() == expected


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2h", "-2y", "-h", "2024-13-01", "01/05/2024", "@", "@soon", "@inf"]
)
def test_what_is_not_a_time(text: str) -> None:
    with pytest.raises((ValueError, OverflowError)):
        parse_time(text, NOW)


def test_a_time_option_is_a_usage_error_naming_what_it_accepts() -> None:
    @click.command()
    @click.option("--since", type=TimeParam())
    def show(since: datetime) -> None:
        click.echo(since.isoformat())

    assert (
        CliRunner().invoke(show, ["--since", "2024-05-01"]).output == "2024-05-01T00:00:00+02:00\n"
    )
    result = CliRunner().invoke(show, ["--since", "soon"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--since': 'soon' is not a time; use an ISO date or date-time "
        "(2024-05-01, 2024-05-01T14:30, 2024-05-01 14:30:00+02:00), 'now', 'today', "
        "'yesterday', a time ago (-30m, -2h, -7d, -1w) or @EPOCH-SECONDS"
    )


def test_journal_options_name_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLVAULT_DATABASE_URL", raising=False)
    monkeypatch.delenv("CALLVAULT_DATA_DIR", raising=False)

    @click.command()
    @journal_options
    def where(data_dir: Path | None, db: str | None) -> None:
        settings = settings_from(data_dir, db)
        with open_journal(settings) as journal:
            click.echo(journal.url)

    runner = CliRunner()
    result = runner.invoke(where, ["--data-dir", str(tmp_path / "d")])
    assert result.output == f"sqlite:///{tmp_path / 'd' / 'journal.sqlite3'}\n"
    assert (tmp_path / "d" / "journal.sqlite3").is_file()
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    result = runner.invoke(where, ["--data-dir", str(tmp_path / "d"), "--db", other])
    assert result.output == f"{other}\n"
    monkeypatch.setenv("CALLVAULT_DATA_DIR", str(tmp_path / "env"))
    assert runner.invoke(where, []).output == f"sqlite:///{tmp_path / 'env' / 'journal.sqlite3'}\n"


def test_settings_from_takes_the_other_settings_and_ignores_what_was_not_given(
    tmp_path: Path,
) -> None:
    settings = settings_from(
        tmp_path, None, local_networks=("10.0.0.0/8",), local_domains=(), default_region=None
    )
    assert settings.data_dir == tmp_path
    assert settings.local_networks == ["10.0.0.0/8"] and settings.local_domains == []
    with pytest.raises(ConfigError, match=r"^setting extension_max_digits: "):
        settings_from(None, None, extension_max_digits="many")

"""Recordings attached by name, and the `callvault import` commands end to end."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from cdr_samples import DATA, cdr_file
from click.testing import CliRunner

from callvault import cli
from callvault.config import Settings
from callvault.importers import read_calls, zone_named
from callvault.journal import Journal

MASTER = "asterisk_cdr_csv_Master_pseudonymized.csv"


def _wav(path: Path, seconds: float, subtype: str, rate: int = 8000) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (0.1 * np.sin(np.arange(int(rate * seconds)) / 8)).astype("float32")
    soundfile.write(str(path), samples, rate, subtype=subtype, format="WAV")
    return path.read_bytes()


@pytest.mark.testdata
def test_recordings_found_by_uniqueid_and_linkedid(settings: Settings, tmp_path: Path) -> None:
    spool = tmp_path / "monitor"
    plain = _wav(spool / "1706368044.0.wav", 1.5, "ULAW")  # <uniqueid>.wav, line 1
    # MixMonitor's usual name ends with the linkedid of lines 22-26
    mixed = _wav(spool / "2024" / "q-211553-55500000004-20240128-020406-1706407446.50.wav",
                 0.25, "PCM_16", 16000)
    _wav(spool / "1706368044.00.wav", 0.1, "ALAW")  # a different id: attached to nothing
    (spool / "1706369278.2.wav").write_bytes(b"RIFF but not audio")  # line 2: unreadable
    result = read_calls("asterisk-csv", [cdr_file(MASTER)], settings, zone=zone_named("UTC"),
                        recordings=spool)
    calls = {c.sip_call_id: c for c in result.calls}
    assert result.recordings == 2
    first = calls["1706368044.0"].recording
    assert first is not None
    assert (first.format, first.encoding, first.sample_rate, first.duration_ms) == (
        "wav", "ulaw", 8000, 1500)
    assert first.started_at == 1706368044.0
    assert (first.size, first.sha256) == (len(plain), hashlib.sha256(plain).hexdigest())
    assert first.path == f"2024/01/27/{calls['1706368044.0'].uid}.wav"
    assert (settings.recordings_dir / first.path).read_bytes() == plain
    second = calls["1706407446.50"].recording
    assert second is not None
    assert (second.encoding, second.sample_rate, second.duration_ms) == ("pcm16", 16000, 250)
    assert second.sha256 == hashlib.sha256(mixed).hexdigest()
    assert calls["1706369278.2"].recording is None
    assert sum(c.recording is not None for c in result.calls) == 2


def test_freeswitch_record_session_name_by_uuid(settings: Settings, tmp_path: Path) -> None:
    _wav(tmp_path / "rec" / "0e49a4b4-0b8e-11e8-9b2a-bb4d7b4bf1a2.wav", 0.5, "ALAW")  # B-leg
    result = read_calls("freeswitch-json", [DATA / "freeswitch_json"], settings,
                        recordings=tmp_path / "rec")
    answered = result.calls[0]
    assert answered.recording is not None and answered.recording.encoding == "alaw"
    assert answered.recording.started_at == 1517990400.0
    assert result.calls[1].recording is None


@pytest.fixture
def import_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry cli.py gets for this module (cli.py itself is not changed here)."""
    monkeypatch.setitem(cli.COMMAND_MODULES, "import", "callvault.commands.imports")


@pytest.mark.testdata
@pytest.mark.usefixtures("import_command")
def test_cli_imports_twice_and_summarises(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import", "asterisk-csv", str(cdr_file(MASTER)), "--timezone", "UTC",
            "--data-dir", str(tmp_path)]
    for _ in range(2):
        cli.main(args)
    out = capsys.readouterr().out.splitlines()
    assert out == ["84 rows read, 36 calls written, 0 recordings attached, 0 rows skipped"] * 2
    with Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite3'}") as journal:
        assert journal.count_calls() == 36


@pytest.mark.usefixtures("import_command")
def test_cli_summary_names_skipped_lines(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    cdr = tmp_path / "Master.csv"
    cdr.write_text("x,y\n" * 7)
    cli.main(["import", "asterisk-csv", str(cdr), "--data-dir", str(tmp_path)])
    assert capsys.readouterr().out.splitlines() == [
        "7 rows read, 0 calls written, 0 recordings attached, 7 rows skipped",
        "  skipped 7: 2 fields, expected 16, 17, 18 or 21 (line 1, 2, 3, 4, 5 and 2 more)",
    ]


@pytest.mark.usefixtures("import_command")
@pytest.mark.parametrize(("args", "message"), [
    (["freeswitch-sqlite", "{bad}"], "bad.csv: no table 'cdr' (tables: none)"),
    (["asterisk-csv", "{bad}", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["asterisk-csv", "{dir}"], "is a directory, not a CDR file"),
])
def test_cli_bad_input_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             args: list[str], message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,cdr\n")
    argv = [a.format(bad=bad, dir=tmp_path) for a in args]
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import", *argv, "--data-dir", str(tmp_path / "data")])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("callvault: error: ")


def test_cli_rejects_a_column_list_without_start(tmp_path: Path) -> None:
    from callvault.commands.imports import import_

    cdr = tmp_path / "c.csv"
    cdr.write_text("")
    result = CliRunner().invoke(import_, ["asterisk-custom", str(cdr), "--columns", "src,dst"])
    assert result.exit_code == 2
    assert "the columns must include start" in result.output

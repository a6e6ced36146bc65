"""`callvault directory`: list, add, remove, import, reapply; errors as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from directory_calls import call

from callvault import cli as cli_module
from callvault.journal import Journal


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli_module.COMMAND_MODULES, "directory", "callvault.commands.directory")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"


def run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(cli_module.cli, ["directory", *args, "--db", db])
    assert result.exit_code == 0, result.output
    return result


def test_add_list_import_remove_and_reapply(db: str, tmp_path: Path) -> None:
    with Journal.open(db) as journal:
        journal.save(call("in-201", "+4511111111", "201"))
        journal.save(call("in-ads", "+4511111111", "+4570101010"))
    run(db, "teams", "add", "Sales", "--department", "Revenue")
    assert "Sales\tdepartment=Revenue\tsupervisors=-" in run(db, "teams", "list").output
    added = run(
        db, "agents", "add", "Ann", "--employee-id", "E1", "--extension", "201", "--team", "Sales"
    )
    assert "added agent Ann" in added.output
    assert (
        "Ann\temployee_id=E1\textensions=201\tteam=Sales\tuser=-\tactive"
        in run(db, "agents", "list").output
    )
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("number,channel,campaign\n+4570101010,google-ads,spring\n")
    assert "imported 1 numbers rows" in run(db, "numbers", "import", str(numbers)).output
    costs = tmp_path / "costs.csv"
    costs.write_text(
        "number,period_start,period_end,cost,currency\n"
        "+4570101010,2024-05-01,2024-05-31,99.90,EUR\n"
    )
    run(db, "costs", "import", str(costs))
    assert "costs=2024-05-01..2024-05-31=99.90 EUR" in run(db, "numbers", "list").output
    run(db, "queues", "add", "support", "--number", "600", "--team", "Sales")
    assert "support\tnumbers=600\tteam=Sales" in run(db, "queues", "list").output
    assert run(db, "reapply", "--since", "2024-05-01").output.strip() == "2 calls changed"
    with Journal.open(db) as journal:
        assert journal.get_call("in-ads").channel == "google-ads"  # type: ignore[union-attr]
    assert run(db, "reapply").output.strip() == "0 calls changed"
    run(db, "agents", "remove", "E1")
    run(db, "queues", "remove", "support")
    run(db, "numbers", "remove", "+4570101010")
    run(db, "teams", "remove", "Sales")
    assert run(db, "agents", "list").output == ""


def test_errors_are_one_line_and_a_non_zero_exit(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "agents.csv"
    bad.write_text("name,employee_id,team\nAnn,E1,Nope\n")
    for args, message in (
        (["agents", "import", str(bad)], "callvault: error: line 2, column 'team': no team 'Nope'"),
        (["teams", "remove", "Nope"], "callvault: error: no team 'Nope'"),
    ):
        with pytest.raises(SystemExit) as exited:
            cli_module.main(["directory", *args, "--db", db])
        assert exited.value.code == 1
        assert capsys.readouterr().err == message + "\n"

"""`callvault users`: add, list, disable, token; errors as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callvault import cli as cli_module
from callvault.accounts import Accounts


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command as cli.py will register it (COMMAND_MODULES["users"])."""
    monkeypatch.setitem(cli_module.COMMAND_MODULES, "users", "callvault.commands.users")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"


def run(db: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli_module.cli, ["users", *args, "--db", db], input=input)


def test_add_with_a_prompted_password_then_list(db: str) -> None:
    added = run(
        db,
        "add",
        "ann",
        "--role",
        "agent",
        "--extension",
        "201",
        "--extension",
        "+4533123456",
        "--team",
        "support",
        input="pw1\npw1\n",
    )
    assert added.exit_code == 0, added.output
    assert "added ann (agent)" in added.output
    assert "pw1" not in added.output
    listed = run(db, "list")
    assert listed.exit_code == 0
    assert "ann\tagent\tactive\textensions=201,+4533123456\tteam=support" in listed.output
    with Accounts.open(db) as accounts:
        assert accounts.user_for_password("ann", "pw1") is not None


def test_password_from_stdin(db: str) -> None:
    added = run(db, "add", "bob", "--role", "admin", "--password-stdin", input="s3cret\n")
    assert added.exit_code == 0, added.output
    with Accounts.open(db) as accounts:
        assert accounts.user_for_password("bob", "s3cret") is not None


def test_disable_and_token(db: str) -> None:
    run(db, "add", "bob", "--role", "manager", "--password-stdin", input="pw\n")
    issued = run(db, "token", "bob", "--name", "crm-sync")
    assert issued.exit_code == 0
    token = issued.stdout.strip()
    assert token.startswith("cv_")
    assert "shown once" in issued.stderr
    with Accounts.open(db) as accounts:
        assert accounts.user_for_token(token) is not None
    disabled = run(db, "disable", "bob")
    assert disabled.exit_code == 0 and "disabled bob" in disabled.output
    assert "bob\tmanager\tdisabled" in run(db, "list").output
    with Accounts.open(db) as accounts:
        assert accounts.user_for_token(token) is None


def test_empty_list_says_how_to_add(db: str) -> None:
    assert "callvault users add" in run(db, "list").output


def test_duplicate_user_is_one_line_and_exit_1(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(db, "add", "ann", "--role", "agent", "--password-stdin", input="pw\n")
    monkeypatch.setattr("sys.stdin", _Lines("pw\n"))
    with pytest.raises(SystemExit) as exit:
        cli_module.main(["users", "add", "ann", "--role", "admin", "--password-stdin", "--db", db])
    assert exit.value.code == 1
    assert capsys.readouterr().err == "callvault: error: user 'ann' already exists\n"


def test_unknown_role_and_user_are_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        cli_module.main(["users", "add", "ann", "--role", "boss", "--db", db])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "'boss' is not one of 'agent', 'supervisor', 'manager', 'compliance', 'admin'" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit) as exit:
        cli_module.main(["users", "token", "ghost", "--name", "x", "--db", db])
    assert exit.value.code == 1
    assert capsys.readouterr().err == "callvault: error: no user 'ghost'\n"


class _Lines:
    def __init__(self, text: str) -> None:
        self._lines = iter(text.splitlines(keepends=True))

    def readline(self) -> str:
        return next(self._lines, "")


def test_password_sets_the_password_and_ends_browser_sessions(db: str) -> None:
    from callvault.accounts.sessions import Sessions

    assert run(db, "add", "ada", "--role", "admin", "--password-stdin", input="old\n").exit_code == 0
    with Accounts.open(db) as accounts:
        user = accounts.get_user("ada")
    assert user is not None
    sessions = Sessions.connect(db)
    try:
        cookie = sessions.open(user)
        changed = run(db, "password", "ada", "--password-stdin", input="new secret\n")
        assert changed.exit_code == 0, changed.output
        assert "password of ada set; 1 browser session(s) ended" in changed.output
        assert sessions.find(cookie) is None
    finally:
        sessions.dispose()
    with Accounts.open(db) as accounts:
        assert accounts.user_for_password("ada", "new secret") is not None
        assert accounts.user_for_password("ada", "old") is None
    unknown = run(db, "password", "nobody", "--password-stdin", input="x\n")
    assert unknown.exit_code != 0  # main() turns the AccountError into one line, as above
    assert str(unknown.exception) == "no user 'nobody'"

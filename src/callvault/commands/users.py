"""`callvault users`: accounts of the API (add, list, disable, password, token)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from callvault.accounts import AccountError, Accounts, Role
from callvault.commands.common import journal_options, settings_from


def _accounts(data_dir: Path | None, db: str | None) -> Accounts:
    return Accounts.open(settings_from(data_dir, db).journal_url)


@click.group()
def users() -> None:
    """Manage the accounts that may use the API."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role], case_sensitive=False),
    help="What the account may see and do (docs/api.md).",
)
@click.option(
    "--extension",
    "extensions",
    multiple=True,
    metavar="NUMBER",
    help="The agent's number or extension, as the journal shows it (repeatable).",
)
@click.option("--team", help="The user's team.")
@click.option("--name", "display_name", help="Display name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input's first line."
)
@journal_options
def add(
    username: str,
    role: str,
    extensions: tuple[str, ...],
    team: str | None,
    display_name: str | None,
    password_stdin: bool,
    data_dir: Path | None,
    db: str | None,
) -> None:
    """Add a user; the password is asked for (or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise AccountError("the password is empty")
    with _accounts(data_dir, db) as accounts:
        user = accounts.add_user(
            username,
            role,
            password=password,
            display_name=display_name,
            extensions=extensions,
            team=team,
        )
    click.echo(f"added {user.username} ({user.role.value})")


@users.command("list")
@journal_options
def list_(data_dir: Path | None, db: str | None) -> None:
    """List the users."""
    with _accounts(data_dir, db) as accounts:
        found = accounts.list_users()
    if not found:
        click.echo("No users yet: `callvault users add USERNAME --role admin` adds one.")
        return
    for user in found:
        state = "disabled" if user.disabled else "active"
        extensions = ",".join(user.extensions) or "-"
        click.echo(
            f"{user.username}\t{user.role.value}\t{state}\textensions={extensions}\t"
            f"team={user.team or '-'}\tcreated={_date(user.created_at)}"
        )


@users.command("disable")
@click.argument("username")
@journal_options
def disable(username: str, data_dir: Path | None, db: str | None) -> None:
    """Disable a user: their password and tokens stop working."""
    with _accounts(data_dir, db) as accounts:
        accounts.set_disabled(username, True)
    click.echo(f"disabled {username}")


@users.command("password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input's first line."
)
@journal_options
def password(username: str, password_stdin: bool, data_dir: Path | None, db: str | None) -> None:
    """Set a user's password; their browser sessions end (API tokens keep working)."""
    if password_stdin:
        chosen = sys.stdin.readline().rstrip("\r\n")
    else:
        chosen = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if not chosen:
        raise AccountError("the password is empty")
    from callvault.accounts.sessions import Sessions

    url = settings_from(data_dir, db).journal_url
    with _accounts(data_dir, db) as accounts:
        accounts.set_password(username, chosen)
        user = accounts.get_user(username)
    ended = 0
    if user is not None:
        sessions = Sessions.connect(url)
        try:
            ended = sessions.close_all(user.id)
        finally:
            sessions.dispose()
    click.echo(f"password of {username} set; {ended} browser session(s) ended")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. crm-sync.")
@journal_options
def token(username: str, name: str, data_dir: Path | None, db: str | None) -> None:
    """Issue an API token for a user and print it: it is shown only this once."""
    with _accounts(data_dir, db) as accounts:
        issued = accounts.issue_token(username, name)
    click.echo(issued)
    click.echo("This token is shown once; send it as 'Authorization: Bearer <token>'.", err=True)


def _date(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


COMMANDS: list[click.Command] = [users]

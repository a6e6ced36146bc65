"""`callvault serve`: the REST API (docs/api.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from callvault.commands.common import journal_options, settings_from

FIRST_ADMIN = "admin"
ADMIN_PASSWORD_ENV = "CALLVAULT_ADMIN_PASSWORD"


def ensure_first_admin(url: str, password: str | None = None) -> str | None:
    """On a journal without any account, create the admin account ``admin`` with
    ``password`` (or a random one) and return that password; None when accounts exist."""
    from callvault.accounts import Accounts, Role

    with Accounts.open(url) as accounts:
        if accounts.list_users():
            return None
        chosen = password or secrets.token_urlsafe(12)
        accounts.add_user(FIRST_ADMIN, Role.ADMIN, password=chosen, display_name="Administrator")
        return chosen


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@journal_options
def serve(host: str, port: int, data_dir: Path | None, db: str | None) -> None:
    """Serve the REST API over the journal; every request must authenticate.

    On a journal without accounts, the first admin account ("admin") is created, with the
    password in $CALLVAULT_ADMIN_PASSWORD or a random one printed once."""
    import uvicorn

    from callvault.api import create_app

    settings = settings_from(data_dir, db)
    given = os.environ.get(ADMIN_PASSWORD_ENV) or None
    created = ensure_first_admin(settings.journal_url, given)
    if created is not None:
        shown = f"the password in ${ADMIN_PASSWORD_ENV}" if given else f"password {created}"
        click.echo(
            f"callvault: created the first admin account {FIRST_ADMIN!r} with {shown} "
            "(add people with `callvault users add`)",
            err=True,
        )
    app = create_app(settings)
    click.echo(f"callvault: serving http://{host}:{port}/ (journal: {app.state.journal.url})",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


COMMANDS: list[click.Command] = [serve]

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
@click.option("--capture-interface", metavar="IF",
              help="Also record calls live from this interface (as `callvault capture`).")
@click.option("--capture-filter", metavar="BPF",
              help="Capture filter for --capture-interface, in tcpdump syntax.")
@click.option("--record-siprec", is_flag=True,
              help="Also run the SIPREC recording server (as `callvault siprec`; its settings "
              "from CALLVAULT_SIPREC_*).")
@click.option("--siprec-port", "siprec_port", type=click.IntRange(0, 65535),
              help="SIP port of the SIPREC server (0: any free port) [default: 5060].")
@click.option("--audio/--no-audio", "record_audio", default=None,
              help="The recorders record audio (default) or write the journal only.")
@journal_options
def serve(
    host: str,
    port: int,
    capture_interface: str | None,
    capture_filter: str | None,
    record_siprec: bool,
    data_dir: Path | None,
    db: str | None,
    **options: object,
) -> None:
    """Serve the REST API over the journal; every request must authenticate.

    On a journal without accounts, the first admin account ("admin") is created, with the
    password in $CALLVAULT_ADMIN_PASSWORD or a random one printed once. With
    --capture-interface or --record-siprec the same process records calls too; SIGTERM or
    Ctrl-C then saves every call in progress before it ends (docs/operations.md)."""
    import uvicorn

    from callvault.api import create_app

    settings = settings_from(data_dir, db, **options)
    recorders = _recorders(settings, capture_interface, capture_filter, record_siprec)
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
    if recorders is not None:
        from callvault.ops.serving import attach

        attach(app, recorders)
        if capture_interface:
            click.echo(f"callvault: recording from {capture_interface}"
                       + (f" (filter {capture_filter!r})" if capture_filter else ""), err=True)
    click.echo(f"callvault: serving http://{host}:{port}/ (journal: {app.state.journal.url})",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _recorders(settings, interface: str | None, bpf: str | None, siprec: bool):  # type: ignore[no-untyped-def]
    """The recorders to run beside the API, opened (a bad interface fails here); None."""
    if not interface and not siprec:
        if bpf:
            raise click.UsageError("--capture-filter needs --capture-interface")
        return None
    from callvault.ops.capture_recorder import CaptureRecorder
    from callvault.ops.serving import Recorders

    capture = CaptureRecorder(settings, interface, bpf) if interface else None
    recorders = Recorders(settings, capture, siprec)
    recorders.open()
    return recorders


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@journal_options
def health(fmt: str, data_dir: Path | None, db: str | None) -> None:
    """The recorders of this data directory (running, heartbeat age, calls in progress) and
    its free disk space: exit status 0 when healthy, 1 when degraded (for monitoring)."""
    import json
    import sys

    from callvault.ops.health import check

    report = check(settings_from(data_dir, db))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(f"health: {report.status}")
        for reason in report.reasons:
            click.echo(f"  - {reason}")
        click.echo(f"disk: {report.disk_free_bytes / 2**30:,.1f} GiB free "
                   f"(minimum {report.disk_free_min_bytes / 2**30:,.1f} GiB)")
        for r in report.recorders:
            state = "up" if r.up else ("stopped" if not r.running else "DOWN")
            click.echo(f"recorder {r.name} ({r.source}, {r.detail}): {state}, heartbeat "
                       f"{r.heartbeat_age_s:,.1f} s ago, {r.calls_in_progress} calls in progress"
                       + (f", error: {r.error}" if r.error else ""))
        if not report.recorders:
            click.echo("no recorder has run on this data directory")
    if report.status != "ok":
        sys.exit(1)


COMMANDS: list[click.Command] = [serve, health]

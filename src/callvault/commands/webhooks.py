"""`callvault webhooks`: where finished and annotated calls are POSTed (docs/webhooks.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from callvault.commands.common import journal_options, settings_from
from callvault.journal.export import iso_time
from callvault.webhooks import EVENTS, Delivery, DeliveryStatus, Dispatcher, Webhooks


def _webhooks(data_dir: Path | None, db: str | None) -> Webhooks:
    return Webhooks.open(settings_from(data_dir, db).journal_url)


@click.group()
def webhooks() -> None:
    """Manage webhooks and watch their deliveries."""


@webhooks.command("add")
@click.argument("name")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENTS),
    help="An event to send (repeatable) [default: all].",
)
@click.option(
    "--secret-stdin",
    is_flag=True,
    help="Read the signing secret from standard input's first line [default: generate one].",
)
@journal_options
def add(
    name: str,
    url: str,
    events: tuple[str, ...],
    secret_stdin: bool,
    data_dir: Path | None,
    db: str | None,
) -> None:
    """Add a webhook: POST calls to URL. Prints the signing secret, shown only this once."""
    secret = sys.stdin.readline().strip() if secret_stdin else None
    with _webhooks(data_dir, db) as found:
        hook = found.add(name, url, events=events or EVENTS, secret=secret)
    click.echo(hook.secret)
    click.echo(
        f"added {hook.name} ({' '.join(hook.events)}) → {hook.url}; the secret above is "
        "shown once: give it to the receiver to check the Callvault-Signature header.",
        err=True,
    )


@webhooks.command("list")
@journal_options
def list_(data_dir: Path | None, db: str | None) -> None:
    """List the webhooks."""
    with _webhooks(data_dir, db) as found:
        hooks = found.list()
    if not hooks:
        click.echo("No webhooks yet: `callvault webhooks add NAME URL` adds one.")
        return
    for hook in hooks:
        state = "active" if hook.active else "inactive"
        click.echo(f"{hook.name}\t{hook.url}\t{' '.join(hook.events)}\t{state}")


@webhooks.command("remove")
@click.argument("name")
@journal_options
def remove(name: str, data_dir: Path | None, db: str | None) -> None:
    """Remove a webhook and its deliveries."""
    with _webhooks(data_dir, db) as found:
        found.remove(name)
    click.echo(f"removed {name}")


@webhooks.command("deliveries")
@click.option(
    "--status", type=click.Choice([status.value for status in DeliveryStatus]), help="Only these."
)
@click.option("--webhook", "webhook", metavar="NAME", help="Only this webhook's.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(0, 100_000))
@journal_options
def deliveries(
    status: str | None, webhook: str | None, limit: int, data_dir: Path | None, db: str | None
) -> None:
    """List deliveries, newest first."""
    with _webhooks(data_dir, db) as found:
        listed = found.deliveries(status=status, webhook=webhook, limit=limit)
    if not listed:
        click.echo("No deliveries.")
        return
    for delivery in listed:
        click.echo(_line(delivery))


@webhooks.command("redeliver")
@click.argument("delivery_id", type=click.IntRange(1, 2**31 - 1))
@journal_options
def redeliver(delivery_id: int, data_dir: Path | None, db: str | None) -> None:
    """Send a failed (or delivered) delivery again."""
    with _webhooks(data_dir, db) as found:
        delivery = found.redeliver(delivery_id)
    click.echo(f"delivery {delivery.id} to {delivery.webhook} is pending again")


@webhooks.command("test")
@click.argument("name")
@journal_options
def test(name: str, data_dir: Path | None, db: str | None) -> None:
    """Enqueue a webhook.test event to one webhook (`deliver --once` sends it)."""
    with _webhooks(data_dir, db) as found:
        delivery = found.send_test(name)
    click.echo(f"delivery {delivery.id} ({delivery.event}) to {delivery.webhook} is pending")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Attempt what is due now once, then exit.")
@journal_options
def deliver(once: bool, data_dir: Path | None, db: str | None) -> None:
    """Deliver pending deliveries (what `callvault serve` does in the background), until
    interrupted; for setups that capture without the server."""
    settings = settings_from(data_dir, db)
    with Webhooks.open(settings.journal_url) as found:
        dispatcher = Dispatcher.from_settings(found, settings)
        try:
            if once:
                outcomes = dispatcher.deliver_due()
                counts = {status: 0 for status in DeliveryStatus}
                for outcome in outcomes:
                    counts[outcome.status] += 1
                click.echo(
                    f"{len(outcomes)} attempted: {counts[DeliveryStatus.DELIVERED]} delivered, "
                    f"{counts[DeliveryStatus.PENDING]} to retry, "
                    f"{counts[DeliveryStatus.FAILED]} failed"
                )
            else:
                click.echo("delivering webhooks; Ctrl-C stops", err=True)
                dispatcher.run_forever()
        finally:
            dispatcher.stop()


def _line(delivery: Delivery) -> str:
    code = delivery.response_code if delivery.response_code is not None else "-"
    when = delivery.delivered_at or delivery.last_attempt_at or delivery.created_at
    parts = [
        str(delivery.id),
        delivery.webhook,
        delivery.event,
        f"call={delivery.call_id if delivery.call_id is not None else '-'}",
        delivery.status.value,
        f"attempts={delivery.attempts}",
        f"http={code}",
        iso_time(when) or "-",
    ]
    if delivery.error:
        parts.append(delivery.error)
    return "\t".join(parts)


COMMANDS: list[click.Command] = [webhooks]

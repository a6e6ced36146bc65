"""`callvault directory`: teams, agents, queues and tracked numbers; CSV imports; re-apply."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from callvault.commands.common import TimeParam, journal_options, settings_from
from callvault.directory import KINDS, Directory, import_csv


def _directory(data_dir: Path | None, db: str | None) -> Directory:
    return Directory.open(settings_from(data_dir, db).journal_url)


def _or_dash(value: object) -> str:
    return "-" if value in (None, "", ()) else str(value)


@click.group()
def directory() -> None:
    """Manage the directory: who handles which calls, and where customers came from."""


def _import_command(kind: str) -> click.Command:
    @click.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @journal_options
    def command(file: Path, data_dir: Path | None, db: str | None) -> None:
        with _directory(data_dir, db) as opened:
            rows = import_csv(opened, kind, file.read_bytes())
        click.echo(f"imported {rows} {kind} rows from {file}")

    columns = ",".join(KINDS[kind].columns)
    command.help = f"Import {kind} from a CSV file with the header {columns} (all or nothing)."
    return command


# -- teams -----------------------------------------------------------------------------------


@directory.group()
def teams() -> None:
    """Teams, their departments and supervisors."""


@teams.command("list")
@journal_options
def teams_list(data_dir: Path | None, db: str | None) -> None:
    """List the teams."""
    with _directory(data_dir, db) as opened:
        for team in opened.list_teams():
            click.echo(
                f"{team.name}\tdepartment={_or_dash(team.department)}\t"
                f"supervisors={_or_dash(','.join(team.supervisors))}"
            )


@teams.command("add")
@click.argument("name")
@click.option("--department", help="The department the team belongs to.")
@journal_options
def teams_add(name: str, department: str | None, data_dir: Path | None, db: str | None) -> None:
    """Add a team."""
    with _directory(data_dir, db) as opened:
        opened.add_team(name, department=department)
    click.echo(f"added team {name}")


@teams.command("remove")
@click.argument("name")
@journal_options
def teams_remove(name: str, data_dir: Path | None, db: str | None) -> None:
    """Remove a team (its agents and queues stay, without a team)."""
    with _directory(data_dir, db) as opened:
        opened.remove_team(name)
    click.echo(f"removed team {name}")


@teams.command("supervise")
@click.argument("name")
@click.argument("username")
@click.option("--stop", is_flag=True, help="Stop supervising the team instead.")
@journal_options
def teams_supervise(
    name: str, username: str, stop: bool, data_dir: Path | None, db: str | None
) -> None:
    """Let the account USERNAME supervise team NAME (and see its calls)."""
    with _directory(data_dir, db) as opened:
        if stop:
            opened.remove_supervisor(name, username)
        else:
            opened.add_supervisor(name, username)
    click.echo(f"{username} {'no longer supervises' if stop else 'supervises'} {name}")


teams.add_command(_import_command("teams"))


# -- agents ----------------------------------------------------------------------------------


@directory.group()
def agents() -> None:
    """Agents: their extensions, team and account."""


@agents.command("list")
@journal_options
def agents_list(data_dir: Path | None, db: str | None) -> None:
    """List the agents."""
    with _directory(data_dir, db) as opened:
        for agent in opened.list_agents():
            click.echo(
                f"{agent.id}\t{agent.name}\temployee_id={_or_dash(agent.employee_id)}\t"
                f"extensions={_or_dash(','.join(agent.extensions))}\t"
                f"team={_or_dash(agent.team)}\tuser={_or_dash(agent.username)}\t"
                f"{'active' if agent.active else 'inactive'}"
            )


@agents.command("add")
@click.argument("name")
@click.option("--employee-id", help="The agent's employee id (unique).")
@click.option(
    "--extension",
    "extensions",
    multiple=True,
    metavar="NUMBER",
    help="A number or extension of the agent, as the journal shows it (repeatable).",
)
@click.option("--team", help="The agent's team.")
@click.option("--user", "username", help="The agent's account: it sees the agent's calls.")
@journal_options
def agents_add(
    name: str,
    employee_id: str | None,
    extensions: tuple[str, ...],
    team: str | None,
    username: str | None,
    data_dir: Path | None,
    db: str | None,
) -> None:
    """Add an agent."""
    with _directory(data_dir, db) as opened:
        agent = opened.add_agent(
            name, employee_id=employee_id, extensions=extensions, team=team, username=username
        )
    click.echo(f"added agent {agent.name} (id {agent.id})")


@agents.command("remove")
@click.argument("ref")
@journal_options
def agents_remove(ref: str, data_dir: Path | None, db: str | None) -> None:
    """Remove the agent with employee id REF (else directory id REF)."""
    with _directory(data_dir, db) as opened:
        opened.remove_agent(ref)
    click.echo(f"removed agent {ref}")


agents.add_command(_import_command("agents"))


# -- queues ----------------------------------------------------------------------------------


@directory.group()
def queues() -> None:
    """Queues (hunt and ring groups) and their numbers."""


@queues.command("list")
@journal_options
def queues_list(data_dir: Path | None, db: str | None) -> None:
    """List the queues."""
    with _directory(data_dir, db) as opened:
        for queue in opened.list_queues():
            click.echo(
                f"{queue.name}\tnumbers={_or_dash(','.join(queue.numbers))}\t"
                f"team={_or_dash(queue.team)}"
            )


@queues.command("add")
@click.argument("name")
@click.option(
    "--number",
    "numbers",
    multiple=True,
    metavar="NUMBER",
    help="A number of the queue (repeatable).",
)
@click.option("--team", help="The team that answers the queue.")
@journal_options
def queues_add(
    name: str, numbers: tuple[str, ...], team: str | None, data_dir: Path | None, db: str | None
) -> None:
    """Add a queue."""
    with _directory(data_dir, db) as opened:
        opened.add_queue(name, numbers=numbers, team=team)
    click.echo(f"added queue {name}")


@queues.command("remove")
@click.argument("name")
@journal_options
def queues_remove(name: str, data_dir: Path | None, db: str | None) -> None:
    """Remove a queue."""
    with _directory(data_dir, db) as opened:
        opened.remove_queue(name)
    click.echo(f"removed queue {name}")


queues.add_command(_import_command("queues"))


# -- tracked numbers -------------------------------------------------------------------------


@directory.group()
def numbers() -> None:
    """Tracked numbers: the number a customer dialled tells the marketing channel."""


@numbers.command("list")
@journal_options
def numbers_list(data_dir: Path | None, db: str | None) -> None:
    """List the tracked numbers and their costs."""
    with _directory(data_dir, db) as opened:
        for number in opened.list_numbers():
            costs = ",".join(
                f"{c.period_start}..{c.period_end}={c.cost} {c.currency}" for c in number.costs
            )
            click.echo(
                f"{number.number}\tchannel={number.channel}\t"
                f"campaign={_or_dash(number.campaign)}\t"
                f"{'active' if number.active else 'inactive'}\tcosts={_or_dash(costs)}"
            )


@numbers.command("add")
@click.argument("number")
@click.option("--channel", required=True, help="The marketing channel, e.g. google-ads.")
@click.option("--campaign", help="The campaign.")
@journal_options
def numbers_add(
    number: str, channel: str, campaign: str | None, data_dir: Path | None, db: str | None
) -> None:
    """Add a tracked number."""
    with _directory(data_dir, db) as opened:
        opened.add_number(number, channel=channel, campaign=campaign)
    click.echo(f"added tracked number {number.strip()}")


@numbers.command("remove")
@click.argument("number")
@journal_options
def numbers_remove(number: str, data_dir: Path | None, db: str | None) -> None:
    """Remove a tracked number and its costs."""
    with _directory(data_dir, db) as opened:
        opened.remove_number(number)
    click.echo(f"removed tracked number {number}")


numbers.add_command(_import_command("numbers"))


@directory.group()
def costs() -> None:
    """What tracked numbers cost per period."""


costs.add_command(_import_command("costs"))


# -- re-apply --------------------------------------------------------------------------------


@directory.command("reapply")
@click.option("--since", type=TimeParam(), help="Calls that started at or after this time.")
@click.option("--until", type=TimeParam(), help="Calls that started before this time.")
@journal_options
def reapply(
    since: datetime | None, until: datetime | None, data_dir: Path | None, db: str | None
) -> None:
    """Assign past calls anew by the directory as it is now."""
    with _directory(data_dir, db) as opened:
        changed = opened.reapply(since=since, until=until)
    click.echo(f"{changed} calls changed")


COMMANDS: list[click.Command] = [directory]

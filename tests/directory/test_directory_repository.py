"""The directory's records: create, read, change, remove, and the errors that name what is
wrong (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from callvault.accounts import Accounts
from callvault.directory import Directory, DirectoryError


def test_teams_with_departments_and_supervisors(directory: Directory, journal_url: str) -> None:
    with Accounts.open(journal_url) as accounts:
        accounts.add_user("sam", "supervisor")
    directory.add_team("Sales", department="Revenue")
    directory.add_team("Support")
    team = directory.add_supervisor("Sales", "sam")
    assert (team.name, team.department, team.supervisors) == ("Sales", "Revenue", ("sam",))
    assert directory.supervised_team_ids("sam") == (team.id,)
    renamed = directory.update_team("Support", new_name="Care", department="Service")
    assert (renamed.name, renamed.department) == ("Care", "Service")
    assert [t.name for t in directory.list_teams()] == ["Care", "Sales"]
    with pytest.raises(DirectoryError, match="team 'Sales' already exists"):
        directory.add_team("Sales")
    with pytest.raises(DirectoryError, match="no user 'ghost'"):
        directory.add_supervisor("Sales", "ghost")
    with pytest.raises(DirectoryError, match="no team 'Nope'"):
        directory.remove_team("Nope")
    directory.remove_supervisor("Sales", "sam")
    assert directory.supervised_team_ids("sam") == ()
    directory.remove_team("Care")
    assert [t.name for t in directory.list_teams()] == ["Sales"]


def test_agents_with_extensions_teams_and_accounts(directory: Directory, journal_url: str) -> None:
    with Accounts.open(journal_url) as accounts:
        accounts.add_user("ann", "agent")
    directory.add_team("Sales")
    ann = directory.add_agent(
        "Ann Berg",
        employee_id="E1",
        extensions=["201", "+4533000201"],
        team="Sales",
        username="ann",
    )
    assert (ann.extensions, ann.team, ann.username, ann.active) == (
        ("201", "+4533000201"),
        "Sales",
        "ann",
        True,
    )
    assert directory.get_agent("E1") == ann
    assert directory.get_agent(ann.id) == ann
    with pytest.raises(DirectoryError, match="extension '201' already belongs to agent 'Ann Berg'"):
        directory.add_agent("Bob", extensions=["202", "201"])
    with pytest.raises(DirectoryError, match="employee id 'E1' already belongs to agent"):
        directory.add_agent("Bob", employee_id="E1")
    with pytest.raises(DirectoryError, match="no team 'Nope'"):
        directory.add_agent("Bob", team="Nope")
    assert [a.name for a in directory.list_agents()] == ["Ann Berg"]  # nothing half-made
    changed = directory.update_agent("E1", extensions="301; 302", team=None, active=False)
    assert (changed.extensions, changed.team, changed.active) == (("301", "302"), None, False)
    bob = directory.add_agent("Bob", extensions=["201"])  # freed by the change
    assert bob.extensions == ("201",)
    directory.remove_agent(ann.id)
    with pytest.raises(DirectoryError, match="no agent with employee id or id 'E1'"):
        directory.get_agent("E1")


def test_queues_own_their_numbers(directory: Directory) -> None:
    directory.add_team("Support")
    queue = directory.add_queue("support", numbers=["600", "+4570000600"], team="Support")
    assert (queue.numbers, queue.team) == (("600", "+4570000600"), "Support")
    with pytest.raises(DirectoryError, match="number '600' already belongs to queue 'support'"):
        directory.add_queue("sales", numbers=["700", "600"])
    with pytest.raises(DirectoryError, match="queue 'support' already exists"):
        directory.add_queue("support")
    assert directory.update_queue("support", numbers=["601"]).numbers == ("601",)
    directory.remove_queue("support")
    assert directory.list_queues() == []


def test_tracked_numbers_and_their_costs(directory: Directory) -> None:
    number = directory.add_number("+4570101010", channel="google-ads", campaign="spring")
    assert (number.channel, number.campaign, number.active) == ("google-ads", "spring", True)
    with pytest.raises(DirectoryError, match="number '004570101010' is tracked as '\\+4570101010'"):
        directory.add_number("004570101010", channel="radio")
    with pytest.raises(DirectoryError, match="already tracked"):
        directory.add_number("+4570101010", channel="radio")
    cost = directory.add_cost("+4570101010", "2024-05-01", "2024-05-31", "1250.50", "eur")
    assert (cost.period_start, cost.period_end, cost.cost, cost.currency) == (
        date(2024, 5, 1),
        date(2024, 5, 31),
        Decimal("1250.50"),
        "EUR",
    )
    for args, message in (
        (("2024-05-31", "2024-05-01", "1", "EUR"), "period_end 2024-05-01 is before"),
        (("2024-13-01", "2024-05-01", "1", "EUR"), "send a date as YYYY-MM-DD"),
        (("2024-05-01", "2024-05-31", "ten", "EUR"), "send an amount"),
        (("2024-05-01", "2024-05-31", "1.005", "EUR"), "at most two decimals"),
        (("2024-05-01", "2024-05-31", "1", "euro"), "ISO 4217"),
    ):
        with pytest.raises(DirectoryError, match=message):
            directory.add_cost("+4570101010", *args)
    with pytest.raises(DirectoryError, match="no tracked number '123'"):
        directory.add_cost("123", "2024-05-01", "2024-05-31", "1", "EUR")
    assert directory.get_number("+4570101010").costs == (cost,)
    updated = directory.update_number("+4570101010", campaign=None, active=False)
    assert (updated.campaign, updated.active) == (None, False)
    directory.remove_cost("+4570101010", cost.id)
    directory.remove_number("+4570101010")
    assert directory.list_numbers() == []

"""The directory from CSV: every kind, re-imports that update, and bad rows that name their
line and column and leave nothing half-imported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callvault.accounts import Accounts
from callvault.directory import Directory, DirectoryError, import_csv


def test_every_kind_imports_and_a_second_import_updates(
    directory: Directory, journal_url: str
) -> None:
    with Accounts.open(journal_url) as accounts:
        accounts.add_user("ann", "agent")
    assert import_csv(directory, "teams", "name,department\nSales,Revenue\nSupport,\n") == 2
    agents = (
        "\ufeffname,employee_id,extensions,team,username\n"
        'Ann Berg,E1,"201 +4533000201",Sales,ann\n'
        "Bob Lund,E2,202;203,Sales,\n"
        "\n"
        "Cleo,,,Support,\n"
    )
    assert import_csv(directory, "agents", agents.encode()) == 3
    assert import_csv(directory, "queues", "name,numbers,team\nsupport,600;601,Support\n") == 1
    numbers = "number,channel,campaign\n+4570101010,google-ads,spring\n+4570202020,radio,\n"
    assert import_csv(directory, "numbers", numbers) == 2
    costs = (
        "number,period_start,period_end,cost,currency\n"
        "+4570101010,2024-05-01,2024-05-31,1250.50,EUR\n"
    )
    assert import_csv(directory, "costs", costs) == 1
    found = {agent.name: agent for agent in directory.list_agents()}
    assert found["Ann Berg"].extensions == ("201", "+4533000201")
    assert (found["Ann Berg"].team, found["Ann Berg"].username) == ("Sales", "ann")
    assert found["Bob Lund"].extensions == ("202", "203")
    assert directory.get_queue("support").numbers == ("600", "601")
    assert directory.get_number("+4570101010").costs[0].cost == Decimal("1250.50")
    # Again, changed: rows with a known key update, nothing is doubled.
    import_csv(directory, "agents", "name,employee_id,extensions,team,active\nAnn B.,E1,201,,no\n")
    ann = directory.get_agent("E1")
    assert (ann.name, ann.extensions, ann.team, ann.active) == ("Ann B.", ("201",), None, False)
    import_csv(directory, "numbers", "number,channel,campaign\n+4570202020,radio,summer\n")
    assert directory.get_number("+4570202020").campaign == "summer"
    assert len(directory.list_agents()) == 3
    assert len(directory.list_numbers()) == 2


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            "agents",
            "name,employee_id,extensions,team\nAnn,E1,201,Sales\nBob,E2,202,Nope\n",
            "line 3, column 'team': no team 'Nope'",
        ),
        (
            "agents",
            "name,employee_id,extensions\nAnn,E1,201\nBob,E2,201\n",
            "line 3, column 'extensions': extension '201' already belongs to agent 'Ann'",
        ),
        ("agents", "name,employee_id\nAnn,E1\n,E2\n", "line 3, column 'name': empty"),
        ("agents", "name,employee_id,active\nAnn,E1,perhaps\n", "line 2, column 'active'"),
        ("agents", "name,phone\nAnn,201\n", "line 1: unknown column 'phone'"),
        ("agents", "", "line 1: the file is empty"),
        ("numbers", "number,campaign\n+4570101010,spring\n", "column 'channel' is missing"),
        (
            "numbers",
            "number,channel\n+4570101010,ads\n004570101010,radio\n",
            "line 3, column 'number': number '004570101010' is tracked as '+4570101010'",
        ),
        (
            "costs",
            "number,period_start,period_end,cost,currency\n"
            "+4570101010,2024-05-01,2024-05-31,12.50,EUR\n"
            "+4570101010,2024-06-01,2024-06-31,12.50,EUR\n",
            "line 3, column 'period_end': period_end '2024-06-31': send a date as YYYY-MM-DD",
        ),
        (
            "costs",
            "number,period_start,period_end,cost,currency\n"
            "+4599999999,2024-05-01,2024-05-31,12.50,EUR\n",
            "line 2, column 'number': no tracked number '+4599999999'",
        ),
        (
            "queues",
            "name,numbers\nsupport,600\nsales,600 700\n",
            "line 3, column 'numbers': number '600' already belongs to queue 'support'",
        ),
        ("queues", 'name,numbers\n"support,600\n', "line 2: unexpected end of data"),
        ("teams", "name,department,x\nSales,Revenue,1,2\n", "line 1: unknown column 'x'"),
        ("teams", "name\nSales,extra\n", "line 2: 2 columns, the header names 1"),
        ("nothing", "name\n", "unknown kind 'nothing'"),
    ],
)
def test_a_bad_row_names_its_line_and_column_and_nothing_is_kept(
    directory: Directory, kind: str, text: str, message: str
) -> None:
    directory.add_team("Sales")
    if kind == "costs":
        directory.add_number("+4570101010", channel="ads")
    before = (
        directory.list_agents(),
        directory.list_queues(),
        directory.list_numbers(),
        directory.list_teams(),
    )
    with pytest.raises(DirectoryError) as raised:
        import_csv(directory, kind, text)
    assert message in str(raised.value)
    after = (
        directory.list_agents(),
        directory.list_queues(),
        directory.list_numbers(),
        directory.list_teams(),
    )
    assert after == before

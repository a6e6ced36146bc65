"""Which agent, team, queue and tracked number a call belongs to: as calls are journaled,
and re-applied to past calls in SQL, which must agree with the snapshot call for call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from directory_calls import T0, call, party

from callvault.calls.model import Call, Direction
from callvault.directory import Directory
from callvault.journal import Journal
from callvault.journal.filters import CallFilter
from callvault.journal.schema import agent_extensions, agents


@pytest.fixture
def staffed(directory: Directory) -> Directory:
    """Sales (Ann 201, +4533000201; Bob 202, inactive 299), Support (queue 600, no agent
    of its own), a tracked number for Google Ads and one for radio (inactive)."""
    directory.add_team("Sales")
    directory.add_team("Support")
    directory.add_agent("Ann", employee_id="E1", extensions=["201", "+4533000201"], team="Sales")
    directory.add_agent("Bob", employee_id="E2", extensions=["202"], team="Sales")
    directory.add_agent("Gone", employee_id="E9", extensions=["299"], team="Sales", active=False)
    directory.add_agent("Solo", employee_id="E3", extensions=["203"])
    directory.add_queue("support", numbers=["600", "+4570000600"], team="Support")
    directory.add_number("+45 70 10 10 10", channel="google-ads", campaign="spring")
    directory.add_number("+4570202020", channel="radio", active=False)
    return directory


def ids(directory: Directory) -> dict[str, int]:
    found = {agent.name: agent.id for agent in directory.list_agents()}
    found |= {team.name: team.id for team in directory.list_teams()}
    found |= {queue.name: queue.id for queue in directory.list_queues()}
    found |= {number.channel: number.id for number in directory.list_numbers()}
    return found


Case = tuple[Call, str | None, str | None, str | None, str | None, str | None]
"""A call, and its expected agent, team, queue, tracked number (by channel), campaign."""


def cases() -> list[Case]:
    """Fresh calls (assigning changes them)."""
    return [
        # inbound: the callee; the tracked number is the dialled one, in any stored form
        (call("in-ann", "+4511111111", "201"), "Ann", "Sales", None, None, None),
        (
            call("in-e164", "+4511111111", party("33000201", "+4533000201")),
            "Ann",
            "Sales",
            None,
            None,
            None,
        ),
        (
            call("in-tracked", "+4511111111", party("70101010", "+4570101010")),
            None,
            None,
            None,
            "google-ads",
            "spring",
        ),
        (call("in-digits", "+4511111111", "4570101010"), None, None, None, "google-ads", "spring"),
        (call("in-inactive-number", "+4511111111", "+4570202020"), None, None, None, None, None),
        (call("in-queue", "+4511111111", "600"), None, "Support", "support", None, None),
        (
            call("in-queue-e164", "+4511111111", party("70000600", "+4570000600")),
            None,
            "Support",
            "support",
            None,
            None,
        ),
        # an inbound call from an agent's number is not the agent's
        (call("in-from-agent", "201", "+4599999999"), None, None, None, None, None),
        # outbound: the caller; the queue's number as caller id gives the queue
        (
            call("out-bob", "202", "+4599999999", Direction.OUTBOUND),
            "Bob",
            "Sales",
            None,
            None,
            None,
        ),
        (
            call("out-queue", "600", "+4599999999", Direction.OUTBOUND),
            None,
            "Support",
            "support",
            None,
            None,
        ),
        (
            call("out-bob-queue", "202", "600", Direction.OUTBOUND),
            "Bob",
            "Sales",
            "support",
            None,
            None,
        ),
        # internal and unknown: the caller first, then the callee
        (call("int-ann-bob", "201", "202", Direction.INTERNAL), "Ann", "Sales", None, None, None),
        (call("int-x-bob", "999", "202", Direction.INTERNAL), "Bob", "Sales", None, None, None),
        (
            call("unk-bob", "+4599999999", "202", Direction.UNKNOWN),
            "Bob",
            "Sales",
            None,
            None,
            None,
        ),
        # inactive agents take no calls; an agent without a team leaves the queue's team
        (call("in-gone", "+4511111111", "299"), None, None, None, None, None),
        (call("in-solo", "+4511111111", "203"), "Solo", None, None, None, None),
        (
            call("int-solo-queue", "203", "600", Direction.INTERNAL),
            "Solo",
            "Support",
            "support",
            None,
            None,
        ),
        (call("in-nobody", "+4511111111", "+4512121212"), None, None, None, None, None),
    ]


def expected(directory: Directory, case: Case) -> tuple[object, ...]:
    names = ids(directory)
    _, *wanted = case
    agent, team, queue, tracked, campaign = wanted
    found = [None if name is None else names[name] for name in (agent, team, queue, tracked)]
    return (*found, tracked, campaign)  # the tracked number is named by its channel


def verdict_of(found: Call) -> tuple[object, ...]:
    return (
        found.agent_id,
        found.team_id,
        found.queue_id,
        found.tracked_number_id,
        found.channel,
        found.campaign,
    )


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url) as opened:
        yield opened


def test_calls_are_assigned_as_they_are_journaled(staffed: Directory, journal: Journal) -> None:
    journal.save_many([case[0] for case in cases()])
    stored = {found.uid: found for found in journal.list_calls(CallFilter())}
    for case in cases():
        assert verdict_of(stored[case[0].uid]) == expected(staffed, case), case[0].uid


def test_reapply_agrees_with_the_snapshot_and_counts_what_changed(
    directory: Directory, journal: Journal
) -> None:
    journal.save_many([case[0] for case in cases()])  # empty directory: nothing assigned
    assert all(verdict_of(c) == (None,) * 6 for c in journal.list_calls(CallFilter()))
    directory.add_team("Sales")
    directory.add_agent("Ann", extensions=["201", "+4533000201"], team="Sales")
    changed = directory.reapply(chunk=3)  # several chunks
    assert changed == 3  # in-ann, in-e164, int-ann-bob
    assert directory.reapply() == 0
    # The whole directory now: SQL and snapshot decide every call alike.
    staffed = _staff_the_rest(directory)
    assigned = [c for c in cases() if any(expected(staffed, c)[:4])]
    assert directory.reapply(chunk=4) == len(assigned) - 3
    stored = {found.uid: found for found in journal.list_calls(CallFilter())}
    snapshot = staffed.snapshot()
    for case in cases():
        assert verdict_of(stored[case[0].uid]) == expected(staffed, case), case[0].uid
        snapshot.assign(case[0])
        assert verdict_of(case[0]) == expected(staffed, case)
    # The directory changes: past calls follow only when re-applied.
    staffed.update_agent("E2", team=None)
    assert verdict_of(journal.get_call("out-bob"))[1] is not None  # type: ignore[arg-type]
    # out-bob, out-bob-queue (the queue's team now), int-x-bob, unk-bob
    assert staffed.reapply() == 4
    assert journal.get_call("out-bob").team_id is None  # type: ignore[union-attr]
    assert journal.get_call("out-bob-queue").team_id == ids(staffed)["Support"]  # type: ignore[union-attr]


def _staff_the_rest(directory: Directory) -> Directory:
    directory.add_team("Support")
    directory.add_agent("Bob", employee_id="E2", extensions=["202"], team="Sales")
    directory.add_agent("Gone", employee_id="E9", extensions=["299"], team="Sales", active=False)
    directory.add_agent("Solo", employee_id="E3", extensions=["203"])
    directory.add_queue("support", numbers=["600", "+4570000600"], team="Support")
    directory.add_number("+45 70 10 10 10", channel="google-ads", campaign="spring")
    directory.add_number("+4570202020", channel="radio", active=False)
    return directory


def test_reapply_keeps_to_its_time_window(directory: Directory, journal: Journal) -> None:
    journal.save_many([call(f"c{n}", "+4511111111", "201", start=T0 + n * 3600) for n in range(5)])
    directory.add_agent("Ann", extensions=["201"])
    assert directory.reapply(since=T0 + 3600, until=T0 + 3 * 3600) == 2
    assigned = sorted(c.uid for c in journal.list_calls(CallFilter()) if c.agent_id is not None)
    assert assigned == ["c1", "c2"]
    assert directory.reapply() == 3


def test_a_running_writer_sees_directory_changes_at_once(
    directory: Directory, journal: Journal
) -> None:
    journal.save(call("before", "+4511111111", "201"))
    directory.add_agent("Ann", extensions=["201"])
    journal.save(call("after", "+4511111111", "201"))
    assert journal.get_call("before").agent_id is None  # type: ignore[union-attr]
    assert journal.get_call("after").agent_id == directory.get_agent("1").id  # type: ignore[union-attr]


def test_changes_made_by_another_process_reach_the_writer_within_the_refresh(
    journal_url: str, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's change tells this one nothing: the snapshot's age decides."""
    from callvault.journal import repository

    monkeypatch.setattr(repository, "DIRECTORY_REFRESH_S", 3600.0)
    journal.save(call("warm", "+4511111111", "201"))  # the writer reads the directory now
    engine = sa.create_engine(journal_url)
    with engine.begin() as connection:  # as `callvault directory` in another process would
        agent = connection.execute(
            agents.insert().values(name="Ann", active=True, created_at=T0)
        ).inserted_primary_key[0]
        connection.execute(agent_extensions.insert().values(agent_id=agent, extension="201"))
    engine.dispose()
    journal.save(call("stale", "+4511111111", "201"))
    assert journal.get_call("stale").agent_id is None  # type: ignore[union-attr]
    monkeypatch.setattr(repository, "DIRECTORY_REFRESH_S", 0.0)
    journal.save(call("fresh", "+4511111111", "201"))
    assert journal.get_call("fresh").agent_id == agent  # type: ignore[union-attr]

"""Assignment: which agent, team, queue and tracked number a call belongs to.

A ``Snapshot`` is the directory held in dicts, so deciding a call costs a few dict lookups
(the capture engine saves thousands of calls a second). ``Directory.reapply`` runs the same
rules as SQL over calls already in the journal; ``docs/directory.md`` states them:

- agent: an active agent's extension equal to a party's number as captured, else to its
  E.164 form. Inbound calls look at the callee, outbound at the caller; internal calls and
  calls of unknown direction at the caller first, then the callee (who placed the call).
- queue: a queue number equal to the callee's number (as captured, then E.164), else to the
  caller's (an outbound call presented with the queue's number).
- team: the agent's team, else the queue's.
- tracked number: an active tracked number one of whose forms (as written, its digits,
  +digits, 00digits) equals the callee's number as captured or its E.164 form; it gives
  the call's channel and campaign.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from callvault.calls.model import Call, Direction

_NON_DIGITS = re.compile(r"[^0-9]")
_T = TypeVar("_T")

_generation = 0
_generation_lock = threading.Lock()


def directory_changed() -> None:
    """Tell this process's snapshots that the directory changed (``Directory`` does)."""
    global _generation
    with _generation_lock:
        _generation += 1


def generation() -> int:
    """Bumped by every directory change made in this process."""
    return _generation


def number_forms(number: str) -> tuple[str, ...]:
    """The forms a tracked number may be stored in by the journal: as written, its digits,
    +digits and 00digits (and, written with 00 or +, the digits after them)."""
    text = number.strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return (text,) if text else ()
    forms = {text, digits, f"+{digits}", f"00{digits}"}
    if text.startswith("00"):
        forms |= {digits[2:], f"+{digits[2:]}"}
    return tuple(sorted(forms))


@dataclass(frozen=True, slots=True)
class AgentEntry:
    id: int
    team_id: int | None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: int
    team_id: int | None


@dataclass(frozen=True, slots=True)
class TrackedEntry:
    id: int
    channel: str
    campaign: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The directory's fields of a call."""

    agent_id: int | None = None
    team_id: int | None = None
    queue_id: int | None = None
    tracked_number_id: int | None = None
    channel: str | None = None
    campaign: str | None = None


class Snapshot:
    """The directory at one moment, as lookups by number."""

    def __init__(
        self,
        agents: dict[str, AgentEntry],
        queues: dict[str, QueueEntry],
        tracked: dict[str, TrackedEntry],
        generation: int = 0,
    ) -> None:
        self.agents = agents
        """Active agents by extension."""
        self.queues = queues
        """Queues by number."""
        self.tracked = tracked
        """Active tracked numbers by each of their forms (``number_forms``)."""
        self.generation = generation
        """The process's directory generation when loaded."""

    @classmethod
    def load(cls, query: Callable[[str], Sequence[Sequence[Any]]]) -> Snapshot:
        """The directory as the journal's database holds it now; ``query`` runs plain SQL
        (``Journal.plain_query``): the journal's writer loads this without SQLAlchemy."""
        loaded_generation = generation()
        by_extension = {
            extension: AgentEntry(agent_id, team_id)
            for extension, agent_id, team_id in query(
                "SELECT agent_extensions.extension, agent_extensions.agent_id, agents.team_id"
                " FROM agent_extensions JOIN agents ON agents.id = agent_extensions.agent_id"
                " WHERE agents.active"
            )
        }
        by_number: dict[str, QueueEntry] = {}
        for queue_id, numbers, team_id in query("SELECT id, numbers, team_id FROM queues"):
            for number in numbers.split():
                by_number[number] = QueueEntry(queue_id, team_id)
        by_form: dict[str, TrackedEntry] = {}
        for tracked_id, number, channel, campaign in query(
            "SELECT id, number, channel, campaign FROM tracked_numbers WHERE active"
        ):
            entry = TrackedEntry(tracked_id, channel, campaign)
            for form in number_forms(number):
                by_form[form] = entry
        return cls(by_extension, by_number, by_form, loaded_generation)

    @property
    def empty(self) -> bool:
        return not (self.agents or self.queues or self.tracked)

    def verdict(self, call: Call) -> Verdict:
        """What the directory says about ``call``."""
        caller, callee = call.caller, call.callee
        if call.direction == Direction.INBOUND:
            sides: Iterable[str | None] = (callee.number, callee.e164)
        elif call.direction == Direction.OUTBOUND:
            sides = (caller.number, caller.e164)
        else:
            sides = (caller.number, caller.e164, callee.number, callee.e164)
        agent = _first(self.agents, sides)
        queue = _first(self.queues, (callee.number, callee.e164, caller.number, caller.e164))
        tracked = _first(self.tracked, (callee.number, callee.e164))
        team_id = agent.team_id if agent is not None else None
        if team_id is None and queue is not None:
            team_id = queue.team_id
        return Verdict(
            agent_id=None if agent is None else agent.id,
            team_id=team_id,
            queue_id=None if queue is None else queue.id,
            tracked_number_id=None if tracked is None else tracked.id,
            channel=None if tracked is None else tracked.channel,
            campaign=None if tracked is None else tracked.campaign,
        )

    def assign(self, call: Call) -> None:
        """Set ``call``'s directory fields (agent, team, queue, tracked number, channel,
        campaign) to the verdict."""
        found = self.verdict(call)
        call.agent_id = found.agent_id
        call.team_id = found.team_id
        call.queue_id = found.queue_id
        call.tracked_number_id = found.tracked_number_id
        call.channel = found.channel
        call.campaign = found.campaign


def _first(table: dict[str, _T], numbers: Iterable[str | None]) -> _T | None:
    for number in numbers:
        if number is not None and (found := table.get(number)) is not None:
            return found
    return None

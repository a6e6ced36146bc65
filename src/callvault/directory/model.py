"""The directory as values: teams, agents, queues, tracked numbers and what they cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from callvault.errors import CallvaultError


class DirectoryError(CallvaultError):
    """A directory change that cannot be made: a duplicate or unknown name, a bad value, a
    CSV row that does not parse (the message names the line and the column)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The field (CSV column) the error is about, where it is about one."""


class UnknownName(DirectoryError):
    """A team, agent, queue, tracked number, cost or user that the directory does not hold."""


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    department: str | None
    supervisors: tuple[str, ...] = ()
    """Usernames of the accounts that supervise the team (and see its calls)."""


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    employee_id: str | None
    extensions: tuple[str, ...]
    """Numbers and extensions as they appear in the journal (as captured, or E.164)."""
    team: str | None
    username: str | None
    """The account linked to the agent, if any: it sees the calls assigned to the agent."""
    active: bool


@dataclass(frozen=True, slots=True)
class Queue:
    id: int
    name: str
    numbers: tuple[str, ...]
    team: str | None


@dataclass(frozen=True, slots=True)
class Cost:
    id: int
    number: str
    period_start: date
    period_end: date
    """Inclusive."""
    cost: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class TrackedNumber:
    id: int
    number: str
    channel: str
    campaign: str | None
    active: bool
    costs: tuple[Cost, ...] = ()

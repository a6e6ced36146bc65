"""Which calls to read from the journal: a filter as data, and its SQL conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from callvault.calls.model import CallStatus, Direction
from callvault.journal.schema import calls

_NON_DIGITS = re.compile(r"[^0-9]")
_E = TypeVar("_E", CallStatus, Direction)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Every field narrows the selection; the default selects every call, newest first."""

    since: datetime | float | None = None
    """Calls that started at or after this moment (epoch seconds, or a datetime; a naive
    datetime is local time)."""
    until: datetime | float | None = None
    """Calls that started before this moment (exclusive)."""
    number: str | None = None
    """Part of the caller's or callee's number or E.164 number. Only its digits count when
    it has any ("+45 12-34" finds 004512345678); otherwise a case-insensitive substring."""
    status: CallStatus | None = None
    direction: Direction | None = None
    limit: int | None = None
    """At most this many calls; None for all."""
    offset: int = 0
    """Skip this many calls first (pagination)."""
    newest_first: bool = True

    def __post_init__(self) -> None:
        if self.status is not None:
            object.__setattr__(self, "status", _member(CallStatus, self.status, "status"))
        if self.direction is not None:
            object.__setattr__(self, "direction", _member(Direction, self.direction, "direction"))
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be 0 or more, not {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must be 0 or more, not {self.offset}")

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """The WHERE conditions on the ``calls`` table (limit and order aside)."""
        found: list[sa.ColumnElement[bool]] = []
        if self.since is not None:
            found.append(calls.c.started_at >= _epoch(self.since))
        if self.until is not None:
            found.append(calls.c.started_at < _epoch(self.until))
        if self.status is not None:
            found.append(calls.c.status == self.status.value)
        if self.direction is not None:
            found.append(calls.c.direction == self.direction.value)
        if self.number and not self.number.isspace():
            found.append(_number_condition(self.number))
        return found

    def order_by(self) -> tuple[sa.ColumnElement[object], ...]:
        columns = (calls.c.started_at, calls.c.id)
        return tuple(c.desc() if self.newest_first else c.asc() for c in columns)


def _member(enum: type[_E], value: str, what: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        accepted = ", ".join(member.value for member in enum)
        raise ValueError(f"unknown {what} {value!r} (one of: {accepted})") from None


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _number_condition(text: str) -> sa.ColumnElement[bool]:
    columns = (
        calls.c.caller_number,
        calls.c.caller_e164,
        calls.c.callee_number,
        calls.c.callee_e164,
    )
    digits = _NON_DIGITS.sub("", text)
    if digits:
        return sa.or_(*(column.contains(digits) for column in columns))
    needle = text.strip()
    return sa.or_(*(column.icontains(needle, autoescape=True) for column in columns))

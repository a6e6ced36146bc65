"""Least privilege over calls: which calls a user may see.

Agents see only calls where the caller's or the callee's number (as captured, or its E.164
form) is one of their extensions; every other role sees every call. Supervisors limited to
their team's agents need the directory of agents and teams, which does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from callvault.accounts import User
from callvault.calls.model import Call
from callvault.journal import CallFilter
from callvault.journal.schema import calls

_PARTY_COLUMNS = (
    calls.c.caller_number,
    calls.c.caller_e164,
    calls.c.callee_number,
    calls.c.callee_e164,
)


@dataclass(frozen=True, slots=True)
class ClientFilter(CallFilter):
    """A CallFilter that, with ``client``, keeps only calls with one of those exact numbers
    as caller or callee (as captured or E.164). None: any call."""

    client: tuple[str, ...] | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found = CallFilter.conditions(self)
        if self.client is not None:
            found.append(sa.or_(*(column.in_(self.client) for column in _PARTY_COLUMNS)))
        return found


@dataclass(frozen=True, slots=True)
class PartyFilter(ClientFilter):
    """A CallFilter that also keeps only calls with one of ``parties`` as caller or callee
    (exact numbers). An empty tuple selects nothing."""

    parties: tuple[str, ...] = ()

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found = ClientFilter.conditions(self)
        if not self.parties:
            found.append(sa.false())
        else:
            found.append(sa.or_(*(column.in_(self.parties) for column in _PARTY_COLUMNS)))
        return found


def scoped(filter: CallFilter, user: User) -> CallFilter:
    """``filter`` narrowed to the calls ``user`` may see."""
    if user.sees_all_calls:
        return filter
    fields = {name: getattr(filter, name) for name in CallFilter.__dataclass_fields__}
    client = filter.client if isinstance(filter, ClientFilter) else None
    return PartyFilter(**fields, client=client, parties=user.extensions)


def may_see(call: Call, user: User) -> bool:
    if user.sees_all_calls:
        return True
    numbers = {call.caller.number, call.caller.e164, call.callee.number, call.callee.e164}
    return any(extension in numbers for extension in user.extensions)

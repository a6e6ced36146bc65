"""Least privilege over calls: which calls a user may see.

- agent: calls where the caller's or the callee's number (as captured, or its E.164 form)
  is one of the account's extensions, and calls the directory assigned to an agent linked
  to the account (``agents.user_id``);
- supervisor: calls the directory assigned to one of the teams the account supervises
  (``team_supervisors``); a supervisor of no team sees none;
- every other role: every call.

Lists, counts, exports and client histories narrow their filter with ``scoped``; a single
call (detail, recording, annotation) is checked with ``may_see``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import sqlalchemy as sa

from callvault.accounts import Role, User
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
class ScopeFilter(ClientFilter):
    """A CallFilter that also keeps only the calls a user may see: with one of ``parties``
    as caller or callee (exact numbers), or assigned to one of ``agent_ids``, or to one of
    ``team_ids``. All empty selects nothing."""

    parties: tuple[str, ...] = ()
    agent_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found = ClientFilter.conditions(self)
        found.append(visible(self.parties, self.agent_ids, self.team_ids))
        return found


PartyFilter = ScopeFilter
"""The name agents' scope had before supervisors had one."""


def visible(
    parties: tuple[str, ...], agent_ids: tuple[int, ...], team_ids: tuple[int, ...]
) -> sa.ColumnElement[bool]:
    """The SQL condition of ``ScopeFilter`` (for queries that build their own)."""
    either: list[sa.ColumnElement[bool]] = []
    if parties:
        either += [column.in_(parties) for column in _PARTY_COLUMNS]
    if agent_ids:
        either.append(calls.c.agent_id.in_(agent_ids))
    if team_ids:
        either.append(calls.c.team_id.in_(team_ids))
    return sa.or_(*either) if either else sa.false()


def scope_of(user: User) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]] | None:
    """(parties, agent ids, team ids) the user is limited to; None: every call."""
    if user.role is Role.AGENT:
        return user.extensions, user.agent_ids, ()
    if user.role is Role.SUPERVISOR:
        return (), (), user.supervised_teams
    return None


def scoped(filter: CallFilter, user: User) -> CallFilter:
    """``filter`` narrowed to the calls ``user`` may see."""
    scope = scope_of(user)
    if scope is None:
        return filter
    given = {field.name: getattr(filter, field.name) for field in fields(CallFilter)}
    client = filter.client if isinstance(filter, ClientFilter) else None
    parties, agent_ids, team_ids = scope
    return ScopeFilter(
        **given, client=client, parties=parties, agent_ids=agent_ids, team_ids=team_ids
    )


def may_see(call: Call, user: User) -> bool:
    scope = scope_of(user)
    if scope is None:
        return True
    parties, agent_ids, team_ids = scope
    numbers = {call.caller.number, call.caller.e164, call.callee.number, call.callee.e164}
    return (
        any(number in numbers for number in parties)
        or (call.agent_id is not None and call.agent_id in agent_ids)
        or (call.team_id is not None and call.team_id in team_ids)
    )

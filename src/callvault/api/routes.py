"""The routes: every one depends on ``CurrentUser``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from callvault.api.deps import CurrentUser, JournalDep
from callvault.api.errors import InvalidRequest, NotFound
from callvault.api.schemas import CallsPublic, Health, UserPublic
from callvault.api.scope import may_see, scoped
from callvault.calls.model import CallStatus, Direction
from callvault.journal import CallFilter
from callvault.journal.export import call_record

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50

router = APIRouter(prefix="/api")


@router.get("/health")
def health(user: CurrentUser, journal: JournalDep) -> Health:
    return Health(status="ok", calls=journal.count_calls(scoped(CallFilter(), user)))


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


@router.get("/calls")
def list_calls(
    user: CurrentUser,
    journal: JournalDep,
    since: Annotated[
        datetime | None,
        Query(description="Calls that started at or after: ISO 8601 (UTC unless zoned), epoch s."),
    ] = None,
    until: Annotated[datetime | None, Query(description="Calls that started before.")] = None,
    number: Annotated[
        str | None, Query(max_length=64, description="Part of the caller's or callee's number.")
    ] = None,
    status: CallStatus | None = None,
    direction: Direction | None = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CallsPublic:
    try:
        wanted = CallFilter(
            since=_utc(since),
            until=_utc(until),
            number=number,
            status=status,
            direction=direction,
            limit=limit,
            offset=offset,
        )
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    wanted = scoped(wanted, user)
    found = journal.list_calls(wanted)
    return CallsPublic(
        data=[call_record(call) for call in found], count=journal.count_calls(wanted)
    )


@router.get("/calls/{ref}")
def get_call(ref: str, user: CurrentUser, journal: JournalDep) -> dict[str, Any]:
    """One call by journal id, uid or SIP Call-ID, with its streams and events. A call the
    user may not see is 404, like a call that does not exist: ids do not leak."""
    found = journal.get_call(ref)
    if found is None or not may_see(found, user):
        raise NotFound(f"no call {ref!r}")
    return call_record(found, detail=True)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment

"""Calls in progress (docs/live.md): the live board, recording control, the event stream.

Scope is the calls' (``api.scope``): an agent sees the live calls with one of their
extensions as a party (or assigned to their agent record), a supervisor their teams'
calls, every other role every call. A live call the recorder did not assign is assigned
here from the directory, the way the journal will assign it when saved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from callvault.accounts import User
from callvault.api.deps import JournalDep
from callvault.api.errors import ApiError, NotFound
from callvault.api.permissions import Allowed, Permission, may
from callvault.api.scope import scope_of, visible
from callvault.errors import JournalError
from callvault.journal import Journal
from callvault.live.board import LiveBoard, LiveCall, LiveConflict, NoSuchLiveCall
from callvault.live.events import Feed, keepalive, live_record
from callvault.live.stopping import stopping, watch_exit_signals

logger = logging.getLogger(__name__)

live_router = APIRouter(prefix="/api")

POLL_S = 0.75
"""How often an event stream looks at the board and the journal."""

KEEPALIVE_S = 15.0
"""How long a stream stays silent before a keepalive comment."""

RETRY_MS = 2000
"""How long a disconnected EventSource waits before reconnecting."""


class Conflict(ApiError):
    status = 409
    code = "conflict"


class RecordingAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["start", "stop", "pause", "resume"]


def board_of(journal: Journal) -> LiveBoard:
    """The live board on the app's journal (a thin wrapper: nothing to close)."""
    return LiveBoard.attach(journal)


def live_scope(user: User, journal: Journal) -> Callable[[LiveCall], bool]:
    """Whether ``user`` may see a live call."""
    scope = scope_of(user)
    if scope is None:
        return lambda call: True
    parties, agent_ids, team_ids = scope

    def sees(call: LiveCall) -> bool:
        if call.agent_id is None and call.team_id is None:
            snapshot = journal._directory_snapshot()  # the journal's cached lookups
            if snapshot is not None:
                call = assigned(call, snapshot)
        return (
            any(number in parties for number in call.numbers)
            or (call.agent_id is not None and call.agent_id in agent_ids)
            or (call.team_id is not None and call.team_id in team_ids)
        )

    return sees


def assigned(call: LiveCall, snapshot: Any) -> LiveCall:
    """The live call with the agent and team the directory gives it (its extension, else
    the party on the agent's side of the call; else the team of a queue it called)."""
    if call.direction == "inbound":
        sides = (call.callee_number,)
    elif call.direction == "outbound":
        sides = (call.caller_number,)
    else:
        sides = (call.caller_number, call.callee_number)
    agent = next((snapshot.agents[n] for n in (call.extension, *sides) if n in snapshot.agents),
                 None)
    queue = next((snapshot.queues[n] for n in (call.callee_number, call.caller_number)
                  if n in snapshot.queues), None)
    team_id = agent.team_id if agent is not None else None
    if team_id is None and queue is not None:
        team_id = queue.team_id
    return replace(call, agent_id=None if agent is None else agent.id, team_id=team_id)


@live_router.get("/live/calls")
def live_calls(
    user: Annotated[User, Allowed(Permission.CALLS_READ)], journal: JournalDep
) -> dict[str, Any]:
    """The calls in progress the user may see, oldest first; ``can_control``: whether the
    user may start, stop, pause and resume their recording (the console's buttons)."""
    sees = live_scope(user, journal)
    found = [live_record(call) for call in board_of(journal).calls() if sees(call)]
    return {"data": found, "count": len(found),
            "can_control": may(user, Permission.RECORDING_CONTROL)}


@live_router.post("/live/calls/{call_id}/recording", status_code=202)
def control_recording(
    call_id: str,
    body: RecordingAction,
    user: Annotated[User, Allowed(Permission.RECORDING_CONTROL)],
    journal: JournalDep,
    request: Request,
) -> JSONResponse:
    """Ask the call's recorder to start, stop, pause or resume recording it; 202 with the
    pending request (the recorder applies it within its next poll)."""
    board = board_of(journal)
    call = board.get(call_id)
    if call is None or not live_scope(user, journal)(call):
        raise NotFound(f"no call in progress {call_id!r}")
    try:
        asked = board.request(call_id, body.action, by=user.username)
    except NoSuchLiveCall:
        raise NotFound(f"no call in progress {call_id!r} (it has just ended)") from None
    except LiveConflict as exc:
        raise Conflict(str(exc)) from None
    journal.record_audit(
        user.username, "recording_control", detail=f"{body.action} call in progress {call_id}",
        client=request.client.host if request.client else None,
    )
    return JSONResponse(asked.to_dict(), status_code=202)


@live_router.get("/events", response_class=StreamingResponse)
def events(
    request: Request,
    user: Annotated[User, Allowed(Permission.CALLS_READ)],
    journal: JournalDep,
    last_event_id: Annotated[str | None, Header()] = None,
    max_seconds: Annotated[float | None, Query(ge=0, le=86_400)] = None,
) -> StreamingResponse:
    """Server-sent events: ``call.started``, ``call.updated``, ``call.ended`` (live calls)
    and ``call.finished`` (saved calls), scoped to the user. ``max_seconds`` ends the
    stream after that long (a reader reconnects with ``Last-Event-ID``); 0 sends what is
    there now and ends."""
    scope = scope_of(user)
    feed = Feed(
        board_of(journal),
        journal,
        sees_live=live_scope(user, journal),
        sees_saved=None if scope is None else visible(*scope),
        last_event_id=_event_id(last_event_id),
    )
    return StreamingResponse(
        _stream(feed, max_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event_id(header: str | None) -> int | None:
    text = (header or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


async def _stream(feed: Feed, max_seconds: float | None) -> AsyncIterator[str]:
    """The stream: what is there now, then every poll's events, keepalives between;
    ends at server shutdown, after ``max_seconds``, or when the journal fails (the
    reader reconnects)."""
    watch_exit_signals()
    loop = asyncio.get_running_loop()
    ends_at = None if max_seconds is None else loop.time() + max_seconds
    yield f"retry: {RETRY_MS}\n\n"
    quiet_since = loop.time()
    poll = feed.start
    while True:
        try:
            found = await run_in_threadpool(poll)
        except JournalError as exc:
            logger.warning("event stream ends: %s", exc)
            return
        poll = feed.poll
        if found:
            yield "".join(event.encode() for event in found)
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= KEEPALIVE_S:
            yield keepalive()
            quiet_since = loop.time()
        if stopping() or (ends_at is not None and loop.time() >= ends_at):
            return
        await asyncio.sleep(POLL_S)
        if stopping():
            return

"""Call events for one reader, found by polling: the live board and the journal's new calls.

``Feed.poll`` compares the board with what it saw last (new calls: ``call.started``, a
changed revision: ``call.updated``, gone: ``call.ended``) and reads the calls saved since
the last journal id it reported (``call.finished``, in id order). Each poll is two short
queries on connections taken from the pool and given back at once, so a reader costs no
connection between polls. Visibility is the caller's business: ``Feed`` is given the test
for live calls and the SQL condition for saved calls.

Event ids are the last journal call id reported: a reader that reconnects with
``Last-Event-ID`` gets the calls finished since (up to ``RESUME_LIMIT``) and, as
``call.started``, every live call it may see (the board is small; what the reader had seen
of it is not known).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from callvault.errors import JournalError
from callvault.journal import Journal
from callvault.journal.export import call_record
from callvault.journal.schema import calls
from callvault.live.board import LiveBoard, LiveCall

STARTED: Final = "call.started"
UPDATED: Final = "call.updated"
ENDED: Final = "call.ended"
FINISHED: Final = "call.finished"
EVENTS: Final = (STARTED, UPDATED, ENDED, FINISHED)

RESUME_LIMIT: Final = 100
"""The most finished calls one poll reports (a reader far behind catches up over polls)."""


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    data: dict[str, Any]
    id: int

    def encode(self) -> str:
        """The event in the server-sent events wire format."""
        payload = json.dumps(self.data, separators=(",", ":"), default=str)
        return f"id: {self.id}\nevent: {self.name}\ndata: {payload}\n\n"


def keepalive() -> str:
    """A comment line: keeps proxies from closing an idle stream, ignored by readers."""
    return ": keepalive\n\n"


def live_record(call: LiveCall) -> dict[str, Any]:
    """A live call as events and the API show it."""
    return call.to_dict()


class Feed:
    """The events one reader has not seen yet."""

    def __init__(
        self,
        board: LiveBoard,
        journal: Journal,
        *,
        sees_live: Callable[[LiveCall], bool],
        sees_saved: sa.ColumnElement[bool] | None,
        last_event_id: int | None = None,
    ) -> None:
        """``sees_live``: whether the reader may see a live call; ``sees_saved``: the SQL
        condition on ``calls`` of the saved calls it may see (None: all)."""
        self._board = board
        self._journal = journal
        self._sees_live = sees_live
        self._sees_saved = sees_saved
        self._last_id = last_event_id
        self._revisions: dict[str, int] = {}

    @property
    def last_id(self) -> int:
        return self._last_id or 0

    def start(self) -> list[Event]:
        """The first events: every visible live call as started; with a Last-Event-ID,
        the calls finished since, before them."""
        events = self._finished() if self._last_id is not None else []
        if self._last_id is None:
            self._last_id = self._newest_id()
        return events + self._live()

    def poll(self) -> list[Event]:
        """Events since the last poll: finished calls first (a call leaving the board
        shows up here once saved), then the board's changes."""
        return self._finished() + self._live()

    def _live(self) -> list[Event]:
        events: list[Event] = []
        seen: dict[str, int] = {}
        for call in self._board.calls():
            if not self._sees_live(call):
                continue
            seen[call.call_id] = call.revision
            before = self._revisions.get(call.call_id)
            if before is None:
                events.append(Event(STARTED, live_record(call), self.last_id))
            elif before != call.revision:
                events.append(Event(UPDATED, live_record(call), self.last_id))
        for gone in self._revisions.keys() - seen.keys():
            events.append(Event(ENDED, {"call_id": gone}, self.last_id))
        self._revisions = seen
        return events

    def _finished(self) -> list[Event]:
        # The range read is bounded by the newest id, and the position moves up to it:
        # a reader who sees few calls never rescans the calls saved since their last one.
        newest = self._newest_id()
        if newest <= self.last_id:
            return []
        query = sa.select(calls.c.id).where(calls.c.id > self.last_id, calls.c.id <= newest)
        if self._sees_saved is not None:
            query = query.where(self._sees_saved)
        ids = self._read(query.order_by(calls.c.id).limit(RESUME_LIMIT))
        events = []
        for call_id in ids:
            found = self._journal.get_call(call_id)
            if found is not None:
                events.append(Event(FINISHED, call_record(found), call_id))
        self._last_id = ids[-1] if len(ids) == RESUME_LIMIT else newest
        return events

    def _newest_id(self) -> int:
        found = self._read(sa.select(sa.func.max(calls.c.id)))
        return found[0] if found and found[0] is not None else 0

    def _read(self, query: sa.Select[Any]) -> list[Any]:
        try:
            with self._journal.engine.connect() as connection:
                return list(connection.execute(query).scalars())
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot read the journal: {exc}") from exc

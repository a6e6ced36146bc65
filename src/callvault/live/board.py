"""The live board: the calls in progress, in the journal's database (table ``live_calls``).

A recorder (``callvault siprec``, ``callvault capture``, ``callvault serve --record``)
publishes each call it is recording: ``started`` at the INVITE, ``changed`` as it is
answered or its recording state changes, ``ended`` when the call is over (its journal row
saved). ``heartbeat`` refreshes the recorder's rows; rows a recorder stopped refreshing are
``stale``, left by a recorder that died (recovery saves those calls as interrupted).

Anyone else (the API, the CLI, the console through the API) reads ``calls`` and asks for a
recording change with ``request``; the recorder finds it in ``pending``, applies it, and
says so with ``applied``. Requests go through the database rather than a socket so that
every process on one journal sees the same board, whichever of them records.

Every write is one short transaction; no connection is held between calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from callvault.errors import CallvaultError, JournalError
from callvault.journal import Journal
from callvault.journal.engine import WRITER, create_engine
from callvault.journal.repository import _reason
from callvault.journal.schema_live import live_calls

RECORDING: Final = "recording"
PAUSED: Final = "paused"
STOPPED: Final = "stopped"
NOT_RECORDED: Final = "not recorded"
STATES: Final = (RECORDING, PAUSED, STOPPED, NOT_RECORDED)
"""Recording states of a live call."""

ACTIONS: Final = ("start", "stop", "pause", "resume")
"""Recording control requests."""

OUTCOME: Final = {"start": RECORDING, "resume": RECORDING, "pause": PAUSED, "stop": STOPPED}
"""The state each action leads to."""

ALLOWED_FROM: Final = {
    "start": (STOPPED, NOT_RECORDED),
    "resume": (PAUSED,),
    "pause": (RECORDING,),
    "stop": (RECORDING, PAUSED),
}
"""The states in which each action makes sense (others are a conflict)."""

SOURCES: Final = ("siprec", "capture")


class LiveError(CallvaultError):
    """A live board request that cannot be done (the message says why)."""


class NoSuchLiveCall(LiveError):
    """No call in progress has that id."""


class LiveConflict(LiveError):
    """The action makes no sense in the call's current recording state."""


@dataclass(frozen=True, slots=True)
class Request:
    """A recording change asked for and not yet applied by the call's recorder."""

    call_id: str
    action: str
    by: str
    at: float

    @property
    def state(self) -> str:
        """The recording state the call will be in once applied."""
        return OUTCOME[self.action]

    def to_dict(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "action": self.action, "by": self.by, "at": self.at,
                "state": self.state}


@dataclass(frozen=True, slots=True)
class LiveCall:
    """One call in progress as the board holds it. Times are epoch seconds."""

    call_id: str
    recorder: str
    source: str
    started_at: float
    sip_call_id: str | None = None
    answered_at: float | None = None
    updated_at: float | None = None
    caller_number: str | None = None
    caller_display_name: str | None = None
    callee_number: str | None = None
    callee_display_name: str | None = None
    direction: str | None = None
    extension: str | None = None
    agent_id: int | None = None
    team_id: int | None = None
    recording: str = RECORDING
    requested: str | None = None
    requested_by: str | None = None
    requested_at: float | None = None
    recording_path: str | None = None
    revision: int = 0

    @property
    def request(self) -> Request | None:
        """The pending control request, if any."""
        if self.requested is None:
            return None
        return Request(self.call_id, self.requested, self.requested_by or "",
                       self.requested_at or 0.0)

    @property
    def numbers(self) -> tuple[str, ...]:
        """The party numbers and extension known for the call (for scope checks)."""
        found = (self.caller_number, self.callee_number, self.extension)
        return tuple(number for number in found if number)

    def to_dict(self) -> dict[str, Any]:
        """The call as JSON-ready values (the API's and the CLI's form)."""
        return asdict(self)


_FIELDS: Final = frozenset(field.name for field in fields(LiveCall))
_CHANGEABLE: Final = _FIELDS - {"call_id", "revision", "updated_at"}


def _check(call: LiveCall) -> None:
    if not call.call_id:
        raise LiveError("a live call needs a call id")
    if not call.recorder:
        raise LiveError("a live call needs its recorder's name")
    if call.recording not in STATES:
        raise LiveError(f"unknown recording state {call.recording!r}: use one of "
                        + ", ".join(STATES))
    if call.requested is not None and call.requested not in ACTIONS:
        raise LiveError(f"unknown recording action {call.requested!r}: use one of "
                        + ", ".join(ACTIONS))


class LiveBoard:
    """The calls in progress of one journal, shared by every process that opens it."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        """Use ``LiveBoard.open`` or ``LiveBoard.attach``; this wraps an engine on an
        already migrated journal."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})
        self._owns_engine = owns_engine
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._batch = threading.local()

    @classmethod
    def open(cls, journal_url: str) -> LiveBoard:
        """The board of the journal at ``journal_url`` (opened once to create or migrate
        it); ``close`` it when done."""
        Journal.open(journal_url).close()
        try:
            return cls(create_engine(sa.make_url(journal_url)), owns_engine=True)
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise JournalError(f"cannot open the journal: {exc}") from exc

    @classmethod
    def attach(cls, journal: Journal) -> LiveBoard:
        """The board on an open journal's engine (closing the board leaves it open)."""
        return cls(journal.engine)

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> LiveBoard:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the recorder's side ---------------------------------------------------------------

    def started(self, call: LiveCall, *, now: float | None = None) -> LiveCall:
        """Put a call in progress on the board (again: its row is replaced, a pending
        request kept). Returns the row as stored."""
        _check(call)
        now = time.time() if now is None else now
        with self._writing() as connection:
            old = self._get(connection, call.call_id)
            stored = replace(call, updated_at=now, revision=(old.revision + 1) if old else 1)
            if old is not None and old.requested is not None and call.requested is None:
                stored = replace(stored, requested=old.requested,
                                 requested_by=old.requested_by, requested_at=old.requested_at)
            values = asdict(stored)
            if old is None:
                connection.execute(live_calls.insert().values(values))
            else:
                connection.execute(
                    live_calls.update().where(live_calls.c.call_id == call.call_id).values(values)
                )
        return stored

    def changed(self, call_id: str, *, now: float | None = None, **fields: Any) -> bool:
        """Change some of a live call's fields (those of ``LiveCall``); False when the call
        is not on the board."""
        unknown = set(fields) - _CHANGEABLE
        if unknown:
            raise LiveError("cannot change " + ", ".join(sorted(unknown)) + " of a live call")
        if "recording" in fields and fields["recording"] not in STATES:
            raise LiveError(f"unknown recording state {fields['recording']!r}: use one of "
                            + ", ".join(STATES))
        now = time.time() if now is None else now
        query = (
            live_calls.update()
            .where(live_calls.c.call_id == call_id)
            .values(**fields, updated_at=now, revision=live_calls.c.revision + 1)
        )
        with self._writing() as connection:
            return bool(connection.execute(query).rowcount)

    def ended(self, call_id: str) -> bool:
        """Take a call off the board (it is over); False when it was not there."""
        with self._writing() as connection:
            deleted = connection.execute(live_calls.delete().where(live_calls.c.call_id == call_id))
            return bool(deleted.rowcount)

    def heartbeat(self, recorder: str, *, now: float | None = None) -> int:
        """Mark the recorder's calls as still followed; returns how many it has."""
        now = time.time() if now is None else now
        query = live_calls.update().where(live_calls.c.recorder == recorder).values(updated_at=now)
        with self._writing() as connection:
            return int(connection.execute(query).rowcount)

    def pending(self, recorder: str) -> list[Request]:
        """The control requests for the recorder's calls it has yet to apply, oldest first."""
        query = (
            sa.select(live_calls)
            .where(live_calls.c.recorder == recorder, live_calls.c.requested.is_not(None))
            .order_by(live_calls.c.requested_at, live_calls.c.call_id)
        )
        with self._reading() as connection:
            found = [_live_call(row) for row in connection.execute(query).mappings()]
        return [call.request for call in found if call.request is not None]

    def applied(self, call_id: str, state: str, *, now: float | None = None) -> bool:
        """The recorder now records the call in ``state``; a pending request that led to
        this state is done (one that asks for another state, made meanwhile, stays).
        False when the call is not on the board."""
        if state not in STATES:
            raise LiveError(f"unknown recording state {state!r}: use one of " + ", ".join(STATES))
        now = time.time() if now is None else now
        done = [action for action, outcome in OUTCOME.items() if outcome == state]
        met = live_calls.c.requested.in_(done) if done else sa.false()
        query = (
            live_calls.update()
            .where(live_calls.c.call_id == call_id)
            .values(
                recording=state,
                updated_at=now,
                revision=live_calls.c.revision + 1,
                requested=sa.case((met, None), else_=live_calls.c.requested),
                requested_by=sa.case((met, None), else_=live_calls.c.requested_by),
                requested_at=sa.case((met, None), else_=live_calls.c.requested_at),
            )
        )
        with self._writing() as connection:
            return bool(connection.execute(query).rowcount)

    # -- everyone else's side --------------------------------------------------------------

    def request(self, call_id: str, action: str, by: str, *, now: float | None = None) -> Request:
        """Ask the call's recorder to start, stop, pause or resume its recording.

        The action is checked against the state the call will be in once a request still
        pending is applied (pause, then resume before the recorder got to it, is fine) and
        replaces that request. Raises NoSuchLiveCall, LiveConflict or LiveError."""
        if action not in ACTIONS:
            raise LiveError(f"unknown recording action {action!r}: use one of "
                            + ", ".join(ACTIONS))
        now = time.time() if now is None else now
        with self._writing() as connection:
            call = self._get(connection, call_id)
            if call is None:
                raise NoSuchLiveCall(f"no call in progress has the id {call_id!r}")
            pending = call.request
            state = pending.state if pending is not None else call.recording
            if state not in ALLOWED_FROM[action]:
                once = f" once the pending {pending.action} is applied" if pending else ""
                raise LiveConflict(
                    f"cannot {action} the recording of call {call_id}: it is {state}{once}"
                )
            connection.execute(
                live_calls.update()
                .where(live_calls.c.call_id == call_id)
                .values(requested=action, requested_by=by, requested_at=now,
                        revision=live_calls.c.revision + 1)
            )
        return Request(call_id, action, by, now)

    def calls(self) -> list[LiveCall]:
        """Every call in progress, oldest first."""
        query = sa.select(live_calls).order_by(live_calls.c.started_at, live_calls.c.call_id)
        with self._reading() as connection:
            return [_live_call(row) for row in connection.execute(query).mappings()]

    def get(self, call_id: str) -> LiveCall | None:
        """The call in progress with this id, or None."""
        with self._reading() as connection:
            return self._get(connection, call_id)

    def stale(
        self, recorder: str | None, older_than_s: float, *, now: float | None = None
    ) -> list[LiveCall]:
        """Calls whose recorder (any recorder, with None) has not refreshed them for
        ``older_than_s``: left by a recorder that stopped without ending them."""
        now = time.time() if now is None else now
        query = sa.select(live_calls).where(live_calls.c.updated_at < now - older_than_s)
        if recorder is not None:
            query = query.where(live_calls.c.recorder == recorder)
        query = query.order_by(live_calls.c.started_at, live_calls.c.call_id)
        with self._reading() as connection:
            return [_live_call(row) for row in connection.execute(query).mappings()]

    # -- plumbing ------------------------------------------------------------------------

    @staticmethod
    def _get(connection: Connection, call_id: str) -> LiveCall | None:
        query = sa.select(live_calls).where(live_calls.c.call_id == call_id)
        row = connection.execute(query).mappings().first()
        return None if row is None else _live_call(row)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write this thread makes inside is one transaction: a recorder publishing a
        burst of call news (hundreds of calls starting together) commits once, not once
        per call. When one write fails, none of them is made (the caller may retry each)."""
        if getattr(self._batch, "connection", None) is not None:
            yield
            return
        with self._writing() as connection:
            self._batch.connection = connection
            try:
                yield
            finally:
                self._batch.connection = None

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        batched = getattr(self._batch, "connection", None)
        if batched is not None:
            yield batched
            return
        try:
            with self._writer.begin() as connection:
                yield connection
        except IntegrityError as exc:
            raise LiveError(f"the live board refused the change: {_reason(exc)}") from exc
        except (SQLAlchemyError, self._driver_error) as exc:
            raise JournalError(f"cannot write the live board: {_reason(exc)}") from exc

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                yield connection
        except (SQLAlchemyError, self._driver_error) as exc:
            raise JournalError(f"cannot read the live board: {_reason(exc)}") from exc


def _live_call(row: Any) -> LiveCall:
    return LiveCall(**{name: row[name] for name in _FIELDS})

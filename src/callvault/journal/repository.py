"""The journal: the one writer of calls, and their readers."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from callvault.calls.model import Call
from callvault.errors import JournalError
from callvault.journal import migrate, rows
from callvault.journal.engine import WRITER, Checkpointer, create_engine, is_sqlite_file
from callvault.journal.filters import NAMED, SORT_KEY_LABEL, CallFilter
from callvault.journal.migrate import CommandError
from callvault.journal.schema import audit, calls, events, streams
from callvault.journal.writer import UPSERTS, CallWriter

if TYPE_CHECKING:
    from callvault.directory.snapshot import Snapshot

_IN_CHUNK = 500
"""Call ids per ``IN (…)`` when loading streams and events (well under every bind limit)."""

_MAX_ID = 2**31 - 1

DIRECTORY_REFRESH_S = 5.0
"""How old the writer's directory lookups may grow before they are read again (changes
this process makes reach them at once)."""

logger = logging.getLogger(__name__)

SavedListener = Callable[[Sequence[Call]], None]
"""Told the calls (ids set) of each commit of ``Journal.save_many``."""
AnnotatedListener = Callable[[int, tuple[str, ...]], None]
"""Told the journal id of an annotated call and the annotations set, after the commit."""

AUDIT_ACTIONS: Final = (
    "playback", "download", "export", "annotate", "recording_control", "evaluate"
)
"""What the audit trail records."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()
"""``Journal.annotate``'s default: leave this annotation as it is (None clears it)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: float
    username: str
    action: str
    call_id: int | None
    detail: str | None
    client: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: float | None = None
    until: float | None = None
    username: str | None = None
    action: str | None = None
    limit: int | None = None
    offset: int = 0

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.since is not None:
            found.append(audit.c.at >= self.since)
        if self.until is not None:
            found.append(audit.c.at < self.until)
        if self.username is not None:
            found.append(audit.c.username == self.username)
        if self.action is not None:
            found.append(audit.c.action == self.action)
        return found


@dataclass(frozen=True, slots=True)
class CallPage:
    """A page of the call list: its calls and the cursor that continues after them."""

    calls: list[Call]
    next_cursor: str | None


class Journal:
    """The call journal: one row per call with its media streams and events.

    ``save`` is the one write path; it is idempotent on ``Call.uid`` and thread-safe.
    Readers never block it (SQLite in WAL mode; PostgreSQL's MVCC).
    """

    def __init__(self, engine: Engine) -> None:
        """Use ``Journal.open``; this wraps an engine whose journal is already migrated."""
        self._engine = engine
        self._directory: Snapshot | None = None
        self._directory_loaded_at = 0.0
        self._write_lock = threading.Lock()
        self._call_writer = CallWriter(engine)
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._checkpointer = Checkpointer(engine) if is_sqlite_file(engine.url) else None
        self._saved_listeners: list[SavedListener] = []
        self._annotated_listeners: list[AnnotatedListener] = []

    @classmethod
    def open(cls, url: str) -> Journal:
        """Open (creating and migrating as needed) the journal at a SQLAlchemy URL."""
        try:
            parsed = sa.make_url(url)
        except ArgumentError as exc:
            raise JournalError(f"cannot open the journal: {url!r} is not a database URL") from exc
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() not in UPSERTS:
            raise JournalError(
                f"cannot open the journal at {shown}: it runs on SQLite or PostgreSQL, "
                f"not {parsed.get_backend_name()}"
            )
        try:
            engine = create_engine(parsed)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise JournalError(f"cannot open the journal at {shown}: {_reason(exc)}") from exc
        try:
            with engine.execution_options(**{WRITER: True}).begin() as connection:
                migrate.upgrade(connection)
        except CommandError as exc:
            engine.dispose()
            raise JournalError(
                f"cannot open the journal at {shown}: {_reason(exc)} "
                "(written by a newer callvault?)"
            ) from exc
        except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
            # The driver's own errors: a new SQLite journal's schema is made on its cursor.
            engine.dispose()
            raise JournalError(f"cannot open the journal at {shown}: {_reason(exc)}") from exc
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The journal's engine (its own pool), for what keeps its tables beside the calls
        or reads them in bulk: webhooks, analytics."""
        return self._engine

    @property
    def url(self) -> str:
        """The journal's URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    def save(self, call: Call) -> int:
        """Store ``call`` and commit; return (and set) its ``id``.

        A call whose uid is already stored replaces that row in place (same id) together
        with all its streams and events."""
        return self.save_many((call,))[0]

    def save_many(self, calls: Iterable[Call], *, batch: int = 500) -> list[int]:
        """Store calls, committing every ``batch`` calls; return (and set) their ids.

        The directory assigns each call first (agent, team, queue, tracked number:
        ``callvault.directory.snapshot``), from lookups reloaded when this process changed
        the directory and, for changes made elsewhere, every ``DIRECTORY_REFRESH_S``."""
        ids: list[int] = []
        pending = iter(calls)
        while chunk := list(islice(pending, batch)):
            snapshot = self._directory_snapshot()
            if snapshot is not None:
                for call in chunk:
                    snapshot.assign(call)
            with self._write_lock:
                try:
                    ids += self._call_writer.write(chunk)
                except (SQLAlchemyError, self._driver_error) as exc:
                    raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc
            for saved in self._saved_listeners:
                _tell(saved, chunk)
        return ids

    def annotate(
        self,
        call_id: int,
        *,
        comment: str | _Unchanged | None = UNCHANGED,
        outcome: str | _Unchanged | None = UNCHANGED,
        tags: Sequence[str] | _Unchanged | None = UNCHANGED,
    ) -> bool:
        """Set the annotations given (None clears one; the others stay as they are) on the
        call with journal id ``call_id``; False when there is no such call."""
        values: dict[str, Any] = {}
        if not isinstance(comment, _Unchanged):
            values["comment"] = comment
        if not isinstance(outcome, _Unchanged):
            values["outcome"] = outcome
        if not isinstance(tags, _Unchanged):
            values["tags"] = rows.tags_text(tags or ())
        # Nothing to set still tells whether the call exists.
        statement = calls.update().where(calls.c.id == call_id).values(values or {"id": calls.c.id})
        with self._writing() as connection:
            found = connection.execute(statement).rowcount > 0
        if found and values:
            for annotated in self._annotated_listeners:
                _tell(annotated, call_id, tuple(values))
        return found

    def on_saved(self, listener: SavedListener) -> None:
        """Call ``listener(calls)`` after each commit of saved calls (webhooks enqueue there).
        A listener's error is logged, never raised: the calls are stored by then."""
        self._saved_listeners.append(listener)

    def on_annotated(self, listener: AnnotatedListener) -> None:
        """Call ``listener(call_id, names)`` after annotations are committed on a call."""
        self._annotated_listeners.append(listener)

    def record_audit(
        self,
        username: str,
        action: str,
        *,
        call_id: int | None = None,
        detail: str | None = None,
        client: str | None = None,
        at: float | None = None,
    ) -> int:
        """Append an entry to the audit trail; return its id."""
        if action not in AUDIT_ACTIONS:
            accepted = ", ".join(AUDIT_ACTIONS)
            raise ValueError(f"unknown audit action {action!r} (one of: {accepted})")
        statement = audit.insert().values(
            at=time.time() if at is None else at,
            username=username,
            action=action,
            call_id=call_id,
            detail=detail,
            client=client,
        )
        with self._writing() as connection:
            key = connection.execute(statement).inserted_primary_key
        return int(key[0]) if key else 0

    def _directory_snapshot(self) -> Snapshot | None:
        """The directory's lookups, reloaded when stale; None while the directory is empty."""
        # Imported here: the directory package builds on the journal.
        from callvault.directory.snapshot import Snapshot, generation

        now = time.monotonic()
        current = self._directory
        if (
            current is None
            or current.generation != generation()
            or now - self._directory_loaded_at >= DIRECTORY_REFRESH_S
        ):
            try:
                with self._engine.connect() as connection:
                    current = Snapshot.load(connection)
            except (SQLAlchemyError, self._driver_error) as exc:
                raise JournalError(f"cannot read the directory: {_reason(exc)}") from exc
            self._directory, self._directory_loaded_at = current, now
        return None if current.empty else current

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._write_lock:
            try:
                with self._engine.execution_options(**{WRITER: True}).begin() as connection:
                    yield connection
            except (SQLAlchemyError, self._driver_error) as exc:
                raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc

    # -- reading -------------------------------------------------------------------------

    def list_audit(self, filter: AuditFilter | None = None) -> list[AuditEntry]:
        """Audit entries, newest first."""
        filter = filter or AuditFilter()
        query = (
            sa.select(audit)
            .where(*filter.conditions())
            .order_by(audit.c.at.desc(), audit.c.id.desc())
            .limit(filter.limit)
            .offset(filter.offset or None)
        )
        with self._reading() as connection:
            return [AuditEntry(**row) for row in connection.execute(query).mappings()]

    def count_audit(self, filter: AuditFilter | None = None) -> int:
        filter = filter or AuditFilter()
        query = sa.select(sa.func.count()).select_from(audit).where(*filter.conditions())
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    def list_calls(self, filter: CallFilter | None = None) -> list[Call]:
        """The calls ``filter`` selects, with their streams and events, in its order
        (newest first by default), from its cursor on."""
        return self.page_calls(filter).calls

    def page_calls(self, filter: CallFilter | None = None) -> CallPage:
        """One page of the calls ``filter`` selects, and the cursor of the next page (None
        when this one is the last; always None without a limit)."""
        filter = filter or CallFilter()
        with self._reading() as connection:
            filter = _with_named_ids(connection, filter)
            query = _page_query(filter)
            found = connection.execute(query).mappings().all()
            next_cursor = None
            if filter.limit is not None and len(found) > filter.limit:
                found = found[: filter.limit]
                if found:
                    next_cursor = filter.cursor_of(found[-1])
            return CallPage(_with_children(connection, found), next_cursor)

    def count_calls(self, filter: CallFilter | None = None, *, cap: int | None = None) -> int:
        """How many calls ``filter`` selects, its cursor, limit and offset aside; with
        ``cap``, counting stops past ``cap`` (the answer is then ``cap + 1``): a count
        that stays cheap on a journal of millions of calls."""
        filter = filter or CallFilter()
        with self._reading() as connection:
            filter = _with_named_ids(connection, filter)
            if cap is None:
                query = sa.select(sa.func.count()).select_from(calls).where(*filter.conditions())
            else:
                some = sa.select(calls.c.id).where(*filter.conditions()).limit(cap + 1).subquery()
                query = sa.select(sa.func.count()).select_from(some)
            return int(connection.execute(query).scalar_one())

    def get_call(self, ref: int | str) -> Call | None:
        """The call with this journal id, uid or SIP Call-ID (tried in that order; the most
        recent of several calls with one Call-ID), with its streams and events."""
        text = str(ref).strip()
        lookups = [calls.c.uid == text, calls.c.sip_call_id == text]
        if text.isascii() and text.isdigit() and int(text) <= _MAX_ID:
            lookups.insert(0, calls.c.id == int(text))
        with self._reading() as connection:
            for condition in lookups:
                query = sa.select(calls).where(condition).order_by(*CallFilter().order_by())
                found = connection.execute(query.limit(1)).mappings().all()
                if found:
                    return _with_children(connection, found)[0]
        return None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot read the journal: {_reason(exc)}") from exc


def _page_query(filter: CallFilter) -> sa.Select[Any]:
    """The query of one page of ``filter``'s calls (one more than ``limit``: whether a next
    page exists), with the sort key as ``SORT_KEY_LABEL``."""
    key = filter.sort_key.label(SORT_KEY_LABEL)
    conditions = (*filter.conditions(), *filter.keyset())
    limit = None if filter.limit is None else filter.limit + 1
    lookups = filter.number_lookups()
    if filter.sort == "started_at" and lookups and lookups[1] and limit is not None:
        # A number's calls: the first ones in list order by each (column, form) on the
        # (number, started_at, id) indexes, merged. Left to itself PostgreSQL walks the
        # whole journal in list order for a busy number's calls, or gathers all of them
        # (thousands) to sort.
        enough = limit + (filter.offset or 0)
        field, equalities = lookups
        rest = replace(filter, **{field: None})  # each arm's equality stands for it
        others = (*rest.conditions(), *filter.keyset())
        arms = [
            sa.select(calls.c.id).where(equality, *others).order_by(*filter.order_by())
            .limit(enough).subquery()
            for equality in equalities
        ]
        first = sa.union(*(sa.select(arm.c.id) for arm in arms)).subquery()
        return (
            sa.select(calls, key).where(calls.c.id.in_(sa.select(first.c.id)))
            .order_by(*filter.order_by()).limit(limit).offset(filter.offset or None)
        )
    if filter.sort == "started_at":  # read in list order from an index, stopping at the page
        return (
            sa.select(calls, key).where(*conditions).order_by(*filter.order_by())
            .limit(limit).offset(filter.offset or None)
        )
    # Any other key sorts every match: sort just (key, id), then read the page's calls
    # whole (a day sorted by duration on 10 M calls: 105 → 40 ms on PostgreSQL).
    page = (
        sa.select(calls.c.id, key).where(*conditions).order_by(*filter.order_by())
        .limit(limit).offset(filter.offset or None).subquery("page")
    )
    order = (page.c[SORT_KEY_LABEL], page.c.id)
    return (
        sa.select(calls, page.c[SORT_KEY_LABEL])
        .join_from(calls, page, calls.c.id == page.c.id)
        .order_by(*(c.desc() if filter.newest_first else c.asc() for c in order))
    )


def _with_named_ids(connection: Connection, filter: CallFilter) -> CallFilter:
    """``filter`` with agent, team and queue names resolved to their ids."""
    found = {
        name: connection.execute(filter.named_ids(name)).scalars().all()
        for name in NAMED
        if getattr(filter, name) is not None
    }
    return filter.with_ids(found) if found else filter


def _with_children(connection: Connection, found: Sequence[RowMapping]) -> list[Call]:
    ids = [row["id"] for row in found]
    stream_rows = _children(connection, streams, ids)
    event_rows = _children(connection, events, ids)
    return [rows.call_from_row(row, stream_rows[row["id"]], event_rows[row["id"]]) for row in found]


def _children(
    connection: Connection, table: sa.Table, ids: list[int]
) -> dict[int, list[RowMapping]]:
    by_call: dict[int, list[RowMapping]] = defaultdict(list)
    for start in range(0, len(ids), _IN_CHUNK):
        query = (
            sa.select(table)
            .where(table.c.call_id.in_(ids[start : start + _IN_CHUNK]))
            .order_by(table.c.call_id, table.c.seq)
        )
        for row in connection.execute(query).mappings():
            by_call[row["call_id"]].append(row)
    return by_call


def _tell(listener: Callable[..., None], *args: Any) -> None:
    try:
        listener(*args)
    except Exception:
        logger.exception("journal listener %r failed", listener)


def _reason(exc: BaseException) -> str:
    """One line saying why: the driver's message, not SQLAlchemy's wrapping of it."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__

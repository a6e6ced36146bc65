"""Webhooks and their outbox in the journal's database.

Saving or annotating a call writes one delivery row per matching active webhook (the
outbox, ``webhook_deliveries``); the dispatcher claims due rows and POSTs them. Enqueueing
reads the active webhooks from a cache refreshed every ``REFRESH_S``, so a journal with no
webhook pays one small query per ``REFRESH_S``, not one per saved call.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from callvault.calls.model import Call
from callvault.errors import JournalError
from callvault.journal import Journal
from callvault.journal.engine import WRITER, create_engine
from callvault.journal.export import call_record, iso_time
from callvault.journal.schema import webhook_deliveries, webhooks
from callvault.webhooks.model import (
    CALL_FINISHED,
    CALL_UPDATED,
    EVENTS,
    NAME,
    REFRESH_S,
    TEST_EVENT,
    Delivery,
    DeliveryStatus,
    NoSuchDelivery,
    NoSuchWebhook,
    Webhook,
    WebhookConflict,
    WebhookError,
    check_events,
    check_name,
    check_url,
)

SECRET_PREFIX: Final = "whsec_"

_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Attempt:
    """A claimed delivery, with what it takes to send it."""

    delivery_id: int
    event: str
    url: str
    secret: str
    payload: str
    attempts: int
    """Attempts made before this one."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Webhooks:
    """Webhooks (add, list, update, remove), the outbox (enqueue, claim, finish) and the
    deliveries as users see them. Writes are short transactions of their own."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        """Use ``Webhooks.open`` or ``webhooks.attach``; this wraps an engine on an already
        migrated journal."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})
        self._owns_engine = owns_engine
        self._cache: tuple[float, dict[str, tuple[int, ...]]] | None = None
        self._cache_lock = threading.Lock()
        self._enqueued_listeners: list[Callable[[], None]] = []

    @classmethod
    def open(cls, url: str) -> Webhooks:
        """The webhooks of the journal at ``url`` (opened once to create or migrate it)."""
        Journal.open(url).close()
        try:
            return cls(create_engine(sa.make_url(url)), owns_engine=True)
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise JournalError(f"cannot open the journal: {exc}") from exc

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> Webhooks:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- webhooks ------------------------------------------------------------------------

    def add(
        self,
        name: str,
        url: str,
        *,
        events: Sequence[str] = EVENTS,
        secret: str | None = None,
        active: bool = True,
        now: float | None = None,
    ) -> Webhook:
        """Add a webhook; without ``secret`` one is generated (the returned webhook holds it:
        show it once)."""
        if secret is not None and (len(secret) < 16 or not secret.isprintable()):
            raise WebhookError("a webhook secret needs at least 16 printable characters")
        row = {
            "name": check_name(name),
            "url": check_url(url),
            "secret": secret or new_secret(),
            "events": " ".join(check_events(list(events))),
            "active": active,
            "created_at": time.time() if now is None else now,
        }
        try:
            with self._writing() as connection:
                connection.execute(webhooks.insert().values(row))
        except JournalError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise WebhookConflict(f"a webhook named {name!r} exists already") from None
            raise
        self._cache = None
        return self.get(name)

    def list(self) -> list[Webhook]:
        with self._reading() as connection:
            found = connection.execute(sa.select(webhooks).order_by(webhooks.c.name)).mappings()
            return [_webhook(row) for row in found]

    def get(self, name: str) -> Webhook:
        if not NAME.fullmatch(name):
            raise NoSuchWebhook(f"no webhook named {name!r}")
        with self._reading() as connection:
            row = (
                connection.execute(sa.select(webhooks).where(webhooks.c.name == name))
                .mappings()
                .first()
            )
        if row is None:
            raise NoSuchWebhook(f"no webhook named {name!r}")
        return _webhook(row)

    def update(
        self,
        name: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        active: bool | None = None,
    ) -> Webhook:
        """Change what is given; deliveries not yet made go to the new URL."""
        self.get(name)
        values: dict[str, Any] = {}
        if url is not None:
            values["url"] = check_url(url)
        if events is not None:
            values["events"] = " ".join(check_events(list(events)))
        if active is not None:
            values["active"] = active
        if values:
            with self._writing() as connection:
                connection.execute(webhooks.update().where(webhooks.c.name == name).values(values))
            self._cache = None
        return self.get(name)

    def remove(self, name: str) -> None:
        """Remove a webhook and its deliveries."""
        hook = self.get(name)
        with self._writing() as connection:
            connection.execute(
                webhook_deliveries.delete().where(webhook_deliveries.c.webhook_id == hook.id)
            )
            connection.execute(webhooks.delete().where(webhooks.c.id == hook.id))
        self._cache = None

    # -- the outbox ----------------------------------------------------------------------

    def on_enqueued(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after deliveries are enqueued (the dispatcher wakes up)."""
        self._enqueued_listeners.append(listener)

    def subscribers(self, event: str) -> tuple[int, ...]:
        """Ids of the active webhooks subscribed to ``event`` (cached, see ``REFRESH_S``)."""
        cached = self._cache
        if cached is None or time.monotonic() >= cached[0]:
            with self._cache_lock:
                cached = self._cache
                if cached is None or time.monotonic() >= cached[0]:
                    cached = (time.monotonic() + REFRESH_S, self._read_subscribers())
                    self._cache = cached
        return cached[1].get(event, ())

    def _read_subscribers(self) -> dict[str, tuple[int, ...]]:
        query = sa.select(webhooks.c.id, webhooks.c.events).where(webhooks.c.active.is_(True))
        found: dict[str, list[int]] = {}
        with self._reading() as connection:
            for hook_id, events in connection.execute(query.order_by(webhooks.c.id)):
                for event in events.split():
                    found.setdefault(event, []).append(hook_id)
        return {event: tuple(ids) for event, ids in found.items()}

    def enqueue_finished(self, calls: Sequence[Call], *, now: float | None = None) -> int:
        """Enqueue ``call.finished`` for saved calls (ids set), once per call and webhook:
        saving a call again sends nothing new. Returns the deliveries enqueued."""
        hooks = self.subscribers(CALL_FINISHED)
        saved = [call for call in calls if call.id is not None]
        if not hooks or not saved:
            return 0
        moment = time.time() if now is None else now
        added = 0
        for start in range(0, len(saved), _IN_CHUNK):
            chunk = saved[start : start + _IN_CHUNK]
            with self._writing() as connection:
                sent = _already_sent(connection, hooks, [call.id for call in chunk])
                rows = []
                for call in chunk:
                    targets = [hook for hook in hooks if (hook, call.id) not in sent]
                    if targets:
                        payload = _payload(CALL_FINISHED, moment, call=call_record(call, detail=True))
                        rows += [_delivery_row(hook, CALL_FINISHED, call.id, payload, moment)
                                 for hook in targets]
                if rows:
                    connection.execute(webhook_deliveries.insert(), rows)
            added += len(rows)
        if added:
            self._tell_enqueued()
        return added

    def enqueue_updated(
        self, call: Call, changed: Sequence[str] = (), *, now: float | None = None
    ) -> int:
        """Enqueue ``call.updated`` for an annotated call (``changed``: the annotations set)."""
        hooks = self.subscribers(CALL_UPDATED)
        if not hooks or call.id is None:
            return 0
        moment = time.time() if now is None else now
        payload = _payload(
            CALL_UPDATED, moment, call=call_record(call, detail=True), changed=list(changed)
        )
        rows = [_delivery_row(hook, CALL_UPDATED, call.id, payload, moment) for hook in hooks]
        with self._writing() as connection:
            connection.execute(webhook_deliveries.insert(), rows)
        self._tell_enqueued()
        return len(rows)

    def send_test(self, name: str, *, now: float | None = None) -> Delivery:
        """Enqueue a ``webhook.test`` event to one webhook (active or not, whatever its
        events); the delivery shows whether the receiver accepts it."""
        hook = self.get(name)
        moment = time.time() if now is None else now
        payload = _payload(TEST_EVENT, moment, call=None, webhook=hook.name)
        with self._writing() as connection:
            key = connection.execute(
                webhook_deliveries.insert().values(
                    _delivery_row(hook.id, TEST_EVENT, None, payload, moment)
                )
            ).inserted_primary_key
        self._tell_enqueued()
        assert key is not None
        return self.delivery(int(key[0]))

    def _tell_enqueued(self) -> None:
        for listener in self._enqueued_listeners:
            listener()

    def claim(self, *, limit: int, now: float, lease_s: float) -> list[Attempt]:
        """Claim up to ``limit`` due deliveries of active webhooks (test events of inactive
        ones too): their next attempt moves ``lease_s`` ahead, so no other worker takes
        them while this one sends; should it die, they are due again after the lease.
        On PostgreSQL rows another worker is claiming are skipped (FOR UPDATE SKIP LOCKED)."""
        d, w = webhook_deliveries, webhooks
        query = (
            sa.select(d.c.id, d.c.event, d.c.payload, d.c.attempts, w.c.url, w.c.secret)
            .join(w, w.c.id == d.c.webhook_id)
            .where(
                d.c.status == DeliveryStatus.PENDING.value,
                d.c.next_attempt_at <= now,
                _claimable(),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
            .with_for_update(of=d, skip_locked=True)
        )
        with self._writing() as connection:
            found = connection.execute(query).all()
            if found:
                connection.execute(
                    d.update()
                    .where(d.c.id.in_([row.id for row in found]))
                    .values(next_attempt_at=now + lease_s)
                )
        return [
            Attempt(row.id, row.event, row.url, row.secret, row.payload, row.attempts)
            for row in found
        ]

    def finish(
        self,
        attempt: Attempt,
        *,
        at: float,
        status: DeliveryStatus,
        next_attempt_at: float | None,
        response_code: int | None,
        error: str | None,
    ) -> None:
        """Record the outcome of one attempt."""
        d = webhook_deliveries
        values = {
            "status": status.value,
            "attempts": attempt.attempts + 1,
            "last_attempt_at": at,
            "next_attempt_at": next_attempt_at,
            "response_code": response_code,
            "error": error,
            "delivered_at": at if status is DeliveryStatus.DELIVERED else None,
        }
        with self._writing() as connection:
            connection.execute(
                d.update()
                .where(d.c.id == attempt.delivery_id, d.c.status == DeliveryStatus.PENDING.value)
                .values(values)
            )

    def next_due(self) -> float | None:
        """When the earliest delivery ``claim`` could take is due (None: there is none)."""
        d, w = webhook_deliveries, webhooks
        query = (
            sa.select(sa.func.min(d.c.next_attempt_at))
            .join(w, w.c.id == d.c.webhook_id)
            .where(d.c.status == DeliveryStatus.PENDING.value, _claimable())
        )
        with self._reading() as connection:
            value: float | None = connection.execute(query).scalar_one_or_none()
        return value

    def redeliver(self, delivery_id: int, *, now: float | None = None) -> Delivery:
        """Send a failed (or delivered) delivery again, its attempts counted from zero."""
        found = self.delivery(delivery_id)
        if found.status is DeliveryStatus.PENDING:
            raise WebhookConflict(f"delivery {delivery_id} is pending already: wait for its attempts")
        d = webhook_deliveries
        with self._writing() as connection:
            connection.execute(
                d.update()
                .where(d.c.id == delivery_id)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=time.time() if now is None else now,
                    response_code=None,
                    error=None,
                    delivered_at=None,
                )
            )
        self._tell_enqueued()
        return self.delivery(delivery_id)

    # -- deliveries as users see them ----------------------------------------------------

    def deliveries(
        self,
        *,
        status: DeliveryStatus | str | None = None,
        webhook: str | None = None,
        call_id: int | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[Delivery]:
        """Deliveries, newest first."""
        query = (
            _deliveries_query(status, webhook, call_id)
            .order_by(webhook_deliveries.c.id.desc())
            .limit(limit)
            .offset(offset or None)
        )
        with self._reading() as connection:
            return [_delivery(row) for row in connection.execute(query).mappings()]

    def count_deliveries(
        self,
        *,
        status: DeliveryStatus | str | None = None,
        webhook: str | None = None,
        call_id: int | None = None,
    ) -> int:
        inner = _deliveries_query(status, webhook, call_id).subquery()
        with self._reading() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()
            )

    def delivery(self, delivery_id: int) -> Delivery:
        query = _deliveries_query(None, None, None).where(webhook_deliveries.c.id == delivery_id)
        with self._reading() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise NoSuchDelivery(f"no webhook delivery {delivery_id}")
        return _delivery(row)

    # -- connections ---------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        try:
            with self._writer.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot read the journal: {_reason(exc)}") from exc


def _claimable() -> sa.ColumnElement[bool]:
    """Deliveries of active webhooks, and test events of any."""
    return sa.or_(webhooks.c.active.is_(True), webhook_deliveries.c.event == TEST_EVENT)


def _payload(event: str, moment: float, **fields: Any) -> str:
    body = {"id": f"evt_{uuid.uuid4().hex}", "event": event, "created_at": iso_time(moment)}
    return json.dumps({**body, **fields}, ensure_ascii=False, separators=(",", ":"))


def _delivery_row(
    webhook_id: int, event: str, call_id: int | None, payload: str, moment: float
) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id,
        "event": event,
        "call_id": call_id,
        "payload": payload,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": moment,
        "last_attempt_at": None,
        "response_code": None,
        "error": None,
        "created_at": moment,
        "delivered_at": None,
    }


def _already_sent(
    connection: Connection, hooks: Sequence[int], call_ids: Sequence[int | None]
) -> set[tuple[int, int]]:
    d = webhook_deliveries
    query = sa.select(d.c.webhook_id, d.c.call_id).where(
        d.c.event == CALL_FINISHED, d.c.call_id.in_(call_ids), d.c.webhook_id.in_(hooks)
    )
    return {(hook, call) for hook, call in connection.execute(query)}


def _deliveries_query(
    status: DeliveryStatus | str | None, webhook: str | None, call_id: int | None
) -> sa.Select[Any]:
    d, w = webhook_deliveries, webhooks
    query = sa.select(d, w.c.name.label("webhook")).join(w, w.c.id == d.c.webhook_id)
    if status is not None:
        try:
            wanted = DeliveryStatus(status)
        except ValueError:
            accepted = ", ".join(s.value for s in DeliveryStatus)
            raise WebhookError(f"unknown delivery status {status!r} (one of: {accepted})") from None
        query = query.where(d.c.status == wanted.value)
    if webhook is not None:
        query = query.where(w.c.name == webhook if NAME.fullmatch(webhook) else sa.false())
    if call_id is not None:
        query = query.where(d.c.call_id == call_id)
    return query


def _webhook(row: RowMapping) -> Webhook:
    return Webhook(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        secret=row["secret"],
        events=tuple(row["events"].split()),
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _delivery(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        webhook=row["webhook"],
        event=row["event"],
        call_id=row["call_id"],
        payload=row["payload"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_attempt_at=row["last_attempt_at"],
        response_code=row["response_code"],
        error=row["error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
    )


def _reason(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__

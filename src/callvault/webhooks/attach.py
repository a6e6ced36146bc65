"""A journal's saves and annotations, enqueued for its webhooks (``attach``).

Apart from ``repository``: until a webhook is active, a journal with webhooks attached reads
one plain query per ``REFRESH_S`` on its own connection, and the repository (SQLAlchemy) is
made when one is, so ``callvault ingest`` into a journal without webhooks never imports
SQLAlchemy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from callvault.calls.model import Call
from callvault.webhooks.model import CALL_UPDATED, REFRESH_S

if TYPE_CHECKING:
    from callvault.journal import Journal
    from callvault.webhooks.repository import Webhooks

ANY_ACTIVE = "SELECT id FROM webhooks WHERE active LIMIT 1"


class Attachment:
    """The webhooks of one journal, told of its saves and annotations."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._webhooks: Webhooks | None = None
        self._lock = threading.Lock()
        self._checked_until = float("-inf")
        self._any_active = False

    @property
    def webhooks(self) -> Webhooks:
        """The journal's webhooks (sharing its engine: nothing to close), made on first use;
        from then on every save is enqueued through them."""
        if self._webhooks is None:
            with self._lock:
                if self._webhooks is None:
                    from callvault.webhooks.repository import Webhooks

                    self._webhooks = Webhooks(self._journal.engine)
        return self._webhooks

    def finished(self, calls: Sequence[Call]) -> None:
        if self._active():
            self.webhooks.enqueue_finished(calls)

    def annotated(self, call_id: int, changed: tuple[str, ...]) -> None:
        if self._active() and self.webhooks.subscribers(CALL_UPDATED):
            call = self._journal.get_call(call_id)
            if call is not None:
                self.webhooks.enqueue_updated(call, changed)

    def _active(self) -> bool:
        """Whether a webhook may want deliveries: one was active at the last look (at most
        ``REFRESH_S`` ago), or the webhooks are in use here already."""
        if self._webhooks is not None:
            return True
        now = time.monotonic()
        if now >= self._checked_until:
            self._any_active = bool(self._journal.plain_query(ANY_ACTIVE))
            self._checked_until = now + REFRESH_S
        return self._any_active


def attach(journal: Journal) -> Attachment:
    """Enqueue webhook deliveries whenever ``journal`` saves or annotates a call; returns the
    ``Attachment`` doing it (its ``webhooks`` serve the dispatcher and the API)."""
    attachment = Attachment(journal)
    journal.on_saved(attachment.finished)
    journal.on_annotated(attachment.annotated)
    return attachment

"""The dispatcher: claims due deliveries from the outbox and POSTs them, signed.

A 2xx answer delivers; any other answer, a timeout or a network error is retried after
``backoff_s * 2**(attempt - 1)`` (at most ``backoff_max_s``), scaled by a random 0.5-1
(jitter: receivers that come back are not hit by every sender at once), until
``max_attempts`` are spent and the delivery is failed. Redirects are not followed.

It runs in a thread of its own (``start``/``stop``) in ``callvault serve``, or in the
foreground (``callvault webhooks deliver``); capture and saving never wait for it.
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from callvault import __version__
from callvault.config import Settings
from callvault.errors import CallvaultError
from callvault.webhooks.model import DeliveryStatus
from callvault.webhooks.repository import Attempt, Webhooks
from callvault.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

logger = logging.getLogger(__name__)

LEASE_MARGIN_S: Final = 60.0
"""A claimed delivery is due again this long after its timeout, should its worker die."""
ERROR_TEXT_MAX: Final = 300
"""Characters of a receiver's error answer kept on the delivery."""
IDLE_MIN_S: Final = 0.05


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: an HTTP status, or the error that stopped it."""

    delivery_id: int
    status: DeliveryStatus
    response_code: int | None
    error: str | None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None  # the 3xx surfaces as an HTTPError: not delivered


class Dispatcher:
    """Delivers the outbox of one journal; several may run against PostgreSQL at once."""

    def __init__(
        self,
        webhooks: Webhooks,
        *,
        timeout_s: float = 10.0,
        max_attempts: int = 8,
        backoff_s: float = 30.0,
        backoff_max_s: float = 3600.0,
        poll_s: float = 5.0,
        batch: int = 20,
        concurrency: int = 4,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._webhooks = webhooks
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.poll_s = poll_s
        self.batch = batch
        self._jitter = jitter
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        webhooks.on_enqueued(self._wake.set)

    @classmethod
    def from_settings(cls, webhooks: Webhooks, settings: Settings) -> Dispatcher:
        return cls(
            webhooks,
            timeout_s=settings.webhook_timeout_s,
            max_attempts=settings.webhook_max_attempts,
            backoff_s=settings.webhook_backoff_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            poll_s=settings.webhook_poll_s,
        )

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Deliver from a daemon thread until ``stop``."""
        if self._thread is not None:
            return
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the attempts in flight (each ends within ``timeout_s``)."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._pool.shutdown(wait=True)

    def run_forever(self) -> None:
        """Deliver in the calling thread until interrupted (or ``stop`` from another)."""
        self._run()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                if self.run_once():
                    continue
                due = self._webhooks.next_due()
            except CallvaultError as exc:
                logger.warning("webhook deliveries: %s", exc)
                due = None
            wait = self.poll_s
            if due is not None:
                wait = min(wait, max(IDLE_MIN_S, due - time.time()))
            self._wake.wait(wait)

    def run_once(self, now: float | None = None) -> list[Outcome]:
        """Claim the deliveries due (up to ``batch``) and attempt each once."""
        claimed = self._webhooks.claim(
            limit=self.batch,
            now=time.time() if now is None else now,
            lease_s=self.timeout_s + LEASE_MARGIN_S,
        )
        return list(self._pool.map(self.attempt, claimed))

    def deliver_due(self) -> list[Outcome]:
        """Attempt every delivery due now once (``callvault webhooks deliver --once``)."""
        outcomes: list[Outcome] = []
        started = time.time()
        while found := self.run_once(now=started):
            outcomes += found
        return outcomes

    # -- one attempt ---------------------------------------------------------------------

    def attempt(self, attempt: Attempt) -> Outcome:
        """POST one claimed delivery and record what came of it."""
        code, error = self.post(attempt)
        at = time.time()
        tries = attempt.attempts + 1
        if code is not None and 200 <= code < 300:
            status, next_at = DeliveryStatus.DELIVERED, None
        elif tries >= self.max_attempts:
            status, next_at = DeliveryStatus.FAILED, None
        else:
            status, next_at = DeliveryStatus.PENDING, at + self.backoff(tries)
        self._webhooks.finish(
            attempt,
            at=at,
            status=status,
            next_attempt_at=next_at,
            response_code=code,
            error=error,
        )
        if status is DeliveryStatus.FAILED:
            logger.warning(
                "webhook delivery %d to %s failed after %d attempts: %s",
                attempt.delivery_id, attempt.url, tries, error,
            )
        return Outcome(attempt.delivery_id, status, code, error)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones."""
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** (attempts - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())

    def post(self, attempt: Attempt) -> tuple[int | None, str | None]:
        """The receiver's HTTP status (and its error text unless 2xx), or None and why
        nothing came back."""
        body = attempt.payload.encode()
        request = urllib.request.Request(
            attempt.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"callvault-webhooks/{__version__}",
                EVENT_HEADER: attempt.event,
                DELIVERY_HEADER: str(attempt.delivery_id),
                SIGNATURE_HEADER: signature_header(attempt.secret, body),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            with exc:
                text = _text(exc.read(ERROR_TEXT_MAX))
            return exc.code, f"HTTP {exc.code} {exc.reason}" + (f": {text}" if text else "")
        except urllib.error.URLError as exc:
            return None, _reason(exc.reason)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return None, _reason(exc)


def _text(raw: bytes) -> str:
    return " ".join(raw.decode("utf-8", "replace").split())[:ERROR_TEXT_MAX]


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    text = str(reason).strip()
    return text or type(reason).__name__

"""What a webhook is, what a delivery is, and the events callvault sends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from callvault.errors import CallvaultError

REFRESH_S: Final = 2.0
"""How long the active webhooks are cached for enqueueing; changes made through a
``Webhooks`` apply at once, those of another process within this time."""

CALL_FINISHED: Final = "call.finished"
"""A call was saved finished (captured, imported from a PBX log or pushed): sent once per
call and webhook, however often the call is saved again."""
CALL_UPDATED: Final = "call.updated"
"""A call's comment, outcome or tags were set."""
TEST_EVENT: Final = "webhook.test"
"""Sent on request to one webhook, whatever its events, to check the receiver."""

EVENTS: Final = (CALL_FINISHED, CALL_UPDATED)
"""The events a webhook can subscribe to."""

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class WebhookError(CallvaultError):
    """A webhook or delivery that does not exist, or a value that cannot be used."""


class NoSuchWebhook(WebhookError):
    pass


class NoSuchDelivery(WebhookError):
    pass


class WebhookConflict(WebhookError):
    """A name taken already, or a redelivery of a delivery still pending."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its next attempt (or being attempted now)."""
    DELIVERED = "delivered"
    """A receiver answered 2xx."""
    FAILED = "failed"
    """Every attempt failed; redeliver sends it again."""


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    name: str
    url: str
    secret: str
    """Keys the HMAC-SHA256 signature; shown once, when the webhook is added."""
    events: tuple[str, ...]
    active: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: int
    webhook: str
    """The webhook's name."""
    event: str
    call_id: int | None
    payload: str
    """The JSON body, the same bytes on every attempt."""
    status: DeliveryStatus
    attempts: int
    next_attempt_at: float | None
    last_attempt_at: float | None
    response_code: int | None
    error: str | None
    created_at: float
    delivered_at: float | None


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise WebhookError(
            f"invalid webhook name {name!r}: 1-64 letters, digits, '.', '_' or '-'"
        )
    return name


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL, else WebhookError saying what to send."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise WebhookError(f"invalid webhook URL {url!r}: send http(s)://host[:port]/path") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"invalid webhook URL {url!r}: send http(s)://host[:port]/path")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise WebhookError(
            f"invalid webhook URL {url!r}: it contains whitespace or control characters"
        )
    return url


def check_events(events: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The events, de-duplicated in order; WebhookError for an unknown one or none."""
    wanted = tuple(dict.fromkeys(event.strip() for event in events if event.strip()))
    unknown = [event for event in wanted if event not in EVENTS]
    if unknown:
        raise WebhookError(f"unknown webhook event {unknown[0]!r} (one of: {', '.join(EVENTS)})")
    if not wanted:
        raise WebhookError(f"a webhook needs at least one event (one of: {', '.join(EVENTS)})")
    return wanted

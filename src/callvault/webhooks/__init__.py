"""Webhooks: POST finished and annotated calls as JSON to configured URLs, signed with
HMAC-SHA256, retried with backoff, every delivery visible (docs/webhooks.md).

``attach(journal)`` enqueues on every save and annotation; a ``Dispatcher`` delivers.

The names below are imported from their submodules on first use (:func:`__getattr__`):
ingest only attaches, and importing the dispatcher (http.client, urllib,
concurrent.futures) with it would add ≈ 15-20 ms to its start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callvault.webhooks.attach import Attachment, attach
    from callvault.webhooks.dispatcher import Dispatcher, Outcome
    from callvault.webhooks.model import (
        CALL_FINISHED,
        CALL_UPDATED,
        EVENTS,
        TEST_EVENT,
        Delivery,
        DeliveryStatus,
        NoSuchDelivery,
        NoSuchWebhook,
        Webhook,
        WebhookConflict,
        WebhookError,
    )
    from callvault.webhooks.repository import Webhooks
    from callvault.webhooks.signing import signature_header, verify

_SUBMODULE = {
    "Dispatcher": "dispatcher",
    "Outcome": "dispatcher",
    "CALL_FINISHED": "model",
    "CALL_UPDATED": "model",
    "EVENTS": "model",
    "TEST_EVENT": "model",
    "Delivery": "model",
    "DeliveryStatus": "model",
    "NoSuchDelivery": "model",
    "NoSuchWebhook": "model",
    "Webhook": "model",
    "WebhookConflict": "model",
    "WebhookError": "model",
    "Webhooks": "repository",
    "attach": "attach",
    "Attachment": "attach",
    "signature_header": "signing",
    "verify": "signing",
}
"""Which submodule defines each public name."""

__all__ = [
    "CALL_FINISHED",
    "CALL_UPDATED",
    "EVENTS",
    "TEST_EVENT",
    "Attachment",
    "Delivery",
    "DeliveryStatus",
    "Dispatcher",
    "NoSuchDelivery",
    "NoSuchWebhook",
    "Outcome",
    "Webhook",
    "WebhookConflict",
    "WebhookError",
    "Webhooks",
    "attach",
    "signature_header",
    "verify",
]


def __getattr__(name: str) -> object:
    """Import a public name's submodule when the name is first read, and keep the name."""
    if name not in _SUBMODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_SUBMODULE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, imported or not, for ``dir()`` and completion."""
    return sorted(set(globals()) | set(__all__))

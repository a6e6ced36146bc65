"""Webhooks: POST finished and annotated calls as JSON to configured URLs, signed with
HMAC-SHA256, retried with backoff, every delivery visible (docs/webhooks.md).

``attach(journal)`` enqueues on every save and annotation; a ``Dispatcher`` delivers.
"""

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
from callvault.webhooks.repository import Webhooks, attach
from callvault.webhooks.signing import signature_header, verify

__all__ = [
    "CALL_FINISHED",
    "CALL_UPDATED",
    "EVENTS",
    "TEST_EVENT",
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

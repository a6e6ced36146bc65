"""Webhook routes: configure webhooks, watch and repeat their deliveries (admins only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from callvault.accounts import User
from callvault.api.errors import ApiError, InvalidRequest, NotFound
from callvault.api.permissions import Allowed, Permission
from callvault.journal.export import iso_time
from callvault.webhooks import (
    EVENTS,
    Delivery,
    DeliveryStatus,
    NoSuchDelivery,
    NoSuchWebhook,
    Webhook,
    WebhookConflict,
    WebhookError,
    Webhooks,
)

MAX_LIMIT = 1000

webhook_router = APIRouter(prefix="/api/webhooks")


class Conflict(ApiError):
    status = 409
    code = "conflict"


def _webhooks(request: Request) -> Webhooks:
    found: Webhooks = request.app.state.webhooks
    return found


WebhooksDep = Annotated[Webhooks, Depends(_webhooks)]
Admin = Annotated[User, Allowed(Permission.WEBHOOKS_MANAGE)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, description="1-64 letters, digits, '.', '_' or '-'.")
    url: str = Field(max_length=2000, description="http:// or https:// URL to POST to.")
    events: list[str] = Field(
        default_factory=lambda: list(EVENTS), max_length=len(EVENTS) * 2,
        description=f"Events to send: {', '.join(EVENTS)} (default: all).",
    )
    secret: str | None = Field(
        default=None, min_length=16, max_length=200,
        description="Signing secret; default: generated and returned once.",
    )
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    events: list[str] | None = Field(default=None, max_length=len(EVENTS) * 2)
    active: bool | None = None


class WebhookPublic(BaseModel):
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: str | None

    @classmethod
    def of(cls, hook: Webhook) -> WebhookPublic:
        return cls(
            name=hook.name,
            url=hook.url,
            events=list(hook.events),
            active=hook.active,
            created_at=iso_time(hook.created_at),
        )


class WebhookCreated(WebhookPublic):
    secret: str
    """Shown in this answer only: keep it where the receiver can read it."""


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class DeliveryPublic(BaseModel):
    id: int
    webhook: str
    event: str
    call_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    response_code: int | None
    error: str | None
    created_at: str | None
    delivered_at: str | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        return cls(
            id=delivery.id,
            webhook=delivery.webhook,
            event=delivery.event,
            call_id=delivery.call_id,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=iso_time(delivery.next_attempt_at),
            last_attempt_at=iso_time(delivery.last_attempt_at),
            response_code=delivery.response_code,
            error=delivery.error,
            created_at=iso_time(delivery.created_at),
            delivered_at=iso_time(delivery.delivered_at),
        )


class DeliveryDetail(DeliveryPublic):
    payload: str
    """The JSON body as sent."""


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int


@contextmanager
def _answers() -> Iterator[None]:
    """Webhook errors as API errors: 404 for what does not exist, 409, else 422."""
    try:
        yield
    except (NoSuchWebhook, NoSuchDelivery) as exc:
        raise NotFound(str(exc)) from exc
    except WebhookConflict as exc:
        raise Conflict(str(exc)) from exc
    except WebhookError as exc:
        raise InvalidRequest(str(exc)) from exc


@webhook_router.get("")
def list_webhooks(user: Admin, webhooks: WebhooksDep) -> WebhooksPublic:
    """The webhooks, by name; secrets are never shown again."""
    found = webhooks.list()
    return WebhooksPublic(data=[WebhookPublic.of(hook) for hook in found], count=len(found))


@webhook_router.post("", status_code=201)
def create_webhook(body: WebhookCreate, user: Admin, webhooks: WebhooksDep) -> WebhookCreated:
    """Add a webhook; the answer holds its signing secret, shown this once."""
    with _answers():
        hook = webhooks.add(
            body.name, body.url, events=body.events, secret=body.secret, active=body.active
        )
    return WebhookCreated(**WebhookPublic.of(hook).model_dump(), secret=hook.secret)


@webhook_router.get("/deliveries")
def list_deliveries(
    user: Admin,
    webhooks: WebhooksDep,
    status: DeliveryStatus | None = None,
    webhook: Annotated[str | None, Query(max_length=64)] = None,
    call_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DeliveriesPublic:
    """Deliveries, newest first; ``count`` ignores limit and offset."""
    wanted: dict[str, Any] = {"status": status, "webhook": webhook, "call_id": call_id}
    return DeliveriesPublic(
        data=[
            DeliveryPublic.of(found)
            for found in webhooks.deliveries(**wanted, limit=limit, offset=offset)
        ],
        count=webhooks.count_deliveries(**wanted),
    )


@webhook_router.get("/deliveries/{delivery_id}")
def get_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Admin,
    webhooks: WebhooksDep,
) -> DeliveryDetail:
    """One delivery with the JSON body it sends."""
    with _answers():
        found = webhooks.delivery(delivery_id)
    return DeliveryDetail(**DeliveryPublic.of(found).model_dump(), payload=found.payload)


@webhook_router.post("/deliveries/{delivery_id}/redeliver", status_code=202)
def redeliver(
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Admin,
    webhooks: WebhooksDep,
) -> DeliveryPublic:
    """Send a failed (or delivered) delivery again, its attempts counted from zero."""
    with _answers():
        return DeliveryPublic.of(webhooks.redeliver(delivery_id))


@webhook_router.patch("/{name}")
def update_webhook(
    name: str, body: WebhookUpdate, user: Admin, webhooks: WebhooksDep
) -> WebhookPublic:
    """Change a webhook's URL, events or whether it is active (those sent)."""
    if not body.model_fields_set:
        raise InvalidRequest("request body: send at least one of url, events, active")
    with _answers():
        return WebhookPublic.of(
            webhooks.update(name, url=body.url, events=body.events, active=body.active)
        )


@webhook_router.delete("/{name}", status_code=204)
def delete_webhook(name: str, user: Admin, webhooks: WebhooksDep) -> Response:
    """Remove a webhook and its deliveries."""
    with _answers():
        webhooks.remove(name)
    return Response(status_code=204)


@webhook_router.post("/{name}/test", status_code=202)
def send_test(name: str, user: Admin, webhooks: WebhooksDep) -> DeliveryPublic:
    """Enqueue a ``webhook.test`` event to this webhook; poll the delivery to see it land."""
    with _answers():
        return DeliveryPublic.of(webhooks.send_test(name))


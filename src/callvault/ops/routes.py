"""The operations routes: ``GET /metrics`` (Prometheus) and ``GET /api/health/details``.

``/metrics`` takes either an account holding ``metrics.read`` or, for a Prometheus scraper
that should not hold an account, the ``metrics_token`` setting as its bearer token
(compared in constant time). Both read what every recorder of this data directory and
journal publishes (``ops.metrics``), whichever process records.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from callvault.accounts import User
from callvault.api.deps import AccountsDep, JournalDep, SessionsDep, current_user
from callvault.api.permissions import Allowed, Permission, check
from callvault.config import Settings
from callvault.journal import Journal
from callvault.ops import health, metrics

ops_router = APIRouter()


def metrics_access(request: Request, accounts: AccountsDep, sessions: SessionsDep) -> None:
    """The scraper's token, or an account holding ``metrics.read`` (401/403 otherwise)."""
    token = request.app.state.settings.metrics_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return
    check(current_user(request, accounts, sessions), Permission.METRICS_READ)


metrics_access.permission = Permission.METRICS_READ  # type: ignore[attr-defined]


def live_calls(journal: Journal) -> int | None:
    """Calls in progress on the live board (every recorder on this journal); None where the
    board is not installed."""
    try:
        from callvault.live.board import LiveBoard
    except ImportError:
        return None
    return len(LiveBoard.attach(journal).calls())


@ops_router.get("/metrics", response_class=Response)
def get_metrics(
    request: Request, journal: JournalDep, _: Annotated[None, Depends(metrics_access)]
) -> Response:
    settings: Settings = request.app.state.settings
    return Response(metrics.render(settings, live_calls(journal)),
                    media_type=metrics.CONTENT_TYPE)


@ops_router.get("/api/health/details")
def health_details(
    request: Request, user: Annotated[User, Allowed(Permission.METRICS_READ)]
) -> dict[str, Any]:
    """Recorders (running, heartbeat age, calls in progress), disk free and the reasons
    health is "degraded"."""
    return health.check(request.app.state.settings).to_dict()

"""The role table, walked: every route of the app, for every role, on SQLite and PostgreSQL.

``ROUTES`` holds one entry per route (method, path, a sample request, the permission it
needs, the answer when allowed). The test fails when the app has a route the table lacks
(add it here when you add a route), and when any role gets anything but the allowed
answer where its role holds the permission, or 403 where it does not. It then checks the
scope rules: an agent sees only their own calls, a supervisor only their teams' calls,
every other role every call — in lists, counts, exports, client histories, details,
recordings and annotations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_helpers import PASSWORD, T0, bearer, make_call
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callvault.accounts import Accounts, Role
from callvault.accounts.sessions import COOKIE
from callvault.api import create_app
from callvault.api.permissions import ROLE_PERMISSIONS, Permission, permission_of
from callvault.calls.model import Direction, Recording
from callvault.config import Settings
from callvault.directory import Directory
from callvault.journal import Journal
from callvault.live import LiveBoard, LiveCall

CDR = Path(__file__).resolve().parents[1] / "importers" / "data" / "freeswitch_json"

USERS = {
    Role.AGENT: "ann",
    Role.SUPERVISOR: "sam",
    Role.MANAGER: "mia",
    Role.COMPLIANCE: "cleo",
    Role.ADMIN: "ada",
}
"""One account per role."""

HOOK = "http://127.0.0.1:9/hook"
"""A webhook receiver nobody listens at (deliveries stay pending or fail)."""

CLIENT = "+4533123456"
"""The customer on every call of the world."""

SEES: dict[Role, set[str]] = {
    Role.AGENT: {"anns", "anns-desk"},  # her extension 201; 2011 only through her agent record
    Role.SUPERVISOR: {"bobs"},  # sam supervises Support
    Role.MANAGER: {"anns", "anns-desk", "bobs", "other"},
    Role.COMPLIANCE: {"anns", "anns-desk", "bobs", "other"},
    Role.ADMIN: {"anns", "anns-desk", "bobs", "other"},
}
"""Which calls each role's account may see."""

VISIBLE_CALL = {
    Role.AGENT: "anns",
    Role.SUPERVISOR: "bobs",
    Role.MANAGER: "other",
    Role.COMPLIANCE: "other",
    Role.ADMIN: "bobs",
}
"""A call with a recording that the role's account may see."""


@dataclass
class World:
    """The app and what the sample requests refer to."""

    client: TestClient
    tokens: dict[Role, str]
    sessions: dict[Role, str]
    cost_ids: dict[Role, int] = field(default_factory=dict)
    delivery_id: int = 0
    static_url: str = ""


Sample = Callable[[World, Role], dict[str, Any]]
"""The keyword arguments of ``client.request`` beyond method and URL."""


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    """The path as the app registers it."""
    url: str | Callable[[World, Role], str]
    permission: Permission | None
    """None: any authenticated user (or anyone, with ``auth`` "none")."""
    ok: int = 200
    sample: Sample | None = None
    auth: str = "bearer"
    """"bearer" (the role's API token), "session" (its browser session cookie) or "none"."""


def body(value: Any) -> Sample:
    return lambda world, role: {"json": value(role) if callable(value) else value}


def call_of(template: str) -> Callable[[World, Role], str]:
    return lambda world, role: template.format(ref=VISIBLE_CALL[role])


def named(template: str) -> Callable[[World, Role], str]:
    return lambda world, role: template.format(role=role.value)


LIVE_PARTY = {Role.AGENT: "201", Role.SUPERVISOR: "202"}
"""The callee of each role's live call: Ann's extension, Bob's (Support); others any."""


def live_call_of(world: World, role: Role) -> dict[str, Any]:
    """Put a recorded call the role may see on the live board; the sample pauses it."""
    journal = world.client.app.state.journal  # type: ignore[attr-defined]
    LiveBoard.attach(journal).started(
        LiveCall(f"live-{role.value}", "recorder", "siprec", T0,
                 caller_number=CLIENT, callee_number=LIVE_PARTY.get(role, "299"),
                 direction="inbound")
    )
    return {"json": {"action": "pause"}}


def saved_search(world: World, role: Role, name: str) -> str:
    """The URL of a saved search of the role's account, made now."""
    made = world.client.post(
        "/api/saved-searches",
        headers=bearer(world.tokens[role]),
        json={"name": name, "filters": {}},
    )
    assert made.status_code == 201, made.text
    return f"/api/saved-searches/{made.json()['id']}"


R = Permission
ROUTES: list[RouteCase] = [
    # -- calls (api/routes.py) ---------------------------------------------------------------
    RouteCase("GET", "/api/health", "/api/health", None),
    RouteCase("GET", "/api/me", "/api/me", None),
    RouteCase("GET", "/api/openapi.json", "/api/openapi.json", None),
    RouteCase("GET", "/api/calls", "/api/calls", R.CALLS_READ),
    RouteCase("GET", "/api/calls/export.csv", "/api/calls/export.csv", R.CALLS_EXPORT),
    RouteCase("GET", "/api/calls/export.xlsx", "/api/calls/export.xlsx", R.CALLS_EXPORT),
    RouteCase("GET", "/api/clients/{number}/calls", f"/api/clients/{CLIENT}/calls", R.CALLS_READ),
    RouteCase("GET", "/api/calls/{ref}", call_of("/api/calls/{ref}"), R.CALLS_READ),
    RouteCase(  # api/siprec_routes.py
        "GET", "/api/calls/{ref}/participants", call_of("/api/calls/{ref}/participants"),
        R.CALLS_READ,
    ),
    RouteCase(
        "PATCH",
        "/api/calls/{ref}",
        call_of("/api/calls/{ref}"),
        R.CALLS_ANNOTATE,
        sample=body({"comment": "called back"}),
    ),
    RouteCase(
        "GET", "/api/calls/{ref}/recording", call_of("/api/calls/{ref}/recording"), R.CALLS_READ
    ),
    RouteCase("GET", "/api/audit", "/api/audit", R.AUDIT_READ),
    RouteCase(
        "POST",
        "/api/cdr/freeswitch",
        "/api/cdr/freeswitch",
        R.CDR_PUSH,
        sample=lambda world, role: {
            "content": (CDR / "a_leg_1001_to_1002.json").read_bytes(),
            "headers": {"Content-Type": "application/json"},
        },
    ),
    # -- sessions (api/session_routes.py) ------------------------------------------------------
    RouteCase(
        "POST",
        "/api/session",
        "/api/session",
        None,
        auth="none",
        sample=body(lambda role: {"username": USERS[role], "password": PASSWORD}),
    ),
    RouteCase("GET", "/api/session", "/api/session", None),
    RouteCase("DELETE", "/api/session", "/api/session", None, ok=204),
    # -- directory (api/directory_routes.py) ---------------------------------------------------
    RouteCase("GET", "/api/directory/teams", "/api/directory/teams", R.DIRECTORY_READ),
    RouteCase(
        "POST",
        "/api/directory/teams",
        "/api/directory/teams",
        R.DIRECTORY_MANAGE,
        ok=201,
        sample=body(lambda role: {"name": f"new-{role.value}"}),
    ),
    RouteCase(
        "PATCH",
        "/api/directory/teams/{name}",
        "/api/directory/teams/Sales",
        R.DIRECTORY_MANAGE,
        sample=body({"department": "Revenue"}),
    ),
    RouteCase(
        "DELETE",
        "/api/directory/teams/{name}",
        named("/api/directory/teams/gone-{role}"),
        R.DIRECTORY_MANAGE,
        ok=204,
    ),
    RouteCase(
        "PUT",
        "/api/directory/teams/{name}/supervisors/{username}",
        "/api/directory/teams/Sales/supervisors/mia",
        R.DIRECTORY_MANAGE,
    ),
    RouteCase(
        "DELETE",
        "/api/directory/teams/{name}/supervisors/{username}",
        "/api/directory/teams/Sales/supervisors/mia",
        R.DIRECTORY_MANAGE,
    ),
    RouteCase("GET", "/api/directory/agents", "/api/directory/agents", R.DIRECTORY_READ),
    RouteCase(
        "POST",
        "/api/directory/agents",
        "/api/directory/agents",
        R.DIRECTORY_MANAGE,
        ok=201,
        sample=body(lambda role: {"name": "New", "employee_id": f"new-{role.value}"}),
    ),
    RouteCase(
        "PATCH",
        "/api/directory/agents/{ref}",
        "/api/directory/agents/E2",
        R.DIRECTORY_MANAGE,
        sample=body({"active": True}),
    ),
    RouteCase(
        "DELETE",
        "/api/directory/agents/{ref}",
        named("/api/directory/agents/gone-{role}"),
        R.DIRECTORY_MANAGE,
        ok=204,
    ),
    RouteCase("GET", "/api/directory/queues", "/api/directory/queues", R.DIRECTORY_READ),
    RouteCase(
        "POST",
        "/api/directory/queues",
        "/api/directory/queues",
        R.DIRECTORY_MANAGE,
        ok=201,
        sample=body(lambda role: {"name": f"new-{role.value}"}),
    ),
    RouteCase(
        "PATCH",
        "/api/directory/queues/{name}",
        "/api/directory/queues/support",
        R.DIRECTORY_MANAGE,
        sample=body({"team": "Support"}),
    ),
    RouteCase(
        "DELETE",
        "/api/directory/queues/{name}",
        named("/api/directory/queues/gone-{role}"),
        R.DIRECTORY_MANAGE,
        ok=204,
    ),
    RouteCase("GET", "/api/directory/numbers", "/api/directory/numbers", R.DIRECTORY_READ),
    RouteCase(
        "POST",
        "/api/directory/numbers",
        "/api/directory/numbers",
        R.DIRECTORY_MANAGE,
        ok=201,
        sample=body(
            lambda role: {"number": f"+4580{len(role.value)}{role.value}", "channel": "print"}
        ),
    ),
    RouteCase(
        "PATCH",
        "/api/directory/numbers/{number}",
        "/api/directory/numbers/+4570101010",
        R.DIRECTORY_MANAGE,
        sample=body({"campaign": "spring"}),
    ),
    RouteCase(
        "DELETE",
        "/api/directory/numbers/{number}",
        named("/api/directory/numbers/gone-{role}"),
        R.DIRECTORY_MANAGE,
        ok=204,
    ),
    RouteCase(
        "POST",
        "/api/directory/numbers/{number}/costs",
        "/api/directory/numbers/+4570101010/costs",
        R.DIRECTORY_MANAGE,
        ok=201,
        sample=body(
            {
                "period_start": "2024-05-01",
                "period_end": "2024-05-31",
                "cost": "99.50",
                "currency": "EUR",
            }
        ),
    ),
    RouteCase(
        "DELETE",
        "/api/directory/numbers/{number}/costs/{cost_id}",
        lambda world, role: f"/api/directory/numbers/+4570101010/costs/{world.cost_ids[role]}",
        R.DIRECTORY_MANAGE,
        ok=204,
    ),
    RouteCase(
        "POST",
        "/api/directory/{kind}/import",
        "/api/directory/teams/import",
        R.DIRECTORY_MANAGE,
        sample=lambda world, role: {"content": f"name\nimported-{role.value}\n".encode()},
    ),
    RouteCase(
        "POST",
        "/api/directory/reapply",
        "/api/directory/reapply",
        R.DIRECTORY_MANAGE,
        sample=body({}),
    ),
    # -- webhooks (api/webhook_routes.py) ------------------------------------------------------
    RouteCase("GET", "/api/webhooks", "/api/webhooks", R.WEBHOOKS_MANAGE),
    RouteCase(
        "POST",
        "/api/webhooks",
        "/api/webhooks",
        R.WEBHOOKS_MANAGE,
        ok=201,
        sample=body(
            lambda role: {"name": f"new-{role.value}", "url": HOOK, "events": ["call.finished"]}
        ),
    ),
    RouteCase("GET", "/api/webhooks/deliveries", "/api/webhooks/deliveries", R.WEBHOOKS_MANAGE),
    RouteCase(
        "GET",
        "/api/webhooks/deliveries/{delivery_id}",
        lambda world, role: f"/api/webhooks/deliveries/{world.delivery_id}",
        R.WEBHOOKS_MANAGE,
    ),
    RouteCase(
        "POST",
        "/api/webhooks/deliveries/{delivery_id}/redeliver",
        lambda world, role: f"/api/webhooks/deliveries/{world.delivery_id}/redeliver",
        R.WEBHOOKS_MANAGE,
        ok=409,
    ),  # allowed, but the sample delivery is still pending
    RouteCase(
        "PATCH",
        "/api/webhooks/{name}",
        "/api/webhooks/hook",
        R.WEBHOOKS_MANAGE,
        sample=body({"active": True}),
    ),
    RouteCase(
        "DELETE",
        "/api/webhooks/{name}",
        named("/api/webhooks/gone-{role}"),
        R.WEBHOOKS_MANAGE,
        ok=204,
    ),
    RouteCase(
        "POST", "/api/webhooks/{name}/test", "/api/webhooks/hook/test", R.WEBHOOKS_MANAGE, ok=202
    ),
    # -- analytics (api/analytics_routes.py) ---------------------------------------------------
    RouteCase("GET", "/api/analytics/kpis", "/api/analytics/kpis", R.ANALYTICS_READ),
    RouteCase("GET", "/api/analytics/heatmap", "/api/analytics/heatmap", R.ANALYTICS_READ),
    RouteCase("GET", "/api/analytics/intervals", "/api/analytics/intervals", R.ANALYTICS_READ),
    RouteCase("GET", "/api/analytics/outcomes", "/api/analytics/outcomes", R.ANALYTICS_READ),
    RouteCase("GET", "/api/analytics/marketing", "/api/analytics/marketing", R.ANALYTICS_READ),
    RouteCase("GET", "/api/analytics/staffing", "/api/analytics/staffing", R.ANALYTICS_READ),
    # -- recordings' peaks (api/routes.py), saved searches and preferences ---------------------
    RouteCase(
        "GET",
        "/api/calls/{ref}/recording/peaks",
        call_of("/api/calls/{ref}/recording/peaks"),
        R.CALLS_READ,
        ok=404,
    ),  # allowed; the sample recordings are no audio
    RouteCase("GET", "/api/saved-searches", "/api/saved-searches", R.CALLS_READ),
    RouteCase(
        "POST",
        "/api/saved-searches",
        "/api/saved-searches",
        R.CALLS_READ,
        ok=201,
        sample=body({"name": "missed", "filters": {"status": "missed"}}),
    ),
    RouteCase(
        "PATCH",
        "/api/saved-searches/{search_id}",
        lambda world, role: saved_search(world, role, "to rename"),
        R.CALLS_READ,
        sample=body({"name": "renamed"}),
    ),
    RouteCase(
        "DELETE",
        "/api/saved-searches/{search_id}",
        lambda world, role: saved_search(world, role, "to delete"),
        R.CALLS_READ,
        ok=204,
    ),
    RouteCase("GET", "/api/preferences", "/api/preferences", R.CALLS_READ),
    RouteCase(
        "PUT",
        "/api/preferences",
        "/api/preferences",
        R.CALLS_READ,
        sample=body({"journal_columns": ["started_at", "status"]}),
    ),
    # -- quality review (api/quality_routes.py) ------------------------------------------------
    RouteCase("GET", "/api/quality/scorecards", "/api/quality/scorecards", R.QUALITY_READ),
    RouteCase(
        "POST",
        "/api/quality/scorecards",
        "/api/quality/scorecards",
        R.QUALITY_MANAGE,
        ok=201,
        sample=body(lambda role: {**QUALITY_CARD, "name": f"card-{role.value}"}),
    ),
    RouteCase(
        "GET",
        "/api/quality/scorecards/{scorecard_id}",
        lambda world, role: f"/api/quality/scorecards/{quality(world, role, 'card')}",
        R.QUALITY_READ,
    ),
    RouteCase(
        "PATCH",
        "/api/quality/scorecards/{scorecard_id}",
        lambda world, role: f"/api/quality/scorecards/{quality(world, role, 'card')}",
        R.QUALITY_MANAGE,
        sample=body({"description": "changed"}),
    ),
    RouteCase(
        "DELETE",
        "/api/quality/scorecards/{scorecard_id}",
        lambda world, role: f"/api/quality/scorecards/{quality(world, role, 'gone-card')}",
        R.QUALITY_MANAGE,
    ),
    RouteCase("GET", "/api/quality/evaluations", "/api/quality/evaluations", R.QUALITY_READ),
    RouteCase(
        "POST",
        "/api/quality/evaluations",
        "/api/quality/evaluations",
        R.QUALITY_SCORE,
        ok=201,
        sample=lambda world, role: {"json": {
            "call": "bobs", "scorecard_id": quality(world, role, "card"),
        }},
    ),
    RouteCase(
        "GET",
        "/api/quality/evaluations/{evaluation_id}",
        lambda world, role: f"/api/quality/evaluations/{quality(world, role, 'submitted')}",
        R.QUALITY_READ,
    ),
    RouteCase(
        "PATCH",
        "/api/quality/evaluations/{evaluation_id}",
        lambda world, role: f"/api/quality/evaluations/{quality(world, role, 'draft')}",
        R.QUALITY_SCORE,
        sample=body({"comment": "so far so good"}),
    ),
    RouteCase(
        "POST",
        "/api/quality/evaluations/{evaluation_id}/submit",
        lambda world, role: f"/api/quality/evaluations/{quality(world, role, 'to-submit')}/submit",
        R.QUALITY_SCORE,
    ),
    RouteCase(
        "DELETE",
        "/api/quality/evaluations/{evaluation_id}",
        lambda world, role: f"/api/quality/evaluations/{quality(world, role, 'to-delete')}",
        R.QUALITY_SCORE,
        ok=204,
    ),
    RouteCase(
        "GET",
        "/api/quality/calls/{ref}/comments",
        call_of("/api/quality/calls/{ref}/comments"),
        R.QUALITY_READ,
    ),
    RouteCase(
        "POST",
        "/api/quality/calls/{ref}/comments",
        call_of("/api/quality/calls/{ref}/comments"),
        R.QUALITY_SCORE,
        ok=201,
        sample=body({"offset_s": 1.5, "text": "listen here"}),
    ),
    RouteCase(
        "DELETE",
        "/api/quality/calls/{ref}/comments/{comment_id}",
        lambda world, role: f"/api/quality/calls/bobs/comments/{quality(world, role, 'comment')}",
        R.QUALITY_SCORE,
        ok=204,
    ),
    RouteCase("GET", "/api/quality/playlists", "/api/quality/playlists", R.QUALITY_READ),
    RouteCase(
        "POST",
        "/api/quality/playlists",
        "/api/quality/playlists",
        R.QUALITY_MANAGE,
        ok=201,
        sample=body(lambda role: {"name": f"list-{role.value}"}),
    ),
    RouteCase(
        "GET",
        "/api/quality/playlists/{playlist_id}",
        lambda world, role: f"/api/quality/playlists/{quality(world, role, 'playlist')}",
        R.QUALITY_READ,
    ),
    RouteCase(
        "PATCH",
        "/api/quality/playlists/{playlist_id}",
        lambda world, role: f"/api/quality/playlists/{quality(world, role, 'playlist')}",
        R.QUALITY_MANAGE,
        sample=body({"description": "for the first week"}),
    ),
    RouteCase(
        "DELETE",
        "/api/quality/playlists/{playlist_id}",
        lambda world, role: f"/api/quality/playlists/{quality(world, role, 'gone-playlist')}",
        R.QUALITY_MANAGE,
        ok=204,
    ),
    RouteCase(
        "POST",
        "/api/quality/playlists/{playlist_id}/items",
        lambda world, role: f"/api/quality/playlists/{quality(world, role, 'playlist')}/items",
        R.QUALITY_MANAGE,
        ok=201,
        sample=lambda world, role: {"json": {"call": VISIBLE_CALL[role], "start_s": 1}},
    ),
    RouteCase(
        "PATCH",
        "/api/quality/playlists/{playlist_id}/items/{item_id}",
        lambda world, role: "/api/quality/playlists/{}/items/{}".format(
            quality(world, role, "playlist"), quality(world, role, "moved-item")
        ),
        R.QUALITY_MANAGE,
        sample=body({"position": 0}),
    ),
    RouteCase(
        "DELETE",
        "/api/quality/playlists/{playlist_id}/items/{item_id}",
        lambda world, role: "/api/quality/playlists/{}/items/{}".format(
            quality(world, role, "playlist"), quality(world, role, "item")
        ),
        R.QUALITY_MANAGE,
        ok=204,
    ),
    # -- the console (console/routes.py): pages on a browser session ---------------------------
    RouteCase("GET", "/login", "/login", None, auth="none"),
    RouteCase(
        "GET",
        "/static/{version}/{name:path}",
        lambda world, role: world.static_url,
        None,
        auth="none",
    ),
    RouteCase("GET", "/", "/", None, ok=303, auth="session"),
    RouteCase("GET", "/calls", "/calls", R.CALLS_READ, auth="session"),
    RouteCase("GET", "/calls/{ref}", call_of("/calls/{ref}"), R.CALLS_READ, auth="session"),
    RouteCase("GET", "/audit", "/audit", R.AUDIT_READ, auth="session"),
    RouteCase(
        "GET", "/quality/evaluations", "/quality/evaluations", R.QUALITY_READ, auth="session"
    ),
    RouteCase("GET", "/quality/playlists", "/quality/playlists", R.QUALITY_READ, auth="session"),
    RouteCase(
        "GET", "/quality/scorecards", "/quality/scorecards", R.QUALITY_MANAGE, auth="session"
    ),
    RouteCase("GET", "/dashboard", "/dashboard", R.ANALYTICS_READ, auth="session"),
    # -- calls in progress (api/live_routes.py) -----------------------------------------------
    RouteCase("GET", "/api/live/calls", "/api/live/calls", R.CALLS_READ),
    RouteCase(
        "POST",
        "/api/live/calls/{call_id}/recording",
        named("/api/live/calls/live-{role}/recording"),
        R.RECORDING_CONTROL,
        ok=202,
        sample=live_call_of,
    ),
    RouteCase("GET", "/api/events", "/api/events?max_seconds=0", R.CALLS_READ),
    RouteCase("GET", "/agent", "/agent", R.CALLS_READ, auth="session"),
    # -- operations (ops/routes.py) -----------------------------------------------------------
    RouteCase("GET", "/metrics", "/metrics", R.METRICS_READ),
    RouteCase("GET", "/api/health/details", "/api/health/details", R.METRICS_READ),
]
"""Every route of the app: add yours here."""

QUALITY_CARD = {"name": "card", "sections": [{"title": "All", "questions": [{"text": "Polite"}]}]}


def quality(world: World, role: Role, what: str) -> int:
    """The id of a quality-review thing the role's sample request needs, made (by the admin,
    or by the role itself where only its author may remove it) the first time it is asked
    for: the shared scorecard and playlist, or this role's own to remove, submit or read."""
    made: dict[str, int] = vars(world).setdefault("quality_ids", {})
    key = what if what in ("card", "playlist") else f"{what}-{role.value}"
    if key in made:
        return made[key]

    def post(url: str, json: dict[str, Any], as_role: Role = Role.ADMIN) -> int:
        answer = world.client.post(url, json=json, headers=bearer(world.tokens[as_role]))
        assert answer.status_code == 201, answer.text
        return int(answer.json()["data"]["id"])

    card = quality(world, role, "card") if what != "card" else 0
    author = role if role in (Role.SUPERVISOR, Role.ADMIN) else Role.ADMIN
    answers = []
    if what in ("submitted", "to-submit"):
        scorecard = world.client.get(
            f"/api/quality/scorecards/{card}", headers=bearer(world.tokens[Role.ADMIN])
        ).json()["data"]
        question = scorecard["sections"][0]["questions"][0]["id"]
        answers = [{"question_id": question, "value": 1}]
    match what:
        case "card":
            made[key] = post("/api/quality/scorecards", QUALITY_CARD)
        case "gone-card":
            made[key] = post("/api/quality/scorecards", {**QUALITY_CARD, "name": key})
        case "submitted" | "draft" | "to-submit" | "to-delete":
            # an agent reads the submitted evaluations of herself (Ann: "anns"); a
            # supervisor those of their teams' calls (Support: "bobs")
            call = "anns" if role is Role.AGENT else "bobs"
            made[key] = post(
                "/api/quality/evaluations",
                {"call": call, "scorecard_id": card, "answers": answers},
            )
            if what == "submitted":
                url = f"/api/quality/evaluations/{made[key]}/submit"
                answer = world.client.post(url, headers=bearer(world.tokens[Role.ADMIN]))
                assert answer.status_code == 200, answer.text
        case "comment":
            made[key] = post(
                "/api/quality/calls/bobs/comments", {"offset_s": 2, "text": key}, author
            )
        case "playlist":
            made[key] = post("/api/quality/playlists", {"name": "training"})
        case "gone-playlist":
            made[key] = post("/api/quality/playlists", {"name": key})
        case "item" | "moved-item":
            url = f"/api/quality/playlists/{quality(world, role, 'playlist')}/items"
            made[key] = post(url, {"call": "bobs"})
    return made[key]


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers walked."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):
                yield from route.effective_route_contexts()
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            else:
                yield route

    for route in walk(app.routes):
        for method in getattr(route, "methods", None) or {"GET"}:
            if method != "HEAD":
                found.add((method, route.path))
    return found


def declared_permissions(app: FastAPI) -> dict[tuple[str, str], set[Permission]]:
    """What each route states with ``Allowed(Permission.X)``, where it does."""
    found: dict[tuple[str, str], set[Permission]] = {}
    for route in app.routes:
        contexts = (
            route.effective_route_contexts()
            if hasattr(route, "effective_route_contexts")
            else [route]
        )
        for context in contexts:
            dependant = getattr(context, "dependant", None)
            if dependant is None:
                continue
            stated = {permission_of(d.call) for d in dependant.dependencies}
            stated.discard(None)
            for method in context.methods or ():
                found[(method, context.path)] = stated  # type: ignore[assignment]
    return found


@pytest.fixture
def world_settings(backend_settings: Settings) -> Settings:
    return backend_settings


@pytest.fixture
def world(world_settings: Settings) -> Iterator[World]:
    """Teams Sales (agent Ann: 201, 2011, account ann) and Support (agent Bob: 202;
    supervised by sam); four calls from the client: to Ann, from Ann's desk phone, to Bob,
    to nobody; and for each role the things its destructive samples remove."""
    settings = world_settings
    tokens: dict[Role, str] = {}
    with Accounts.open(settings.journal_url) as accounts:
        for role, username in USERS.items():
            extensions = ["201"] if role is Role.AGENT else []
            accounts.add_user(username, role, password=PASSWORD, extensions=extensions)
            tokens[role] = accounts.issue_token(username, "tests")
    cost_ids: dict[Role, int] = {}
    with Directory.open(settings.journal_url) as directory:
        directory.add_team("Sales")
        directory.add_team("Support")
        directory.add_agent(
            "Ann", employee_id="E1", extensions=["201", "2011"], team="Sales", username="ann"
        )
        directory.add_agent("Bob", employee_id="E2", extensions=["202"], team="Support")
        directory.add_supervisor("Support", "sam")
        directory.add_queue("support", numbers=["600"], team="Support")
        directory.add_number("+4570101010", channel="google-ads")
        for role in Role:
            directory.add_team(f"gone-{role.value}")
            directory.add_agent("Gone", employee_id=f"gone-{role.value}")
            directory.add_queue(f"gone-{role.value}")
            directory.add_number(f"gone-{role.value}", channel="print")
            cost = directory.add_cost("+4570101010", "2024-04-01", "2024-04-30", "10", "EUR")
            cost_ids[role] = cost.id
    audio = bytes(range(256)) * 8
    with Journal.open(settings.journal_url) as journal:
        for uid, caller, callee, direction in (
            ("anns", CLIENT, "201", Direction.INBOUND),
            ("anns-desk", "2011", CLIENT, Direction.OUTBOUND),
            ("bobs", CLIENT, "202", Direction.INBOUND),
            ("other", CLIENT, "299", Direction.INBOUND),
        ):
            call = make_call(uid, T0 + len(uid) * 60, caller, callee, direction)
            name = f"2024/05/01/{uid}.wav"
            (settings.recordings_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (settings.recordings_dir / name).write_bytes(audio)
            call.recording = Recording(
                name, "wav", "ulaw", 8000, T0, 1000, len(audio), hashlib.sha256(audio).hexdigest()
            )
            journal.save(call)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        sessions = {}
        for role, username in USERS.items():
            answer = client.post("/api/session", json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            sessions[role] = answer.cookies[COOKIE]
            client.cookies.clear()
        found = World(client, tokens, sessions, cost_ids)
        routes = app_routes(client.app)  # type: ignore[arg-type]
        if ("POST", "/api/webhooks") in routes:
            admin = bearer(tokens[Role.ADMIN])
            for name in ["hook", *(f"gone-{role.value}" for role in Role)]:
                made = client.post(
                    "/api/webhooks",
                    headers=admin,
                    json={"name": name, "url": HOOK, "events": ["call.finished"]},
                )
                assert made.status_code == 201, made.text
            sent = client.post("/api/webhooks/hook/test", headers=admin)
            assert sent.status_code == 202, sent.text
            found.delivery_id = sent.json()["id"]
        if ("GET", "/static/{version}/{name:path}") in routes:
            from callvault.console.routes import asset_version

            found.static_url = f"/static/{asset_version()}/console.css"
        yield found


def send(world: World, case: RouteCase, role: Role) -> Any:
    url = case.url(world, role) if callable(case.url) else case.url
    kwargs = case.sample(world, role) if case.sample else {}
    headers = dict(kwargs.pop("headers", {}))
    if case.auth == "bearer":
        headers.update(bearer(world.tokens[role]))
    elif case.auth == "session":
        headers["Cookie"] = f"{COOKIE}={world.sessions[role]}"
    answer = world.client.request(case.method, url, headers=headers, **kwargs)
    world.client.cookies.clear()
    return answer


def test_every_route_for_every_role(world: World) -> None:
    app = world.client.app
    assert isinstance(app, FastAPI)
    registered = app_routes(app)
    tabled = {(case.method, case.path) for case in ROUTES}
    assert sorted(registered - tabled) == [], (
        "routes missing from ROUTES in tests/api/test_roles.py"
    )
    assert len(tabled) == len(ROUTES), "a route is in ROUTES twice"
    # Entries for routes the app does not register (a router written, not yet included)
    # are not walked; a renamed route is caught above, as missing.
    walked = [case for case in ROUTES if (case.method, case.path) in registered]
    for (method, path), stated in declared_permissions(app).items():
        case = next(c for c in ROUTES if (c.method, c.path) == (method, path))
        if stated:
            assert stated == {case.permission}, f"{method} {path} declares {stated}"
    failures = []
    for role in USERS:
        for case in walked:
            allowed = case.permission is None or case.permission in ROLE_PERMISSIONS[role]
            answer = send(world, case, role)
            wanted = case.ok if allowed else 403
            if answer.status_code != wanted:
                failures.append(
                    f"{role.value} {case.method} {case.path}: {answer.status_code}, "
                    f"expected {wanted}: {answer.text[:200]}"
                )
            elif not allowed and answer.headers["content-type"].startswith("application/json"):
                assert answer.json()["error"]["code"] == "forbidden"
    assert failures == [], "\n".join(failures)


def test_every_role_sees_its_calls_and_no_other(world: World) -> None:
    client = world.client
    for role, visible in SEES.items():
        auth = bearer(world.tokens[role])
        listed = client.get("/api/calls", headers=auth).json()
        assert {call["uid"] for call in listed["data"]} == visible, role
        assert listed["count"] == len(visible)
        assert client.get("/api/health", headers=auth).json()["calls"] == len(visible)
        history = client.get(f"/api/clients/{CLIENT}/calls", headers=auth).json()
        assert {call["uid"] for call in history["data"]} == visible, role
        exported = client.get("/api/calls/export.csv", headers=auth).text.splitlines()
        assert len(exported) == 1 + len(visible), role
        for uid in SEES[Role.ADMIN]:
            detail = client.get(f"/api/calls/{uid}", headers=auth).status_code
            recording = client.get(f"/api/calls/{uid}/recording", headers=auth).status_code
            expected = 200 if uid in visible else 404
            assert (detail, recording) == (expected, expected), (role, uid)
            if Permission.CALLS_ANNOTATE in ROLE_PERMISSIONS[role]:
                patched = client.patch(f"/api/calls/{uid}", headers=auth, json={"tags": ["x"]})
                assert patched.status_code == expected, (role, uid)


def test_docs_roles_md_shows_the_permission_table() -> None:
    """docs/roles.md's table is ROLE_PERMISSIONS; on a change, paste the expected table."""
    roles = list(Role)
    lines = [
        "| permission | " + " | ".join(role.value for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission in Permission:
        marks = ("yes" if permission in ROLE_PERMISSIONS[role] else "—" for role in roles)
        lines.append(f"| `{permission.value}` | " + " | ".join(marks) + " |")
    text = (Path(__file__).resolve().parents[2] / "docs" / "roles.md").read_text()
    start = text.index("-->\n", text.index("<!-- permissions table")) + 4
    shown = text[start : text.index("<!-- end of permissions table -->")].strip()
    assert shown == "\n".join(lines)
    for permission in Permission:
        assert f"- `{permission.value}`: " in text, (
            f"docs/roles.md does not say what {permission} allows"
        )


def test_a_supervisor_of_no_team_sees_no_call(world: World) -> None:
    client = world.client
    admin = bearer(world.tokens[Role.ADMIN])
    assert (
        client.delete("/api/directory/teams/Support/supervisors/sam", headers=admin).status_code
        == 200
    )
    sam = bearer(world.tokens[Role.SUPERVISOR])
    assert client.get("/api/calls", headers=sam).json()["count"] == 0
    assert client.get("/api/calls/bobs", headers=sam).status_code == 404
    assert (
        client.put("/api/directory/teams/Sales/supervisors/sam", headers=admin).status_code == 200
    )
    listed = client.get("/api/calls", headers=sam).json()
    assert {call["uid"] for call in listed["data"]} == {"anns", "anns-desk"}

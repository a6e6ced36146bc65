"""The console's pages and static files.

Pages are rendered on the server (Jinja2): the page's frame, its menu by role, its text in
the user's language and the session's CSRF token; each page's script then fills it from the
JSON API under ``/api`` with the same session cookie. Every page but ``/login`` needs a
session (else a redirect to ``/login``). Static files are served under a digest of their
contents, so they can be cached for a year. Every answer carries the security headers of
``secure``: a CSP without inline scripts (styles only with the page's nonce), no framing,
no sniffing, no referrer outside the site.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from callvault.accounts import Role, User
from callvault.accounts.sessions import COOKIE, Session, Sessions
from callvault.api.permissions import Permission, may
from callvault.api.scope import may_see
from callvault.console import i18n
from callvault.journal import Journal

STATIC_MAX_AGE_S: Final = 365 * 24 * 3600
"""Static files are named by the digest of them all: cached for a year, never stale."""

MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

console_router = APIRouter(include_in_schema=False)


def _static_dir() -> Path:
    return Path(str(resources.files("callvault.console").joinpath("static")))


@cache
def asset_version() -> str:
    """A digest of every static file: part of each asset's URL, so a new release (or any
    changed file) gets new URLs and year-long caching stays correct."""
    digest = hashlib.sha256()
    root = _static_dir()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("callvault.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def secure(response: Response, nonce: str | None = None) -> Response:
    """``response`` with the console's security headers."""
    styles = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; "
        f"style-src {styles}; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


@console_router.get("/static/{version}/{name:path}")
def static_file(version: str, name: str) -> Response:
    """A static file; year-long caching when ``version`` is the current digest."""
    root = _static_dir().resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return secure(Response("no such file", status_code=404, media_type="text/plain"))
    fresh = version == asset_version()
    cache_control = (
        f"public, max-age={STATIC_MAX_AGE_S}, immutable" if fresh else "no-cache"
    )
    response = FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": cache_control},
    )
    return secure(response)


def _session(request: Request) -> Session | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    sessions: Sessions = request.app.state.sessions
    return sessions.find(cookie)


def _language(request: Request) -> str:
    return i18n.negotiate(
        request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return secure(RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303))


def _menu(user: User) -> list[tuple[str, str]]:
    """(message key, path) of the pages this user's role may open."""
    items = [("nav.journal", "/calls")]
    if user.role is Role.AGENT:
        items.append(("live.nav_agent", "/agent"))
    if may(user, Permission.ANALYTICS_READ):
        items.append(("dashboard.nav", "/dashboard"))
    if may(user, Permission.QUALITY_READ):
        reviews = "quality.nav_mine" if user.role is Role.AGENT else "quality.nav_reviews"
        items.append((reviews, "/quality/evaluations"))
        items.append(("quality.nav_playlists", "/quality/playlists"))
    if may(user, Permission.QUALITY_MANAGE):
        items.append(("quality.nav_scorecards", "/quality/scorecards"))
    if may(user, Permission.AUDIT_READ):
        items.append(("nav.audit", "/audit"))
    return items


def _render(
    request: Request,
    template: str,
    *,
    page: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    language = _language(request)
    nonce = secrets.token_urlsafe(16)
    user = session.user if session else None
    version = asset_version()

    def asset(name: str) -> str:
        return f"/static/{version}/{name}"

    def t(key: str, **values: object) -> str:
        return i18n.translate(language, key, **values)

    can: Callable[[str], bool] = (
        (lambda permission: may(user, Permission(permission))) if user else (lambda _: False)
    )
    html = _templates().get_template(template).render(
        page=page,
        lang=language,
        languages=i18n.LANGUAGES,
        messages=i18n.catalogue(language),
        t=t,
        asset=asset,
        nonce=nonce,
        user=user,
        csrf_token=session.csrf_token if session else "",
        menu=_menu(user) if user else [],
        can=can,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return secure(response, nonce)


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/calls"
    return target


@console_router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    if _session(request) is None:
        return _to_login(request)
    return secure(RedirectResponse("/calls", status_code=303))


@console_router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form (the one page without a session); logged in already: onwards."""
    target = _safe_next(next)
    if _session(request) is not None:
        return secure(RedirectResponse(target, status_code=303))
    return _render(request, "login.html", page="login", session=None, next_path=target)


@console_router.get("/calls", response_class=HTMLResponse)
def journal_page(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    return _render(request, "journal.html", page="journal", session=session)


@console_router.get("/calls/{ref}", response_class=HTMLResponse)
def call_page(request: Request, ref: str) -> Response:
    """A call's page; 404 for a call the user may not see, as for one that does not exist."""
    session = _session(request)
    if session is None:
        return _to_login(request)
    journal: Journal = request.app.state.journal
    found = journal.get_call(ref)
    if found is None or not may_see(found, session.user):
        return _render(
            request, "error.html", page="error", session=session, status_code=404,
            message_key="call.not_found",
        )
    return _render(request, "call.html", page="call", session=session, call_id=found.id)


def _page(request: Request, template: str, permission: Permission) -> Response:
    """A page for a role holding ``permission`` (else the 403 page; no session: login);
    its script fills it from the API."""
    session = _session(request)
    if session is None:
        return _to_login(request)
    if not may(session.user, permission):
        return _render(
            request, "error.html", page="error", session=session, status_code=403,
            message_key="error.forbidden",
        )
    return _render(request, template, page=template.removesuffix(".html"), session=session)


@console_router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    return _page(request, "audit.html", Permission.AUDIT_READ)


@console_router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    """KPIs, heatmap, trend, tables, ROI and staffing; the script reads /api/analytics."""
    return _page(request, "dashboard.html", Permission.ANALYTICS_READ)


@console_router.get("/quality/evaluations", response_class=HTMLResponse)
def quality_evaluations_page(request: Request) -> Response:
    """An agent's "My scores"; everyone else's list of the evaluations in their scope
    (docs/quality.md)."""
    return _page(request, "quality_evaluations.html", Permission.QUALITY_READ)


@console_router.get("/quality/scorecards", response_class=HTMLResponse)
def quality_scorecards_page(request: Request) -> Response:
    return _page(request, "scorecards.html", Permission.QUALITY_MANAGE)


@console_router.get("/quality/playlists", response_class=HTMLResponse)
def quality_playlists_page(request: Request) -> Response:
    return _page(request, "playlists.html", Permission.QUALITY_READ)


@console_router.get("/agent", response_class=HTMLResponse)
def agent_page(request: Request) -> Response:
    """The agent view: a card pops up for each call of the user's as it starts, with the
    client's earlier calls and notes (docs/live.md); the script follows /api/events."""
    return _page(request, "agent.html", Permission.CALLS_READ)

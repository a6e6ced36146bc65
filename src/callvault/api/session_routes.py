"""Browser sessions: log in with a password, get an HttpOnly cookie; log out.

``POST /api/session`` is the one route that takes no credentials — it is where they are
given. Failed logins are throttled per username and client address.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Annotated, Final

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from callvault.accounts.sessions import COOKIE, CSRF_HEADER, MAX_AGE_S, csrf_token
from callvault.api.deps import AccountsDep, CurrentUser, SessionsDep
from callvault.api.errors import TooManyRequests, Unauthorized
from callvault.api.schemas import UserPublic
from callvault.journal.export import iso_time

FAILURES_ALLOWED: Final = 5
FAILURE_WINDOW_S: Final = 300.0

session_router = APIRouter(prefix="/api")


class Login(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str
    """Send it back in the X-CSRF-Token header of every POST, PATCH, PUT and DELETE."""
    expires_at: str | None


class _Throttle:
    """Failed logins per (username, client) in a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait_s(self, key: tuple[str, str], now: float) -> float:
        with self._lock:
            failures = self._failures.get(key)
            if not failures:
                return 0.0
            while failures and now - failures[0] >= FAILURE_WINDOW_S:
                failures.popleft()
            if len(failures) < FAILURES_ALLOWED:
                return 0.0
            return FAILURE_WINDOW_S - (now - failures[0])

    def failed(self, key: tuple[str, str], now: float) -> None:
        with self._lock:
            self._failures[key].append(now)

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _throttle(request: Request) -> _Throttle:
    state = request.app.state
    if not hasattr(state, "login_throttle"):
        state.login_throttle = _Throttle()
    throttle: _Throttle = state.login_throttle
    return throttle


@session_router.post("/session", openapi_extra={"security": []})
def log_in(
    body: Login, request: Request, response: Response, accounts: AccountsDep, sessions: SessionsDep
) -> SessionPublic:
    """Log in with username and password: sets the session cookie (HttpOnly, SameSite=Strict)
    and returns the CSRF token that state-changing requests must send back."""
    client = request.client.host if request.client else "?"
    key = (body.username.lower(), client)
    now = time.time()
    throttle = _throttle(request)
    wait = throttle.wait_s(key, now)
    if wait > 0:
        raise TooManyRequests(
            f"too many failed logins for {body.username!r}: try again in {wait:.0f} s",
            {"Retry-After": str(int(wait) + 1)},
        )
    user = accounts.user_for_password(body.username, body.password)
    if user is None:
        throttle.failed(key, now)
        raise Unauthorized("wrong username or password, or the account is disabled")
    throttle.succeeded(key)
    agent = request.headers.get("user-agent", "")
    cookie = sessions.open(user, client=f"{client} {agent}".strip(), now=now)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(MAX_AGE_S),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return SessionPublic(
        user=UserPublic.of(user), csrf_token=csrf_token(cookie), expires_at=iso_time(now + MAX_AGE_S)
    )


@session_router.get("/session")
def current_session(request: Request, user: CurrentUser, sessions: SessionsDep) -> SessionPublic:
    """Who is logged in; with a session cookie, its CSRF token and end too."""
    cookie = request.cookies.get(COOKIE) if "authorization" not in request.headers else None
    found = sessions.find(cookie) if cookie else None
    return SessionPublic(
        user=UserPublic.of(user),
        csrf_token=found.csrf_token if found else "",
        expires_at=iso_time(found.expires_at) if found else None,
    )


@session_router.delete("/session", status_code=204)
def log_out(
    request: Request, response: Response, user: CurrentUser, sessions: SessionsDep
) -> Response:
    """End this browser session (the cookie stops working at once, everywhere)."""
    cookie = request.cookies.get(COOKIE)
    if cookie and "authorization" not in request.headers:
        sessions.close(cookie)
    answer = Response(status_code=204)
    answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return answer


__all__ = ["CSRF_HEADER", "session_router"]

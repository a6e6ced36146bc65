"""What routes depend on, as ``Annotated`` aliases: the journal, the accounts, the user."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import Depends, Request

from callvault.accounts import Accounts, User
from callvault.accounts.sessions import COOKIE, CSRF_HEADER, Sessions
from callvault.api.errors import Forbidden, Unauthorized
from callvault.journal import Journal


def _journal(request: Request) -> Journal:
    journal: Journal = request.app.state.journal
    return journal


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


JournalDep = Annotated[Journal, Depends(_journal)]
AccountsDep = Annotated[Accounts, Depends(_accounts)]


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


SessionsDep = Annotated[Sessions, Depends(_sessions)]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_user(request: Request, accounts: AccountsDep, sessions: SessionsDep) -> User:
    """The user the request authenticates as: ``Authorization: Bearer <token>``, HTTP Basic
    with username and password, or a browser session's cookie (whose state-changing
    requests must carry the session's CSRF token). Anything else is 401."""
    header = request.headers.get("authorization")
    if not header:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            return _session_user(request, sessions, cookie)
        raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    match scheme.lower():
        case "bearer" if credentials:
            user = accounts.user_for_token(credentials)
            if user is None:
                raise Unauthorized("invalid, revoked or disabled API token")
            return user
        case "basic" if credentials:
            username, password = _basic(credentials)
            user = accounts.user_for_password(username, password)
            if user is None:
                raise Unauthorized("wrong username or password, or the account is disabled")
            return user
    raise Unauthorized("unsupported Authorization header: use Bearer <token> or Basic")


def _session_user(request: Request, sessions: Sessions, cookie: str) -> User:
    session = sessions.find(cookie)
    if session is None:
        raise Unauthorized("the session has ended: log in again")
    if request.method.upper() not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise Forbidden(f"send the session's CSRF token in the {CSRF_HEADER} header")
    return session.user


def _basic(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed Basic credentials") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise Unauthorized("malformed Basic credentials")
    return username, password


CurrentUser = Annotated[User, Depends(current_user)]

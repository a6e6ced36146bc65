"""What routes depend on, as ``Annotated`` aliases: the journal, the accounts, the user."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from callvault.accounts import Accounts, User
from callvault.api.errors import Unauthorized
from callvault.journal import Journal


def _journal(request: Request) -> Journal:
    journal: Journal = request.app.state.journal
    return journal


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


JournalDep = Annotated[Journal, Depends(_journal)]
AccountsDep = Annotated[Accounts, Depends(_accounts)]


def current_user(request: Request, accounts: AccountsDep) -> User:
    """The user the request authenticates as: ``Authorization: Bearer <token>``, or HTTP
    Basic with username and password. Anything else is 401."""
    header = request.headers.get("authorization")
    if not header:
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

"""The parties of a call recorded by `callvault siprec`, as its recording client described
them (RFC 7865 participants and stream associations, docs/siprec.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from callvault.accounts import User
from callvault.api.deps import JournalDep
from callvault.api.errors import NotFound
from callvault.api.permissions import Allowed, Permission
from callvault.api.scope import may_see
from callvault.siprec.store import participants_of

siprec_router = APIRouter(prefix="/api", tags=["siprec"])


@siprec_router.get("/calls/{ref}/participants")
def get_participants(
    ref: str, user: Annotated[User, Allowed(Permission.CALLS_READ)], journal: JournalDep
) -> dict[str, Any]:
    """The call's participants (AOR, name, the stream labels each sends and receives) and
    its streams (label, metadata stream id, sender, recording state); both lists are empty
    for a call that was not a SIPREC recording session. A call the user may not see is 404."""
    found = journal.get_call(ref)
    if found is None or not may_see(found, user):
        raise NotFound(f"no call {ref!r}")
    return {"call": found.uid, **participants_of(journal.engine, found.uid)}

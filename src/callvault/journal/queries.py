"""The journal's reading queries, built with SQLAlchemy (``Journal``'s read methods).

Apart from ``repository``: a capture is written to a SQLite journal without SQLAlchemy
(``journal.writer``), and this is imported when the journal is first read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from callvault.calls.model import Call
from callvault.journal import rows
from callvault.journal.filters import NAMED, SORT_KEY_LABEL, CallFilter
from callvault.journal.schema import audit, calls, events, streams

if TYPE_CHECKING:
    from callvault.journal.repository import AuditFilter

IN_CHUNK = 500
"""Call ids per ``IN (…)`` when loading streams and events (well under every bind limit)."""

MAX_ID = 2**31 - 1
"""The largest journal id a reference is looked up as."""


def audit_conditions(filter: AuditFilter) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if filter.since is not None:
        found.append(audit.c.at >= filter.since)
    if filter.until is not None:
        found.append(audit.c.at < filter.until)
    if filter.username is not None:
        found.append(audit.c.username == filter.username)
    if filter.action is not None:
        found.append(audit.c.action == filter.action)
    return found


def page_query(filter: CallFilter) -> sa.Select[Any]:
    """The query of one page of ``filter``'s calls (one more than ``limit``: whether a next
    page exists), with the sort key as ``SORT_KEY_LABEL``."""
    key = filter.sort_key.label(SORT_KEY_LABEL)
    conditions = (*filter.conditions(), *filter.keyset())
    limit = None if filter.limit is None else filter.limit + 1
    lookups = filter.number_lookups()
    if filter.sort == "started_at" and lookups and lookups[1] and limit is not None:
        # A number's calls: the first ones in list order by each (column, form) on the
        # (number, started_at, id) indexes, merged. Left to itself PostgreSQL walks the
        # whole journal in list order for a busy number's calls, or gathers all of them
        # (thousands) to sort.
        enough = limit + (filter.offset or 0)
        field, equalities = lookups
        rest = replace(filter, **{field: None})  # each arm's equality stands for it
        others = (*rest.conditions(), *filter.keyset())
        arms = [
            sa.select(calls.c.id)
            .where(equality, *others)
            .order_by(*filter.order_by())
            .limit(enough)
            .subquery()
            for equality in equalities
        ]
        first = sa.union(*(sa.select(arm.c.id) for arm in arms)).subquery()
        return (
            sa.select(calls, key)
            .where(calls.c.id.in_(sa.select(first.c.id)))
            .order_by(*filter.order_by())
            .limit(limit)
            .offset(filter.offset or None)
        )
    if filter.sort == "started_at":  # read in list order from an index, stopping at the page
        return (
            sa.select(calls, key)
            .where(*conditions)
            .order_by(*filter.order_by())
            .limit(limit)
            .offset(filter.offset or None)
        )
    # Any other key sorts every match: sort just (key, id), then read the page's calls
    # whole (a day sorted by duration on 10 M calls: 105 → 40 ms on PostgreSQL).
    page = (
        sa.select(calls.c.id, key)
        .where(*conditions)
        .order_by(*filter.order_by())
        .limit(limit)
        .offset(filter.offset or None)
        .subquery("page")
    )
    order = (page.c[SORT_KEY_LABEL], page.c.id)
    return (
        sa.select(calls, page.c[SORT_KEY_LABEL])
        .join_from(calls, page, calls.c.id == page.c.id)
        .order_by(*(c.desc() if filter.newest_first else c.asc() for c in order))
    )


def with_named_ids(connection: Connection, filter: CallFilter) -> CallFilter:
    """``filter`` with agent, team and queue names resolved to their ids."""
    found = {
        name: connection.execute(filter.named_ids(name)).scalars().all()
        for name in NAMED
        if getattr(filter, name) is not None
    }
    return filter.with_ids(found) if found else filter


def with_children(connection: Connection, found: Sequence[RowMapping]) -> list[Call]:
    ids = [row["id"] for row in found]
    stream_rows = children(connection, streams, ids)
    event_rows = children(connection, events, ids)
    return [rows.call_from_row(row, stream_rows[row["id"]], event_rows[row["id"]]) for row in found]


def children(
    connection: Connection, table: sa.Table, ids: list[int]
) -> dict[int, list[RowMapping]]:
    by_call: dict[int, list[RowMapping]] = defaultdict(list)
    for start in range(0, len(ids), IN_CHUNK):
        query = (
            sa.select(table)
            .where(table.c.call_id.in_(ids[start : start + IN_CHUNK]))
            .order_by(table.c.call_id, table.c.seq)
        )
        for row in connection.execute(query).mappings():
            by_call[row["call_id"]].append(row)
    return by_call


def list_audit(connection: Connection, filter: AuditFilter) -> list[RowMapping]:
    """Audit entries, newest first."""
    query = (
        sa.select(audit)
        .where(*audit_conditions(filter))
        .order_by(audit.c.at.desc(), audit.c.id.desc())
        .limit(filter.limit)
        .offset(filter.offset or None)
    )
    return list(connection.execute(query).mappings())


def count_audit(connection: Connection, filter: AuditFilter) -> int:
    query = sa.select(sa.func.count()).select_from(audit).where(*audit_conditions(filter))
    return int(connection.execute(query).scalar_one())


def page_calls(connection: Connection, filter: CallFilter | None) -> tuple[list[Call], str | None]:
    """One page of the calls ``filter`` selects, and the cursor of the next page (None
    when this one is the last; always None without a limit)."""
    filter = with_named_ids(connection, filter or CallFilter())
    found = connection.execute(page_query(filter)).mappings().all()
    next_cursor = None
    if filter.limit is not None and len(found) > filter.limit:
        found = found[: filter.limit]
        if found:
            next_cursor = filter.cursor_of(found[-1])
    return with_children(connection, found), next_cursor


def count_calls(connection: Connection, filter: CallFilter | None, cap: int | None) -> int:
    """How many calls ``filter`` selects (``Journal.count_calls``)."""
    filter = with_named_ids(connection, filter or CallFilter())
    if cap is None:
        query = sa.select(sa.func.count()).select_from(calls).where(*filter.conditions())
    else:
        some = sa.select(calls.c.id).where(*filter.conditions()).limit(cap + 1).subquery()
        query = sa.select(sa.func.count()).select_from(some)
    return int(connection.execute(query).scalar_one())


def get_call(connection: Connection, ref: int | str) -> Call | None:
    """The call with this journal id, uid or SIP Call-ID (``Journal.get_call``)."""
    text = str(ref).strip()
    lookups = [calls.c.uid == text, calls.c.sip_call_id == text]
    if text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        lookups.insert(0, calls.c.id == int(text))
    for condition in lookups:
        query = sa.select(calls).where(condition).order_by(*CallFilter().order_by())
        found = connection.execute(query.limit(1)).mappings().all()
        if found:
            return with_children(connection, found)[0]
    return None

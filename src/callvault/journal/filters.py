"""Which calls to read from the journal: a filter as data, its SQL conditions, its order
and its keyset cursor.

Every field narrows the selection; several values in one field are alternatives ("any
of"), fields combine with AND. The order is a sort key (``SORT_KEYS``) with the journal id
as tie-breaker, so it is total, and a page ends with a *cursor*: the sort key and id of its
last call, opaque and URL-safe. The next page is the calls after that point, whatever was
written meanwhile: calls that arrive while someone pages through a list never shift a
page, never repeat a call and never hide one (offset paging does all three).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import sqlalchemy as sa

from callvault.calls.model import CallStatus, Direction, Side
from callvault.journal.schema import agents, calls, events, queues, teams

_NON_DIGITS = re.compile(r"[^0-9]")
CONSENT_VALUES: Final = ("missing", "heard", "not heard")
_E = TypeVar("_E", CallStatus, Direction, Side)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**63
_MAX_KEY = 253_402_300_800 * 1_000_000
"""Beyond any sort key (the end of year 9999 in epoch µs): a cursor's number is below it."""

SORT_KEYS: Final[dict[str, sa.ColumnElement[Any]]] = {
    "started_at": calls.c.started_at,
    "duration": sa.func.coalesce(calls.c.duration_ms, -1),
    "talk": calls.c.talk_ms,
    "ring": sa.func.coalesce(calls.c.ring_ms, -1),
    "status": calls.c.status,
    "caller": sa.func.coalesce(calls.c.caller_number, ""),
    "callee": sa.func.coalesce(calls.c.callee_number, ""),
}
"""What a list can be sorted by. A call without a duration, ring time or number sorts as
the smallest value (last when descending)."""

NAMED: Final = {"agent": agents, "team": teams, "queue": queues}
"""The filter fields that name a directory entry, and its table."""

SORT_KEY_LABEL: Final = "sort_key"
"""The label of the sort key among a list query's columns (the cursor is made from it)."""

_PARTY_COLUMNS = (
    calls.c.caller_number,
    calls.c.caller_e164,
    calls.c.callee_number,
    calls.c.callee_e164,
)
_SIDE_COLUMNS = {
    "caller": (calls.c.caller_number, calls.c.caller_e164),
    "callee": (calls.c.callee_number, calls.c.callee_e164),
}

_RANGES = {
    "duration": calls.c.duration_ms,
    "talk": calls.c.talk_ms,
    "ring": calls.c.ring_ms,
}


class FilterError(ValueError):
    """A filter that cannot mean anything; ``field`` names the CallFilter field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Every field narrows the selection; the default selects every call, newest first.

    Fields that take several values (tuples) select calls matching any one of them; a single
    value may be given for a tuple field; an empty tuple of ids selects nothing. Text values of
    ``outcome``, ``transport`` and ``source`` compare case-insensitively; ``channel`` and
    ``campaign`` exactly (their indexes serve them)."""

    since: datetime | float | None = None
    """Calls that started at or after this moment (epoch seconds, or a datetime; a naive
    datetime is local time)."""
    until: datetime | float | None = None
    """Calls that started before this moment (exclusive)."""
    number: str | None = None
    """Part of the caller's or callee's number or E.164 number. Only its digits count when
    it has any ("+45 12-34" finds 004512345678); otherwise a case-insensitive substring.
    A substring cannot use an index: prefer ``party`` for a whole number."""
    party: str | None = None
    """A whole number, as caller or callee: as captured or E.164, in any of the forms
    ``number_forms`` gives (indexed)."""
    caller: str | None = None
    """A whole number as the caller (like ``party``)."""
    callee: str | None = None
    """A whole number as the callee (like ``party``)."""
    status: CallStatus | tuple[CallStatus, ...] | None = None
    direction: Direction | tuple[Direction, ...] | None = None
    agent_id: int | tuple[int, ...] | None = None
    team_id: int | tuple[int, ...] | None = None
    queue_id: int | tuple[int, ...] | None = None
    tracked_number_id: int | tuple[int, ...] | None = None
    agent: str | None = None
    """An agent's name in the directory (case-insensitive, whole name)."""
    team: str | None = None
    """A team's name in the directory."""
    queue: str | None = None
    """A queue's name in the directory."""
    min_duration_ms: int | None = None
    """Calls that lasted at least this long (INVITE to end)."""
    max_duration_ms: int | None = None
    """Calls that lasted at most this long."""
    min_talk_ms: int | None = None
    max_talk_ms: int | None = None
    min_ring_ms: int | None = None
    max_ring_ms: int | None = None
    has_recording: bool | None = None
    has_audio_issue: bool | None = None
    """True: calls whose audio was not recorded or not usable (``audio_issue`` set)."""
    consent: str | None = None
    """The consent notice check: "missing" (required by policy, not heard), "heard" or
    "not heard" (the value of the call's "consent" event, ``recording.consent``)."""
    outcome: str | tuple[str, ...] | None = None
    tags: str | tuple[str, ...] | None = None
    """Calls carrying every one of these tags (exact tags, case-sensitive)."""
    channel: str | tuple[str, ...] | None = None
    campaign: str | tuple[str, ...] | None = None
    sip_code: int | tuple[int, ...] | None = None
    hangup_by: Side | None = None
    codec: str | tuple[str, ...] | None = None
    """Calls that negotiated one of these codecs (case-insensitive; "PCMA" finds "PCMA/8000",
    "PCMA/8000" only that rate)."""
    transport: str | tuple[str, ...] | None = None
    source: str | tuple[str, ...] | None = None
    comment: str | None = None
    """Text in the comment (case-insensitive substring, read from the index of commented
    calls in list order; narrow by time on a large journal)."""
    after_id: int | None = None
    """Calls journaled after the call with this id (ids grow as calls are saved): what is
    new since a list was read."""
    sort: str = "started_at"
    """One of ``SORT_KEYS``."""
    newest_first: bool = True
    """Descending order of the sort key (for started_at: newest first); False: ascending."""
    cursor: str | None = None
    """Start after the call this cursor (``cursor_of`` a previous page's last call) names."""
    limit: int | None = None
    """At most this many calls; None for all."""
    offset: int = 0
    """Skip this many calls first (after the cursor, if any)."""

    def __post_init__(self) -> None:
        for name, enum in (("status", CallStatus), ("direction", Direction)):
            value = getattr(self, name)
            if value is not None:
                members = tuple(_member(enum, item, name) for item in _several(value))
                object.__setattr__(self, name, members or None)
        if self.hangup_by is not None:
            object.__setattr__(self, "hangup_by", _member(Side, self.hangup_by, "hangup_by"))
        for name in ("agent_id", "team_id", "queue_id", "tracked_number_id", "sip_code"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(_integer(v, name) for v in _several(value)))
        for name in ("outcome", "tags", "channel", "campaign", "codec", "transport", "source"):
            value = getattr(self, name)
            if value is not None:
                texts = tuple(str(item) for item in _several(value) if str(item).strip())
                object.__setattr__(self, name, texts or None)
        for name in _RANGES:
            low, high = getattr(self, f"min_{name}_ms"), getattr(self, f"max_{name}_ms")
            for bound in (low, high):
                if bound is not None and bound < 0:
                    raise FilterError(
                        f"min_{name}_ms", f"{name} bounds are 0 ms or more, not {bound}"
                    )
            if low is not None and high is not None and low > high:
                raise FilterError(
                    f"min_{name}_ms", f"min_{name}_ms ({low}) is more than max_{name}_ms ({high})"
                )
        for name in ("party", "caller", "callee"):
            value = getattr(self, name)
            if value is not None and not number_forms(value):
                raise FilterError(name, f"{name}: send a phone number or extension, not blank text")
        if self.sort not in SORT_KEYS:
            accepted = ", ".join(SORT_KEYS)
            raise FilterError("sort", f"unknown sort {self.sort!r} (one of: {accepted})")
        if self.cursor is not None:
            self.after()  # a bad cursor fails here, when the filter is made
        if self.limit is not None and self.limit < 0:
            raise FilterError("limit", f"limit must be 0 or more, not {self.limit}")
        if self.offset < 0:
            raise FilterError("offset", f"offset must be 0 or more, not {self.offset}")
        if self.after_id is not None:
            object.__setattr__(self, "after_id", _integer(self.after_id, "after_id"))

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """The WHERE conditions on the ``calls`` table (cursor, limit and order aside)."""
        found: list[sa.ColumnElement[bool]] = []
        c = calls.c
        if self.since is not None:
            found.append(c.started_at >= _epoch(self.since))
        if self.until is not None:
            found.append(c.started_at < _epoch(self.until))
        for name, column in (("status", c.status), ("direction", c.direction)):
            members = getattr(self, name)
            if members:
                found.append(_one_of(column, [member.value for member in members]))
        for name in ("agent_id", "team_id", "queue_id", "tracked_number_id", "sip_code"):
            values = getattr(self, name)
            if values is not None:
                found.append(_one_of(c[name], values))
        for name in NAMED:
            wanted = getattr(self, name)
            if wanted is not None:
                named = self.named_ids(name).scalar_subquery()
                found.append(c[f"{name}_id"].in_(named))
        if self.number and not self.number.isspace():
            found.append(_number_condition(self.number))
        if self.party is not None:
            found.append(_exact_number(_PARTY_COLUMNS, self.party))
        for side in ("caller", "callee"):
            wanted = getattr(self, side)
            if wanted is not None:
                found.append(_exact_number(_SIDE_COLUMNS[side], wanted))
        for name, column in _RANGES.items():
            low, high = getattr(self, f"min_{name}_ms"), getattr(self, f"max_{name}_ms")
            if low is not None:
                found.append(column >= low)
            if high is not None:
                found.append(column <= high)
        if self.has_recording is not None:
            found.append(
                c.recording_path.is_not(None) if self.has_recording else c.recording_path.is_(None)
            )
        if self.has_audio_issue is not None:
            found.append(
                c.audio_issue.is_not(None) if self.has_audio_issue else c.audio_issue.is_(None)
            )
        if self.consent is not None:
            if self.consent not in CONSENT_VALUES:
                raise FilterError("consent", "use one of " + ", ".join(CONSENT_VALUES))
            e = events.c
            found.append(
                sa.exists().where(e.call_id == c.id, e.kind == "consent", e.value == self.consent)
            )
        for name in ("channel", "campaign"):  # indexed: as the directory spells them
            texts = getattr(self, name)
            if texts:
                found.append(_one_of(c[name], [text.strip() for text in texts]))
        for name in ("outcome", "transport", "source"):
            texts = getattr(self, name)
            if texts:
                found.append(_one_of(sa.func.lower(c[name]), [t.strip().lower() for t in texts]))
        if self.tags:
            for tag in self.tags:
                # ``tags`` is a JSON array: a tag is there when its JSON string is.
                quoted = json.dumps(tag, ensure_ascii=False)
                found.append(c.tags.contains(quoted, autoescape=True))
        if self.codec:
            # ``codecs`` is names (with or without "/rate") joined by spaces.
            padded = " " + sa.func.lower(c.codecs) + " "
            either = []
            for codec in self.codec:
                name = codec.strip().lower()
                either.append(padded.contains(f" {name} ", autoescape=True))
                if "/" not in name:
                    either.append(padded.contains(f" {name}/", autoescape=True))
            found.append(sa.or_(*either))
        if self.hangup_by is not None:
            found.append(c.hangup_by == self.hangup_by.value)
        if self.comment and not self.comment.isspace():
            # IS NOT NULL, said outright: the partial index of commented calls serves it.
            found.append(c.comment.is_not(None))
            found.append(c.comment.icontains(self.comment.strip(), autoescape=True))
        if self.after_id is not None:
            found.append(c.id > self.after_id)
        return found

    def number_lookups(self) -> tuple[str, list[sa.ColumnElement[bool]]] | None:
        """A whole-number field of this filter (``party``, ``caller``, ``callee``, or a
        subclass's ``client``; the narrowest given) and its equalities (a number column =
        one form of the number), one of which every call it selects meets; None without
        one."""
        found: list[tuple[str, list[sa.ColumnElement[bool]]]] = []
        for name in ("party", "caller", "callee"):
            value = getattr(self, name)
            if value is not None:
                columns = _SIDE_COLUMNS.get(name, _PARTY_COLUMNS)
                found.append((name, [c == form for c in columns for form in number_forms(value)]))
        client = getattr(self, "client", None)
        if client is not None:
            found.append(
                ("client", [c == form for c in _PARTY_COLUMNS for form in dict.fromkeys(client)])
            )
        return min(found, key=lambda one: len(one[1])) if found else None

    def named_ids(self, name: str) -> sa.Select[tuple[int]]:
        """The ids of the directory's agents, teams or queues (``name`` of ``NAMED``) called
        as this filter's field ``name`` says (whole name, any case)."""
        table = NAMED[name]
        wanted = str(getattr(self, name)).strip().lower()
        return sa.select(table.c.id).where(sa.func.lower(table.c.name) == wanted)

    def with_ids(self, found: Mapping[str, Iterable[int]]) -> CallFilter:
        """This filter with names replaced by the ids they name (``found``: field name →
        ids), intersected with the ids it already has: literal ids let the database plan
        an index range where a subquery would make it guess."""
        changes: dict[str, Any] = {}
        for name, ids in found.items():
            given = getattr(self, f"{name}_id")
            kept = tuple(i for i in ids if given is None or i in given)
            changes.update({name: None, f"{name}_id": kept})
        return replace(self, **changes) if changes else self

    @property
    def sort_key(self) -> sa.ColumnElement[Any]:
        """The sort key as an SQL expression (``SORT_KEY_LABEL`` in a list query)."""
        return SORT_KEYS[self.sort]

    def order_by(self) -> tuple[sa.ColumnElement[object], ...]:
        columns = (self.sort_key, calls.c.id)
        return tuple(c.desc() if self.newest_first else c.asc() for c in columns)

    def after(self) -> tuple[Any, int] | None:
        """The cursor's (sort key, id): where the page starts; None without a cursor."""
        if self.cursor is None:
            return None
        return _decode(self.cursor, self.sort, self.newest_first)

    def keyset(self) -> list[sa.ColumnElement[bool]]:
        """The conditions that start the list after the cursor (none without one).

        ``key <= k AND (key < k OR id < i)`` when descending: the first half bounds an
        index range, the second skips the calls up to and including the cursor's."""
        start = self.after()
        if start is None:
            return []
        value, last_id = start
        key = self.sort_key
        if self.sort == "started_at":
            value = _EPOCH + timedelta(microseconds=value)
        if self.newest_first:
            return [key <= value, sa.or_(key < value, calls.c.id < last_id)]
        return [key >= value, sa.or_(key > value, calls.c.id > last_id)]

    def cursor_of(self, row: Mapping[str, Any]) -> str:
        """The cursor that continues after ``row`` (a list query's row, with the sort key
        under ``SORT_KEY_LABEL``)."""
        value = row[SORT_KEY_LABEL]
        if self.sort == "started_at":
            value = round(value * 1_000_000)  # epoch µs: exact, unlike float seconds
        return _encode(self.sort, self.newest_first, value, int(row["id"]))


def number_forms(number: str) -> tuple[str, ...]:
    """The ways a number may be stored: as sent, its digits, +digits, 00digits; () for
    blank text."""
    text = number.strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return (text,) if text else ()
    forms = {text, digits, f"+{digits}"}
    if digits.startswith("00"):
        forms.add(f"+{digits[2:]}")
    else:
        forms.add(f"00{digits}")
    return tuple(sorted(forms))


def _encode(sort: str, descending: bool, value: Any, last_id: int) -> str:
    text = json.dumps([sort, "desc" if descending else "asc", value, last_id],
                      ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str, descending: bool) -> tuple[Any, int]:
    bad = f"cursor {cursor[:40]!r} is not one this list gave (send next_cursor as it came)"
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        was_sort, was_order, value, last_id = json.loads(text)
    except (ValueError, TypeError, binascii.Error):
        raise FilterError("cursor", bad) from None
    order = "desc" if descending else "asc"
    if (was_sort, was_order) != (sort, order):
        raise FilterError(
            "cursor",
            f"cursor belongs to a list sorted by {was_sort} {was_order}, not {sort} {order}",
        )
    integer_key = sort != "status" and sort not in ("caller", "callee")
    wanted_type = int if integer_key else str
    if type(value) is not wanted_type or type(last_id) is not int or not 0 < last_id < _MAX_ID:
        raise FilterError("cursor", bad)
    if wanted_type is int and not -1 <= value < _MAX_KEY:
        raise FilterError("cursor", bad)
    return value, last_id


def _several(value: object) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return (value,)
    return tuple(value)


def _one_of(column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    values = list(dict.fromkeys(values))
    if not values:
        return sa.false()
    return column == values[0] if len(values) == 1 else column.in_(values)


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FilterError(what, f"{what} must be whole numbers, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise FilterError(what, f"{what} must be whole numbers, not {value!r}") from None


def _member(enum: type[_E], value: str, what: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        accepted = ", ".join(member.value for member in enum)
        raise FilterError(what, f"unknown {what} {value!r} (one of: {accepted})") from None


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _exact_number(
    columns: tuple[sa.ColumnElement[Any], ...], number: str
) -> sa.ColumnElement[bool]:
    forms = number_forms(number)
    return sa.or_(*(_one_of(column, forms) for column in columns))


def _number_condition(text: str) -> sa.ColumnElement[bool]:
    digits = _NON_DIGITS.sub("", text)
    if digits:
        return sa.or_(*(column.contains(digits) for column in _PARTY_COLUMNS))
    needle = text.strip()
    return sa.or_(*(column.icontains(needle, autoescape=True) for column in _PARTY_COLUMNS))

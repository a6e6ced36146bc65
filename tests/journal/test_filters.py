"""Finding calls: every filter, their combinations, order and pages, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from journal_calls import T0, build_call

from callvault.calls.model import Call, CallStatus, Direction, Party
from callvault.journal import CallFilter, Journal

HOUR = 3600.0
DAY = 86400.0


def _call(uid: str, start: float, caller: Party, callee: Party, **fields: object) -> Call:
    return build_call(uid, start=start, caller=caller, callee=callee, **fields)


@pytest.fixture
def stored(journal: Journal) -> Journal:
    """Six calls over four days, oldest first: c1 … c6."""
    journal.save_many(
        [
            _call("c1", T0, Party("+4533123456", e164="+4533123456"), Party("201")),
            _call(
                "c2",
                T0 + HOUR,
                Party("201"),
                Party("004522334455", e164="+4522334455"),
                direction=Direction.OUTBOUND,
            ),
            _call(
                "c3",
                T0 + DAY,
                Party("+4533999888", e164="+4533999888"),
                Party("202"),
                status=CallStatus.MISSED,
            ),
            _call(
                "c4",
                T0 + 2 * DAY,
                Party("201"),
                Party("202"),
                status=CallStatus.BUSY,
                direction=Direction.INTERNAL,
            ),
            _call("c5", T0 + 3 * DAY, Party("Alice"), Party("201"), status=CallStatus.FAILED),
            _call(
                "c6",
                T0 + 4 * DAY,
                Party(),
                Party(),
                status=CallStatus.UNSIGNALLED,
                direction=Direction.UNKNOWN,
            ),
        ]
    )
    return journal


def uids(journal: Journal, **criteria: object) -> list[str]:
    return [call.uid for call in journal.list_calls(CallFilter(**criteria))]  # type: ignore[arg-type]


def test_no_filter_lists_every_call_newest_first(stored: Journal) -> None:
    assert uids(stored) == ["c6", "c5", "c4", "c3", "c2", "c1"]
    assert stored.count_calls() == 6
    assert stored.list_calls() == stored.list_calls(CallFilter())


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"status": CallStatus.MISSED}, ["c3"]),
        ({"status": "answered"}, ["c2", "c1"]),
        ({"direction": Direction.INBOUND}, ["c5", "c3", "c1"]),
        ({"direction": "internal"}, ["c4"]),
        ({"number": "+45 33-12 34 56"}, ["c1"]),  # only the digits count
        ({"number": "3312"}, ["c1"]),  # a substring
        ({"number": "201"}, ["c5", "c4", "c2", "c1"]),  # caller or callee
        ({"number": "+4522334455"}, ["c2"]),  # the e164 of a 0045… number
        ({"number": "0045 22 33"}, ["c2"]),  # the number as dialled
        ({"number": "4533"}, ["c3", "c1"]),
        ({"number": "alice"}, ["c5"]),  # no digits: a name, any case
        ({"number": "%"}, []),  # a LIKE wildcard is a plain character
        ({"number": "999999"}, []),
        ({"number": " "}, ["c6", "c5", "c4", "c3", "c2", "c1"]),  # blank: no filter
        ({"since": T0 + HOUR}, ["c6", "c5", "c4", "c3", "c2"]),  # inclusive
        ({"until": T0 + HOUR}, ["c1"]),  # exclusive
        ({"since": T0 + HOUR, "until": T0 + 2 * DAY}, ["c3", "c2"]),
        ({"since": datetime.fromtimestamp(T0 + 3 * DAY, UTC)}, ["c6", "c5"]),
        ({"since": datetime.fromtimestamp(T0 + 3 * DAY)}, ["c6", "c5"]),  # naive: local time
        ({"direction": "inbound", "status": "answered"}, ["c1"]),
        ({"number": "201", "direction": "internal"}, ["c4"]),
        ({"number": "201", "status": "failed", "since": T0 + DAY}, ["c5"]),
        ({"number": "4533", "until": T0 + DAY}, ["c1"]),
        ({"status": "busy", "direction": "inbound"}, []),
    ],
)
def test_filters_and_their_combinations(
    stored: Journal, criteria: dict[str, object], expected: list[str]
) -> None:
    assert uids(stored, **criteria) == expected
    assert stored.count_calls(CallFilter(**criteria)) == len(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"limit": 2}, ["c6", "c5"]),
        ({"limit": 2, "offset": 2}, ["c4", "c3"]),
        ({"limit": 2, "offset": 5}, ["c1"]),
        ({"offset": 4}, ["c2", "c1"]),
        ({"offset": 6}, []),
        ({"limit": 0}, []),
        ({"newest_first": False, "limit": 2}, ["c1", "c2"]),
        ({"newest_first": False, "limit": 2, "offset": 2}, ["c3", "c4"]),
        ({"direction": "inbound", "limit": 1, "offset": 1}, ["c3"]),
    ],
)
def test_pages(stored: Journal, criteria: dict[str, object], expected: list[str]) -> None:
    assert uids(stored, **criteria) == expected


def test_count_ignores_limit_and_offset(stored: Journal) -> None:
    assert stored.count_calls(CallFilter(direction=Direction.INBOUND, limit=1, offset=1)) == 3


def test_calls_that_start_together_keep_the_order_they_were_saved_in(journal: Journal) -> None:
    journal.save_many([build_call(uid) for uid in ("x", "y", "z")])
    assert uids(journal) == ["z", "y", "x"]
    assert uids(journal, newest_first=False) == ["x", "y", "z"]


def test_listed_calls_come_with_streams_and_events(stored: Journal) -> None:
    for call in stored.list_calls():
        assert len(call.streams) == 2 and len(call.events) == 4


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"status": "hung"}, "unknown status 'hung' (one of: answered, missed, busy, "),
        ({"direction": "sideways"}, "unknown direction 'sideways' (one of: inbound, "),
        ({"limit": -1}, "limit must be 0 or more, not -1"),
        ({"offset": -5}, "offset must be 0 or more, not -5"),
    ],
)
def test_a_filter_refuses_what_it_cannot_mean(criteria: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        CallFilter(**criteria)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_a_filter_turns_names_into_members() -> None:
    chosen = CallFilter(status="missed", direction="outbound")  # type: ignore[arg-type]
    assert chosen.status == (CallStatus.MISSED,) and chosen.direction == (Direction.OUTBOUND,)

"""Finding calls: every filter, their combinations, order and pages, on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from journal_calls import T0, build_call

from callvault.calls.model import Call, CallStatus, Direction, Party, Recording, Side
from callvault.journal import CallFilter, Journal
from callvault.journal.filters import FilterError
from callvault.journal.schema import agents, queues, teams
from callvault.journal.schema import calls as calls_table

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


# -- every field, sorting, cursors ---------------------------------------------------------

MIN = 60.0


def _rich(uid: str, start: float, **fields: object) -> Call:
    """A call of ``build_call``'s with the fields the list filters on set as given."""
    defaults: dict[str, object] = {
        "answered_at": start + 2,
        "ended_at": start + 62,
        "recording": None,
        "outcome": None,
        "tags": (),
        "comment": None,
        "audio_issue": None,
    }
    return build_call(uid, start, **{**defaults, **fields})


RECORDING = Recording(
    path="2024/05/01/r.wav",
    format="wav",
    encoding="pcm_s16le",
    sample_rate=8000,
    started_at=T0,
    duration_ms=60000,
    size=960044,
    sha256="0" * 64,
)


@pytest.fixture
def rich(journal: Journal) -> Journal:
    """Six calls, r1 … r6 oldest first (r5 and r6 start together), every list field varied."""
    calls = [
        _rich(
            "r1", T0, caller=Party("+4533111111", e164="+4533111111"), callee=Party("201"),
            agent_id=1, team_id=1, queue_id=1, tracked_number_id=1, channel="google_ads",
            campaign="spring", recording=RECORDING, outcome="sale", tags=("vip", "billing"),
            comment="Asked about INVOICE 42", hangup_by=Side.CALLER,
            codecs=("PCMA/8000", "telephone-event/8000"), transport="udp", source="capture",
        ),
        _rich(
            "r2", T0 + HOUR, caller=Party("202"),
            callee=Party("004522222222", e164="+4522222222"), direction=Direction.OUTBOUND,
            agent_id=2, team_id=1, answered_at=T0 + HOUR + 10, ended_at=T0 + HOUR + 310,
            audio_issue="no RTP in the capture", outcome="resolved", tags=("billing",),
            hangup_by=Side.CALLEE, codecs=("opus/48000",), transport="tcp", source="cdr",
        ),
        _rich(
            "r3", T0 + 2 * HOUR, caller=Party("+4533111111", e164="+4533111111"),
            callee=Party("201"), status=CallStatus.MISSED, sip_code=487, team_id=2, queue_id=2,
            tracked_number_id=2, channel="facebook", campaign="autumn", answered_at=None,
            ended_at=T0 + 2 * HOUR + 20, hangup_by=Side.CALLER, codecs=(), transport="UDP",
            source="capture",
        ),
        _rich(
            "r4", T0 + 3 * HOUR, caller=Party("201"), callee=Party("202"),
            direction=Direction.INTERNAL, status=CallStatus.BUSY, sip_code=486, agent_id=1,
            team_id=1, answered_at=None, ended_at=T0 + 3 * HOUR + 1, codecs=("PCMU/8000",),
            transport="tls", source="capture",
        ),
        _rich(
            "r5", T0 + 4 * HOUR, caller=Party("+4544444444", e164="+4544444444"),
            callee=Party("203"), agent_id=3, team_id=2, queue_id=2, answered_at=T0 + 4 * HOUR + 5,
            ended_at=T0 + 4 * HOUR + 35, recording=RECORDING, outcome="Sale",
            comment="call back about the invoice", codecs=("PCMA/8000",), source="capture",
        ),
        _rich(
            "r6", T0 + 4 * HOUR, caller=Party("Alice"), callee=Party("203"),
            status=CallStatus.FAILED, sip_code=503, answered_at=None, ended_at=T0 + 4 * HOUR + 3,
            codecs=(), transport=None, source="cdr",
        ),
    ]
    journal.save_many(calls)
    for call in calls:  # annotations are the journal's own: set as a user would
        assert call.id is not None
        journal.annotate(call.id, comment=call.comment, outcome=call.outcome, tags=call.tags)
    return journal


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, ["r6", "r5", "r4", "r3", "r2", "r1"]),  # r6 after r5: same start, higher id
        ({"party": "+45 33 11 11 11"}, ["r3", "r1"]),  # exact, in any written form
        ({"party": "004522222222"}, ["r2"]),
        ({"party": "+4522222222"}, ["r2"]),  # the E.164 of a 0045… number
        ({"party": "3311"}, []),  # exact: a part is not enough
        ({"party": "201"}, ["r4", "r3", "r1"]),
        ({"caller": "201"}, ["r4"]),
        ({"callee": "201"}, ["r3", "r1"]),
        ({"caller": "alice"}, []),  # exact, case and all
        ({"caller": "Alice"}, ["r6"]),
        ({"status": ("missed", "busy")}, ["r4", "r3"]),
        ({"status": [CallStatus.FAILED]}, ["r6"]),
        ({"direction": ("outbound", "internal")}, ["r4", "r2"]),
        ({"agent_id": 1}, ["r4", "r1"]),
        ({"agent_id": (2, 3)}, ["r5", "r2"]),
        ({"team_id": 2}, ["r5", "r3"]),
        ({"queue_id": (1, 2)}, ["r5", "r3", "r1"]),
        ({"tracked_number_id": 2}, ["r3"]),
        ({"min_duration_ms": 62_000}, ["r2", "r1"]),
        ({"max_duration_ms": 20_000}, ["r6", "r4", "r3"]),  # 20 s is inclusive
        ({"min_duration_ms": 30_000, "max_duration_ms": 62_000}, ["r5", "r1"]),
        ({"min_talk_ms": 60_000}, ["r2", "r1"]),
        ({"max_talk_ms": 0}, ["r6", "r4", "r3"]),
        ({"min_ring_ms": 10_000}, ["r3", "r2"]),
        ({"max_ring_ms": 2_000}, ["r4", "r1"]),
        ({"has_recording": True}, ["r5", "r1"]),
        ({"has_recording": False}, ["r6", "r4", "r3", "r2"]),
        ({"has_audio_issue": True}, ["r2"]),
        ({"has_audio_issue": False}, ["r6", "r5", "r4", "r3", "r1"]),
        ({"outcome": "SALE"}, ["r5", "r1"]),  # any case
        ({"outcome": ("resolved", "sale")}, ["r5", "r2", "r1"]),
        ({"tags": "billing"}, ["r2", "r1"]),
        ({"tags": ("billing", "vip")}, ["r1"]),  # every one
        ({"tags": "bill"}, []),  # whole tags only
        ({"channel": "facebook"}, ["r3"]),
        ({"channel": ("google_ads", "facebook")}, ["r3", "r1"]),
        ({"channel": "Facebook"}, []),  # as the directory spells it (indexed)
        ({"agent_id": ()}, []),  # none of no agents
        ({"campaign": "spring"}, ["r1"]),
        ({"sip_code": (486, 487)}, ["r4", "r3"]),
        ({"hangup_by": "caller"}, ["r3", "r1"]),
        ({"codec": "pcma"}, ["r5", "r1"]),  # the name, with or without its rate
        ({"codec": ("opus", "PCMU/8000")}, ["r4", "r2"]),
        ({"codec": "PCM"}, []),
        ({"transport": "UDP"}, ["r5", "r3", "r1"]),  # any case
        ({"transport": ("tcp", "tls")}, ["r4", "r2"]),
        ({"source": "cdr"}, ["r6", "r2"]),
        ({"comment": "invoice"}, ["r5", "r1"]),  # any case
        ({"comment": "INVOICE 4"}, ["r1"]),
        ({"comment": "%"}, []),  # a LIKE wildcard is a plain character
        ({"agent_id": 1, "status": "busy"}, ["r4"]),
        ({"team_id": 1, "has_recording": True, "outcome": "sale"}, ["r1"]),
        ({"queue_id": 2, "direction": "inbound", "min_talk_ms": 1}, ["r5"]),
        ({"since": T0 + HOUR, "until": T0 + 4 * HOUR, "source": "capture"}, ["r4", "r3"]),
    ],
)
def test_every_field_filters(
    rich: Journal, criteria: dict[str, object], expected: list[str]
) -> None:
    assert uids(rich, **criteria) == expected
    assert rich.count_calls(CallFilter(**criteria)) == len(expected)  # type: ignore[arg-type]


def test_agents_teams_and_queues_by_their_directory_names(rich: Journal, journal_url: str) -> None:
    engine = sa.create_engine(journal_url)
    with engine.begin() as connection:
        connection.execute(teams.insert(), [{"id": 1, "name": "Sales", "created_at": T0},
                                            {"id": 2, "name": "Support", "created_at": T0}])
        connection.execute(agents.insert(), [
            {"id": 1, "name": "Ann Agent", "team_id": 1, "active": True, "created_at": T0},
            {"id": 3, "name": "Cleo", "team_id": 2, "active": True, "created_at": T0},
        ])
        connection.execute(queues.insert(), [
            {"id": 2, "name": "Hotline", "numbers": "+4570000000", "created_at": T0},
        ])
    engine.dispose()
    assert uids(rich, agent="ann agent") == ["r4", "r1"]
    assert uids(rich, agent=" Cleo ") == ["r5"]
    assert uids(rich, agent="Ann") == []  # whole names
    assert uids(rich, team="support") == ["r5", "r3"]
    assert uids(rich, queue="HOTLINE") == ["r5", "r3"]
    assert uids(rich, queue="nobody's") == []
    assert uids(rich, agent="ann agent", agent_id=(1, 2)) == ["r4", "r1"]
    assert uids(rich, agent="ann agent", agent_id=2) == []  # both must hold
    assert rich.count_calls(CallFilter(team="sales")) == 3
    # The SQL alone (a subquery, for those who build their own queries) selects the same.
    with rich._engine.connect() as connection:  # noqa: SLF001
        query = sa.select(calls_table.c.uid).where(*CallFilter(team="SALES").conditions())
        assert sorted(connection.execute(query).scalars()) == ["r1", "r2", "r4"]


@pytest.mark.parametrize(
    ("sort", "descending"),
    [
        ("started_at", ["r6", "r5", "r4", "r3", "r2", "r1"]),
        ("duration", ["r2", "r1", "r5", "r3", "r6", "r4"]),
        ("talk", ["r2", "r1", "r5", "r6", "r4", "r3"]),  # ties (0 ms): newest id first
        ("ring", ["r3", "r2", "r5", "r6", "r1", "r4"]),
        ("status", ["r3", "r6", "r4", "r5", "r2", "r1"]),
        ("caller", ["r6", "r2", "r4", "r5", "r3", "r1"]),  # code points
        ("callee", ["r6", "r5", "r4", "r3", "r1", "r2"]),
    ],
)
def test_every_sort_key_both_ways_with_the_id_breaking_ties(
    rich: Journal, sort: str, descending: list[str]
) -> None:
    assert uids(rich, sort=sort) == descending
    ascending = uids(rich, sort=sort, newest_first=False)
    assert len(ascending) == 6
    # Ascending is the reverse, ties included (they are broken by id, also reversed).
    assert ascending == descending[::-1]


def walk(journal: Journal, wanted: CallFilter, between: object = None) -> list[str]:
    """Every page of ``wanted`` by its cursors; ``between(page_number)`` runs after each."""
    seen: list[str] = []
    page = journal.page_calls(wanted)
    number = 0
    while True:
        seen += [call.uid for call in page.calls]
        if callable(between):
            between(number)
        number += 1
        if page.next_cursor is None:
            return seen
        assert len(page.calls) == wanted.limit
        page = journal.page_calls(replace(wanted, cursor=page.next_cursor))


@pytest.mark.parametrize("sort", ["started_at", "duration", "talk", "ring", "status", "caller"])
@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("limit", [1, 2, 4, 6, 7])
def test_cursors_walk_the_whole_list_in_order(
    rich: Journal, sort: str, newest_first: bool, limit: int
) -> None:
    wanted = CallFilter(sort=sort, newest_first=newest_first, limit=limit)
    assert walk(rich, wanted) == uids(rich, sort=sort, newest_first=newest_first)


def test_a_full_last_page_has_no_next_cursor(rich: Journal) -> None:
    assert rich.page_calls(CallFilter(limit=6)).next_cursor is None
    assert rich.page_calls(CallFilter(limit=5)).next_cursor is not None
    assert rich.page_calls(CallFilter()).next_cursor is None  # no limit: everything
    assert rich.page_calls(CallFilter(limit=0)).next_cursor is None


def test_cursors_neither_skip_nor_repeat_while_calls_arrive(journal: Journal) -> None:
    """Many calls in one second, some at the very same moment; new ones keep arriving
    (newer, and late ones older than the page) while the list is walked."""
    first = [build_call(f"c{i:03d}", T0 + (i // 3) * 0.001) for i in range(60)]
    journal.save_many(first)
    arrivals = iter(range(1000))

    def arrive(page: int) -> None:
        k = next(arrivals)
        journal.save_many([
            build_call(f"new{k}", T0 + 100 + k),  # newer than everything listed
            build_call(f"late{k}", T0 - 100 - k),  # older: appears at the end
        ])

    for newest_first in (True, False):
        seen = walk(journal, CallFilter(limit=7, newest_first=newest_first), arrive)
        assert len(seen) == len(set(seen))  # no repeats
        original = [uid for uid in seen if uid.startswith("c")]
        expected = [call.uid for call in sorted(first, key=lambda c: (c.started_at, c.id))]
        assert original == (expected[::-1] if newest_first else expected)  # no gaps


def test_cursors_and_offsets_combine_and_counts_ignore_both(rich: Journal) -> None:
    page = rich.page_calls(CallFilter(limit=2))
    assert [c.uid for c in page.calls] == ["r6", "r5"]
    after = CallFilter(limit=2, cursor=page.next_cursor, offset=1)
    assert [c.uid for c in rich.list_calls(after)] == ["r3", "r2"]
    assert rich.count_calls(after) == 6


def test_a_capped_count_stops_past_its_cap(rich: Journal) -> None:
    assert rich.count_calls(cap=3) == 4
    assert rich.count_calls(cap=6) == 6
    assert rich.count_calls(CallFilter(agent_id=1), cap=1) == 2
    assert rich.count_calls(CallFilter(agent_id=1), cap=0) == 1


def test_a_cursor_fits_only_its_own_order() -> None:
    cursor = CallFilter(sort="duration").cursor_of({"sort_key": 5000, "id": 3})
    assert CallFilter(sort="duration", cursor=cursor).after() == (5000, 3)
    assert cursor.replace("-", "").replace("_", "").isalnum()  # URL-safe as it is
    with pytest.raises(FilterError) as raised:
        CallFilter(sort="talk", cursor=cursor)
    assert (raised.value.field, str(raised.value)) == (
        "cursor", "cursor belongs to a list sorted by duration desc, not talk desc"
    )
    with pytest.raises(FilterError, match="not talk asc"):
        CallFilter(sort="talk", newest_first=False, cursor=cursor)


@pytest.mark.parametrize(
    ("criteria", "field", "message"),
    [
        ({"cursor": "nonsense"}, "cursor", "cursor 'nonsense' is not one this list gave"),
        ({"cursor": "W10"}, "cursor", "cursor 'W10' is not one this list gave"),  # "[]"
        ({"cursor": "WyJzdGFydGVkX2F0IiwiZGVzYyIsIngiLDFd"}, "cursor", "cursor "),  # text key
        ({"sort": "length"}, "sort", "unknown sort 'length' (one of: started_at, duration, "),
        ({"status": ("missed", "lost")}, "status", "unknown status 'lost' (one of: "),
        ({"hangup_by": "nobody"}, "hangup_by", "unknown hangup_by 'nobody' (one of: caller"),
        ({"agent_id": "seven"}, "agent_id", "agent_id must be whole numbers, not 'seven'"),
        ({"sip_code": 2.5}, "sip_code", "sip_code must be whole numbers, not 2.5"),
        ({"min_talk_ms": 10, "max_talk_ms": 5}, "min_talk_ms", "min_talk_ms (10) is more than "),
        ({"max_ring_ms": -1}, "min_ring_ms", "ring bounds are 0 ms or more, not -1"),
        ({"party": "  "}, "party", "party: send a phone number or extension"),
        ({"caller": ""}, "caller", "caller: send a phone number or extension"),
    ],
)
def test_a_filter_names_the_field_it_cannot_mean(
    criteria: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(FilterError) as raised:
        CallFilter(**criteria)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert str(raised.value).startswith(message), str(raised.value)


@pytest.mark.parametrize(
    "criteria",
    [
        {"party": "201"},
        {"party": "+45 33 11 11 11"},
        {"caller": "201"},
        {"callee": "203"},
        {"party": "201", "caller": "+4533111111"},
        {"party": "201", "status": "answered"},
    ],
)
@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("limit", [1, 2])
def test_a_numbers_pages_are_its_whole_list_in_order(
    rich: Journal, criteria: dict[str, object], newest_first: bool, limit: int
) -> None:
    """A page of a whole number's calls is gathered per number column and form in list
    order, then merged (journal.repository): the same calls, in the same order, as the
    unpaged list, with offsets too."""
    every = uids(rich, newest_first=newest_first, **criteria)
    wanted = CallFilter(newest_first=newest_first, limit=limit, **criteria)  # type: ignore[arg-type]
    assert walk(rich, wanted) == every
    for offset in range(len(every) + 1):
        paged = rich.list_calls(replace(wanted, offset=offset))
        assert [call.uid for call in paged] == every[offset : offset + limit]

"""Columns derived from a call's events (hold time, transfer) and columns a source may or
may not report (wrap-up, CSAT), on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from journal_calls import T0, build_call

from callvault.calls.model import CallEvent
from callvault.journal import Journal
from callvault.journal.schema import calls


def _row(journal_url: str, uid: str) -> dict[str, object]:
    engine = sa.create_engine(journal_url)
    try:
        with engine.connect() as connection:
            query = sa.select(calls).where(calls.c.uid == uid)
            return dict(connection.execute(query).mappings().one())
    finally:
        engine.dispose()


def test_hold_time_sums_every_hold_until_its_resume_or_the_end(
    journal: Journal, journal_url: str
) -> None:
    call = build_call("held", events=[
        CallEvent("hold", T0 + 10.0),
        CallEvent("hold", T0 + 11.0),  # a repeated re-INVITE does not restart the hold
        CallEvent("resume", T0 + 12.5),
        CallEvent("dtmf", T0 + 20.0, value="5"),
        CallEvent("hold", T0 + 60.0),  # still on hold when the call ends at +65.000999
    ])
    assert call.hold_ms == 2500 + 5001
    assert call.transferred is False
    journal.save(call)
    row = _row(journal_url, "held")
    assert row["hold_ms"] == 7501
    assert row["transferred"] is False


def test_a_transfer_event_marks_the_call_transferred(journal: Journal, journal_url: str) -> None:
    journal.save(build_call("moved", events=[CallEvent("transfer", T0 + 30.0, value="201")]))
    assert _row(journal_url, "moved")["transferred"] is True


def test_saving_again_without_wrap_up_or_csat_keeps_what_was_reported(
    journal: Journal, journal_url: str
) -> None:
    journal.save(build_call("scored", wrap_up_ms=30_000, csat=4, agent_id=7, channel="web"))
    journal.save(build_call("scored"))
    row = _row(journal_url, "scored")
    assert (row["wrap_up_ms"], row["csat"]) == (30_000, 4)
    assert (row["agent_id"], row["channel"]) == (None, None)  # the directory decides again
    journal.save(build_call("scored", csat=2))
    assert _row(journal_url, "scored")["csat"] == 2
    stored = journal.get_call("scored")
    assert stored is not None and (stored.wrap_up_ms, stored.csat) == (30_000, 2)

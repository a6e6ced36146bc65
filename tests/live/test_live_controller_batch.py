"""The live controller publishes a burst of call news in one transaction (hundreds of calls
starting together cost one commit, not one each), and one item the board refuses does not
keep the others off it. Both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from callvault.live.board import LiveBoard, LiveCall
from callvault.live.controller import LiveController


@pytest.fixture
def board(journal_url: str) -> Iterator[LiveBoard]:
    with LiveBoard.open(journal_url) as opened:
        yield opened


def _call(i: int, recording: str = "recording") -> LiveCall:
    return LiveCall(call_id=f"burst-{i}", recorder="rec-b", source="siprec",
                    started_at=1_700_000_000.0 + i, caller_number=f"+4512{i:06d}",
                    recording=recording)


def _commits(board: LiveBoard) -> list[int]:
    count = [0]
    sa.event.listen(board._engine, "commit", lambda _conn: count.__setitem__(0, count[0] + 1))
    return count


def test_a_burst_of_news_is_one_transaction(board: LiveBoard) -> None:
    controller = LiveController(board, "rec-b", "siprec")
    commits = _commits(board)
    for i in range(50):
        controller._news.put(("started", _call(i)))
    controller._news.put(("ended", "burst-7"))
    controller._publish()
    assert commits[0] == 1
    assert sorted(c.call_id for c in board.calls()) == sorted(
        f"burst-{i}" for i in range(50) if i != 7)
    assert controller.errors == 0


def test_one_refused_item_leaves_the_others_on_the_board(board: LiveBoard) -> None:
    controller = LiveController(board, "rec-b", "siprec")
    controller._news.put(("started", _call(1)))
    controller._news.put(("started", _call(2, recording="half-recorded")))  # refused
    controller._news.put(("started", _call(3)))
    controller._publish()
    assert sorted(c.call_id for c in board.calls()) == ["burst-1", "burst-3"]
    assert controller.errors == 1

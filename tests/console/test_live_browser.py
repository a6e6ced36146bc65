"""Calls in progress in real headless Chromium against a real `callvault serve`: an agent's
/agent page pops a card when a live call for their extension is put on the board (with the
client's earlier calls and notes), pauses its recording, and sees it finish; the journal
page shows the call in its "in progress" section, ticking, then as finished; another agent
gets no card. Screenshots: live.png, agent.png (kept in $CALLVAULT_SCREENSHOTS)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_helpers import Console, make_call
from test_console_browser import Tab, shoot

from callvault.calls.model import Direction
from callvault.journal import Journal
from callvault.live import LiveBoard, LiveCall

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Playwright: pip install playwright"
)

pytestmark = pytest.mark.timeout(120)

CALL_ID = "live-ann-1"
CLIENT = "+4533123456"
"""The client of the populated calls "anns" and "anns-earlier"."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def test_an_agent_gets_a_card_and_the_journal_shows_the_call_live_then_finished(
    browser: Any, console: Console, tmp_path: Path
) -> None:
    url = console.settings.journal_url
    with Journal.open(url) as journal:
        journal.annotate(console.ids["anns"], comment="Asked about invoice 42",
                         outcome="callback")
    ann, bob, journal_page = Tab(browser, console), Tab(browser, console), Tab(browser, console)
    ann.log_in("ann", "/agent")
    bob.log_in("bob", "/agent")
    journal_page.log_in("ann", "/calls")
    journal_page.page.evaluate(
        "document.addEventListener('cv:call-finished', e => { window.finished = e.detail.uid })"
    )
    agent = ann.page
    assert agent.locator("nav a[data-nav]").all_inner_texts()[:2] == ["Journal", "My calls"]
    agent.get_by_text("Waiting for your next call.").wait_for()
    assert agent.locator(".cv-card").count() == 0

    with LiveBoard.open(url) as board:
        board.started(LiveCall(CALL_ID, "recorder-1", "siprec", time.time() - 65,
                               caller_number=CLIENT, caller_display_name="Ana Lima",
                               callee_number="201", direction="inbound", extension="201"))

        card = agent.locator(f'.cv-card[data-call-id="{CALL_ID}"]')
        card.wait_for()
        assert card.locator(".cv-card-party").inner_text() == "Ana Lima"
        agent.get_by_text("Calls in progress: 1").wait_for()
        assert card.locator(".cv-card-number").inner_text() == CLIENT
        assert "Incoming call" in card.locator(".cv-card-direction").inner_text()
        history = card.locator("ol.cv-history li[data-uid]")
        history.first.wait_for()
        assert history.count() == 2  # "anns" and "anns-earlier"
        first = history.first
        assert first.get_attribute("data-uid") == "anns"
        assert "callback" in first.inner_text()
        assert first.locator("q").inner_text() == "Asked about invoice 42"
        assert first.locator("a").get_attribute("href") == f"/calls/{console.ids['anns']}"
        assert card.locator(".cv-rec").inner_text() == "recording"

        # The agent pauses the recording; the recorder applies it.
        card.get_by_role("button", name="Pause").click()
        card.locator(".cv-rec-pending").wait_for()
        assert [request.action for request in board.pending("recorder-1")] == ["pause"]
        board.applied(CALL_ID, "paused")
        card.get_by_role("button", name="Resume").wait_for()
        assert card.locator(".cv-rec").inner_text() == "paused"
        shoot(agent, "agent", tmp_path)

        # The journal shows it in progress, its duration ticking.
        live = journal_page.page.locator(f'#cv-live tr[data-call-id="{CALL_ID}"]')
        live.wait_for()
        assert "Ana Lima (+4533123456)" in live.inner_text()
        # The row may first be drawn from the board as it was before the pause was applied;
        # the next board update brings the applied state.
        sync_api.expect(live.locator(".cv-rec")).to_have_text("paused")
        ticking = live.locator(".cv-ticking")
        before = ticking.inner_text()
        assert re.fullmatch(r"1:0\d", before)
        sync_api.expect(ticking).not_to_have_text(before)
        shoot(journal_page.page, "live", tmp_path)

        # The call ends and is saved: finished on both pages, with a link to its page.
        with Journal.open(url) as journal:
            saved = journal.save(make_call(CALL_ID, time.time() - 70, CLIENT, "201",
                                           Direction.INBOUND))
        board.ended(CALL_ID)

    finished = journal_page.page.locator(f'#cv-live tr[data-call-id="{CALL_ID}"] a')
    finished.wait_for()
    assert finished.get_attribute("href") == f"/calls/{saved}"
    assert journal_page.page.evaluate("() => window.finished") == CALL_ID
    card.locator('[data-over="finished"]').or_(
        agent.locator(f'.cv-card[data-over="finished"][data-call-id="{CALL_ID}"]')
    ).wait_for()
    assert card.locator(".cv-card-link").get_attribute("href") == f"/calls/{saved}"
    agent.get_by_text("Waiting for your next call.").wait_for()

    # Bob, another agent, saw nothing of it.
    assert bob.page.locator(".cv-card").count() == 0
    for opened in (ann, bob, journal_page):
        opened.no_problems()
        opened.close()

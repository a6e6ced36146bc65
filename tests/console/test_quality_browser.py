"""Quality review in real headless Chromium against a real `callvault serve`: supervisor
sam defines a scorecard on the scorecards page, opens ann's recorded call, plays it,
comments at a moment (the comment lands at the player's position and becomes a marker that
seeks there), answers the questions and submits — the score shown is the hand-computed
weighted score; ann sees it on "My scores", bob neither there nor through the API, and bob
cannot open ann's call; a training playlist gets the call from its page and plays it.
Screenshots: docs/screenshots/quality-*.png (with $CALLVAULT_SCREENSHOTS set)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from console_helpers import Console
from test_console_browser import Tab, browser, shoot  # noqa: F401  (the module's browser)

pytestmark = pytest.mark.timeout(180)

SCORE = 64.44
"""Opening (weight 1): greeted yes (1), reason no (weight 2) → 1/3 = 33.33 %;
Resolution (weight 2): solved 4 of 5 (weight 3), more help N/A (left out) → 80 %;
total (1 · 33.33 + 2 · 80) / 3 = 64.44 %."""


def position(page: Any) -> float:
    return float(page.locator("#cv-position").get_attribute("data-seconds") or 0)


def define_scorecard(page: Any) -> None:
    """Fill the scorecard form: two sections, four questions, one of them a 0 to 5 scale and
    one that allows N/A."""
    page.get_by_role("button", name="New scorecard").click()
    page.get_by_label("Name", exact=True).fill("Support calls")
    sections = page.locator("#cv-sections .cv-section-editor")
    first = sections.nth(0)
    first.locator(".cv-s-title").fill("Opening")
    first.locator(".cv-s-weight").fill("1")
    first.locator(".cv-q-text").nth(0).fill("Greeted by name")
    first.get_by_role("button", name="Add a question").click()
    first.locator(".cv-q-text").nth(1).fill("Stated the reason")
    first.locator(".cv-q-weight").nth(1).fill("2")
    page.get_by_role("button", name="Add a section").click()
    second = sections.nth(1)
    second.locator(".cv-s-title").fill("Resolution")
    second.locator(".cv-s-weight").fill("2")
    second.locator(".cv-q-text").nth(0).fill("Solved the issue")
    second.locator(".cv-q-kind").nth(0).select_option("scale")
    second.locator(".cv-q-scale").nth(0).fill("5")
    second.locator(".cv-q-weight").nth(0).fill("3")
    second.get_by_role("button", name="Add a question").click()
    second.locator(".cv-q-text").nth(1).fill("Offered more help")
    second.locator(".cv-q-na").nth(1).check()


def test_a_supervisor_scores_a_call_and_its_agent_alone_sees_it(
    browser: Any, console: Console, tmp_path: Path  # noqa: F811
) -> None:
    ref = console.ids["anns"]
    sam = Tab(browser, console)
    try:
        page = sam.log_in("sam", "/quality/scorecards")
        page.wait_for_selector("#cv-scorecards[data-loaded]")
        define_scorecard(page)
        shoot(page, "quality-scorecards", tmp_path)
        page.get_by_role("button", name="Save scorecard").click()
        saved = page.locator("#cv-scorecard-form-status")
        saved.filter(has_text="version 1").wait_for()
        assert saved.inner_text() == "Saved Support calls, version 1."
        assert page.locator("#cv-scorecards tbody tr").count() == 1

        # the call: play, pause, comment at that moment
        page.goto(f"/calls/{ref}")
        page.wait_for_selector("#cv-review[data-loaded]")
        page.wait_for_selector("#cv-player[data-ready='true']", timeout=20_000)
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(
            "() => Number(document.getElementById('cv-position').dataset.seconds) > 1.5",
            polling=100, timeout=30_000,
        )
        page.get_by_role("button", name="Pause").click()
        page.wait_for_selector("#cv-player[data-playing='false']")
        moment = position(page)
        assert 1.5 < moment < 15
        page.locator("#cv-moment-text").fill("Greeting without the reason")
        page.get_by_role("button", name="Comment at this moment").click()
        page.wait_for_selector("#cv-moments[data-markers='1']")
        comments = page.request.get(f"/api/quality/calls/{ref}/comments").json()["data"]
        assert len(comments) == 1
        assert comments[0]["offset_s"] == pytest.approx(moment, abs=0.05)
        assert comments[0]["text"] == "Greeting without the reason"
        # elsewhere, then the comment's time seeks back to it
        page.locator("#cv-forward").click()
        page.wait_for_function(
            f"() => Number(document.getElementById('cv-position').dataset.seconds) > {moment + 4}",
            polling=100,
        )
        page.locator("#cv-moments .cv-moment-at").click()
        page.wait_for_function(
            "() => Math.abs(Number(document.getElementById('cv-position').dataset.seconds)"
            f" - {moment}) < 0.1",
            polling=100,
        )

        # score the call: every answer saved at once, the server's score shown
        page.get_by_label("Scorecard").select_option(label="Support calls (v1)")
        page.get_by_role("button", name="Score this call").click()
        form = page.locator("#cv-evaluation")
        form.wait_for()
        questions = form.locator(".cv-question")
        assert questions.count() == 4

        def answer(index: int, value: str) -> None:
            question = questions.nth(index)
            ident = question.get_attribute("data-question")
            question.locator(f"#cv-q{ident}-{value}").check()

        answer(0, "1")
        answer(1, "0")
        answer(2, "4")
        answer(3, "na")
        page.wait_for_selector(f"#cv-evaluation-score[data-score='{SCORE}']")
        assert page.locator("#cv-evaluation-score").inner_text() == "64.44 %"
        draft = page.locator("#cv-call-evaluations tbody tr[data-status='draft'] .cv-score")
        assert draft.inner_text() == "64.44 %"
        page.get_by_label("Overall comment").fill("Solve first, then greet properly.")
        shoot(page, "quality-scoring", tmp_path)
        page.get_by_role("button", name="Submit").click()
        status = page.locator("#cv-review-status")
        status.filter(has_text="Submitted").wait_for()
        assert status.inner_text() == "Submitted: 64.44 %."
        row = page.locator("#cv-call-evaluations tbody tr[data-status='submitted']")
        row.wait_for()
        assert row.locator(".cv-score").inner_text() == "64.44 %"
        evaluation_id = row.get_attribute("data-evaluation")
        sam.no_problems()
    finally:
        sam.close()

    ann = Tab(browser, console)
    try:
        page = ann.log_in("ann", "/quality/evaluations")
        page.wait_for_selector("#cv-evaluations[data-loaded]")
        assert page.locator("h1").inner_text() == "My scores"
        rows = page.locator("#cv-evaluations tbody tr")
        assert rows.count() == 1
        assert "anns" in rows.first.inner_text() and "sam" in rows.first.inner_text()
        rows.first.locator(".cv-score button").click()
        detail = page.locator("#cv-evaluation-detail")
        detail.wait_for()
        assert "Opening — 33.33 %" in detail.inner_text()
        assert "Resolution — 80.00 %" in detail.inner_text()
        assert "Solve first, then greet properly." in detail.inner_text()
        shoot(page, "quality-my-scores", tmp_path)
        # her call's page shows sam's comment at its moment
        page.goto(f"/calls/{ref}")
        page.wait_for_selector("#cv-review[data-loaded]")
        assert "Greeting without the reason" in page.locator("#cv-moments").inner_text()
        assert page.locator("#cv-evaluation").count() == 0  # an agent does not score
        ann.no_problems()
    finally:
        ann.close()

    bob = Tab(browser, console)
    try:
        page = bob.log_in("bob", "/quality/evaluations")
        page.wait_for_selector("#cv-evaluations[data-loaded]")
        assert page.locator("#cv-evaluations tbody tr").count() == 0
        assert page.locator("#cv-status").inner_text() == "No evaluations."
        assert page.request.get(f"/api/quality/evaluations/{evaluation_id}").status == 404
        assert page.request.get(f"/api/quality/calls/{ref}/comments").status == 404
        # an agent cannot open another agent's call
        answer = page.goto(f"/calls/{ref}")
        assert answer is not None and answer.status == 404
        assert page.locator("#cv-review").count() == 0
        bob.no_problems(404)
    finally:
        bob.close()


def test_a_playlist_gets_a_call_from_its_page_and_plays_it(
    browser: Any, console: Console, tmp_path: Path  # noqa: F811
) -> None:
    tab = Tab(browser, console)
    try:
        page = tab.log_in("sam", "/quality/playlists")
        page.wait_for_selector("#cv-playlists[data-loaded]", state="attached")
        page.get_by_label("Name", exact=True).fill("Week one")
        page.get_by_label("Description").fill("Calls to learn from")
        page.get_by_role("button", name="Create playlist").click()
        page.wait_for_selector("#cv-playlist:not([hidden])")
        for uid in ("anns", "bobs"):
            page.goto(f"/calls/{console.ids[uid]}")
            page.wait_for_selector("#cv-review[data-loaded]")
            page.get_by_label("Playlist", exact=True).select_option(label="Week one")
            page.get_by_role("button", name="Add this call").click()
            page.locator("#cv-review-status").filter(has_text="Added to Week one.").wait_for()
        page.goto("/quality/playlists")
        page.get_by_role("link", name="Week one").click()
        items = page.locator("#cv-playlist-items li")
        items.nth(1).wait_for()
        assert [items.nth(i).get_attribute("data-call") for i in range(2)] == ["anns", "bobs"]
        page.get_by_role("button", name="Play all in order").click()
        page.wait_for_function(
            "() => document.getElementById('cv-playlist-audio').currentTime > 0.5",
            polling=100, timeout=30_000,
        )
        now = page.locator("#cv-playlist-now").inner_text()
        assert re.fullmatch(r"Playing 1 of 2: anns", now)
        assert items.nth(0).get_attribute("aria-current") is not None
        page.evaluate("() => document.getElementById('cv-playlist-audio').pause()")
        shoot(page, "quality-playlists", tmp_path)
        # managers reorder: the first call moves down
        items.nth(0).get_by_role("button", name="Move down").click()
        page.wait_for_function(
            "() => document.querySelector('#cv-playlist-items li').dataset.call === 'bobs'"
        )
        assert [items.nth(i).get_attribute("data-call") for i in range(2)] == ["bobs", "anns"]
        tab.no_problems()
    finally:
        tab.close()

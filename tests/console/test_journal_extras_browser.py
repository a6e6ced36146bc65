"""The journal's and the player's extras in real headless Chromium against a real
`callvault serve`: saving a search and applying it again, choosing columns that stay after a
reload, a call journaled while the page is open appearing at its top, and the player drawing
from the server's peaks and skipping a known silence."""

from __future__ import annotations

import hashlib
import io
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from console_helpers import Console, make_call
from test_console_browser import Tab, browser, rows, shoot  # noqa: F401 (browser: a fixture)

from callvault.calls.model import Direction, Recording
from callvault.journal import Journal

pytestmark = pytest.mark.timeout(120)

SILENCE = (2.0, 8.0)
"""The silent span of the quiet call's recording (12 s: the caller before, the callee after)."""


@pytest.fixture
def tab(browser: Any, console: Console) -> Any:  # noqa: F811
    opened = Tab(browser, console)
    yield opened
    opened.close()


def test_a_saved_search_applies_again_and_can_be_deleted(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    page = tab.log_in("ada")
    rows(page)
    page.get_by_label("Status").select_option("busy")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"status=busy"))
    assert rows(page).count() == 1
    page.get_by_label("Save these filters as").fill("Busy lines")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_function(
        "() => document.getElementById('cv-searches-status').textContent.includes('Busy lines')"
    )
    shoot(page, "journal-saved-search", tmp_path, full_page=False)
    # from the unfiltered journal, the saved search brings the filters back
    page.goto("/calls")
    assert rows(page).count() == 50
    page.get_by_label("Saved searches").select_option(label="Busy lines")
    page.wait_for_url(re.compile(r"status=busy.*search=\d+"))
    found = rows(page)
    assert found.count() == 1 and found.first.get_attribute("data-uid") == "other"
    assert page.get_by_label("Status").input_value() == "busy"
    assert page.locator("#cv-saved option:checked").inner_text() == "Busy lines"
    # deleted: gone from the list and from the server
    page.get_by_role("button", name="Delete").click()
    page.wait_for_function("() => document.querySelectorAll('#cv-saved option').length === 1")
    assert page.request.get("/api/saved-searches").json() == {"data": []}
    tab.no_problems()


def test_chosen_columns_stay_after_a_reload_and_shape_the_export(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    page = tab.log_in("sam")
    rows(page)
    headings = page.locator("#cv-calls thead th")
    assert headings.first.inner_text() == "Started"
    page.locator("#cv-columns summary").click()
    page.locator("#cv-col-direction").uncheck()
    page.locator("#cv-col-uid").check()
    for _ in range(2):  # past Direction, then past Started
        page.get_by_role("button", name="Move Caller up").click()
    page.get_by_role("button", name="Save columns").click()
    page.wait_for_function(
        "() => document.getElementById('cv-columns-status').textContent === 'Columns saved.'"
    )
    shoot(page, "journal-columns", tmp_path, full_page=False)
    expected = ["caller", "started_at", "callee", "status", "duration_ms", "talk_ms",
                "outcome", "recording", "uid"]
    page.reload()
    rows(page)
    shown = headings.evaluate_all("cells => cells.map(c => c.dataset.column)")
    assert shown == expected
    first = rows(page).first
    assert first.locator("td").count() == len(expected)
    assert first.locator("td").last.inner_text() == first.get_attribute("data-uid")
    assert first.locator("td a").get_attribute("href").startswith("/calls/")  # caller links
    export = page.locator("#cv-export-csv").get_attribute("href")
    assert export.endswith("columns=" + "&columns=".join(expected))
    header = page.request.get(export).text().splitlines()[0]
    assert header.startswith("caller_number,caller_display_name,started_at,callee_number")
    # back to the default for the other tests of this module
    page.locator("#cv-columns summary").click()
    page.get_by_role("button", name="Default columns").click()
    page.wait_for_function(
        "() => document.querySelector('#cv-calls thead th').dataset.column === 'started_at'"
    )
    tab.no_problems()


def test_a_call_journaled_while_the_page_is_open_appears_at_the_top(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    page = tab.log_in("ada")
    before = rows(page).count()
    assert before == 50
    with Journal.open(console.settings.journal_url) as journal:
        journal.save(
            make_call("fresh", time.time() - 90, "+4533999999", "205", Direction.INBOUND)
        )
    page.wait_for_selector("#cv-calls tbody tr[data-uid='fresh']", timeout=15_000)
    top = rows(page).first
    assert top.get_attribute("data-uid") == "fresh"
    assert "cv-new" in (top.get_attribute("class") or "")
    assert page.locator("#cv-new-calls").inner_text() == "1 new calls at the top."
    assert rows(page).count() == before + 1
    shoot(page, "journal-new-call", tmp_path, full_page=False)
    tab.no_problems()


def quiet_recording(seconds: int = 12, rate: int = 8000) -> bytes:
    """A stereo µ-law WAV: the caller speaks before ``SILENCE``, the callee after it."""
    t = np.arange(seconds * rate) / rate
    left = np.where(t < SILENCE[0], 9000 * np.sin(2 * np.pi * 440 * t), 0)
    right = np.where(t >= SILENCE[1], 9000 * np.sin(2 * np.pi * 660 * t), 0)
    out = io.BytesIO()
    frames = np.stack([left, right], axis=1).astype(np.int16)
    soundfile.write(out, frames, rate, format="WAV", subtype="ULAW")
    return out.getvalue()


def test_the_player_draws_from_server_peaks_and_skips_the_silence(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    audio = quiet_recording()
    name = "2024/05/02/quiet.wav"
    (console.settings.recordings_dir / name).parent.mkdir(parents=True, exist_ok=True)
    (console.settings.recordings_dir / name).write_bytes(audio)
    call = make_call("quiet", 1_714_600_000.0, "+4533123456", "201", Direction.INBOUND, talk_s=12)
    call.recording = Recording(
        name, "wav", "ulaw", 8000, call.answered_at, 12_000, len(audio),
        hashlib.sha256(audio).hexdigest(),
    )
    with Journal.open(console.settings.journal_url) as journal:
        ref = journal.save(call)
    asked: list[str] = []
    tab.page.on("request", lambda request: asked.append(request.url))
    page = tab.log_in("ada", f"/calls/{ref}")
    page.wait_for_selector("#cv-player[data-ready='true']", timeout=20_000)
    peaks = [url for url in asked if "/recording/peaks?points=" in url]
    assert len(peaks) == 1
    assert page.locator("#cv-waveform").get_attribute("data-peaks") == "server"
    lanes = page.evaluate(
        "() => document.querySelector('#cv-waveform > div').shadowRoot"
        ".querySelectorAll('[part~=\"canvases\"] > div, .canvases > div').length"
    )
    assert lanes >= 2
    drawn = page.evaluate(
        "() => [...document.querySelector('#cv-waveform > div').shadowRoot"
        ".querySelectorAll('canvas')].some(c => { const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; return d.some((v, i) => i % 4 === 3 && v); })"
    )
    assert drawn
    assert page.locator("#cv-silences").inner_text().startswith("1 silences (6.0 s)")
    # skip-silence on (the S key), play from 1 s: at 2 s the position jumps to 8 s
    page.locator("#cv-waveform").focus()
    page.keyboard.press("s")
    assert page.locator("#cv-skip-silence").get_attribute("aria-pressed") == "true"
    page.evaluate("() => null")
    page.keyboard.press("Home")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => document.getElementById('cv-waveform').dataset.skipped === '2'", timeout=15_000
    )
    page.wait_for_function(
        "() => Number(document.getElementById('cv-position').dataset.seconds) >= 8",
        timeout=5_000,
    )
    shoot(page, "call-skip-silence", tmp_path)
    page.get_by_role("button", name="Pause").click()
    # off again: the button says so
    page.get_by_role("button", name="Skip silence").click()
    assert page.locator("#cv-skip-silence").get_attribute("aria-pressed") == "false"
    tab.no_problems()

"""The console in real headless Chromium (Debian's, driven by Playwright) against a real
`callvault serve`: logging in as each role, the journal's filters and paging, a call's page
with its stereo player, editing a comment, switching language, and an agent kept out of
another agent's call. Screenshots of every page are taken on the way; with
$CALLVAULT_SCREENSHOTS set to a directory (docs/screenshots) they are kept there.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_helpers import BULK, PASSWORD, RECORDING_S, ROLES, Console

from callvault.journal import Journal

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM}: "
        "apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Playwright: pip install playwright"
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Tab:
    """A logged-in (or not) browser page that records console errors and CSP violations."""

    def __init__(self, browser: Any, console: Console, locale: str = "en-US") -> None:
        self.context = browser.new_context(
            base_url=console.base, locale=locale, timezone_id="UTC",
            viewport={"width": 1280, "height": 860},
        )
        self.context.set_default_timeout(30_000)  # the machine may be busy
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.failed: list[tuple[int, str]] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on(
            "response",
            lambda answer: self.failed.append((answer.status, answer.url))
            if answer.status >= 400
            else None,
        )

    def _console(self, message: Any) -> None:
        # failed requests are checked by status and URL (self.failed)
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def log_in(self, username: str, target: str = "/calls") -> Any:
        page = self.page
        page.goto(target)
        page.wait_for_url(re.compile(r"/login\?next="))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(re.escape(target) + r"$"))
        return page

    def close(self) -> None:
        self.context.close()

    def no_problems(self, *expected: int) -> None:
        """No script errors, no CSP refusals, no failed requests (but the ``expected``
        statuses a test asked for)."""
        assert self.problems == []
        assert [(status, url) for status, url in self.failed if status not in expected] == []


@pytest.fixture
def tab(browser: Any, console: Console) -> Iterator[Tab]:
    opened = Tab(browser, console)
    yield opened
    opened.close()


def shoot(page: Any, name: str, tmp_path: Path, *, full_page: bool = True) -> None:
    """A PNG of the page; kept in $CALLVAULT_SCREENSHOTS when that names a directory."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 5000
    keep = os.environ.get("CALLVAULT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(keep) / path.name)


def rows(page: Any) -> Any:
    page.wait_for_selector("#cv-calls[data-loaded]")
    return page.locator("#cv-calls tbody tr")


def test_the_login_page_and_a_wrong_password(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    page.goto("/calls/1")
    assert "/login?next=%2Fcalls%2F1" in page.url
    shoot(page, "login", tmp_path)
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Wrong username or password" in alert.inner_text()
    assert "/login" in page.url


MENUS = {
    "agent": ["Journal", "My calls", "My scores", "Playlists"],
    "supervisor": ["Journal", "Dashboard", "Evaluations", "Playlists", "Scorecards"],
    "manager": ["Journal", "Dashboard", "Evaluations", "Playlists", "Scorecards"],
    "compliance": ["Journal", "Evaluations", "Playlists", "Audit trail"],
    "admin": ["Journal", "Dashboard", "Evaluations", "Playlists", "Scorecards", "Audit trail"],
}
"""Each role's menu, in order: the pages its permissions open (docs/roles.md)."""


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_logs_in_and_gets_its_menu(
    browser: Any, console: Console, username: str, tmp_path: Path
) -> None:
    tab = Tab(browser, console)
    try:
        page = tab.log_in(username)
        role = ROLES[username][0]
        assert page.locator("#cv-user").get_attribute("data-role") == role
        menu = page.locator("nav a[data-nav]").all_inner_texts()
        audits = role in ("compliance", "admin")
        assert menu == MENUS[role]
        shown = rows(page).count()
        if role == "agent":
            # an agent's journal holds the agent's own calls only
            assert shown == (2 if username == "ann" else 1)
        elif role == "supervisor":
            assert shown == 3  # the team's
        else:
            assert shown == 50  # the first page of all 59
        if audits:
            page.get_by_role("link", name="Audit trail").click()
            page.wait_for_url("**/audit")
            page.wait_for_selector("#cv-audit[data-loaded]")
            assert page.locator("#cv-status").inner_text().endswith("entries")
            if username == "cleo":
                shoot(page, "audit", tmp_path)
        else:
            page.goto("/audit")
            assert page.locator("#cv-error-message").inner_text() == (
                "Your role may not open this page."
            )
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login")
        page.goto("/calls")
        assert "/login" in page.url  # the session has ended
        tab.no_problems(*(() if audits else (403,)))
    finally:
        tab.close()


def test_the_journal_filters_and_pages(tab: Tab, console: Console, tmp_path: Path) -> None:
    page = tab.log_in("ada")
    assert rows(page).count() == 50
    shoot(page, "journal", tmp_path, full_page=False)
    # a number and a status: the busy call to +4511223344 only
    page.get_by_label("Number contains").fill("4511223344")
    page.get_by_label("Status").select_option("busy")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"number=4511223344"))
    found = rows(page)
    assert found.count() == 1
    assert found.first.get_attribute("data-uid") == "other"
    assert "busy" in found.first.inner_text()
    assert page.locator("#cv-status").inner_text() == "1 calls"
    export = page.locator("#cv-export-csv").get_attribute("href")
    assert export == "/api/calls/export.csv?number=4511223344&status=busy"
    # the export link downloads what the filters select
    answer = page.request.get(export)
    assert answer.status == 200 and answer.text().count("\n") == 2
    # a quick range: "yesterday" (of today) holds none of these 2024 calls
    page.get_by_role("button", name="Reset").click()
    page.wait_for_url(re.compile(r"/calls$"))
    page.get_by_role("button", name="Yesterday").click()
    page.wait_for_url(re.compile(r"since="))
    assert rows(page).count() == 0
    assert page.locator("#cv-status").inner_text() == "No calls match these filters."
    # paging with the cursor: 59 calls, 50 then 9
    page.get_by_role("button", name="All time").click()
    page.wait_for_url(re.compile(r"/calls$"))
    first_page = set(rows(page).evaluate_all("rows => rows.map(r => r.dataset.uid)"))
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"(cursor|offset)="))
    second_page = set(rows(page).evaluate_all("rows => rows.map(r => r.dataset.uid)"))
    assert len(first_page) == 50 and len(second_page) == BULK + 4 - 50
    assert not first_page & second_page
    assert page.locator("#cv-page").inner_text() == "Page 2"
    # more filters: sorted by duration, shortest first, longer than a minute and a half
    page.get_by_role("button", name="Reset").click()
    page.wait_for_url(re.compile(r"/calls$"))
    page.locator("#cv-more summary").click()
    page.get_by_label("Sort by").select_option("duration")
    page.get_by_label("Order").select_option("asc")
    page.get_by_label("Longer than (s)").fill("80")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"sort=duration"))
    durations = rows(page).evaluate_all("rows => rows.map(r => r.dataset.uid)")
    assert durations == [f"bulk-{i:02d}" for i in range(48, BULK)]
    assert page.locator("#cv-more").get_attribute("open") is not None
    tab.no_problems()


def test_the_call_page_plays_and_seeks_the_stereo_recording(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    ref = console.ids["anns"]
    page = tab.log_in("ann", f"/calls/{ref}")
    page.wait_for_selector("#cv-player[data-ready='true']", timeout=20_000)
    duration = float(page.locator("#cv-position").get_attribute("data-duration") or 0)
    assert duration == pytest.approx(RECORDING_S, abs=0.1)
    # two lanes: wavesurfer draws each channel apart
    lanes = page.evaluate(
        "() => document.querySelector('#cv-waveform > div').shadowRoot"
        ".querySelectorAll('[part~=\"canvases\"] > div, .canvases > div').length"
    )
    assert lanes >= 2
    # the fields, streams, events and the client's earlier call
    fields = page.locator("#cv-fields").inner_text()
    assert "+4533123456" in fields and "answered" in fields
    assert page.locator("#cv-streams tbody tr").count() == 2
    assert "dtmf" in page.locator("#cv-events").inner_text()
    history = page.locator("#cv-history li")
    history.first.wait_for()
    assert history.count() == 1
    assert history.first.locator("a").get_attribute("href") == (
        f"/calls/{console.ids['anns-earlier']}"
    )

    def position() -> float:
        return float(page.locator("#cv-position").get_attribute("data-seconds") or 0)

    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => Number(document.getElementById('cv-position').dataset.seconds) > 0.5",
        polling=100,
        timeout=30_000,
    )
    assert page.locator("#cv-player").get_attribute("data-playing") == "true"
    page.get_by_role("button", name="Pause").click()
    paused = position()
    assert 0.5 < paused < 10
    # seek by clicking the waveform at three quarters
    box = page.locator("#cv-waveform").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "() => Math.abs(Number(document.getElementById('cv-position').dataset.seconds) - 15) < 1",
        polling=100,
    )
    # keyboard: Home, then → skips 5 s; ] speeds up
    page.locator("#cv-waveform").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => Math.abs(Number(document.getElementById('cv-position').dataset.seconds) - 5) < 0.2",
        polling=100,
    )
    page.keyboard.press("]")
    assert page.locator("#cv-speed").input_value() == "1.25"
    # the DTMF at 0:10 of the call is a marker 8 s into the recording (it starts at answer);
    # its time in the events table plays from there
    assert page.locator("#cv-waveform").get_attribute("data-markers") == "1"
    page.locator("#cv-events tbody button").click()
    page.wait_for_function(
        "() => Math.abs(Number(document.getElementById('cv-position').dataset.seconds) - 8) < 0.2",
        polling=100,
    )
    page.locator("#cv-waveform").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => Math.abs(Number(document.getElementById('cv-position').dataset.seconds) - 5) < 0.2",
        polling=100,
    )
    # playing on from 5 s: the position keeps advancing
    page.keyboard.press(" ")
    page.wait_for_function(
        "() => Number(document.getElementById('cv-position').dataset.seconds) > 5.5",
        polling=100,
        timeout=30_000,
    )
    page.keyboard.press(" ")
    shoot(page, "call", tmp_path)
    tab.no_problems()


def test_editing_a_comment_saves_it_with_the_csrf_token(tab: Tab, console: Console) -> None:
    ref = console.ids["anns"]
    page = tab.log_in("ann", f"/calls/{ref}")
    page.wait_for_selector("#cv-call[data-loaded]")  # the form holds the call's values
    page.get_by_label("Comment", exact=True).fill("Wants a callback on Friday")
    page.get_by_label("Outcome", exact=True).fill("Callback")
    page.get_by_label("Tags (comma-separated)").fill("vip, callback")
    page.get_by_role("button", name="Save").click()
    page.wait_for_function("() => document.getElementById('cv-save-status').textContent")
    assert page.locator("#cv-save-status").inner_text() == "Saved."
    # as the API keeps it
    assert page.get_by_label("Outcome", exact=True).input_value() == "callback"
    with Journal.open(console.settings.journal_url) as journal:
        saved = journal.get_call(str(ref))
    assert saved is not None
    assert (saved.comment, saved.outcome, list(saved.tags)) == (
        "Wants a callback on Friday", "callback", ["vip", "callback"]
    )
    page.reload()
    page.wait_for_selector("#cv-call[data-loaded]")
    assert page.get_by_label("Comment", exact=True).input_value() == "Wants a callback on Friday"
    tab.no_problems()


def test_roles_that_may_not_annotate_get_no_form(browser: Any, console: Console) -> None:
    tab = Tab(browser, console)
    try:
        page = tab.log_in("max", f"/calls/{console.ids['bobs']}")
        page.locator("#cv-fields dt").first.wait_for()
        assert page.locator("#cv-annotate").count() == 0
        assert page.locator("#cv-no-recording").inner_text().startswith("No recording")
    finally:
        tab.close()


def test_switching_language(tab: Tab, console: Console, tmp_path: Path) -> None:
    page = tab.log_in("ada")
    rows(page)
    for tag, journal, month in (
        ("ru", "Журнал звонков", "мая"),
        ("pt-BR", "Registro de chamadas", "mai."),
        ("da", "Opkaldslog", "maj"),
    ):
        page.get_by_label({"ru": "Language", "pt-BR": "Язык", "da": "Idioma"}[tag]).select_option(
            tag
        )
        page.wait_for_function(f"() => document.documentElement.lang === '{tag}'")
        assert page.locator("h1").inner_text() == journal
        # dates in the locale: the newest calls are from May 2024
        texts = " ".join(rows(page).locator("td:first-child").all_inner_texts())
        assert month in texts, texts
        if tag == "ru":
            shoot(page, "journal-ru", tmp_path, full_page=False)
    page.get_by_label("Sprog").select_option("en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    tab.no_problems()


def test_an_agent_cannot_open_another_agents_call(
    tab: Tab, console: Console, tmp_path: Path
) -> None:
    bobs = console.ids["bobs"]
    page = tab.log_in("ann")
    answer = page.goto(f"/calls/{bobs}")
    assert answer is not None and answer.status == 404
    assert page.locator("#cv-error-message").inner_text() == "No such call, or you may not see it."
    assert page.locator("#cv-fields").count() == 0
    api = page.request.get(f"/api/calls/{bobs}")
    assert api.status == 404
    recording = page.request.get(f"/api/calls/{console.ids['anns']}/recording")
    assert recording.status == 200  # her own
    shoot(page, "not-found", tmp_path)
    tab.no_problems(404)

"""The dashboard page over HTTP (no browser): who gets it and who the 403 page, its menu
entry, the console's security headers with no inline script, its assets served, and every
message its script and template use present in every language."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from console_helpers import ROLES, populate
from fastapi.testclient import TestClient
from test_console_pages import assert_secure, log_in

from callvault.api import create_app
from callvault.config import Settings
from callvault.console import i18n

CONSOLE = Path(str(resources.files("callvault.console")))
SCRIPT = (CONSOLE / "static" / "dashboard.js").read_text(encoding="utf-8")
TEMPLATE = (CONSOLE / "templates" / "dashboard.html").read_text(encoding="utf-8")
READERS = {"supervisor", "manager", "admin"}
"""The roles holding analytics.read."""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    found = Settings(data_dir=tmp_path_factory.mktemp("dashboard-pages") / "data")
    populate(found)
    return found


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def test_without_a_session_the_dashboard_goes_to_the_login(client: TestClient) -> None:
    answer = client.get("/dashboard?range=30d")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fdashboard%3Frange%3D30d"
    assert_secure(answer.headers)


@pytest.mark.parametrize("username", list(ROLES))
def test_the_dashboard_is_for_the_roles_that_read_analytics(
    client: TestClient, username: str
) -> None:
    log_in(client, username)
    reader = ROLES[username][0] in READERS
    journal = client.get("/calls")
    assert ('href="/dashboard"' in journal.text) is reader
    answer = client.get("/dashboard")
    assert_secure(answer.headers)
    assert answer.headers["cache-control"] == "no-store"
    if reader:
        assert answer.status_code == 200
        assert '<a href="/dashboard" data-nav="dashboard.nav" aria-current="page">' in answer.text
        assert 'id="dash-heatmap"' in answer.text
        # the API it reads lets the same user in
        assert client.get("/api/analytics/heatmap").status_code == 200
    else:
        assert answer.status_code == 403
        assert "Your role may not open this page." in answer.text
        assert 'id="dash' not in answer.text
        assert client.get("/api/analytics/heatmap").status_code == 403


def test_the_page_has_no_inline_script_and_its_assets_are_served(client: TestClient) -> None:
    log_in(client, "max")
    page = client.get("/dashboard").text
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts, "the page loads its scripts"
    for attributes in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert "style=" not in page
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    names = {asset.rsplit("/", 1)[-1] for asset in assets}
    assert {"charts.js", "dashboard.js", "console.js", "console.css"} <= names
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert_secure(answer.headers)
    charts = next(a for a in assets if a.endswith("/charts.js"))
    assert client.get(charts).headers["content-type"] == "text/javascript; charset=utf-8"


def _keys_used() -> set[str]:
    """Every message key the dashboard's script and template ask for, the composed ones
    (``dashboard.kpi_${name}``, ``col_``, ``dim_``) included."""
    quoted = re.findall(r"""["'`](dashboard\.[a-z0-9_]+[a-z0-9])["'`]""", SCRIPT + TEMPLATE)
    literal = {key for key in quoted if key != "dashboard.js"}  # but the script's file name
    literal |= set(re.findall(r"'((?:quick|filter)\.[a-z0-9_]+|any|loading)'", TEMPLATE))

    def names(block: str) -> list[str]:
        body = SCRIPT.split(f"const {block} = [", 1)[1].split("];", 1)[0]
        return re.findall(r'\["([a-z0-9_]+)"', body)

    composed = {f"dashboard.kpi_{n}" for n in names("CARDS")}
    for block in ("AGENT_COLUMNS", "TEAM_COLUMNS", "ROI_COLUMNS"):
        composed |= {f"dashboard.col_{n}" for n in names(block)}
    listed = SCRIPT.split("const DIMENSIONS = [", 1)[1].split("]", 1)[0]
    dimensions = re.findall(r'"([a-z]+)"', listed)
    composed |= {f"dashboard.dim_{n}" for n in dimensions}
    return literal | composed | {"loading", "error.generic", "any"}


def test_every_message_the_dashboard_uses_is_in_every_language() -> None:
    used = _keys_used()
    assert {"dashboard.kpi_service_level", "dashboard.col_roi", "dashboard.dim_campaign",
            "dashboard.heat_cell", "quick.7d"} <= used
    for language in i18n.LANGUAGES:
        catalogue = i18n.catalogue(language)
        assert sorted(used - catalogue.keys()) == [], language
    english = json.loads(
        (CONSOLE / "i18n" / "dashboard" / "en.json").read_text(encoding="utf-8"))
    unused = {key for key in english if key not in used and key != "dashboard.nav"}
    assert unused == set()

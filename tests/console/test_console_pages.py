"""The console over HTTP (no browser): pages need a session, security headers on every
answer, static files cached for a year under a digest, no open redirect after login, the
message catalogues complete, the vendored files those the README lists."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from console_helpers import PASSWORD, ROLES, populate
from fastapi.testclient import TestClient

from callvault.api import create_app
from callvault.config import Settings
from callvault.console import i18n
from callvault.console.routes import STATIC_MAX_AGE_S, asset_version

STATIC = Path(str(resources.files("callvault.console").joinpath("static")))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, int]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("pages") / "data")
    return settings, populate(settings)


@pytest.fixture
def client(setup: tuple[Settings, dict[str, int]]) -> Iterator[TestClient]:
    with TestClient(create_app(setup[0])) as test_client:
        yield test_client


def log_in(client: TestClient, username: str) -> None:
    answer = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


def assert_secure(headers: dict[str, str] | object) -> None:
    csp = headers["content-security-policy"]  # type: ignore[index]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["referrer-policy"] == "same-origin"  # type: ignore[index]


@pytest.mark.parametrize("path", ["/", "/calls", "/calls/1", "/audit"])
def test_pages_without_a_session_go_to_the_login(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    assert_secure(answer.headers)


def test_the_login_page_is_secured_and_scriptless_inline(client: TestClient) -> None:
    answer = client.get("/login")
    assert answer.status_code == 200
    assert_secure(answer.headers)
    assert answer.headers["cache-control"] == "no-store"
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["content-security-policy"])
    assert nonce and f'content="{nonce.group(1)}"' in answer.text
    # every script is a file or a JSON data block: nothing inline to execute
    for tag in re.findall(r"<script[^>]*>", answer.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "style=" not in answer.text


def test_after_login_only_paths_on_this_site(client: TestClient) -> None:
    log_in(client, "sam")
    for target, where in (
        ("/calls/3", "/calls/3"),
        ("//evil.example/x", "/calls"),
        ("https://evil.example/", "/calls"),
        ("/\\evil.example", "/calls"),
    ):
        answer = client.get("/login", params={"next": target}, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == where


def test_menus_and_controls_follow_the_role(
    client: TestClient, setup: tuple[Settings, dict[str, int]]
) -> None:
    ids = setup[1]
    for username, (role, _) in ROLES.items():
        client.cookies.clear()
        log_in(client, username)
        journal = client.get("/calls")
        assert journal.status_code == 200
        assert ('href="/audit"' in journal.text) == (role in ("compliance", "admin"))
        assert client.get("/audit").status_code == (
            200 if role in ("compliance", "admin") else 403
        )
        own = ids["anns"] if username != "bob" else ids["bobs"]
        call = client.get(f"/calls/{own}")
        assert call.status_code == 200
        assert ('id="cv-annotate"' in call.text) == (role in ("agent", "supervisor", "admin"))
    client.cookies.clear()
    log_in(client, "ann")
    assert client.get(f"/calls/{ids['bobs']}").status_code == 404
    assert client.get("/calls/no-such-call").status_code == 404


def test_static_files_are_cached_for_a_year_under_their_digest(client: TestClient) -> None:
    version = asset_version()
    answer = client.get(f"/static/{version}/vendor/wavesurfer.min.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == f"public, max-age={STATIC_MAX_AGE_S}, immutable"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert_secure(answer.headers)
    stale = client.get("/static/0123456789abcdef/console.css")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    for escape in ("../routes.py", "..%2Froutes.py", "vendor/../../i18n/en.json"):
        assert client.get(f"/static/{version}/{escape}").status_code == 404


def test_the_page_language_follows_the_switcher_then_the_browser(client: TestClient) -> None:
    answer = client.get("/login", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    assert '<html lang="da">' in answer.text and "Adgangskode" in answer.text
    client.cookies.set(i18n.COOKIE, "ru")
    answer = client.get("/login", headers={"Accept-Language": "da"})
    assert '<html lang="ru">' in answer.text and "Пароль" in answer.text


@pytest.mark.parametrize(
    ("chosen", "accept", "expected"),
    [
        (None, None, "en"),
        (None, "pt", "pt-BR"),
        (None, "pt-PT,en;q=0.1", "pt-BR"),
        (None, "fr, ru;q=0.5, da;q=0.8", "da"),
        (None, "de;q=0, ru;q=0.1", "ru"),
        ("xx", "ru", "ru"),
        ("pt-BR", "ru", "pt-BR"),
    ],
)
def test_negotiation(chosen: str | None, accept: str | None, expected: str) -> None:
    assert i18n.negotiate(chosen, accept) == expected


def test_every_catalogue_has_every_message_with_its_placeholders() -> None:
    english = i18n.catalogue("en")
    for language in i18n.LANGUAGES:
        messages = i18n.catalogue(language)
        assert set(messages) == set(english), language
        for key, text in messages.items():
            assert re.findall(r"{\w+}", text) == re.findall(r"{\w+}", english[key]), key
    templates = Path(str(resources.files("callvault.console").joinpath("templates")))
    scripts = [*templates.glob("*.html"), *STATIC.glob("*.js")]
    key = re.compile(r"\bt\(['\"]([a-z_]+\.[a-z_0-9]+)")
    used = {found for path in scripts for found in key.findall(path.read_text())}
    assert used and used <= set(english), used - set(english)


def test_the_vendored_files_are_those_the_readme_lists() -> None:
    readme = (STATIC / "vendor" / "README.md").read_text()
    listed = dict(re.findall(r"\| `([\w.]+\.(?:js|css))` \|.*\| `([0-9a-f]{64})` \|", readme))
    vendor = STATIC / "vendor"
    present = {path.name for path in vendor.iterdir() if path.suffix in (".js", ".css")}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == digest
    for licence in ("LICENSE.wavesurfer.txt", "LICENSE.pico.md"):
        assert (STATIC / "vendor" / licence).stat().st_size > 500
    assert json.loads((STATIC.parent / "i18n" / "en.json").read_text())

"""Property-based: schemathesis walks the OpenAPI schema the API serves (GET /api/openapi.json,
authenticated) and sends generated requests, valid and invalid, to every operation as an admin
and as an agent. No answer is ever 5xx; every 4xx carries the JSON error envelope.

Bounded: a few dozen examples per operation, well under a minute in all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis")

from api_helpers import bearer  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.python import asgi  # noqa: E402

from callvault.api import create_app  # noqa: E402
from callvault.config import Settings  # noqa: E402

MAX_EXAMPLES = 15
USERS = ("ada", "ann")
"""An admin and an agent (whose extension, 201, is on one call)."""


@pytest.fixture
def api_schema(settings: Settings, tokens: dict[str, str]) -> Iterator[Any]:
    app = create_app(settings)
    with TestClient(app) as client:
        answer = client.get("/api/openapi.json", headers=bearer(tokens["ada"]))
        assert answer.status_code == 200, answer.text
        document = answer.json()
        loaded = schemathesis.openapi.from_dict(document)
        loaded.app = app
        yield loaded


@pytest.fixture
def asgi_session(api_schema: Any) -> Iterator[Any]:
    """One in-process client for all the calls (not one app start-up and shut-down each)."""
    with asgi.get_client(api_schema.app) as session:
        yield session


OPERATIONS = [
    ("GET", "/api/health"),
    ("GET", "/api/me"),
    ("GET", "/api/calls"),
    ("GET", "/api/calls/{ref}"),
    ("POST", "/api/cdr/freeswitch"),
]


def test_the_schema_covers_every_route(api_schema: Any) -> None:
    assert set(OPERATIONS) <= set(operations(api_schema))


def operations(api_schema: Any) -> dict[tuple[str, str], Any]:
    """Every operation the served schema has, by (METHOD, path)."""
    found = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        found[(operation.method.upper(), operation.path)] = operation
    return found


ENDLESS = {("GET", "/api/events")}
"""Streams that run until the client leaves (or ``max_seconds``): called with a short one."""


def check(response: Any, shown: str) -> None:
    status = response.status_code
    assert status < 500, shown
    if 400 <= status < 500:
        body = json.loads(response.content)
        assert isinstance(body, dict) and set(body) == {"error"}, shown
        error = body["error"]
        assert set(error) == {"code", "message"}, shown
        assert isinstance(error["code"], str) and error["code"], shown
        assert isinstance(error["message"], str) and error["message"], shown


# schemathesis' own pytest plugin (schema.parametrize) does not run under pytest 9: the
# operations' strategies are driven by hypothesis here instead, every operation the schema
# has at run time (routes added later are walked too).
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_5xx_and_every_4xx_in_the_envelope(
    api_schema: Any, asgi_session: Any, tokens: dict[str, str], mode: str
) -> None:
    failures = []
    for (method, path), operation in sorted(operations(api_schema).items()):
        try:
            strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
        except Exception as exc:  # an operation with nothing invalid to generate
            if mode == "negative":
                continue
            raise AssertionError(f"{method} {path}: {exc}") from exc

        # No shrinking: the first failing example is reported as generated (and quickly).
        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            if (case.method, case.path) in ENDLESS:
                # an event stream ends only when asked to: at most a moment here
                limit = (case.query or {}).get("max_seconds")
                if not isinstance(limit, int | float) or not 0 <= limit <= 0.2:
                    case.query = {**(case.query or {}), "max_seconds": 0.05}
            for user in USERS:
                shown = (
                    f"{user}: {case.method} {case.formatted_path} query={case.query!r} "
                    f"body={case.body!r:.200}"
                )
                try:
                    response = case.call(session=asgi_session, headers=bearer(tokens[user]))
                except Exception as exc:  # the in-process client re-raises server errors
                    raise AssertionError(f"{shown} -> 500 ({type(exc).__name__}: {exc})") from exc
                text = response.content[:300].decode("utf-8", "replace")
                check(response, f"{shown} -> {response.status_code} {text}")

        try:
            run()
        except Unsatisfiable:  # no invalid request to make (an operation without parameters)
            if mode != "negative":
                raise
        except AssertionError as exc:
            failures.append(f"{method} {path}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)

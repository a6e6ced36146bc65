"""Signatures: what callvault sends verifies, with callvault's verify and with the few
lines docs/webhooks.md gives receivers; a changed body, another secret or an old
timestamp does not."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from callvault.webhooks import signature_header, verify

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"evt_1","event":"call.finished","call":{"uid":"x"}}'

Verify = Callable[[str, str, bytes], bool]


def _documented() -> Verify:
    text = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    [code] = [block for block in blocks if "def verify" in block]
    namespace: dict[str, object] = {}
    exec(code, namespace)  # noqa: S102 - the receiver's code, as documented
    return namespace["verify"]  # type: ignore[return-value]


@pytest.fixture(params=["callvault", "docs"])
def check(request: pytest.FixtureRequest) -> Verify:
    return verify if request.param == "callvault" else _documented()


def test_a_fresh_signature_verifies(check: Verify) -> None:
    assert check(SECRET, signature_header(SECRET, BODY), BODY)


def test_a_changed_body_or_another_secret_does_not(check: Verify) -> None:
    header = signature_header(SECRET, BODY)
    assert not check(SECRET, header, BODY.replace(b"x", b"y"))
    assert not check("whsec_another-secret-0000", header, BODY)
    assert not check(SECRET, header.replace("v1=", "v1=0"), BODY)


def test_an_old_or_malformed_header_does_not(check: Verify) -> None:
    old = signature_header(SECRET, BODY, timestamp=int(time.time()) - 3600)
    assert not check(SECRET, old, BODY)
    for header in ("", "t=,v1=", "v1=abc", "t=now,v1=abc", "garbage"):
        assert not check(SECRET, header, BODY)


def test_the_header_has_the_documented_form() -> None:
    header = signature_header(SECRET, BODY, timestamp=1_714_567_890)
    assert re.fullmatch(r"t=1714567890,v1=[0-9a-f]{64}", header)
    assert verify(SECRET, header, BODY, now=1_714_567_890 + 299)
    assert not verify(SECRET, header, BODY, now=1_714_567_890 + 301)

"""Classifier.e164 answers +numbers of one country code and national length without asking
phonenumbers again only where phonenumbers itself looks at nothing but that length: these
tests hold it to phonenumbers' own answer for every country code."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from callvault.calls.classify import Classifier
from callvault.config import Settings


def _phonenumbers_e164(number: str) -> str | None:
    """What phonenumbers says of a +number, asked directly every time."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(parsed) else None


def _numbers() -> list[str]:
    """For every country code, every national length that makes 7 to 15 digits, national
    parts starting with each digit (so national prefixes such as 0, 1 or 8 are among them)."""
    rnd = random.Random(20240611)
    out = []
    for country_code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        code = str(country_code)
        for total in range(7, 16):
            length = total - len(code)
            for first in "0123456789":
                rest = "".join(rnd.choice("0123456789") for _ in range(length - 1))
                out.append(f"+{code}{first}{rest}")
    return out


@pytest.mark.parametrize("region", [None, "DE"])
def test_e164_of_international_numbers_is_phonenumbers_answer(region: str | None) -> None:
    classifier = Classifier(Settings(default_region=region))
    numbers = _numbers()
    expected = [_phonenumbers_e164(n) for n in numbers]
    assert [classifier.e164(n) for n in numbers] == expected
    # asked again (answers now come from what the first round learnt)
    assert [classifier.e164(n) for n in reversed(numbers)] == expected[::-1]


def test_e164_of_00_prefix_numbers() -> None:
    classifier = Classifier(Settings())
    assert classifier.e164("004930123456") == "+4930123456"
    assert classifier.e164("0049 30 123456") == "+4930123456"
    assert classifier.e164("+999123456") is None  # no such country code

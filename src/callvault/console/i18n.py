"""The console's message catalogues: one JSON file per language in ``i18n/`` (``en.json``…),
and one per language and feature in its folders (``i18n/dashboard/en.json``…), merged; the
same keys in each language. The server renders page text from them and hands the page's
catalogue to the browser's scripts, which format dates, numbers and durations with
``Intl`` in that locale."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

LANGUAGES: Final[dict[str, str]] = {
    "en": "English",
    "pt-BR": "Português (Brasil)",
    "ru": "Русский",
    "da": "Dansk",
}
"""Language tag → its own name (as the switcher shows it)."""

DEFAULT: Final = "en"
COOKIE: Final = "callvault_lang"
"""The language the user chose with the switcher (not a secret: readable by the scripts)."""


@cache
def catalogue(language: str) -> dict[str, str]:
    """The messages of ``language`` (one of ``LANGUAGES``)."""
    root = resources.files("callvault.console").joinpath("i18n")
    messages: dict[str, str] = json.loads(
        root.joinpath(f"{language}.json").read_text(encoding="utf-8")
    )
    for feature in sorted((f for f in root.iterdir() if f.is_dir()), key=lambda f: f.name):
        part = feature.joinpath(f"{language}.json")
        if part.is_file():
            for key, message in json.loads(part.read_text(encoding="utf-8")).items():
                if key in messages:
                    raise ValueError(f"console message {key!r} is defined twice ({feature.name})")
                messages[key] = message
    return messages


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The page's language: the switcher's choice if it is one we have, else the best match
    of the browser's Accept-Language (by quality, then order; "pt" matches "pt-BR"), else
    English."""
    if chosen in LANGUAGES:
        return chosen
    wanted: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(wanted):
        for language in LANGUAGES:
            if tag == language.lower() or tag.split("-")[0] == language.lower().split("-")[0]:
                return language
    return DEFAULT


def translate(language: str, key: str, **values: object) -> str:
    """The message ``key`` in ``language`` with ``{name}`` placeholders filled (English if
    the key is missing, the key itself if English lacks it too)."""
    message = catalogue(language).get(key) or catalogue(DEFAULT).get(key) or key
    for name, value in values.items():
        message = message.replace("{" + name + "}", str(value))
    return message

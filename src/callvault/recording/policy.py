"""The recording policy: which calls are recorded from their first moment, and which must
carry the consent notice.

A rule is a line of words: conditions ``KEY=VALUE`` (all must hold), then the action
``record`` or ``skip``, optionally a sampling percentage ``NN%``::

    direction=inbound queue=8000 record 25%
    number=+4533 skip
    agent=1001 record

Keys: ``number`` (a prefix of the caller's or the callee's number, as dialled or in E.164),
``caller`` / ``callee`` (the same, one party), ``direction`` (inbound, outbound, internal,
unknown), ``agent`` (the agent's extension: the callee of an inbound call, the caller of an
outbound one, either party of an internal one) and ``queue`` (the number the caller
dialled). The first rule whose conditions all hold decides; a call no rule matches follows
the mode: ``all`` records it, ``none`` and ``on-demand`` do not (``on-demand`` lets an
operator start it later; ``none`` refuses). Sampling is deterministic per call id: the same
call gets the same decision on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from callvault.calls.model import Call, Direction
from callvault.errors import ConfigError

MODES = ("all", "none", "on-demand")
KEYS = ("number", "caller", "callee", "direction", "agent", "queue")
ACTIONS = ("record", "skip")
DIRECTIONS = tuple(d.value for d in Direction)


@dataclass(frozen=True, slots=True)
class Rule:
    """Conditions (key, value) that must all hold, and what to do with a call that matches."""

    conditions: tuple[tuple[str, str], ...]
    record: bool = True
    percent: float = 100.0
    text: str = ""

    def matches(self, call: Call) -> bool:
        return all(_holds(call, key, value) for key, value in self.conditions)


@dataclass(frozen=True, slots=True)
class Decision:
    record: bool
    """Whether the call is recorded from its start."""
    reason: str
    """Why, in words: the rule that matched, the mode, or the sampling."""


def parse_conditions(text: str, rule: str | None = None) -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` words (``all``: none, every call); ConfigError says what is wrong."""
    whole = rule or text
    conditions = []
    for word in text.split():
        if word == "all":
            continue
        key, eq, value = word.partition("=")
        if not eq or not value:
            raise ConfigError(f"recording rule {whole!r}: {word!r} is not KEY=VALUE")
        if key not in KEYS:
            raise ConfigError(
                f"recording rule {whole!r}: unknown key {key!r} (one of {', '.join(KEYS)})"
            )
        if key == "direction" and value not in DIRECTIONS:
            raise ConfigError(
                f"recording rule {whole!r}: direction must be one of {', '.join(DIRECTIONS)}"
            )
        conditions.append((key, value))
    return tuple(conditions)


def parse_rule(text: str) -> Rule:
    """A rule from its text (see the module docstring); ConfigError names what to fix."""
    words = text.split()
    percent = 100.0
    if words and words[-1].endswith("%"):
        try:
            percent = float(words[-1][:-1])
        except ValueError:
            percent = -1.0
        if not 0 <= percent <= 100:
            raise ConfigError(f"recording rule {text!r}: the sampling must be 0% to 100%")
        words = words[:-1]
    if not words or words[-1] not in ACTIONS:
        raise ConfigError(f"recording rule {text!r}: end it with record or skip")
    return Rule(parse_conditions(" ".join(words[:-1]), text), words[-1] == "record", percent, text)


def sampled(uid: str, percent: float) -> bool:
    """Whether a call falls in a ``percent`` sample: a hash of its id, so reproducible."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    bucket = int(hashlib.sha256(uid.encode()).hexdigest()[:8], 16) % 10_000
    return bucket < percent * 100


class RecordingPolicy:
    """Decides each call's initial recording state and whether it must carry the notice."""

    def __init__(
        self,
        mode: str = "all",
        rules: Iterable[Rule] = (),
        sample_percent: float = 100.0,
        consent_required: Iterable[tuple[tuple[str, str], ...]] = (),
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"recording mode {mode!r}: use one of {', '.join(MODES)}")
        self.mode = mode
        self.rules = tuple(rules)
        self.sample_percent = sample_percent
        self.consent_required = tuple(consent_required)

    @classmethod
    def from_settings(cls, settings: object) -> RecordingPolicy:
        return cls(
            getattr(settings, "recording_mode", "all"),
            [parse_rule(r) for r in getattr(settings, "recording_rules", ())],
            getattr(settings, "recording_sample_percent", 100.0),
            [parse_conditions(c) for c in getattr(settings, "consent_required", ())],
        )

    @property
    def records_everything(self) -> bool:
        """Every call recorded whole: the recorder needs no per-call decision at all."""
        return self.mode == "all" and not self.rules and self.sample_percent >= 100

    @property
    def controllable(self) -> bool:
        """Whether operators may start, stop, pause and resume recordings."""
        return self.mode != "none"

    def decide(self, call: Call) -> Decision:
        for rule in self.rules:
            if rule.matches(call):
                if not rule.record:
                    return Decision(False, f"rule: {rule.text}")
                if not sampled(call.uid, rule.percent):
                    return Decision(False, f"not sampled ({rule.percent:g}%): {rule.text}")
                return Decision(True, f"rule: {rule.text}")
        if self.mode != "all":
            return Decision(False, f"mode {self.mode}")
        if not sampled(call.uid, self.sample_percent):
            return Decision(False, f"not sampled ({self.sample_percent:g}%)")
        return Decision(True, "mode all")

    def must_carry_consent(self, call: Call) -> bool:
        """Whether policy requires the consent notice on this call (any listed condition set
        holds; an empty set is every call)."""
        return any(
            all(_holds(call, key, value) for key, value in conditions)
            for conditions in self.consent_required
        )


def _prefixed(number: str | None, prefix: str) -> bool:
    return number is not None and number.startswith(prefix)


def _party_has(party: object, prefix: str) -> bool:
    return _prefixed(getattr(party, "number", None), prefix) or _prefixed(
        getattr(party, "e164", None), prefix
    )


def _is(party: object, value: str) -> bool:
    return value in (getattr(party, "number", None), getattr(party, "e164", None))


def _holds(call: Call, key: str, value: str) -> bool:
    if key == "number":
        return _party_has(call.caller, value) or _party_has(call.callee, value)
    if key == "caller":
        return _party_has(call.caller, value)
    if key == "callee":
        return _party_has(call.callee, value)
    if key == "direction":
        return call.direction.value == value
    if key == "queue":
        return _is(call.callee, value)
    # agent: the business's own side of the call
    if call.direction == Direction.INBOUND:
        return _is(call.callee, value)
    if call.direction == Direction.OUTBOUND:
        return _is(call.caller, value)
    return _is(call.caller, value) or _is(call.callee, value)

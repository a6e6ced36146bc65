"""The scoring rules of docs/quality.md, by hand-computed examples (no database)."""

from __future__ import annotations

import re

import pytest

from callvault.quality import Answer, Kind, QualityError, Question, Scorecard, Section, score
from callvault.quality.scoring import check_answer, check_definition


def card(*sections: Section) -> Scorecard:
    return Scorecard(1, "card", 1, 1, None, sections, True, 0.0, 0.0)


GREETING = Section("Greeting", (
    Question("Greeted by name", weight=1, id=1),
    Question("Gave own name", weight=3, id=2),
), weight=1)
HANDLING = Section("Handling", (
    Question("Empathy", Kind.SCALE, weight=2, scale_max=4, id=3),
    Question("Offered follow-up", weight=1, allow_na=True, id=4),
    Question("Verified identity", weight=1, critical=True, id=5),
), weight=3)
CARD = card(GREETING, HANDLING)


def answers(**values: int | None) -> dict[int, Answer]:
    found = {}
    for key, value in values.items():
        question = int(key[1:])
        found[question] = Answer(question, value, na=value is None)
    return found


def test_weighted_sections_and_questions() -> None:
    # Greeting: (1·1 + 3·0) / 4 = 25 %; Handling: (2·3/4 + 1·1 + 1·1) / 4 = 87.5 %
    # total: (1·25 + 3·87.5) / 4 = 71.875 → 71.88
    result = score(CARD, answers(q1=1, q2=0, q3=3, q4=1, q5=1))
    assert result.sections == (25.0, 87.5)
    assert result.total == 71.88
    assert not result.critical_failed


def test_na_is_left_out_of_numerator_and_denominator() -> None:
    # Handling without q4: (2·2/4 + 1·1) / 3 = 66.67 %; total (1·100 + 3·66.67)/4 = 75
    result = score(CARD, answers(q1=1, q2=1, q3=2, q4=None, q5=1))
    assert result.sections == (100.0, 66.67)
    assert result.total == 75.0


def test_a_failed_critical_question_zeroes_the_total_only() -> None:
    result = score(CARD, answers(q1=1, q2=1, q3=4, q4=1, q5=0))
    assert result.critical_failed
    assert result.total == 0.0
    assert result.sections == (100.0, 75.0)


def test_unscored_sections_drop_out_and_nothing_scored_is_none() -> None:
    assert score(CARD, {}).total is None
    only_greeting = score(CARD, answers(q1=1, q2=1))
    assert only_greeting.sections == (100.0, None)
    assert only_greeting.total == 100.0


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        (1, Answer(1, 2), "send 1 (yes) or 0 (no)"),
        (3, Answer(3, 5), "scored 0 to 4"),
        (3, Answer(3, -1), "scored 0 to 4"),
        (1, Answer(1, None, na=True), "does not allow N/A"),
        (4, Answer(4, 1, na=True), "not both"),
        (2, Answer(2, None), "send a value"),
    ],
)
def test_bad_answers_are_refused(question: int, answer: Answer, message: str) -> None:
    with pytest.raises(QualityError, match=re.escape(message)):
        check_answer(CARD.questions()[question], answer)


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ((), "at least one section"),
        ((Section("Empty", ()),), "at least one question"),
        ((Section("W", (Question("q"),), weight=0),), "weight must be greater than 0"),
        ((Section("S", (Question("q", weight=-1),)),), "weight must be greater than 0"),
        ((Section("S", (Question("q", Kind.SCALE),)),), "give scale_max"),
        ((Section("S", (Question("q", scale_max=5),)),), "leave scale_max out"),
        ((Section(" ", (Question("q"),)),), "needs a title"),
        ((Section("S", (Question(""),)),), "needs a text"),
    ],
)
def test_bad_definitions_are_refused(sections: tuple[Section, ...], message: str) -> None:
    with pytest.raises(QualityError, match=re.escape(message)):
        check_definition(sections)

"""The score of an evaluation, from its answers (``docs/quality.md`` states these rules).

- A question's share: yes 1, no 0; a scale question's points / ``scale_max``.
- A section's score: its answered questions' shares averaged by question weight; questions
  answered N/A (or not yet answered) are left out of numerator and denominator alike. A
  section with no scored question has no score and is left out of the total.
- The total: the scored sections' scores averaged by section weight, in percent, rounded
  to 0.01. No scored section: no total (None).
- A critical question answered no (or 0 points) makes the total 0 %, whatever the rest;
  the sections keep their own scores, so the agent sees where the rest stood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callvault.quality.model import Answer, Kind, QualityError, Question, Scorecard, Section


@dataclass(frozen=True, slots=True)
class Score:
    total: float | None
    """Percent, rounded to 0.01; None when no question was scored."""
    sections: tuple[float | None, ...]
    """Each section's percent (rounded to 0.01), None where nothing in it was scored."""
    critical_failed: bool


def share(question: Question, answer: Answer) -> float | None:
    """The part of the question's weight the answer earns (0…1); None for N/A."""
    if answer.na:
        return None
    assert answer.value is not None
    if question.kind is Kind.YES_NO:
        return float(answer.value)
    assert question.scale_max
    return answer.value / question.scale_max


def check_answer(question: Question, answer: Answer) -> None:
    """Raise QualityError unless ``answer`` is one ``question`` accepts."""
    where = f"question {question.id} ({question.text!r})"
    if answer.na:
        if not question.allow_na:
            raise QualityError(f"{where} does not allow N/A: answer it")
        if answer.value is not None:
            raise QualityError(f"{where}: send either a value or N/A, not both")
        return
    if answer.value is None:
        raise QualityError(f"{where}: send a value (or N/A where the question allows it)")
    if question.kind is Kind.YES_NO and answer.value not in (0, 1):
        raise QualityError(f"{where} is yes/no: send 1 (yes) or 0 (no), not {answer.value}")
    if question.kind is Kind.SCALE and not 0 <= answer.value <= (question.scale_max or 0):
        raise QualityError(
            f"{where} is scored 0 to {question.scale_max}: {answer.value} is outside"
        )


def score(scorecard: Scorecard, answers: Mapping[int, Answer]) -> Score:
    """The score of ``answers`` (by question id) against ``scorecard`` (checked answers)."""
    sections: list[float | None] = []
    weighted = weights = 0.0
    critical_failed = False
    for section in scorecard.sections:
        earned = possible = 0.0
        for question in section.questions:
            answer = answers.get(question.id) if question.id is not None else None
            if answer is None:
                continue
            part = share(question, answer)
            if part is None:
                continue
            earned += question.weight * part
            possible += question.weight
            critical_failed |= question.critical and part == 0
        if possible == 0:
            sections.append(None)
            continue
        section_score = earned / possible
        sections.append(round(100 * section_score, 2))
        weighted += section.weight * section_score
        weights += section.weight
    total = None if weights == 0 else round(100 * weighted / weights, 2)
    if critical_failed:
        total = 0.0
    return Score(total, tuple(sections), critical_failed)


def unanswered(scorecard: Scorecard, answers: Mapping[int, Answer]) -> list[Question]:
    """The questions without an answer (submitting needs none)."""
    return [
        question
        for section in scorecard.sections
        for question in section.questions
        if question.id not in answers
    ]


def check_definition(sections: tuple[Section, ...]) -> None:
    """Raise QualityError unless the sections make a scorecard one can score against."""
    if not sections:
        raise QualityError("a scorecard needs at least one section")
    for number, section in enumerate(sections, 1):
        where = f"section {number} ({section.title!r})"
        if not section.title.strip():
            raise QualityError(f"section {number} needs a title")
        if not section.weight > 0:
            raise QualityError(f"{where}: the weight must be greater than 0")
        if not section.questions:
            raise QualityError(f"{where} needs at least one question")
        for index, question in enumerate(section.questions, 1):
            asked = f"{where}, question {index}"
            if not question.text.strip():
                raise QualityError(f"{asked} needs a text")
            if not question.weight > 0:
                raise QualityError(f"{asked}: the weight must be greater than 0")
            if question.kind is Kind.SCALE and not (question.scale_max or 0) >= 1:
                raise QualityError(f"{asked} is a scale: give scale_max of 1 or more")
            if question.kind is Kind.YES_NO and question.scale_max is not None:
                raise QualityError(f"{asked} is yes/no: leave scale_max out")

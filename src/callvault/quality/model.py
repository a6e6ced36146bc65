"""Quality review as values: scorecards (a version's sections and questions), evaluations
and their answers, moment comments, playlists."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from callvault.errors import CallvaultError


class QualityError(CallvaultError):
    """A quality-review operation that cannot be done, with what to fix."""


class NotFoundError(QualityError):
    """A scorecard, evaluation, comment or playlist that does not exist (or is out of scope)."""


class Kind(StrEnum):
    YES_NO = "yes_no"
    """Yes scores the question's full weight, no none of it."""
    SCALE = "scale"
    """0 … ``scale_max`` points: the share of the weight is points / scale_max."""


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    kind: Kind = Kind.YES_NO
    weight: float = 1.0
    scale_max: int | None = None
    allow_na: bool = False
    critical: bool = False
    """Answered no (or 0 points), it makes the whole evaluation score 0 %."""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    questions: tuple[Question, ...]
    weight: float = 1.0
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Scorecard:
    """One version of a scorecard: what an evaluation is scored against."""

    id: int
    name: str
    version: int
    version_id: int
    description: str | None
    sections: tuple[Section, ...]
    active: bool
    created_at: float
    updated_at: float
    in_use: bool = False
    """Whether evaluations were scored against this version (editing then makes a new one)."""

    def questions(self) -> dict[int, Question]:
        return {q.id: q for s in self.sections for q in s.questions if q.id is not None}


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: int
    value: int | None = None
    """Yes 1 / no 0, or the scale's points; None with ``na``."""
    na: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    id: int
    call_id: int
    scorecard_id: int
    scorecard_name: str
    version: int
    version_id: int
    evaluator: str
    agent: str
    agent_user_id: int | None
    status: Status
    score: float | None
    """The total in percent, rounded to 0.01 (None: nothing scored)."""
    comment: str | None
    created_at: float
    updated_at: float
    submitted_at: float | None
    answers: tuple[Answer, ...] = ()
    section_scores: tuple[float | None, ...] = ()
    """Each section's score in percent, in the scorecard's order (None: all N/A)."""
    critical_failed: bool = False


@dataclass(frozen=True, slots=True)
class MomentComment:
    id: int
    call_id: int
    offset_s: float
    author: str
    text: str
    evaluation_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class PlaylistItem:
    id: int
    position: int
    call_id: int
    start_s: float | None
    end_s: float | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Playlist:
    id: int
    name: str
    description: str | None
    created_by: str
    created_at: float
    updated_at: float
    items: tuple[PlaylistItem, ...] = field(default=())

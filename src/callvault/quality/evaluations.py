"""Evaluations of calls and comments at moments of their recordings, in the journal's
database. An evaluation is a draft until submitted; submitted, it no longer changes, and
only then does the agent evaluated see it."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from callvault.journal.engine import WRITER
from callvault.journal.schema import calls
from callvault.journal.schema_quality import (
    quality_answers,
    quality_evaluations,
    quality_moment_comments,
)
from callvault.quality.model import (
    Answer,
    Evaluation,
    MomentComment,
    NotFoundError,
    QualityError,
    Scorecard,
    Status,
)
from callvault.quality.scorecards import Scorecards
from callvault.quality.scoring import check_answer, score, unanswered

TEXT_MAX = 10_000
LIST_MAX = 500


class Evaluations:
    """Evaluations and moment comments: every change is a short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})
        self._scorecards = Scorecards(engine)

    # -- evaluations -------------------------------------------------------------------------

    def create(
        self,
        call_id: int,
        scorecard_id: int,
        *,
        evaluator: str,
        evaluator_id: int | None,
        agent: str,
        agent_user_id: int | None,
        answers: Iterable[Answer] = (),
        comment: str | None = None,
        now: float | None = None,
    ) -> Evaluation:
        """A draft evaluation of ``call_id`` against the scorecard's current version."""
        scorecard = self._scorecards.get(scorecard_id)
        if not scorecard.active:
            raise QualityError(f"scorecard {scorecard.name!r} is inactive: choose another")
        given = _checked(scorecard, answers)
        _check_text(comment)
        now = time.time() if now is None else now
        result = score(scorecard, given)
        with self._writer.begin() as connection:
            evaluation_id = connection.execute(
                quality_evaluations.insert().values(
                    call_id=call_id, version_id=scorecard.version_id,
                    evaluator_id=evaluator_id, evaluator=evaluator,
                    agent_user_id=agent_user_id, agent=agent, status=Status.DRAFT.value,
                    score=result.total, comment=comment, created_at=now, updated_at=now,
                )
            ).inserted_primary_key[0]
            _write_answers(connection, evaluation_id, given)
        return self.get(evaluation_id)

    def update(
        self,
        evaluation_id: int,
        *,
        answers: Iterable[Answer] = (),
        comment: str | None = None,
        submit: bool = False,
        now: float | None = None,
    ) -> Evaluation:
        """Answer (or re-answer) questions of a draft, change its comment, and with
        ``submit`` submit it: every question then needs an answer (a value or N/A)."""
        now = time.time() if now is None else now
        _check_text(comment)
        with self._writer.begin() as connection:
            row = _row(connection, evaluation_id)
            if row["status"] != Status.DRAFT.value:
                raise QualityError(f"evaluation {evaluation_id} is submitted: it cannot change")
            scorecard = self._scorecards.by_version_id(row["version_id"])
            given = _checked(scorecard, answers)
            _write_answers(connection, evaluation_id, given)
            stored = _answers(connection, evaluation_id)
            values: dict[str, object] = {
                "score": score(scorecard, stored).total, "updated_at": now,
            }
            if comment is not None:
                values["comment"] = comment or None
            if submit:
                missing = unanswered(scorecard, stored)
                if missing:
                    listed = ", ".join(repr(q.text) for q in missing[:3])
                    raise QualityError(
                        f"answer every question before submitting ({len(missing)} left: {listed})"
                    )
                values.update(status=Status.SUBMITTED.value, submitted_at=now)
            connection.execute(
                quality_evaluations.update()
                .where(quality_evaluations.c.id == evaluation_id)
                .values(**values)
            )
        return self.get(evaluation_id)

    def delete(self, evaluation_id: int) -> None:
        """Remove a draft (a submitted evaluation stays)."""
        with self._writer.begin() as connection:
            row = _row(connection, evaluation_id)
            if row["status"] != Status.DRAFT.value:
                raise QualityError(f"evaluation {evaluation_id} is submitted: it stays")
            connection.execute(
                quality_evaluations.delete().where(quality_evaluations.c.id == evaluation_id)
            )

    def get(self, evaluation_id: int) -> Evaluation:
        with self._engine.connect() as connection:
            return self._evaluation(connection, _row(connection, evaluation_id))

    def list(
        self,
        *,
        call_id: int | None = None,
        agent_user_id: int | None = None,
        agent: str | None = None,
        status: Status | None = None,
        visible: sa.ColumnElement[bool] | None = None,
        limit: int = LIST_MAX,
    ) -> list[Evaluation]:
        """Evaluations, newest first, narrowed by call, agent, status and ``visible`` (a
        condition on the evaluated call: ``api.scope.visible``)."""
        query = sa.select(quality_evaluations).order_by(
            quality_evaluations.c.updated_at.desc(), quality_evaluations.c.id.desc()
        )
        if call_id is not None:
            query = query.where(quality_evaluations.c.call_id == call_id)
        if agent_user_id is not None:
            query = query.where(quality_evaluations.c.agent_user_id == agent_user_id)
        if agent is not None:
            query = query.where(quality_evaluations.c.agent == agent)
        if status is not None:
            query = query.where(quality_evaluations.c.status == status.value)
        if visible is not None:
            query = query.where(
                quality_evaluations.c.call_id.in_(sa.select(calls.c.id).where(visible))
            )
        with self._engine.connect() as connection:
            rows = connection.execute(query.limit(limit)).mappings().all()
            return [self._evaluation(connection, row) for row in rows]

    def _evaluation(self, connection: Connection, row: RowMapping) -> Evaluation:
        scorecard = self._scorecards.by_version_id(row["version_id"])
        stored = _answers(connection, row["id"])
        result = score(scorecard, stored)
        return Evaluation(
            id=row["id"], call_id=row["call_id"], scorecard_id=scorecard.id,
            scorecard_name=scorecard.name, version=scorecard.version,
            version_id=row["version_id"], evaluator=row["evaluator"], agent=row["agent"],
            agent_user_id=row["agent_user_id"], status=Status(row["status"]),
            score=row["score"], comment=row["comment"], created_at=row["created_at"],
            updated_at=row["updated_at"], submitted_at=row["submitted_at"],
            answers=tuple(stored.values()), section_scores=result.sections,
            critical_failed=result.critical_failed,
        )

    # -- moment comments ---------------------------------------------------------------------

    def comment(
        self,
        call_id: int,
        offset_s: float,
        text: str,
        *,
        author: str,
        author_id: int | None,
        evaluation_id: int | None = None,
        now: float | None = None,
    ) -> MomentComment:
        """A comment ``offset_s`` seconds into the call's recording (perhaps part of one
        of the call's evaluations)."""
        text = text.strip()
        if not text:
            raise QualityError("a comment needs a text")
        _check_text(text)
        if not offset_s >= 0 or offset_s > 86_400:
            raise QualityError("offset_s is seconds into the recording: 0 to 86400")
        now = time.time() if now is None else now
        with self._writer.begin() as connection:
            if evaluation_id is not None:
                row = _row(connection, evaluation_id)
                if row["call_id"] != call_id:
                    raise QualityError(f"evaluation {evaluation_id} is of another call")
            comment_id = connection.execute(
                quality_moment_comments.insert().values(
                    call_id=call_id, offset_s=offset_s, author_id=author_id, author=author,
                    text=text, evaluation_id=evaluation_id, created_at=now,
                )
            ).inserted_primary_key[0]
            found = connection.execute(
                sa.select(quality_moment_comments).where(
                    quality_moment_comments.c.id == comment_id
                )
            ).mappings().one()
        return _moment(found)

    def comments(self, call_id: int, *, submitted_only: bool = False) -> list[MomentComment]:
        """A call's moment comments in recording order; ``submitted_only`` leaves out those
        of draft evaluations (what an agent sees)."""
        query = (
            sa.select(quality_moment_comments)
            .where(quality_moment_comments.c.call_id == call_id)
            .order_by(quality_moment_comments.c.offset_s, quality_moment_comments.c.id)
        )
        if submitted_only:
            drafts = sa.select(quality_evaluations.c.id).where(
                quality_evaluations.c.status == Status.DRAFT.value
            )
            query = query.where(
                sa.or_(
                    quality_moment_comments.c.evaluation_id.is_(None),
                    quality_moment_comments.c.evaluation_id.not_in(drafts),
                )
            )
        with self._engine.connect() as connection:
            return [_moment(row) for row in connection.execute(query).mappings()]

    def delete_comment(self, comment_id: int) -> MomentComment:
        with self._writer.begin() as connection:
            row = connection.execute(
                sa.select(quality_moment_comments).where(
                    quality_moment_comments.c.id == comment_id
                )
            ).mappings().first()
            if row is None:
                raise NotFoundError(f"no comment {comment_id}")
            connection.execute(
                quality_moment_comments.delete().where(quality_moment_comments.c.id == comment_id)
            )
            return _moment(row)


def _check_text(text: str | None) -> None:
    if text is not None and len(text) > TEXT_MAX:
        raise QualityError(f"a comment is at most {TEXT_MAX} characters")


def _checked(scorecard: Scorecard, answers: Iterable[Answer]) -> dict[int, Answer]:
    questions = scorecard.questions()
    given: dict[int, Answer] = {}
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            raise QualityError(
                f"question {answer.question_id} is not on scorecard {scorecard.name!r} "
                f"version {scorecard.version}"
            )
        check_answer(question, answer)
        _check_text(answer.note)
        given[answer.question_id] = answer
    return given


def _write_answers(connection: Connection, evaluation_id: int, given: Mapping[int, Answer]) -> None:
    if not given:
        return
    connection.execute(
        quality_answers.delete().where(
            quality_answers.c.evaluation_id == evaluation_id,
            quality_answers.c.question_id.in_(list(given)),
        )
    )
    connection.execute(
        quality_answers.insert(),
        [
            {"evaluation_id": evaluation_id, "question_id": a.question_id, "value": a.value,
             "na": a.na, "note": a.note}
            for a in given.values()
        ],
    )


def _row(connection: Connection, evaluation_id: int) -> RowMapping:
    row = connection.execute(
        sa.select(quality_evaluations).where(quality_evaluations.c.id == evaluation_id)
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no evaluation {evaluation_id}")
    return row


def _answers(connection: Connection, evaluation_id: int) -> dict[int, Answer]:
    rows = connection.execute(
        sa.select(quality_answers)
        .where(quality_answers.c.evaluation_id == evaluation_id)
        .order_by(quality_answers.c.question_id)
    ).mappings()
    return {
        row["question_id"]: Answer(row["question_id"], row["value"], row["na"], row["note"])
        for row in rows
    }


def _moment(row: RowMapping) -> MomentComment:
    return MomentComment(
        id=row["id"], call_id=row["call_id"], offset_s=row["offset_s"], author=row["author"],
        text=row["text"], evaluation_id=row["evaluation_id"], created_at=row["created_at"],
    )


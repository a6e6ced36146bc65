"""Quality review over HTTP, under ``/api/quality``: scorecards, evaluations of calls,
comments at moments of a recording, and training playlists (``docs/quality.md``).

Reading needs ``quality.read``, scoring and commenting ``quality.score`` (supervisors and
admins), scorecards and playlists ``quality.manage`` (supervisors, managers, admins). Scope
follows the calls (``api.scope``): a supervisor reviews and reads only their teams' calls;
an agent reads only the submitted evaluations of themselves and the comments on their own
calls. What lies outside the scope is 404, as what does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from callvault.accounts import Role, User
from callvault.api.deps import AccountsDep, JournalDep
from callvault.api.errors import InvalidRequest, NotFound
from callvault.api.permissions import Allowed, Permission
from callvault.api.scope import may_see, scope_of, visible
from callvault.calls.model import Call
from callvault.directory import Directory, UnknownName
from callvault.journal import Journal
from callvault.journal.export import iso_time
from callvault.journal.schema import calls
from callvault.quality import (
    Answer,
    Evaluation,
    Evaluations,
    Kind,
    MomentComment,
    NotFoundError,
    Playlist,
    Playlists,
    QualityError,
    Question,
    Scorecard,
    Scorecards,
    Section,
    Status,
)

quality_router = APIRouter(prefix="/api/quality", tags=["quality"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="An id.")]
"""A row's id in a path: out of range is a 422 that says so, never a database overflow."""

Reader = Annotated[User, Allowed(Permission.QUALITY_READ)]
Scorer = Annotated[User, Allowed(Permission.QUALITY_SCORE)]
Manager = Annotated[User, Allowed(Permission.QUALITY_MANAGE)]


def _scorecards(accounts: AccountsDep) -> Scorecards:
    return Scorecards(accounts.engine)


def _evaluations(accounts: AccountsDep) -> Evaluations:
    return Evaluations(accounts.engine)


def _playlists(accounts: AccountsDep) -> Playlists:
    return Playlists(accounts.engine)


ScorecardsDep = Annotated[Scorecards, Depends(_scorecards)]
EvaluationsDep = Annotated[Evaluations, Depends(_evaluations)]
PlaylistsDep = Annotated[Playlists, Depends(_playlists)]

_Name = Field(min_length=1, max_length=200)
_Text = Field(default=None, max_length=10_000)
_Seconds = Field(default=None, ge=0, le=86_400)


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000)
    kind: Literal["yes_no", "scale"] = "yes_no"
    weight: float = Field(default=1.0, gt=0, le=1000)
    scale_max: int | None = Field(default=None, ge=1, le=100)
    allow_na: bool = False
    critical: bool = False


class SectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = _Name
    weight: float = Field(default=1.0, gt=0, le=1000)
    questions: list[QuestionIn] = Field(min_length=1, max_length=100)


class ScorecardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _Name
    description: str | None = _Text
    sections: list[SectionIn] = Field(min_length=1, max_length=50)


class ScorecardChange(BaseModel):
    """The fields sent are changed; new ``sections`` make a new version when evaluations
    use the current one."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = _Text
    sections: list[SectionIn] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]
    value: Annotated[int | None, Field(ge=-MAX_ID, le=MAX_ID)] = None
    """Yes 1 / no 0, or the scale's points."""
    na: bool = False
    note: str | None = _Text


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call: str = Field(min_length=1, max_length=200)
    """The call: journal id, uid or SIP Call-ID."""
    scorecard_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    agent: str | None = Field(default=None, max_length=64)
    """The agent evaluated (username); left out: the one agent account the call is of."""
    answers: list[AnswerIn] = Field(default_factory=list, max_length=1000)
    comment: str | None = _Text


class EvaluationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: list[AnswerIn] = Field(default_factory=list, max_length=1000)
    comment: str | None = _Text


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset_s: float = Field(ge=0, le=86_400)
    """Seconds into the call's recording."""
    text: str = Field(min_length=1, max_length=10_000)
    evaluation_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None


class PlaylistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _Name
    description: str | None = _Text


class PlaylistChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = _Text


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call: str = Field(min_length=1, max_length=200)
    start_s: float | None = _Seconds
    end_s: float | None = _Seconds
    note: str | None = _Text


@contextmanager
def _answering() -> Iterator[None]:
    """Quality errors as API errors: what does not exist 404, the rest 422."""
    try:
        yield
    except NotFoundError as exc:
        raise NotFound(str(exc)) from exc
    except QualityError as exc:
        raise InvalidRequest(str(exc)) from exc


def _data(value: Any) -> dict[str, Any]:
    return {"data": value}


def _sections(given: Iterable[SectionIn]) -> list[Section]:
    return [
        Section(
            title=section.title,
            weight=section.weight,
            questions=tuple(
                Question(
                    text=q.text, kind=Kind(q.kind), weight=q.weight, scale_max=q.scale_max,
                    allow_na=q.allow_na, critical=q.critical,
                )
                for q in section.questions
            ),
        )
        for section in given
    ]


def _answers(given: Iterable[AnswerIn]) -> list[Answer]:
    return [Answer(a.question_id, a.value, a.na, a.note) for a in given]


def _scorecard(card: Scorecard) -> dict[str, Any]:
    return {
        "id": card.id,
        "name": card.name,
        "version": card.version,
        "description": card.description,
        "active": card.active,
        "in_use": card.in_use,
        "created_at": iso_time(card.created_at),
        "updated_at": iso_time(card.updated_at),
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "weight": section.weight,
                "questions": [
                    {
                        "id": q.id, "text": q.text, "kind": q.kind.value, "weight": q.weight,
                        "scale_max": q.scale_max, "allow_na": q.allow_na, "critical": q.critical,
                    }
                    for q in section.questions
                ],
            }
            for section in card.sections
        ],
    }


def _call_summaries(
    journal: Journal,
    ids: Iterable[int],
    within: tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]] | None = None,
) -> dict[int, dict[str, Any]]:
    """uid, start and parties of the calls ``ids`` (only those in the scope ``within``,
    when given: ``api.scope.scope_of``), in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = sa.select(
        calls.c.id, calls.c.uid, calls.c.started_at, calls.c.caller_number,
        calls.c.callee_number, calls.c.direction, calls.c.recording_path,
        calls.c.recording_duration_ms,
    ).where(calls.c.id.in_(wanted))
    if within is not None:
        query = query.where(visible(*within))
    with journal.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return {
        row["id"]: {
            "id": row["id"], "uid": row["uid"], "started_at": iso_time(row["started_at"]),
            "caller": row["caller_number"], "callee": row["callee_number"],
            "direction": row["direction"], "recorded": row["recording_path"] is not None,
            "recording_duration_ms": row["recording_duration_ms"],
        }
        for row in rows
    }


def _evaluation(evaluation: Evaluation, call: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": evaluation.id,
        "call_id": evaluation.call_id,
        "call": call,
        "scorecard": {
            "id": evaluation.scorecard_id,
            "name": evaluation.scorecard_name,
            "version": evaluation.version,
        },
        "evaluator": evaluation.evaluator,
        "agent": evaluation.agent,
        "status": evaluation.status.value,
        "score": evaluation.score,
        "section_scores": list(evaluation.section_scores),
        "critical_failed": evaluation.critical_failed,
        "comment": evaluation.comment,
        "created_at": iso_time(evaluation.created_at),
        "updated_at": iso_time(evaluation.updated_at),
        "submitted_at": iso_time(evaluation.submitted_at),
        "answers": [
            {"question_id": a.question_id, "value": a.value, "na": a.na, "note": a.note}
            for a in evaluation.answers
        ],
    }


def _comment(comment: MomentComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "call_id": comment.call_id,
        "offset_s": comment.offset_s,
        "author": comment.author,
        "text": comment.text,
        "evaluation_id": comment.evaluation_id,
        "created_at": iso_time(comment.created_at),
    }


def _playlist(playlist: Playlist, user: User, journal: Journal) -> dict[str, Any]:
    """The playlist with the items whose calls ``user`` may see (``hidden``: how many
    items it holds beyond those)."""
    summaries = _call_summaries(
        journal, (item.call_id for item in playlist.items), within=scope_of(user)
    )
    shown = [
        {
            "id": item.id, "position": item.position, "call": summaries[item.call_id],
            "start_s": item.start_s, "end_s": item.end_s, "note": item.note,
        }
        for item in playlist.items
        if item.call_id in summaries
    ]
    return {
        "id": playlist.id,
        "name": playlist.name,
        "description": playlist.description,
        "created_by": playlist.created_by,
        "created_at": iso_time(playlist.created_at),
        "updated_at": iso_time(playlist.updated_at),
        "items": shown,
        "hidden": len(playlist.items) - len(shown),
    }


def _visible_call(journal: Journal, ref: str, user: User) -> Call:
    found = journal.get_call(ref)
    if found is None or not may_see(found, user):
        raise NotFound(f"no call {ref!r}")
    return found


def _sees_id(journal: Journal, call_id: int, user: User) -> bool:
    if scope_of(user) is None:
        return True
    found = journal.get_call(call_id)
    return found is not None and may_see(found, user)


def _evaluation_scope(user: User) -> dict[str, Any]:
    """The narrowing of evaluations ``user`` may read: an agent the submitted ones of
    themselves, a supervisor those of their teams' calls, every other role all."""
    if user.role is Role.AGENT:
        return {"agent_user_id": user.id, "status": Status.SUBMITTED}
    scope = scope_of(user)
    return {} if scope is None else {"visible": visible(*scope)}


def _readable(
    evaluations: Evaluations, journal: Journal, evaluation_id: int, user: User
) -> Evaluation:
    """The evaluation if ``user`` may read it, else 404."""
    missing = NotFound(f"no evaluation {evaluation_id}")
    try:
        found = evaluations.get(evaluation_id)
    except NotFoundError:
        raise missing from None
    if user.role is Role.AGENT:
        if found.agent_user_id != user.id or found.status is not Status.SUBMITTED:
            raise missing
    elif not _sees_id(journal, found.call_id, user):
        raise missing
    return found


def _agent_of(accounts: AccountsDep, call: Call, username: str | None) -> tuple[str, int | None]:
    """The agent evaluated, as (name, account id): the account named (whose call it must
    be); else the agent the directory assigned the call to (its account, if linked); else
    the one agent account whose extension the call has."""
    if username is not None:
        named = accounts.get_user(username)
        if named is None or named.role is not Role.AGENT:
            raise InvalidRequest(f"agent: no agent account {username!r}")
        if not may_see(call, named):
            raise InvalidRequest(f"agent: call {call.id} is not one of {username!r}'s calls")
        return named.username, named.id
    if call.agent_id is not None:
        try:
            assigned = Directory(accounts.engine).get_agent(call.agent_id)
        except UnknownName:
            assigned = None
        if assigned is not None:
            linked = accounts.get_user(assigned.username) if assigned.username else None
            return (linked.username, linked.id) if linked else (assigned.name, None)
    theirs = [
        user for user in accounts.list_users()
        if user.role is Role.AGENT and not user.disabled and may_see(call, user)
    ]
    if len(theirs) != 1:
        which = "no agent has" if not theirs else "several agent accounts have"
        raise InvalidRequest(f"{which} call {call.id}: name the agent evaluated in 'agent'")
    return theirs[0].username, theirs[0].id


# -- scorecards --------------------------------------------------------------------------


@quality_router.get("/scorecards")
def list_scorecards(
    _: Reader,
    scorecards: ScorecardsDep,
    inactive: Annotated[bool, Query(description="Include inactive scorecards.")] = False,
) -> dict[str, Any]:
    return _data([_scorecard(card) for card in scorecards.list(include_inactive=inactive)])


@quality_router.post("/scorecards", status_code=201)
def create_scorecard(body: ScorecardIn, user: Manager, scorecards: ScorecardsDep) -> dict[str, Any]:
    with _answering():
        card = scorecards.create(
            body.name, _sections(body.sections), description=body.description, by=user.username
        )
    return _data(_scorecard(card))


@quality_router.get("/scorecards/{scorecard_id}")
def get_scorecard(
    scorecard_id: Id,
    _: Reader,
    scorecards: ScorecardsDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A past version.")] = None,
) -> dict[str, Any]:
    with _answering():
        return _data(_scorecard(scorecards.get(scorecard_id, version)))


@quality_router.patch("/scorecards/{scorecard_id}")
def change_scorecard(
    scorecard_id: Id, body: ScorecardChange, user: Manager, scorecards: ScorecardsDep
) -> dict[str, Any]:
    if not body.model_fields_set:
        raise InvalidRequest("request body: send at least one field to change")
    with _answering():
        card = scorecards.update(
            scorecard_id,
            name=body.name,
            description=body.description,
            sections=None if body.sections is None else _sections(body.sections),
            active=body.active,
            by=user.username,
        )
    return _data(_scorecard(card))


@quality_router.delete("/scorecards/{scorecard_id}")
def delete_scorecard(scorecard_id: Id, _: Manager, scorecards: ScorecardsDep) -> dict[str, Any]:
    """Removes a scorecard no evaluation uses; one in use is deactivated instead (its
    evaluations stay readable): ``{"deleted": false}``."""
    with _answering():
        return {"deleted": scorecards.delete(scorecard_id)}


# -- evaluations -------------------------------------------------------------------------


@quality_router.get("/evaluations")
def list_evaluations(
    user: Reader,
    evaluations: EvaluationsDep,
    journal: JournalDep,
    call: Annotated[str | None, Query(description="Of this call (id, uid, Call-ID).")] = None,
    agent: Annotated[str | None, Query(description="Of this agent (username).")] = None,
    status: Annotated[Literal["draft", "submitted"] | None, Query()] = None,
) -> dict[str, Any]:
    """Evaluations the user may read, newest first (500 at most)."""
    narrowing = _evaluation_scope(user)
    if call is not None:
        narrowing["call_id"] = _visible_call(journal, call, user).id
    if agent is not None:
        narrowing["agent"] = agent
    if status is not None:
        if narrowing.get("status") not in (None, Status(status)):
            return _data([])
        narrowing["status"] = Status(status)
    found = evaluations.list(**narrowing)
    summaries = _call_summaries(journal, (e.call_id for e in found))
    return _data([_evaluation(e, summaries.get(e.call_id)) for e in found])


@quality_router.post("/evaluations", status_code=201)
def create_evaluation(
    body: EvaluationIn,
    user: Scorer,
    evaluations: EvaluationsDep,
    journal: JournalDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """A draft evaluation of a call the user may see, against a scorecard's current
    version."""
    call = _visible_call(journal, body.call, user)
    assert call.id is not None
    agent, agent_user_id = _agent_of(accounts, call, body.agent)
    with _answering():
        made = evaluations.create(
            call.id, body.scorecard_id, evaluator=user.username, evaluator_id=user.id,
            agent=agent, agent_user_id=agent_user_id, answers=_answers(body.answers),
            comment=body.comment,
        )
    return _data(_evaluation(made, _call_summaries(journal, [call.id]).get(call.id)))


@quality_router.get("/evaluations/{evaluation_id}")
def get_evaluation(
    evaluation_id: Id, user: Reader, evaluations: EvaluationsDep, journal: JournalDep
) -> dict[str, Any]:
    found = _readable(evaluations, journal, evaluation_id, user)
    return _data(_evaluation(found, _call_summaries(journal, [found.call_id]).get(found.call_id)))


def _changed(
    evaluation_id: Id,
    user: User,
    evaluations: Evaluations,
    journal: Journal,
    body: EvaluationChange | None,
    submit: bool,
) -> dict[str, Any]:
    found = _readable(evaluations, journal, evaluation_id, user)
    with _answering():
        done = evaluations.update(
            found.id,
            answers=_answers(body.answers) if body else (),
            comment=body.comment if body else None,
            submit=submit,
        )
    return _data(_evaluation(done, _call_summaries(journal, [done.call_id]).get(done.call_id)))


@quality_router.patch("/evaluations/{evaluation_id}")
def change_evaluation(
    evaluation_id: Id,
    body: EvaluationChange,
    user: Scorer,
    evaluations: EvaluationsDep,
    journal: JournalDep,
) -> dict[str, Any]:
    """Answer questions of a draft (the answers sent replace those to the same questions)
    and change its comment ("" clears it)."""
    return _changed(evaluation_id, user, evaluations, journal, body, submit=False)


@quality_router.post("/evaluations/{evaluation_id}/submit")
def submit_evaluation(
    evaluation_id: Id,
    user: Scorer,
    evaluations: EvaluationsDep,
    journal: JournalDep,
    request: Request,
    body: EvaluationChange | None = None,
) -> dict[str, Any]:
    """Submit a draft (with last answers, if sent): every question needs an answer. The
    agent evaluated sees it from now on; it no longer changes. The audit trail records it."""
    done = _changed(evaluation_id, user, evaluations, journal, body, submit=True)
    scored = done["data"]
    journal.record_audit(
        user.username, "evaluate", call_id=scored["call_id"],
        detail=f"evaluation {evaluation_id} submitted: {scored['score']} %",
        client=request.client.host if request.client else None,
    )
    return done


@quality_router.delete("/evaluations/{evaluation_id}", status_code=204)
def delete_evaluation(
    evaluation_id: Id, user: Scorer, evaluations: EvaluationsDep, journal: JournalDep
) -> None:
    """Remove a draft (a submitted evaluation stays: 422)."""
    found = _readable(evaluations, journal, evaluation_id, user)
    with _answering():
        evaluations.delete(found.id)


# -- moment comments ---------------------------------------------------------------------


@quality_router.get("/calls/{ref}/comments")
def list_comments(
    ref: str, user: Reader, evaluations: EvaluationsDep, journal: JournalDep
) -> dict[str, Any]:
    """The comments at moments of a call the user may see, in recording order (an agent
    does not see those of draft evaluations)."""
    call = _visible_call(journal, ref, user)
    assert call.id is not None
    found = evaluations.comments(call.id, submitted_only=user.role is Role.AGENT)
    return _data([_comment(c) for c in found])


@quality_router.post("/calls/{ref}/comments", status_code=201)
def add_comment(
    ref: str, body: CommentIn, user: Scorer, evaluations: EvaluationsDep, journal: JournalDep
) -> dict[str, Any]:
    call = _visible_call(journal, ref, user)
    assert call.id is not None
    with _answering():
        made = evaluations.comment(
            call.id, body.offset_s, body.text, author=user.username, author_id=user.id,
            evaluation_id=body.evaluation_id,
        )
    return _data(_comment(made))


@quality_router.delete("/calls/{ref}/comments/{comment_id}", status_code=204)
def delete_comment(
    ref: str, comment_id: Id, user: Scorer, evaluations: EvaluationsDep, journal: JournalDep
) -> None:
    """Remove a comment: its author's, or any for an admin."""
    call = _visible_call(journal, ref, user)
    mine = [c for c in evaluations.comments(call.id or 0) if c.id == comment_id]
    if not mine:
        raise NotFound(f"call {ref!r} has no comment {comment_id}")
    if mine[0].author != user.username and user.role is not Role.ADMIN:
        raise InvalidRequest(f"comment {comment_id} is {mine[0].author!r}'s: only they remove it")
    with _answering():
        evaluations.delete_comment(comment_id)


# -- playlists ---------------------------------------------------------------------------


@quality_router.get("/playlists")
def list_playlists(user: Reader, playlists: PlaylistsDep, journal: JournalDep) -> dict[str, Any]:
    return _data([_playlist(p, user, journal) for p in playlists.list()])


@quality_router.post("/playlists", status_code=201)
def create_playlist(
    body: PlaylistIn, user: Manager, playlists: PlaylistsDep, journal: JournalDep
) -> dict[str, Any]:
    with _answering():
        made = playlists.create(body.name, description=body.description, by=user.username)
    return _data(_playlist(made, user, journal))


@quality_router.get("/playlists/{playlist_id}")
def get_playlist(
    playlist_id: Id, user: Reader, playlists: PlaylistsDep, journal: JournalDep
) -> dict[str, Any]:
    """A playlist with the items whose calls the user may see, in play order."""
    with _answering():
        return _data(_playlist(playlists.get(playlist_id), user, journal))


@quality_router.patch("/playlists/{playlist_id}")
def change_playlist(
    playlist_id: Id,
    body: PlaylistChange,
    user: Manager,
    playlists: PlaylistsDep,
    journal: JournalDep,
) -> dict[str, Any]:
    if not body.model_fields_set:
        raise InvalidRequest("request body: send at least one field to change")
    with _answering():
        found = playlists.update(playlist_id, name=body.name, description=body.description)
    return _data(_playlist(found, user, journal))


@quality_router.delete("/playlists/{playlist_id}", status_code=204)
def delete_playlist(playlist_id: Id, _: Manager, playlists: PlaylistsDep) -> None:
    with _answering():
        playlists.delete(playlist_id)


@quality_router.post("/playlists/{playlist_id}/items", status_code=201)
def add_playlist_item(
    playlist_id: Id,
    body: ItemIn,
    user: Manager,
    playlists: PlaylistsDep,
    journal: JournalDep,
) -> dict[str, Any]:
    """Append a call the user may see (or a span of its recording) to the playlist."""
    call = _visible_call(journal, body.call, user)
    assert call.id is not None
    with _answering():
        item = playlists.add_item(
            playlist_id, call.id, start_s=body.start_s, end_s=body.end_s, note=body.note
        )
    return _data({
        "id": item.id, "position": item.position,
        "call": _call_summaries(journal, [call.id])[call.id],
        "start_s": item.start_s, "end_s": item.end_s, "note": item.note,
    })


class ItemMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=0, le=100_000)
    """0: first; past the end: last."""


@quality_router.patch("/playlists/{playlist_id}/items/{item_id}")
def move_playlist_item(
    playlist_id: Id,
    item_id: Id,
    body: ItemMove,
    user: Manager,
    playlists: PlaylistsDep,
    journal: JournalDep,
) -> dict[str, Any]:
    """Move an item within the playlist's order; answers the playlist."""
    with _answering():
        return _data(_playlist(playlists.move_item(playlist_id, item_id, body.position),
                               user, journal))


@quality_router.delete("/playlists/{playlist_id}/items/{item_id}", status_code=204)
def remove_playlist_item(
    playlist_id: Id, item_id: Id, _: Manager, playlists: PlaylistsDep
) -> None:
    with _answering():
        playlists.remove_item(playlist_id, item_id)

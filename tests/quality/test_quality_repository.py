"""Scorecards, evaluations, moment comments and playlists in the journal, on SQLite and
PostgreSQL: versions that keep past evaluations readable, drafts and submission, scope
conditions, playlist order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from callvault.accounts import Accounts
from callvault.api.scope import visible
from callvault.calls.model import Call, CallStatus, Direction, Party
from callvault.journal import Journal
from callvault.journal.engine import create_engine
from callvault.quality import (
    Answer,
    Evaluations,
    Kind,
    NotFoundError,
    Playlists,
    QualityError,
    Question,
    Scorecards,
    Section,
    Status,
)

T0 = 1_714_567_890.0

SECTIONS = (
    Section("Greeting", (Question("Greeted", weight=1), Question("Named self", weight=3))),
    Section(
        "Handling",
        (Question("Empathy", Kind.SCALE, weight=2, scale_max=4),
         Question("Follow-up", allow_na=True)),
        weight=3,
    ),
)


@pytest.fixture
def engine(journal_url: str) -> Iterator[sa.Engine]:
    with Journal.open(journal_url) as journal:
        for uid, team in (("one", 1), ("two", 2)):
            journal.save(Call(
                uid=uid, sip_call_id=uid, started_at=T0, answered_at=T0 + 1, ended_at=T0 + 60,
                status=CallStatus.ANSWERED, caller=Party(number="+4533123456"),
                callee=Party(number="201"), direction=Direction.INBOUND, codecs=("PCMU/8000",),
                team_id=team,
            ))
    with Accounts.open(journal_url) as accounts:
        accounts.add_user("sam", "supervisor")
        accounts.add_user("ann", "agent", extensions=["201"])
    engine = create_engine(sa.make_url(journal_url))
    yield engine
    engine.dispose()


def call_ids(engine: sa.Engine) -> dict[str, int]:
    from callvault.journal.schema import calls

    with engine.connect() as connection:
        rows = connection.execute(sa.select(calls.c.uid, calls.c.id))
        return {uid: id_ for uid, id_ in rows}


def test_a_scorecard_in_use_keeps_its_version(engine: sa.Engine) -> None:
    scorecards, evaluations = Scorecards(engine), Evaluations(engine)
    card = scorecards.create("Support", SECTIONS, description="v1", by="sam")
    assert (card.version, card.in_use) == (1, False)
    # unused: a new definition replaces version 1
    card = scorecards.update(card.id, sections=SECTIONS[:1], by="sam")
    assert card.version == 1 and len(card.sections) == 1
    card = scorecards.update(card.id, sections=SECTIONS)
    ids = call_ids(engine)
    questions = [q.id for s in card.sections for q in s.questions]
    draft = evaluations.create(
        ids["one"], card.id, evaluator="sam", evaluator_id=None, agent="ann", agent_user_id=None,
        answers=[Answer(questions[0], 1), Answer(questions[1], 0)],
    )
    assert draft.status is Status.DRAFT and draft.score == 25.0
    # in use: editing makes version 2, the evaluation still reads against version 1
    changed = scorecards.update(card.id, sections=SECTIONS[1:], name="Support desk")
    assert (changed.version, changed.name, len(changed.sections)) == (2, "Support desk", 1)
    again = evaluations.get(draft.id)
    assert again.version == 1 and again.section_scores == (25.0, None)
    assert scorecards.get(card.id, version=1).sections[0].title == "Greeting"
    with pytest.raises(NotFoundError):
        scorecards.get(card.id, version=3)
    # in use, it is only deactivated
    assert scorecards.delete(card.id) is False
    assert scorecards.list() == [] and len(scorecards.list(include_inactive=True)) == 1
    with pytest.raises(QualityError, match="inactive"):
        evaluations.create(ids["one"], card.id, evaluator="sam", evaluator_id=None,
                           agent="ann", agent_user_id=None)
    unused = scorecards.create("Other", SECTIONS)
    assert scorecards.delete(unused.id) is True
    with pytest.raises(NotFoundError):
        scorecards.get(unused.id)
    with pytest.raises(QualityError, match="exists already"):
        scorecards.create("Support desk", SECTIONS)


def test_drafts_change_then_submit_once_every_question_is_answered(engine: sa.Engine) -> None:
    scorecards, evaluations = Scorecards(engine), Evaluations(engine)
    card = scorecards.create("Sales", SECTIONS)
    q = [q.id for s in card.sections for q in s.questions]
    ids = call_ids(engine)
    draft = evaluations.create(ids["one"], card.id, evaluator="sam", evaluator_id=None,
                               agent="ann", agent_user_id=2, answers=[Answer(q[0], 1)])
    with pytest.raises(QualityError, match="answer every question before submitting"):
        evaluations.update(draft.id, submit=True)
    with pytest.raises(QualityError, match="is not on scorecard"):
        evaluations.update(draft.id, answers=[Answer(99999, 1)])
    done = evaluations.update(
        draft.id,
        answers=[Answer(q[1], 1), Answer(q[2], 3), Answer(q[3], None, na=True)],
        comment="good call",
        submit=True,
    )
    # Greeting 100 %, Handling 2·3/4 / 2 = 75 %; total (100 + 3·75) / 4 = 81.25
    assert (done.status, done.score) == (Status.SUBMITTED, 81.25)
    assert done.section_scores == (100.0, 75.0)
    assert done.submitted_at is not None and done.comment == "good call"
    with pytest.raises(QualityError, match="submitted"):
        evaluations.update(done.id, answers=[Answer(q[0], 0)])
    with pytest.raises(QualityError, match="submitted"):
        evaluations.delete(done.id)
    other = evaluations.create(ids["two"], card.id, evaluator="sam", evaluator_id=None,
                               agent="bob", agent_user_id=None)
    from callvault.journal.schema import calls

    assert [e.id for e in evaluations.list(agent_user_id=2)] == [done.id]
    assert [e.id for e in evaluations.list(status=Status.DRAFT)] == [other.id]
    assert [e.id for e in evaluations.list(visible=calls.c.team_id.in_([2]))] == [other.id]
    assert evaluations.list(visible=visible((), (), ())) == []
    assert {e.id for e in evaluations.list()} == {done.id, other.id}
    evaluations.delete(other.id)
    with pytest.raises(NotFoundError):
        evaluations.get(other.id)


def test_moment_comments_in_recording_order_and_drafts_hidden(engine: sa.Engine) -> None:
    scorecards, evaluations = Scorecards(engine), Evaluations(engine)
    card = scorecards.create("Sales", SECTIONS)
    ids = call_ids(engine)
    draft = evaluations.create(ids["one"], card.id, evaluator="sam", evaluator_id=None,
                               agent="ann", agent_user_id=None)
    late = evaluations.comment(ids["one"], 12.5, "too fast here", author="sam", author_id=None)
    early = evaluations.comment(ids["one"], 3.25, " nice greeting ", author="sam",
                                author_id=None, evaluation_id=draft.id)
    assert early.text == "nice greeting"
    assert [c.id for c in evaluations.comments(ids["one"])] == [early.id, late.id]
    assert [c.id for c in evaluations.comments(ids["one"], submitted_only=True)] == [late.id]
    assert evaluations.comments(ids["two"]) == []
    with pytest.raises(QualityError, match="of another call"):
        evaluations.comment(ids["two"], 1, "x", author="sam", author_id=None,
                            evaluation_id=draft.id)
    for offset, text in ((-1, "x"), (float("nan"), "x"), (1, "  ")):
        with pytest.raises(QualityError):
            evaluations.comment(ids["one"], offset, text, author="sam", author_id=None)
    assert evaluations.delete_comment(late.id).id == late.id
    with pytest.raises(NotFoundError):
        evaluations.delete_comment(late.id)


def test_playlists_keep_their_order(engine: sa.Engine) -> None:
    playlists = Playlists(engine)
    ids = call_ids(engine)
    made = playlists.create("Onboarding", description="first week", by="sam")
    first = playlists.add_item(made.id, ids["two"], start_s=5, end_s=20, note="listen")
    second = playlists.add_item(made.id, ids["one"])
    third = playlists.add_item(made.id, ids["two"])
    playlists.remove_item(made.id, second.id)
    found = playlists.get(made.id)
    assert [item.id for item in found.items] == [first.id, third.id]
    assert (found.items[0].start_s, found.items[0].end_s, found.items[0].note) == (5, 20, "listen")
    fourth = playlists.add_item(made.id, ids["one"])
    moved = playlists.move_item(made.id, fourth.id, 0)
    assert [item.id for item in moved.items] == [fourth.id, first.id, third.id]
    assert [item.position for item in moved.items] == [0, 1, 2]
    moved = playlists.move_item(made.id, fourth.id, 99)
    assert [item.id for item in moved.items] == [first.id, third.id, fourth.id]
    with pytest.raises(NotFoundError):
        playlists.move_item(made.id, second.id, 0)
    playlists.remove_item(made.id, fourth.id)
    with pytest.raises(QualityError, match="end_s must come after"):
        playlists.add_item(made.id, ids["one"], start_s=10, end_s=5)
    with pytest.raises(QualityError, match="exists already"):
        playlists.create("Onboarding", by="sam")
    renamed = playlists.update(made.id, name="Week one", description="")
    assert (renamed.name, renamed.description) == ("Week one", None)
    assert [p.name for p in playlists.list()] == ["Week one"]
    playlists.delete(made.id)
    with pytest.raises(NotFoundError):
        playlists.get(made.id)
    with pytest.raises(NotFoundError):
        playlists.remove_item(made.id, first.id)

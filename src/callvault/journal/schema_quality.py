"""Quality review's tables: scorecards in versions (their sections and questions),
evaluations of calls against one version and their answers, comments at a moment of a
call's recording, and playlists of calls for training (``callvault.quality``).

A scorecard's definition is never changed under an evaluation: editing a scorecard that
has evaluations makes a new version, and every evaluation keeps the version it was scored
against. Change these tables only together with a migration in migrations/versions/.
"""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

quality_scorecards = sa.Table(
    "quality_scorecards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
"""A scorecard by name; its definitions are ``quality_scorecard_versions`` (the highest
is the current one). An inactive scorecard takes no new evaluations."""

quality_scorecard_versions = sa.Table(
    "quality_scorecard_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scorecard_id", sa.Integer,
              sa.ForeignKey("quality_scorecards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created_by", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "scorecard_id", "version", unique=True),
)
"""One definition of a scorecard (1, 2, …)."""

quality_sections = sa.Table(
    "quality_sections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version_id", sa.Integer,
              sa.ForeignKey("quality_scorecard_versions.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Index(None, "version_id", "position", unique=True),
)
"""A scorecard version's sections, in order, each with its weight in the total."""

quality_questions = sa.Table(
    "quality_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("section_id", sa.Integer,
              sa.ForeignKey("quality_sections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("scale_max", sa.Integer),
    sa.Column("allow_na", sa.Boolean, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Index(None, "section_id", "position", unique=True),
)
"""A section's questions, in order: ``kind`` "yes_no" or "scale" (0 … ``scale_max``)."""

quality_evaluations = sa.Table(
    "quality_evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("version_id", sa.Integer,
              sa.ForeignKey("quality_scorecard_versions.id", ondelete="RESTRICT"),
              nullable=False, index=True),
    sa.Column("evaluator_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("evaluator", sa.Text, nullable=False),
    sa.Column("agent_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
              index=True),
    sa.Column("agent", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("comment", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("submitted_at", Timestamp),
)
"""One review of a call by an evaluator, of the agent evaluated (the account; ``agent`` and
``evaluator`` keep their usernames should the accounts go), against one scorecard version.
``status`` "draft" or "submitted"; ``score`` the total in percent (None: nothing scored)."""

quality_answers = sa.Table(
    "quality_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("evaluation_id", sa.Integer,
              sa.ForeignKey("quality_evaluations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question_id", sa.Integer,
              sa.ForeignKey("quality_questions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("value", sa.Integer),
    sa.Column("na", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text),
    sa.Index(None, "evaluation_id", "question_id", unique=True),
)
"""An evaluation's answer to one question: ``value`` (yes 1 / no 0, or the scale's points),
or ``na`` (not applicable: left out of the score)."""

quality_moment_comments = sa.Table(
    "quality_moment_comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("offset_s", sa.Float, nullable=False),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("evaluation_id", sa.Integer,
              sa.ForeignKey("quality_evaluations.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""A comment at ``offset_s`` seconds into a call's recording, perhaps part of an
evaluation."""

quality_playlists = sa.Table(
    "quality_playlists",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
"""A named list of calls (or parts of calls) for training."""

quality_playlist_items = sa.Table(
    "quality_playlist_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("playlist_id", sa.Integer,
              sa.ForeignKey("quality_playlists.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("start_s", sa.Float),
    sa.Column("end_s", sa.Float),
    sa.Column("note", sa.Text),
    sa.Index(None, "playlist_id", "position"),
)
"""A playlist's calls in play order (``position``), each perhaps only from ``start_s`` to
``end_s`` seconds of its recording."""

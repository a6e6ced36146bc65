"""quality review: scorecards, evaluations, moment comments, playlists

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 21:00:00

Tables of callvault.journal.schema_quality.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_playlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_playlists")),
        sa.UniqueConstraint("name", name=op.f("uq_quality_playlists_name")),
    )
    op.create_table(
        "quality_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scorecards")),
        sa.UniqueConstraint("name", name=op.f("uq_quality_scorecards_name")),
    )
    op.create_table(
        "quality_playlist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playlist_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_quality_playlist_items_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["quality_playlists.id"],
            name=op.f("fk_quality_playlist_items_playlist_id_quality_playlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_playlist_items")),
    )
    with op.batch_alter_table("quality_playlist_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_playlist_items_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_playlist_items_playlist_id_position"),
            ["playlist_id", "position"],
            unique=False,
        )

    op.create_table(
        "quality_scorecard_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["quality_scorecards.id"],
            name=op.f("fk_quality_scorecard_versions_scorecard_id_quality_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scorecard_versions")),
    )
    with op.batch_alter_table("quality_scorecard_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_scorecard_versions_scorecard_id_version"),
            ["scorecard_id", "version"],
            unique=True,
        )

    op.create_table(
        "quality_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=True),
        sa.Column("evaluator", sa.Text(), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.Column("submitted_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_user_id"],
            ["users.id"],
            name=op.f("fk_quality_evaluations_agent_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_quality_evaluations_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_id"],
            ["users.id"],
            name=op.f("fk_quality_evaluations_evaluator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["quality_scorecard_versions.id"],
            name=op.f("fk_quality_evaluations_version_id_quality_scorecard_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_evaluations")),
    )
    with op.batch_alter_table("quality_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_evaluations_agent_user_id"), ["agent_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_evaluations_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_evaluations_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "quality_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["quality_scorecard_versions.id"],
            name=op.f("fk_quality_sections_version_id_quality_scorecard_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_sections")),
    )
    with op.batch_alter_table("quality_sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_sections_version_id_position"),
            ["version_id", "position"],
            unique=True,
        )

    op.create_table(
        "quality_moment_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_quality_moment_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_quality_moment_comments_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["quality_evaluations.id"],
            name=op.f("fk_quality_moment_comments_evaluation_id_quality_evaluations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_moment_comments")),
    )
    with op.batch_alter_table("quality_moment_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_moment_comments_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_moment_comments_evaluation_id"), ["evaluation_id"], unique=False
        )

    op.create_table(
        "quality_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=True),
        sa.Column("allow_na", sa.Boolean(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["quality_sections.id"],
            name=op.f("fk_quality_questions_section_id_quality_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_questions")),
    )
    with op.batch_alter_table("quality_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_questions_section_id_position"),
            ["section_id", "position"],
            unique=True,
        )

    op.create_table(
        "quality_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("na", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["quality_evaluations.id"],
            name=op.f("fk_quality_answers_evaluation_id_quality_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["quality_questions.id"],
            name=op.f("fk_quality_answers_question_id_quality_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_answers")),
    )
    with op.batch_alter_table("quality_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_answers_evaluation_id_question_id"),
            ["evaluation_id", "question_id"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("quality_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_answers_evaluation_id_question_id"))

    op.drop_table("quality_answers")
    with op.batch_alter_table("quality_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_questions_section_id_position"))

    op.drop_table("quality_questions")
    with op.batch_alter_table("quality_moment_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_moment_comments_evaluation_id"))
        batch_op.drop_index(batch_op.f("ix_quality_moment_comments_call_id"))

    op.drop_table("quality_moment_comments")
    with op.batch_alter_table("quality_sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_sections_version_id_position"))

    op.drop_table("quality_sections")
    with op.batch_alter_table("quality_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_evaluations_version_id"))
        batch_op.drop_index(batch_op.f("ix_quality_evaluations_call_id"))
        batch_op.drop_index(batch_op.f("ix_quality_evaluations_agent_user_id"))

    op.drop_table("quality_evaluations")
    with op.batch_alter_table("quality_scorecard_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_scorecard_versions_scorecard_id_version"))

    op.drop_table("quality_scorecard_versions")
    with op.batch_alter_table("quality_playlist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_playlist_items_playlist_id_position"))
        batch_op.drop_index(batch_op.f("ix_quality_playlist_items_call_id"))

    op.drop_table("quality_playlist_items")
    op.drop_table("quality_scorecards")
    op.drop_table("quality_playlists")

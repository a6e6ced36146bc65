"""Scorecards in the journal's database, in versions: a version that evaluations were
scored against is never changed; editing it makes the next version."""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from callvault.journal.engine import WRITER
from callvault.journal.schema_quality import (
    quality_evaluations,
    quality_questions,
    quality_scorecard_versions,
    quality_scorecards,
    quality_sections,
)
from callvault.quality.model import Kind, NotFoundError, QualityError, Question, Scorecard, Section
from callvault.quality.scoring import check_definition

NAME_MAX = 200


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise QualityError(f"a scorecard's name is 1 to {NAME_MAX} characters")
    return name


class Scorecards:
    """Scorecards: every change is a short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    def create(
        self,
        name: str,
        sections: Sequence[Section],
        *,
        description: str | None = None,
        by: str | None = None,
        now: float | None = None,
    ) -> Scorecard:
        name = _check_name(name)
        check_definition(tuple(sections))
        now = time.time() if now is None else now
        try:
            with self._writer.begin() as connection:
                scorecard_id = connection.execute(
                    quality_scorecards.insert().values(
                        name=name, active=True, created_at=now, updated_at=now
                    )
                ).inserted_primary_key[0]
                _insert_version(connection, scorecard_id, 1, description, sections, by, now)
        except IntegrityError:
            raise QualityError(f"a scorecard named {name!r} exists already") from None
        return self.get(scorecard_id)

    def list(self, *, include_inactive: bool = False) -> list[Scorecard]:
        """The current version of each scorecard, by name."""
        query = sa.select(quality_scorecards.c.id).order_by(quality_scorecards.c.name)
        if not include_inactive:
            query = query.where(quality_scorecards.c.active)
        with self._engine.connect() as connection:
            ids = connection.execute(query).scalars().all()
            return [_read(connection, scorecard_id, None) for scorecard_id in ids]

    def get(self, scorecard_id: int, version: int | None = None) -> Scorecard:
        """A scorecard's current version, or the ``version`` named."""
        with self._engine.connect() as connection:
            return _read(connection, scorecard_id, version)

    def by_version_id(self, version_id: int) -> Scorecard:
        with self._engine.connect() as connection:
            return _read_version(connection, version_id)

    def update(
        self,
        scorecard_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        sections: Sequence[Section] | None = None,
        active: bool | None = None,
        by: str | None = None,
        now: float | None = None,
    ) -> Scorecard:
        """Rename, (de)activate, or redefine a scorecard. A new definition replaces the
        current version while no evaluation uses it, else becomes the next version."""
        now = time.time() if now is None else now
        if sections is not None:
            check_definition(tuple(sections))
        try:
            with self._writer.begin() as connection:
                current = _read(connection, scorecard_id, None)
                values: dict[str, object] = {"updated_at": now}
                if name is not None:
                    values["name"] = _check_name(name)
                if active is not None:
                    values["active"] = active
                connection.execute(
                    quality_scorecards.update()
                    .where(quality_scorecards.c.id == scorecard_id)
                    .values(**values)
                )
                if sections is not None or description is not None:
                    keep = sections if sections is not None else current.sections
                    said = description if description is not None else current.description
                    version = current.version
                    if current.in_use:
                        version += 1
                    else:
                        connection.execute(
                            quality_scorecard_versions.delete().where(
                                quality_scorecard_versions.c.id == current.version_id
                            )
                        )
                    _insert_version(connection, scorecard_id, version, said, keep, by, now)
        except IntegrityError:
            raise QualityError(f"a scorecard named {name!r} exists already") from None
        return self.get(scorecard_id)

    def delete(self, scorecard_id: int) -> bool:
        """Remove a scorecard no evaluation uses (True); one in use is only deactivated, so
        its evaluations stay readable (False)."""
        with self._writer.begin() as connection:
            current = _read(connection, scorecard_id, None)
            used = connection.execute(
                sa.select(sa.func.count())
                .select_from(quality_evaluations.join(quality_scorecard_versions))
                .where(quality_scorecard_versions.c.scorecard_id == scorecard_id)
            ).scalar_one()
            if used:
                connection.execute(
                    quality_scorecards.update()
                    .where(quality_scorecards.c.id == current.id)
                    .values(active=False, updated_at=time.time())
                )
                return False
            connection.execute(
                quality_scorecards.delete().where(quality_scorecards.c.id == current.id)
            )
            return True


def _insert_version(
    connection: Connection,
    scorecard_id: int,
    version: int,
    description: str | None,
    sections: Sequence[Section],
    by: str | None,
    now: float,
) -> None:
    version_id = connection.execute(
        quality_scorecard_versions.insert().values(
            scorecard_id=scorecard_id, version=version, description=description,
            created_by=by, created_at=now,
        )
    ).inserted_primary_key[0]
    for position, section in enumerate(sections):
        section_id = connection.execute(
            quality_sections.insert().values(
                version_id=version_id, position=position, title=section.title.strip(),
                weight=section.weight,
            )
        ).inserted_primary_key[0]
        for index, question in enumerate(section.questions):
            connection.execute(
                quality_questions.insert().values(
                    section_id=section_id, position=index, text=question.text.strip(),
                    kind=question.kind.value, scale_max=question.scale_max,
                    allow_na=question.allow_na, critical=question.critical,
                    weight=question.weight,
                )
            )


def _read(connection: Connection, scorecard_id: int, version: int | None) -> Scorecard:
    query = sa.select(quality_scorecard_versions.c.id).where(
        quality_scorecard_versions.c.scorecard_id == scorecard_id
    )
    if version is None:
        query = query.order_by(quality_scorecard_versions.c.version.desc()).limit(1)
    else:
        query = query.where(quality_scorecard_versions.c.version == version)
    version_id = connection.execute(query).scalar()
    if version_id is None:
        what = f"scorecard {scorecard_id}" + (f" version {version}" if version else "")
        raise NotFoundError(f"no {what}")
    return _read_version(connection, version_id)


def _read_version(connection: Connection, version_id: int) -> Scorecard:
    head = connection.execute(
        sa.select(quality_scorecards, quality_scorecard_versions.c.version,
                  quality_scorecard_versions.c.description)
        .join(quality_scorecard_versions)
        .where(quality_scorecard_versions.c.id == version_id)
    ).mappings().first()
    if head is None:
        raise NotFoundError(f"no scorecard version {version_id}")
    sections = connection.execute(
        sa.select(quality_sections)
        .where(quality_sections.c.version_id == version_id)
        .order_by(quality_sections.c.position)
    ).mappings().all()
    questions = connection.execute(
        sa.select(quality_questions)
        .where(quality_questions.c.section_id.in_([s["id"] for s in sections]))
        .order_by(quality_questions.c.section_id, quality_questions.c.position)
    ).mappings().all()
    in_use = connection.execute(
        sa.select(sa.func.count()).where(quality_evaluations.c.version_id == version_id)
    ).scalar_one()
    return Scorecard(
        id=head["id"],
        name=head["name"],
        version=head["version"],
        version_id=version_id,
        description=head["description"],
        sections=tuple(
            Section(
                title=s["title"],
                weight=s["weight"],
                id=s["id"],
                questions=tuple(
                    Question(
                        text=q["text"], kind=Kind(q["kind"]), weight=q["weight"],
                        scale_max=q["scale_max"], allow_na=q["allow_na"],
                        critical=q["critical"], id=q["id"],
                    )
                    for q in questions
                    if q["section_id"] == s["id"]
                ),
            )
            for s in sections
        ),
        active=head["active"],
        created_at=head["created_at"],
        updated_at=head["updated_at"],
        in_use=bool(in_use),
    )

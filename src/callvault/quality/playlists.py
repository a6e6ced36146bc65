"""Playlists of calls for training, in the journal's database: named, ordered lists of
calls, each perhaps only a span of its recording, with a note."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from callvault.journal.engine import WRITER
from callvault.journal.schema_quality import quality_playlist_items, quality_playlists
from callvault.quality.model import NotFoundError, Playlist, PlaylistItem, QualityError

NAME_MAX = 200
TEXT_MAX = 10_000
ITEMS_MAX = 1000


class Playlists:
    """Playlists: every change is a short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    def create(
        self, name: str, *, description: str | None = None, by: str, now: float | None = None
    ) -> Playlist:
        name = _name(name)
        _text(description)
        now = time.time() if now is None else now
        try:
            with self._writer.begin() as connection:
                playlist_id = connection.execute(
                    quality_playlists.insert().values(
                        name=name, description=description, created_by=by, created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            raise QualityError(f"a playlist named {name!r} exists already") from None
        return self.get(playlist_id)

    def list(self) -> list[Playlist]:
        """Every playlist with its items, by name."""
        with self._engine.connect() as connection:
            ids = connection.execute(
                sa.select(quality_playlists.c.id).order_by(quality_playlists.c.name)
            ).scalars().all()
            return [_read(connection, playlist_id) for playlist_id in ids]

    def get(self, playlist_id: int) -> Playlist:
        with self._engine.connect() as connection:
            return _read(connection, playlist_id)

    def update(
        self,
        playlist_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        now: float | None = None,
    ) -> Playlist:
        values: dict[str, object] = {"updated_at": time.time() if now is None else now}
        if name is not None:
            values["name"] = _name(name)
        if description is not None:
            _text(description)
            values["description"] = description or None
        try:
            with self._writer.begin() as connection:
                done = connection.execute(
                    quality_playlists.update()
                    .where(quality_playlists.c.id == playlist_id)
                    .values(**values)
                )
        except IntegrityError:
            raise QualityError(f"a playlist named {name!r} exists already") from None
        if done.rowcount == 0:
            raise NotFoundError(f"no playlist {playlist_id}")
        return self.get(playlist_id)

    def delete(self, playlist_id: int) -> None:
        with self._writer.begin() as connection:
            done = connection.execute(
                quality_playlists.delete().where(quality_playlists.c.id == playlist_id)
            )
        if done.rowcount == 0:
            raise NotFoundError(f"no playlist {playlist_id}")

    def add_item(
        self,
        playlist_id: int,
        call_id: int,
        *,
        start_s: float | None = None,
        end_s: float | None = None,
        note: str | None = None,
        now: float | None = None,
    ) -> PlaylistItem:
        """Append a call (or its span ``start_s`` … ``end_s``) to the playlist."""
        if start_s is not None and start_s < 0:
            raise QualityError("start_s is seconds into the recording: 0 or more")
        if end_s is not None and (end_s <= 0 or (start_s is not None and end_s <= start_s)):
            raise QualityError("end_s must come after start_s (seconds into the recording)")
        _text(note)
        with self._writer.begin() as connection:
            _read(connection, playlist_id)
            last = connection.execute(
                sa.select(sa.func.max(quality_playlist_items.c.position), sa.func.count())
                .where(quality_playlist_items.c.playlist_id == playlist_id)
            ).one()
            if last[1] >= ITEMS_MAX:
                raise QualityError(f"a playlist holds at most {ITEMS_MAX} items")
            position = 0 if last[0] is None else last[0] + 1
            item_id = connection.execute(
                quality_playlist_items.insert().values(
                    playlist_id=playlist_id, position=position, call_id=call_id,
                    start_s=start_s, end_s=end_s, note=note or None,
                )
            ).inserted_primary_key[0]
            connection.execute(
                quality_playlists.update()
                .where(quality_playlists.c.id == playlist_id)
                .values(updated_at=time.time() if now is None else now)
            )
        return PlaylistItem(item_id, position, call_id, start_s, end_s, note or None)

    def move_item(self, playlist_id: int, item_id: int, position: int) -> Playlist:
        """Move an item to ``position`` (0: first; past the end: last); the others keep
        their order around it."""
        if position < 0:
            raise QualityError("position is 0 (first) or more")
        with self._writer.begin() as connection:
            items = list(_read(connection, playlist_id).items)
            moved = next((item for item in items if item.id == item_id), None)
            if moved is None:
                raise NotFoundError(f"playlist {playlist_id} has no item {item_id}")
            items.remove(moved)
            items.insert(min(position, len(items)), moved)
            for index, item in enumerate(items):
                if item.position != index:
                    connection.execute(
                        quality_playlist_items.update()
                        .where(quality_playlist_items.c.id == item.id)
                        .values(position=index)
                    )
        return self.get(playlist_id)

    def remove_item(self, playlist_id: int, item_id: int) -> None:
        with self._writer.begin() as connection:
            done = connection.execute(
                quality_playlist_items.delete().where(
                    quality_playlist_items.c.playlist_id == playlist_id,
                    quality_playlist_items.c.id == item_id,
                )
            )
        if done.rowcount == 0:
            raise NotFoundError(f"playlist {playlist_id} has no item {item_id}")


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise QualityError(f"a playlist's name is 1 to {NAME_MAX} characters")
    return name


def _text(text: str | None) -> None:
    if text is not None and len(text) > TEXT_MAX:
        raise QualityError(f"a description or note is at most {TEXT_MAX} characters")


def _read(connection: Connection, playlist_id: int) -> Playlist:
    row = connection.execute(
        sa.select(quality_playlists).where(quality_playlists.c.id == playlist_id)
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no playlist {playlist_id}")
    items = connection.execute(
        sa.select(quality_playlist_items)
        .where(quality_playlist_items.c.playlist_id == playlist_id)
        .order_by(quality_playlist_items.c.position, quality_playlist_items.c.id)
    ).mappings()
    return Playlist(
        id=row["id"], name=row["name"], description=row["description"],
        created_by=row["created_by"], created_at=row["created_at"],
        updated_at=row["updated_at"],
        items=tuple(
            PlaylistItem(i["id"], i["position"], i["call_id"], i["start_s"], i["end_s"], i["note"])
            for i in items
        ),
    )

"""The default vault: recordings as files under a directory, one folder per day."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from callvault.errors import CallvaultError

PARTIAL = ".part"
"""Suffix of a recording still being written; a crash leaves it for recovery."""


class VaultError(CallvaultError):
    """A recording cannot be stored or read."""


class FilesystemVault:
    """Recordings under ``root``: ``YYYY/MM/DD/<call uid>.<ext>`` by the call's start (UTC)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def name_for(self, uid: str, started_at: float, extension: str) -> str:
        day = datetime.fromtimestamp(started_at, UTC)
        return f"{day:%Y/%m/%d}/{uid}.{extension}"

    def create(self, name: str) -> BinaryIO:
        """A new file to write the recording ``name`` into (as ``name.part`` until finished)."""
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return open(path.with_name(path.name + PARTIAL), "w+b")
        except OSError as exc:
            raise VaultError(f"cannot write recording {path}: {exc.strerror}") from exc

    def finish(self, name: str) -> tuple[int, str]:
        """Publish a finished recording under its name; returns (size, SHA-256 hex)."""
        path = self._path(name)
        partial = path.with_name(path.name + PARTIAL)
        digest = hashlib.sha256()
        size = 0
        with open(partial, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        os.replace(partial, path)
        return size, digest.hexdigest()

    def discard(self, name: str) -> None:
        path = self._path(name)
        path.with_name(path.name + PARTIAL).unlink(missing_ok=True)

    def path(self, name: str) -> Path:
        """The file of a finished recording."""
        return self._path(name)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise VaultError(f"recording name {name!r} points outside the vault")
        return path

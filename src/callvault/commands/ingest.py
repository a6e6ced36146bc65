"""`callvault ingest` and `callvault demo`: captures into the journal."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []

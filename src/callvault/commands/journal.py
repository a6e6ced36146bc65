"""`callvault calls` and `callvault call`: read the journal."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []

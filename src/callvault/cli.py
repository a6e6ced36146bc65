"""The callvault command line: a thin layer over the library.

User errors end as one line on stderr and a non-zero exit, never a traceback
(set CALLVAULT_DEBUG=1 to see one for an internal error).
"""

from __future__ import annotations

import os
import sys

import click

from callvault import __version__
from callvault.errors import CallvaultError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="callvault")
def cli() -> None:
    """callvault: call recording and call logging for call centers."""


def _register() -> None:
    from callvault.commands import audio as audio_commands
    from callvault.commands import ingest as ingest_commands
    from callvault.commands import journal as journal_commands

    for module in (ingest_commands, journal_commands, audio_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    _register()
    try:
        cli.main(args=argv, prog_name="callvault", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("callvault: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CallvaultError as exc:
        click.echo(f"callvault: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("callvault: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last guard: never a traceback for the user
        if os.environ.get("CALLVAULT_DEBUG"):
            raise
        click.echo(
            f"callvault: internal error: {type(exc).__name__}: {exc} "
            "(run again with CALLVAULT_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(70)

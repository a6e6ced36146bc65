"""The callvault command line: a thin layer over the library.

User errors end as one line on stderr and a non-zero exit, never a traceback
(set CALLVAULT_DEBUG=1 to see one for an internal error).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from callvault import __version__
from callvault.errors import CallvaultError

COMMAND_MODULES = {
    "ingest": "callvault.commands.ingest",
    "demo": "callvault.commands.demo",
    "calls": "callvault.commands.journal",
    "call": "callvault.commands.journal",
    "audio": "callvault.commands.audio",
    "compact": "callvault.commands.audio",
    "import": "callvault.commands.imports",
    "users": "callvault.commands.users",
    "directory": "callvault.commands.directory",
    "serve": "callvault.commands.serve",
    "report": "callvault.commands.report",
    "webhooks": "callvault.commands.webhooks",
    "capture": "callvault.commands.capture",
    "health": "callvault.commands.serve",
    "siprec": "callvault.commands.siprec",
    "live": "callvault.commands.live",
    "consent": "callvault.commands.consent",
}
"""Each command's module, imported only when the command runs (start-up stays short)."""

HELP_OPTIONS = ("-h", "--help")
"""The options that show a command's help (the group's: a list of every command)."""


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(name)
        if module_name is None:
            return None
        module = importlib.import_module(module_name)
        return next((c for c in module.COMMANDS if c.name == name), None)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": list(HELP_OPTIONS), "max_content_width": 100},
)
@click.version_option(__version__, prog_name="callvault")
def cli() -> None:
    """callvault: call recording and call logging for call centers."""


def _register() -> None:
    """Kept for callers that register commands eagerly (tests); the group is lazy anyway."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point; ``argv`` None: this process's own command line, and the process
    ends when this returns (or raises SystemExit)."""
    if argv is None:
        # NumPy's OpenBLAS starts a worker thread per further core when NumPy is imported,
        # and each spins a while before it sleeps (≈ 0.02 CPU-s a thread); callvault's
        # arrays never need a parallel BLAS. Set before the command's module imports NumPy;
        # a value the environment gives stays.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        _main(argv)
    finally:
        if argv is None:
            # What is alive now stays alive until the exit. Frozen, the interpreter's final
            # garbage collections do not walk it and its cycles are left to the exit rather
            # than torn down (≈ 0.2 CPU-s after an ingest). Every command closes the files
            # and journals it writes before it returns; sys.stdout and sys.stderr are
            # flushed at exit all the same.
            gc.freeze()


def _main(argv: list[str] | None) -> None:
    try:
        if argv is None:
            _import_commands_uncollected(sys.argv[1:])
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


def _import_commands_uncollected(args: list[str]) -> None:
    """Import the modules the command line ``args`` runs with the garbage collector off, then
    freeze what is alive: the module of the command they name (their first word that is no
    option: the group's own options take no value), or every command's for the group's help,
    which lists them all.

    Start-up makes ≈ 60,000 objects (modules, classes, functions, the journal's tables) that
    live until exit and next to no garbage: the collections they set off, a full one among
    them, cost ≈ 0.08 CPU-s and free nothing. For the process's own command line only, like
    the freeze in ``main``; click imports a module again (a no-op) when it dispatches, and
    reports a command that is not there.
    """
    name = next((arg for arg in args if not arg.startswith("-")), None)
    if name is not None:
        module_names = [COMMAND_MODULES[name]] if name in COMMAND_MODULES else []
    elif not args or any(arg in HELP_OPTIONS for arg in args):
        module_names = sorted(set(COMMAND_MODULES.values()))
    else:
        module_names = []  # --version, or an option click refuses
    if not module_names:
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        for module_name in module_names:
            importlib.import_module(module_name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()

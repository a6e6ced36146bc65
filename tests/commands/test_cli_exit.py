"""The command line freezes what is alive only when it is the process's own (it exits next),
never for a caller that runs it in process."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from callvault import cli


def test_the_process_own_command_line_ends_frozen() -> None:
    code = (
        "import gc, sys; from callvault.cli import main; sys.argv = ['callvault', '--version']; "
        "main(); print(gc.get_freeze_count() > 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2:] == ["True", ""]
    assert done.stdout.startswith("callvault, version ")


def test_a_command_line_run_in_process_leaves_the_collector_alone() -> None:
    frozen = gc.get_freeze_count()
    cli.main(["--version"])
    assert gc.get_freeze_count() == frozen


def test_the_process_own_command_is_imported_frozen_and_the_collector_runs_after() -> None:
    code = (
        "import gc, sys; from callvault.cli import main; sys.argv = ['callvault', 'calls', '-h']\n"
        "try:\n    main()\n"
        "finally:\n    print(gc.isenabled(), 'callvault.commands.journal' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: callvault calls" in done.stdout
    assert done.stdout.split("\n")[-2:] == ["True True", ""]


def test_an_unknown_command_on_the_process_own_command_line_is_reported() -> None:
    code = "import sys; from callvault.cli import main; sys.argv = ['callvault', 'ingets']; main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "No such command 'ingets'" in done.stderr


def test_the_process_own_command_line_asks_numpy_for_one_blas_thread_unless_told() -> None:
    code = (
        "import os, sys; from callvault.cli import main; sys.argv = ['callvault', 'ingest', '-h']\n"
        "main(); print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)"
    )
    for given, expected in ((None, "1 True"), ("4", "4 True")):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\n")[-2:] == [expected, ""]


def test_the_process_own_help_imports_every_command_frozen_and_lists_them() -> None:
    code = (
        "import gc, sys; from callvault import cli; sys.argv = ['callvault', '--help']\n"
        "try:\n    cli.main()\n"
        "finally:\n    print(gc.isenabled(), "
        "all(name in sys.modules for name in cli.COMMAND_MODULES.values()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "  ingest " in done.stdout and "  consent " in done.stdout
    assert done.stdout.split("\n")[-2:] == ["True True", ""]

"""Whether the process is shutting down, for what would otherwise hold the shutdown up.

uvicorn's graceful shutdown waits for every response to finish, and an event stream never
does. ``watch_exit_signals`` chains a handler in front of the SIGINT/SIGTERM handlers the
server installed (only where one is installed, and only from the main thread), so streams
can see ``stopping()`` and end within one poll.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

_stopping = threading.Event()
_lock = threading.Lock()
_ours: set[Any] = set()


def stopping() -> bool:
    """True once SIGINT or SIGTERM reached a watched process."""
    return _stopping.is_set()


def watch_exit_signals() -> None:
    """Set ``stopping()`` on SIGINT/SIGTERM, then let the installed handler act as before.
    Signals left to their default (no server handling them) are left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    with _lock:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(number)
            if previous in _ours or not callable(previous):
                continue
            signal.signal(number, _chained(previous))


def _chained(previous: Any) -> Any:
    def handler(number: int, frame: FrameType | None) -> None:
        _stopping.set()
        previous(number, frame)

    _ours.add(handler)
    return handler

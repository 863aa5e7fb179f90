"""SIGINT and SIGTERM for the command line: remember the signal, stop like Ctrl-C.

Both raise :class:`KeyboardInterrupt` in the main thread, so every ``finally`` and every
atomic write unwinds as it does for Ctrl-C (temporary files removed, nothing half-written);
:func:`geohazard.cli.main.main` then exits ``128 + signal`` (130 or 143) with a one-line
"interrupted; rerun to resume", even where a library (Lightning) turns the interrupt into its
own ``exit(1)``.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Any

received: int | None = None
_previous_hook = sys.unraisablehook


def _handler(signum: int, frame: FrameType | None) -> None:
    global received
    received = signum
    raise KeyboardInterrupt


def _unraisable(info: Any) -> None:
    """Keep quiet about our own interrupt when a C callback swallowed it.

    A signal that lands inside a callback from compiled code (numba's llvmlite object cache)
    raises there, where Python can only print "Exception ignored ... Traceback". The signal
    is remembered all the same (:data:`received`), so the command still stops with 130/143
    and the one-line hint; the stray traceback is noise.
    """
    if received is not None and issubclass(info.exc_type, KeyboardInterrupt):
        return
    _previous_hook(info)


def install() -> dict[int, object]:
    """Install the handlers (main thread only); return the previous ones for :func:`restore`."""
    global received, _previous_hook
    received = None
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _handler)
    if sys.unraisablehook is not _unraisable:
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _unraisable
    return previous


def restore(previous: dict[int, object]) -> None:
    """Put back the handlers :func:`install` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]
    if previous and sys.unraisablehook is _unraisable:
        sys.unraisablehook = _previous_hook

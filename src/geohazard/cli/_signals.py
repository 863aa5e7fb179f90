"""SIGINT and SIGTERM for the command line: remember the signal, stop like Ctrl-C.

Both raise :class:`KeyboardInterrupt` in the main thread, so every ``finally`` and every
atomic write unwinds as it does for Ctrl-C (temporary files removed, nothing half-written);
:func:`geohazard.cli.main.main` then exits ``128 + signal`` (130 or 143) with a one-line
"interrupted; rerun to resume", even where a library (Lightning) turns the interrupt into its
own ``exit(1)``.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

received: int | None = None


def _handler(signum: int, frame: FrameType | None) -> None:
    global received
    received = signum
    raise KeyboardInterrupt


def install() -> dict[int, object]:
    """Install the handlers (main thread only); return the previous ones for :func:`restore`."""
    global received
    received = None
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _handler)
    return previous


def restore(previous: dict[int, object]) -> None:
    """Put back the handlers :func:`install` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]

"""Command-line interface (Typer). Thin: parse, call the library, render with rich.

When this process is the ``geohazard`` command itself, the collector's thresholds are
raised here, before the CLI's imports (see :data:`COMMAND_GC_THRESHOLDS`).
"""

from __future__ import annotations

import gc
import os
import sys

__all__ = ["COMMAND_GC_THRESHOLDS", "is_command_process"]

#: The command's collector thresholds: a young collection every 50,000 container
#: allocations instead of 700. Start-up creates hundreds of thousands of objects (Typer,
#: numpy, pandas, the models' modules) and each pass over them is wasted: 0.06 s of a 1 s
#: forecast (issue 17). Cycles are still collected, in larger batches.
COMMAND_GC_THRESHOLDS = (50_000, 20, 20)


def is_command_process() -> bool:
    """Whether this process is the ``geohazard`` command itself.

    The console script, or ``python -m geohazard.cli.main``; not a program or a test that
    imports the CLI (their collector is left alone).
    """
    top = sys.modules.get("__main__")
    spec = getattr(top, "__spec__", None)
    script = os.path.basename(getattr(top, "__file__", "") or "")
    if (spec is not None and spec.name == "geohazard.cli.main") or script == "geohazard":
        return True
    # ``python -m geohazard.cli.main``: runpy imports this package before the module
    # becomes ``__main__``
    argv = list(getattr(sys, "orig_argv", ()))
    return "geohazard.cli.main" in argv and argv[argv.index("geohazard.cli.main") - 1] == "-m"


if is_command_process():
    gc.set_threshold(*COMMAND_GC_THRESHOLDS)

"""``geohazard demo``: every system end to end on embedded data, built on the workflows.

:func:`run_demo` runs the steps of :data:`STEPS` (catalog, ETAS, RECAST, forecast, DAS,
landslide) and writes ``summary.json`` and ``report.html``. One module per system holds its
step (:mod:`~geohazard.demo.etas`, :mod:`~geohazard.demo.recast`,
:mod:`~geohazard.demo.das`, :mod:`~geohazard.demo.landslide`); the synthetic truths they
recover are in :mod:`geohazard.examples`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"DemoContext": "main", "STEPS": "main", "run_demo": "main"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

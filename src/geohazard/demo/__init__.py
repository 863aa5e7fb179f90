"""``geohazard demo``: every system end to end on embedded data, built on the workflows.

:func:`run_demo` runs the steps of :data:`STEPS` (catalog, ETAS, RECAST, forecast, DAS,
landslide) and writes ``summary.json`` and ``report.html``. One module per system holds its
step (:mod:`~geohazard.demo.etas`, :mod:`~geohazard.demo.recast`,
:mod:`~geohazard.demo.das`, :mod:`~geohazard.demo.landslide` and
:mod:`~geohazard.demo.landslide_causes`, issue 15's chain); the synthetic truths they
recover are in :mod:`geohazard.examples`.
"""

from __future__ import annotations

from geohazard._lazy import lazy_exports

_EXPORTS = {"DemoContext": "main", "STEPS": "main", "run_demo": "main"}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

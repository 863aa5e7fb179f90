"""Golden figures: the deterministic part of a result, compared within tolerance.

Issue 12's "same figures as before": the demo's ``summary.json`` for seed 0 and the
``--json`` output of a few CLI commands were captured before the redesign into
``tests/data``; tests rerun them and compare with :func:`assert_same_figures`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

#: keys whose values depend on the wall clock, the machine or the output folder
VOLATILE = {"seconds", "fit_seconds", "wall_s", "timings_s", "checkpoint", "report",
            "params_hash", "epochs"}
#: RECAST trains on a wall-clock budget in the demo: everything it feeds is left out
WALL_CLOCK_MODELS = {"recast"}


def deterministic(data: Any) -> Any:
    """``data`` without volatile keys and without RECAST-derived entries."""
    if isinstance(data, dict):
        return {k: deterministic(v) for k, v in data.items()
                if k not in VOLATILE and k not in WALL_CLOCK_MODELS}
    if isinstance(data, list):
        return [deterministic(v) for v in data]
    return data


def assert_same_figures(actual: Any, expected: Any, *, rtol: float = 1e-5,
                        atol: float = 1e-9, path: str = "") -> None:
    """Fail naming the first key path where ``actual`` differs from ``expected``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a mapping, got {actual!r}"
        missing = set(expected) - set(actual)
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        for key, value in expected.items():
            assert_same_figures(actual[key], value, rtol=rtol, atol=atol, path=f"{path}/{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: expected {len(expected)} items, got {actual!r}")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same_figures(a, e, rtol=rtol, atol=atol, path=f"{path}/{i}")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, (int, float)), f"{path}: expected {expected}, got {actual!r}"
        assert math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol), (
            f"{path}: {actual!r} != golden {expected!r}")
    else:
        assert actual == expected, f"{path}: {actual!r} != golden {expected!r}"

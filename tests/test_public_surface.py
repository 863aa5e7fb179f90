"""Issue 12's public surface: one copy of each job, thin CLI, lazy and findable API."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "geohazard"


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_cli_commands_do_not_import_each_other():
    assert "geohazard.cli.forecast" not in _imported(SRC / "cli" / "report.py")


def test_the_forecast_chain_is_written_once():
    """The CLI and the demo call the workflow; none of them backtests or simulates itself."""
    for path in (SRC / "cli" / "forecast.py", SRC / "cli" / "report.py",
                 SRC / "demo" / "main.py"):
        mods = _imported(path)
        assert "geohazard.forecast.backtest" not in mods, path
        assert "geohazard.forecast.forecasting" not in mods, path
        assert "geohazard.forecast.prospective" not in mods, path
        assert any(m.startswith("geohazard.workflows") for m in mods), path


def test_plotting_draws_and_das_computes():
    mods = _imported(SRC / "plotting" / "das.py")
    text = (SRC / "plotting" / "das.py").read_text()
    assert "response(" not in text and "fit_lines" not in text
    assert "geohazard.das.regression" in mods  # takes the computed points from das


HEAVY = ("torch", "lightning", "pytorch_lightning", "matplotlib")


@pytest.mark.parametrize("package", ["geohazard", "geohazard.forecast", "geohazard.catalog",
                                     "geohazard.das", "geohazard.landslide"])
def test_importing_a_package_loads_nothing_heavy(package):
    code = (f"import sys, {package}; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"import {package} loaded {out}"


@pytest.mark.parametrize("package", ["geohazard.forecast", "geohazard.catalog", "geohazard.das",
                                     "geohazard.landslide", "geohazard.workflows",
                                     "geohazard.demo"])
def test_every_public_name_resolves(package):
    mod = importlib.import_module(package)
    assert mod.__all__ and mod.__all__ == sorted(mod.__all__)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name
    assert set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match="no attribute"):
        mod.not_a_public_name  # noqa: B018


def test_the_issue_names_import():
    from geohazard.catalog import Catalog, read_catalog, write_catalog
    from geohazard.forecast import (
        ETAS,
        PoissonGR,
        Recast,
        SpatialETAS,
        SpatialPoisson,
        SpatialRecast,
        backtest,
        issue_forecast,
        run_prospective,
    )

    assert callable(backtest) and callable(issue_forecast) and callable(run_prospective)
    assert all(isinstance(c, type) for c in (ETAS, Recast, PoissonGR, SpatialETAS,
                                             SpatialRecast, SpatialPoisson, Catalog))
    assert callable(read_catalog) and callable(write_catalog)


def test_a_function_keeps_its_name_beside_its_module():
    """``backtest`` is a function of the package even once its module is imported.

    The module stays importable by its dotted name (``from geohazard.forecast.backtest
    import window_edges``); ``import geohazard.forecast.backtest as m`` gives the function.
    """
    import geohazard.forecast
    from geohazard.forecast.backtest import window_edges

    module = sys.modules["geohazard.forecast.backtest"]
    assert callable(window_edges)
    assert geohazard.forecast.backtest is module.backtest
    from geohazard.forecast import backtest

    assert backtest is module.backtest


def test_forecast_modules_say_what_they_hold_and_old_paths_work():
    from geohazard.forecast import base, protocols

    assert base.PointProcessModel is protocols.PointProcessModel
    assert base.history_of is protocols.history_of
    from geohazard.forecast.base import Estimator, LocatedModel

    assert Estimator is protocols.Estimator and LocatedModel is protocols.LocatedModel
    with pytest.raises(AttributeError):
        base.not_here  # noqa: B018


def test_das_and_landslide_commands_call_their_workflow():
    das = _imported(SRC / "cli" / "das.py")
    assert "geohazard.workflows.das" in das and "geohazard.report.das" not in das
    sus = _imported(SRC / "cli" / "_landslide_susceptibility.py")
    assert "geohazard.workflows.landslide" in sus
    assert "geohazard.landslide.pipeline" not in sus

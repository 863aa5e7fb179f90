"""Optional extras: a core-only install works, a missing extra is one line, never a traceback.

Missing modules are simulated: a ``sitecustomize`` on ``PYTHONPATH`` puts a meta-path finder
first that raises ``ModuleNotFoundError`` for the blocked top-level names, exactly as Python
does for a package that is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geohazard.examples import synthetic_catalog
from geohazard.extras import EXTRAS, extra_for_module, missing_extra_message

BLOCKER = '''
import os, sys
_BLOCKED = {m for m in os.environ.get("GEOHAZARD_TEST_BLOCK", "").split(",") if m}

class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Blocker())
'''
#: Every optional module geohazard imports (what a core-only install lacks).
ALL_OPTIONAL = sorted({m for mods in EXTRAS.values() for m in mods}
                      | {"lightning", "lightning_fabric", "distributed"})
ONE_LINE = "this needs geohazard[{0}]: pip install 'geohazard[{0}]'"


@pytest.fixture(scope="module")
def blocker(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("blocker")
    (folder / "sitecustomize.py").write_text(BLOCKER)
    from geohazard.catalog import write_catalog

    write_catalog(synthetic_catalog(years=3, rng=1), folder / "cat.csv")
    return folder


def run(blocker: Path, blocked: list[str], *args: str, cwd: Path | None = None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(blocker), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "GEOHAZARD_TEST_BLOCK": ",".join(blocked), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "geohazard.cli.main", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_blocker_blocks(blocker):
    env = {**os.environ, "PYTHONPATH": str(blocker), "GEOHAZARD_TEST_BLOCK": "sqlalchemy"}
    res = subprocess.run([sys.executable, "-c", "import sqlalchemy"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "ModuleNotFoundError" in res.stderr


def test_core_only_runs_help_and_catalog_info(blocker):
    res = run(blocker, ALL_OPTIONAL, "--help")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "forecast" in res.stdout and "Traceback" not in res.stderr
    res = run(blocker, ALL_OPTIONAL, "catalog", "info", str(blocker / "cat.csv"), "--json",
              str(blocker / "info.json"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads((blocker / "info.json").read_text())["events"] > 100


def test_forecast_issue_needs_sqlalchemy_only_for_the_archive(blocker, tmp_path):
    args = ["forecast", "issue", "--catalog", str(blocker / "cat.csv"), "--models", "poisson",
            "--start", "2012-06-01", "--days", "7", "--samples", "100"]
    res = run(blocker, ["sqlalchemy"], *args)
    assert res.returncode == 0, res.stderr[-2000:]
    res = run(blocker, ["sqlalchemy"], *args, "--archive", str(tmp_path / "a.sqlite"))
    assert res.returncode == 1
    assert ONE_LINE.format("forecast") in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not (tmp_path / "a.sqlite").exists()


def test_demo_runs_what_is_installed_and_says_what_it_skipped(blocker, tmp_path):
    blocked = ["torch", "pytorch_lightning", "lightning", "dascore", "rasterio"]
    res = run(blocker, blocked, "demo", "--out", str(tmp_path / "demo"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert set(summary["timings_s"]) == {"catalog", "etas"}
    assert set(summary["skipped"]) == {"recast", "forecast", "das", "landslide"}
    assert summary["skipped"]["recast"].startswith(ONE_LINE.format("forecast"))
    assert summary["skipped"]["das"].startswith(ONE_LINE.format("das"))
    assert summary["skipped"]["landslide"].startswith(ONE_LINE.format("landslide"))
    out = res.stdout + res.stderr
    for step in ("recast", "forecast", "das", "landslide"):
        assert f"skipping {step}" in out
    assert "Skipped recast" in (tmp_path / "demo" / "report.html").read_text()


def test_missing_extra_message_names_the_extra():
    err = ModuleNotFoundError("No module named 'torch.nn'", name="torch.nn")
    assert missing_extra_message(err) == ONE_LINE.format("forecast") + " (missing: torch)"
    assert missing_extra_message(ModuleNotFoundError("x", name="numpy")) is None
    assert missing_extra_message(ValueError("torch")) is None
    assert extra_for_module("rioxarray.raster_array") == "landslide"
    assert extra_for_module("dascore") == "das"


def test_core_only_commands_of_an_extra_give_one_line(blocker, tmp_path):
    res = run(blocker, ALL_OPTIONAL, "das", "simulate", "--out", str(tmp_path / "s"),
              "--preset", "test")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip().startswith("error: " + ONE_LINE.format("das"))
    assert len(res.stderr.strip().splitlines()) == 1
    res = run(blocker, ALL_OPTIONAL, "etas", "fit", str(blocker / "cat.csv"))
    assert res.returncode == 0, res.stderr[-2000:]  # ETAS is in the core

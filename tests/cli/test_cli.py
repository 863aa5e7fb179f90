import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from geohazard.cli.main import app

runner = CliRunner()


def run_cli(*args):
    """Run the real entry point in a subprocess (exit codes and stderr as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "geohazard.cli.main", *args],
                          capture_output=True, text=True, timeout=300)


def test_help_lists_subapps():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "catalog" in result.output and "demo" in result.output


def test_catalog_info_scedc_json(tmp_path, catalogs_dir):
    out = tmp_path / "out.json"
    res = run_cli("catalog", "info", str(catalogs_dir / "SCEDC.csv"), "--json", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert data["events"] == 125_421
    assert data["splits"] == {"train": 78_086, "val": 22_928, "test": 12_545}
    aki = data["b_value"]["aki_utsu"]
    assert 0.8 < aki["b"] < 1.2 and 0 < aki["se"] < 0.01


def test_user_error_is_one_line_exit_1(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,magnitude\n2020-01-01,1.0\nnope,2.0\n")
    res = run_cli("catalog", "info", str(bad))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "row 2" in res.stderr and "bad.csv" in res.stderr
    res = run_cli("catalog", "info", str(tmp_path / "missing.csv"))
    assert res.returncode == 1 and "not found" in res.stderr


def test_catalog_plot_writes_pngs(tmp_path, catalogs_dir):
    path = catalogs_dir / "QTMSanJacinto.csv"
    res = run_cli("catalog", "plot", str(path), "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    for name in ("magnitude_time", "cumulative_count", "frequency_magnitude"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("catalog", [None, "QTMSanJacinto.csv"])
def test_demo_catalog_step(tmp_path, catalogs_dir, catalog):
    from geohazard.demo import STEPS, run_demo

    # the catalog step alone: other steps have their own tests
    only = [s for s in STEPS if s[0] == "catalog"]
    import geohazard.demo as demo_mod

    saved = list(demo_mod.STEPS)
    demo_mod.STEPS[:] = only
    try:
        path = catalogs_dir / catalog if catalog else None
        res = run_demo(tmp_path, path, seed=1)
    finally:
        demo_mod.STEPS[:] = saved
    assert res["catalog"]["events"] > 100
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert json.loads((tmp_path / "summary.json").read_text())["catalog"]["events"] == res[
        "catalog"]["events"]


def test_usage_error_has_no_traceback():
    res = run_cli("catalog", "info", "a", "b")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "unexpected extra argument" in res.stderr


def test_json_output_is_strict_even_for_an_explosive_fit(tmp_path, catalogs_dir):
    """`etas fit --json` on QTMSanJacinto (p <= 1: n infinite) writes null, never Infinity."""
    out = tmp_path / "fit.json"
    res = run_cli("etas", "fit", str(catalogs_dir / "QTMSanJacinto.csv"), "--json", str(out))
    assert res.returncode == 0, res.stderr
    assert "explosive" in res.stderr  # loudly warned, not quiet

    def refuse(constant):
        raise AssertionError(f"non-strict JSON constant {constant}")

    data = json.loads(out.read_text(), parse_constant=refuse)
    assert data["branching_ratio"] is None
    assert any("branching ratio n = inf" in w for w in data["report"]["warnings"])


_THRESHOLDS = "import gc, geohazard.cli.main; print(list(gc.get_threshold()))"


@pytest.mark.parametrize("how", ["console-script", "python-m", "importer"])
def test_collector_thresholds_are_raised_only_in_the_command_itself(how, tmp_path) -> None:
    """The command's start-up skips wasted collector passes; a program importing the CLI
    keeps its own collector settings."""
    from geohazard.cli import COMMAND_GC_THRESHOLDS

    if how == "console-script":  # what pip's `geohazard` script is: a file of that name
        script = tmp_path / "geohazard"
        script.write_text(_THRESHOLDS + "\n")
        argv = [sys.executable, str(script)]
    elif how == "python-m":  # `python -m geohazard.cli.main`, as runpy records it
        argv = [sys.executable, "-c", "import sys; sys.orig_argv = [sys.executable, '-m', "
                f"'geohazard.cli.main', '--version']\n{_THRESHOLDS}"]
    else:
        argv = [sys.executable, "-c", _THRESHOLDS]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    got = tuple(json.loads(out.strip().splitlines()[-1]))
    default = tuple(json.loads(subprocess.run(
        [sys.executable, "-c", "import gc; print(list(gc.get_threshold()))"],
        capture_output=True, text=True, check=True).stdout))
    assert got == (default if how == "importer" else COMMAND_GC_THRESHOLDS)
    assert COMMAND_GC_THRESHOLDS != default

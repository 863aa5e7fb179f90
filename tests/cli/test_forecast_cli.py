import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog import write_catalog
from geohazard.examples import synthetic_catalog
from geohazard.forecast.archive import ForecastArchive


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "geohazard.cli.main", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("fc") / "synthetic.csv"
    write_catalog(synthetic_catalog(years=4, rng=5), path)
    return path


def test_issue_archive_report_and_evaluate(tmp_path, catalog_path):
    db, html, out = tmp_path / "fc.sqlite", tmp_path / "r.html", tmp_path / "f.json"
    res = run_cli("forecast", "issue", "--catalog", str(catalog_path), "--start", "2013-01-01",
                  "--model", "poisson", "--samples", "300", "--archive", str(db),
                  "--report", str(html), "--json", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())["poisson"]
    assert data["n_samples"] == 300 and data["start"].startswith("2013-01-01")
    assert data["expected_count"] > 0
    assert ForecastArchive(db).list()[0]["id"] == data["archive_id"]
    assert html.read_text().count("<img") == 1
    ev = tmp_path / "e.json"
    res = run_cli("forecast", "evaluate", "--catalog", str(catalog_path), "--archive", str(db),
                  "--json", str(ev))
    assert res.returncode == 0, res.stderr
    rows = json.loads(ev.read_text())["evaluations"]
    assert len(rows) == 1 and rows[0]["observed"] >= 0


def test_issue_table_shows_unreached_probabilities_with_their_resolution(catalog_path):
    """P(M>=7) that no simulation reached reads "< 1/300", not 0, on the terminal."""
    res = run_cli("forecast", "issue", "--catalog", str(catalog_path), "--start", "2013-01-01",
                  "--model", "poisson", "--samples", "300")
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stdout.splitlines() if "P(M≥7)" in ln)
    assert "< 1/300" in line, line


def test_backtest_cli(tmp_path, catalog_path):
    out = tmp_path / "b.json"
    res = run_cli("forecast", "backtest", "--catalog", str(catalog_path), "--model", "poisson",
                  "--days", "60", "--samples", "200", "--json", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert data["summaries"]["poisson"]["n_windows"] == len(data["windows"]) > 3


def test_bad_model_is_user_error(catalog_path):
    res = run_cli("forecast", "issue", "--catalog", str(catalog_path), "--start", "2013-01-01",
                  "--model", "magic")
    assert res.returncode == 1 and "unknown model" in res.stderr and "Traceback" not in res.stderr


def test_report_forecast_command(tmp_path, catalog_path):
    from tests.browser import render

    html = tmp_path / "rep.html"
    res = run_cli("report", "forecast", "--catalog", str(catalog_path), "--start", "2013-01-01",
                  "--model", "poisson", "--samples", "200", "--backtest-end", "2013-12-01",
                  "--out", str(html))
    assert res.returncode == 0, res.stderr
    assert render(html) == {"total": 3, "rendered": 3}


def test_prospective_run_resumes_and_evaluate_writes_a_report(tmp_path, catalog_path):
    from tests.browser import render

    db, out, ev, html = (tmp_path / n for n in ("p.sqlite", "r.json", "e.json", "rec.html"))
    args = ("forecast", "run", "--catalog", str(catalog_path), "--archive", str(db),
            "--start", "2013-11-01", "--every", "7", "--model", "poisson", "--samples", "200")
    res = run_cli(*args, "--json", str(out))
    assert res.returncode == 0, res.stderr
    first = json.loads(out.read_text())
    assert first["issued"] == len(first["issue_times_days"]) > 5 and first["skipped"] == 0
    res = run_cli(*args, "--json", str(out))
    assert res.returncode == 0 and json.loads(out.read_text())["issued"] == 0
    refit = run_cli(*args, "--refit-every", "14", "--archive", str(tmp_path / "r.sqlite"),
                    "--json", str(out))
    assert refit.returncode == 0, refit.stderr
    assert refit.stdout.count("refitting poisson") == -(-first["issued"] // 2)  # every 2nd
    stored = ForecastArchive(tmp_path / "r.sqlite").list()
    assert len({r["summary"]["training_end"] for r in stored}) == -(-first["issued"] // 2)
    res = run_cli("forecast", "evaluate", "--catalog", str(catalog_path), "--archive", str(db),
                  "--report", str(html), "--json", str(ev))
    assert res.returncode == 0, res.stderr
    data = json.loads(ev.read_text())
    assert data["newly_stored"] == len(data["evaluations"]) > 0 and data["pending"] > 0
    assert data["summaries"]["poisson"]["n_windows"] == len(data["evaluations"])
    assert render(html) == {"total": 3, "rendered": 3}


def test_prospective_run_refuses_future_fit_and_missing_archive(tmp_path, catalog_path):
    res = run_cli("forecast", "run", "--catalog", str(catalog_path), "--archive",
                  str(tmp_path / "x.sqlite"), "--start", "2013-01-01", "--fit-end", "2013-06-01",
                  "--model", "poisson")
    assert res.returncode == 1 and "future data" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("forecast", "evaluate", "--catalog", str(catalog_path), "--archive",
                  str(tmp_path / "missing.sqlite"))
    assert res.returncode == 1 and "no such archive" in res.stderr


def test_recast_refuses_to_train_on_events_after_the_forecast_start(catalog_path):
    res = run_cli("forecast", "issue", "--catalog", str(catalog_path), "--start", "2010-06-01",
                  "--model", "recast", "--samples", "10")
    assert res.returncode == 1 and "future events" in res.stderr
    assert "Traceback" not in res.stderr


# --- issue 11: no silent wrong answers ----------------------------------------------------
def test_a_forecast_after_the_data_needs_allow_extrapolation_and_is_warned(tmp_path,
                                                                          catalogs_dir):
    """QTMSanJacinto ends 2018-01-01: a 2025 forecast used to fit on seven empty years."""
    from tests.badinput import run_main

    qtm = str(catalogs_dir / "QTMSanJacinto.csv")
    args = ["forecast", "issue", "--catalog", qtm, "--start", "2025-01-01", "--model", "poisson",
            "--samples", "50", "--json", str(tmp_path / "f.json")]
    refused = run_main(args)
    assert refused.code == 1 and "--allow-extrapolation" in refused.err
    assert "2018-01-01" in refused.err and not (tmp_path / "f.json").exists()
    allowed = run_main([*args, "--allow-extrapolation"])
    assert allowed.code == 0, allowed.output
    err = " ".join(allowed.err.split())  # rich wraps log lines
    assert "EXTRAPOLATION" in err and "after the end of the data" in err
    assert json.loads((tmp_path / "f.json").read_text())["poisson"]["start"].startswith("2025")


def test_backtest_past_the_data_scores_only_covered_windows(tmp_path, catalog_path):
    from geohazard.catalog import read_catalog
    from tests.badinput import run_main

    out = tmp_path / "b.json"
    res = run_main(["forecast", "backtest", "--catalog", str(catalog_path), "--model", "poisson",
                    "--start", "2013-06-01", "--end", "2016-01-01", "--days", "30",
                    "--samples", "50", "--json", str(out)])
    assert res.code == 0, res.output
    assert "windows after it are not scored" in " ".join(res.err.split())
    cat = read_catalog(catalog_path)
    windows = np.array(json.loads(out.read_text())["windows"])
    assert windows[-1, 1] <= cat.day_of(cat.coverage_end) + 1e-9
    assert len(windows) == 7  # 2013-06-01 .. 2014-01-01 in 30-day windows


def test_simulate_then_fit_round_trip_accepts_the_simulated_future(tmp_path):
    """Silent case 9: a 30-year simulation from 2000 runs past today; fit must accept it."""
    from geohazard.catalog import read_catalog
    from tests.badinput import run_main

    params = tmp_path / "p.json"
    params.write_text(json.dumps({"mu": 0.05, "k": 0.002, "alpha": 1.0, "c": 0.01, "p": 1.2}))
    sim = tmp_path / "sim.csv"
    res = run_main(["etas", "simulate", "--params", str(params), "--out", str(sim),
                    "--days", "11000", "--seed", "1"])
    assert res.code == 0, res.output
    cat = read_catalog(sim)
    assert cat.is_simulated and cat.times[-1] > pd.Timestamp.now(tz="UTC")
    assert json.loads(sim.with_suffix(".json").read_text())["simulated"] is True
    fit = run_main(["etas", "fit", str(sim), "--starts", "1", "--json", str(tmp_path / "f.json")])
    assert fit.code == 0, fit.output
    assert json.loads((tmp_path / "f.json").read_text())["branching_ratio"] < 1


def _archive_rows(path):
    store = ForecastArchive(path)
    rows = []
    for r in store.list():
        summary = {k: v for k, v in r["summary"].items() if k != "seconds"}
        rows.append((r["model"], r["window_start"], r["window_end"], r["params_hash"],
                     r["n_samples"], r["expected_count"], json.dumps(summary, sort_keys=True),
                     store.counts(r["id"]).tobytes()))
    return rows


def _count_forecasts(path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT count(*) FROM forecasts").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_forecast_run_killed_after_the_first_forecast_resumes_to_the_same_archive(
        tmp_path, catalog_path):
    """SIGKILL once the first forecast is archived, rerun: identical to one uninterrupted run."""
    import signal
    import time

    args = ["forecast", "run", "--catalog", str(catalog_path), "--start", "2013-09-01",
            "--every", "2", "--model", "poisson", "--samples", "10000", "--days", "14"]
    killed = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "geohazard.cli.main", *args,
                             "--archive", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count_forecasts(killed) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _count_forecasts(killed)
    whole = tmp_path / "whole.sqlite"
    assert run_cli(*args, "--archive", str(whole)).returncode == 0
    total = len(_archive_rows(whole))
    assert 1 <= partial < total, f"the kill did not land mid-run ({partial} of {total})"
    resumed = run_cli(*args, "--archive", str(killed), "--json", str(tmp_path / "r.json"))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((tmp_path / "r.json").read_text())["skipped"] == partial
    assert _archive_rows(killed) == _archive_rows(whole)

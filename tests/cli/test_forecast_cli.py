import json
import subprocess
import sys

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

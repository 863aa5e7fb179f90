from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from geohazard.catalog.io import read_catalog
from geohazard.cli.etas import _to_catalog
from geohazard.cli.main import app
from geohazard.exceptions import DataFileNotFoundError
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import simulate_catalog

runner = CliRunner()
TRUTH = ETASParams(mu=0.5, k=0.01, alpha=0.8, c=0.01, p=1.2)


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory):
    """A simulated catalog (~2,500 events, 2000 days) with Mc and split dates."""
    from geohazard.catalog.io import write_catalog

    seq = simulate_catalog(TRUTH, MagnitudeLaw(1.0, 2.0, 7.0), 2000.0, rng=4)
    cat = _to_catalog(seq.times, seq.magnitudes, "2000-01-01", 0.0, 2000.0, 2.0, "sim")
    cat = cat.with_metadata(train_start="2000-06-01", val_start="2003-01-01",
                            test_start="2004-06-01")
    path = tmp_path_factory.mktemp("etas") / "sim.csv"
    write_catalog(cat, path)
    return path


def test_fit_then_score_round_trip(tmp_path, small_catalog):
    fit_json = tmp_path / "fit.json"
    res = runner.invoke(app, ["etas", "fit", str(small_catalog), "--json", str(fit_json),
                              "--starts", "1", "--taper-days", "1000"])
    assert res.exit_code == 0, res.output
    fitted = json.loads(fit_json.read_text())
    assert set(fitted["scores"]) == {"train", "val", "test"}
    assert fitted["report"]["converged"]
    assert fitted["params"]["p"] == pytest.approx(TRUTH.p, abs=5 * fitted["se"]["p"])
    assert fitted["params"]["tau"] == 1000.0  # the taper travels with the parameters
    score_json = tmp_path / "score.json"
    res = runner.invoke(app, ["etas", "score", str(small_catalog), "--params", str(fit_json),
                              "--json", str(score_json)])
    assert res.exit_code == 0, res.output
    scored = json.loads(score_json.read_text())
    for split in ("train", "val", "test"):
        assert scored["scores"][split]["nll_per_day"] == pytest.approx(
            fitted["scores"][split]["nll_per_day"], rel=1e-9)


def test_score_paper_params_file(tmp_path, catalogs_dir, paper_params):
    out = tmp_path / "s.json"
    res = runner.invoke(app, ["etas", "score", str(catalogs_dir / "QTMSanJacinto.csv"),
                              "--params", str(catalogs_dir / "paper_etas_params.json"),
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    published = paper_params["QTMSanJacinto"]["published_nll_per_day_seed0"]
    got = json.loads(out.read_text())["scores"]
    for split in ("train", "val", "test"):
        assert got[split]["nll_per_day"] == pytest.approx(published[split], abs=1e-4)


def test_simulate_writes_project_csv(tmp_path):
    params = tmp_path / "p.json"
    params.write_text(json.dumps(TRUTH.to_dict()))
    out = tmp_path / "sim.csv"
    res = runner.invoke(app, ["etas", "simulate", "--params", str(params), "--out", str(out),
                              "--days", "300", "--seed", "3"])
    assert res.exit_code == 0, res.output
    cat = read_catalog(out)
    assert cat.metadata.mag_completeness == 2.0 and len(cat) > 100
    assert (cat.magnitudes >= 2.0).all()
    assert cat.to_sequence().t_end == pytest.approx(300.0)


def test_explosive_params_and_missing_file_are_one_line_errors(tmp_path):
    params = tmp_path / "hot.json"
    params.write_text(json.dumps(TRUTH.replace(p=0.9).to_dict()))
    cmd = [sys.executable, "-m", "geohazard.cli.main", "etas", "simulate", "--params",
           str(params), "--out", str(tmp_path / "x.csv"), "--days", "10"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "explosive" in res.stderr and "Traceback" not in res.stderr
    res = runner.invoke(app, ["etas", "simulate", "--params", str(tmp_path / "no.json"),
                              "--out", str(tmp_path / "x.csv")])
    assert isinstance(res.exception, DataFileNotFoundError)  # main() prints it as one line
    assert "no.json: parameter file not found" in str(res.exception)


def test_score_days_catalog_scores_all(tmp_path, catalogs_dir):
    params = tmp_path / "truth.json"
    params.write_text(json.dumps({"params": {"mu": 0.02, "k": 0.005, "alpha": 0.8, "c": 0.1,
                                             "p": 1.08}}))
    out = tmp_path / "s.json"
    res = runner.invoke(app, ["etas", "score", str(catalogs_dir / "ETAS_synthetic.csv"),
                              "--params", str(params), "--json", str(out)])
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text())["scores"]
    assert list(got) == ["all"] and got["all"]["n_events"] == 80_817
    assert got["all"]["days"] == 3e6


def test_fit_with_fixed_alpha(tmp_path, small_catalog):
    out = tmp_path / "fit.json"
    res = runner.invoke(app, ["etas", "fit", str(small_catalog), "--json", str(out),
                              "--starts", "1", "--fixed-alpha", "0.8"])
    assert res.exit_code == 0, res.output
    fitted = json.loads(out.read_text())
    assert fitted["params"]["alpha"] == 0.8 and "alpha" in fitted["report"]["at_bounds"]
    assert fitted["params"]["p"] == pytest.approx(TRUTH.p, abs=5 * fitted["se"]["p"])
    bad = subprocess.run([sys.executable, "-m", "geohazard.cli.main", "etas", "fit",
                          str(small_catalog), "--fixed-alpha", "high"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "--fixed-alpha" in bad.stderr
    assert "Traceback" not in bad.stderr

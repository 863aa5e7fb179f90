"""The ``geohazard recast`` commands and the demo entry point, on a small synthetic catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from geohazard.catalog.io import write_catalog
from geohazard.cli.main import app
from geohazard.demo.recast import run_demo
from geohazard.examples import renewal_catalog as synthetic_renewal_catalog

runner = CliRunner()


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cat") / "renewal.csv"
    write_catalog(synthetic_renewal_catalog(800, rng=1), path)
    return path


def test_train_then_score_reports_the_same_figures(catalog_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "train.json"
    res = runner.invoke(app, ["recast", "train", str(catalog_file), "--seed", "2", "--json",
                              str(out), "--out", str(tmp_path / "run"), "--max-epochs", "2"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["epochs"] == 2 and data["seed"] == 2
    for split in ("train", "val", "test"):
        s = data["splits"][split]
        assert np.isfinite(s["nll_per_day_time"]) and s["n_events"] > 0
        assert s["nll_per_day_time_mag_learned"] != s["nll_per_day_time"]
    score_out = tmp_path / "score.json"
    res = runner.invoke(app, ["recast", "score", str(catalog_file), "--checkpoint",
                              data["checkpoint"], "--json", str(score_out)])
    assert res.exit_code == 0, res.output
    scored = json.loads(score_out.read_text())
    assert scored["splits"]["test"]["nll_per_day_time"] == pytest.approx(
        data["splits"]["test"]["nll_per_day_time"], rel=1e-9)
    res = runner.invoke(app, ["recast", "sample", str(catalog_file), "--checkpoint",
                              data["checkpoint"], "--days", "2", "--n", "50", "--json",
                              str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "s.json").read_text())["mean_count"] > 0


def test_score_with_a_missing_checkpoint_fails_cleanly(catalog_file: Path, tmp_path: Path
                                                       ) -> None:
    from geohazard.exceptions import InputError

    res = runner.invoke(app, ["recast", "score", str(catalog_file), "--checkpoint",
                              str(tmp_path / "nope.pt")])
    assert res.exit_code != 0 and isinstance(res.exception, InputError)


def test_run_demo_writes_its_figures(tmp_path: Path) -> None:
    out = run_demo(None, tmp_path, 0, budget_s=600.0, n_events=1200, max_epochs=3)
    assert out["epochs"] == 3
    assert json.loads((tmp_path / "recast_demo.json").read_text())["splits"] == out["splits"]
    assert set(out["splits"]) == {"train", "val", "test"}
    assert abs(out["splits"]["test"]["nll_per_day_time"] - out["true_test_nll_per_day_time"]
               ) < 0.3


@pytest.mark.slow
def test_run_demo_on_the_synthetic_process_approaches_the_truth(tmp_path: Path) -> None:
    out = run_demo(None, tmp_path, 0, budget_s=600.0)  # stops early (about 20 epochs)
    assert (tmp_path / "recast_demo.json").exists() and Path(out["checkpoint"]).exists()
    test = out["splits"]["test"]["nll_per_day_time"]
    assert test == pytest.approx(out["true_test_nll_per_day_time"], abs=0.03)

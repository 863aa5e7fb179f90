"""``forecast backtest --spatial --archive`` then ``forecast evaluate --tests s`` (issue 13):
the archived located backtest is re-evaluated on its own testing region (a 0.2-degree grid,
not the 0.05-degree box ``evaluate`` falls back to), so the S-test matches the backtest's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geohazard.catalog import write_catalog
from tests.badinput import run_main
from tests.forecast.test_spatial_eval import located_catalog


def test_evaluate_reruns_an_archived_located_backtest_on_its_region(tmp_path: Path) -> None:
    cat = write_catalog(located_catalog(n=500, seed=4, days=200.0), tmp_path / "cat.csv")
    res = run_main(["forecast", "backtest", "--catalog", cat, "--spatial", "--dh", "0.2",
                    "--model", "poisson", "--start", "2010-06-01", "--end", "2010-07-01",
                    "--days", "10", "--samples", "60", "--seed", "1",
                    "--archive", tmp_path / "a.sqlite", "--json", tmp_path / "b.json"])
    assert res.code == 0, res.output
    backtest = json.loads((tmp_path / "b.json").read_text())
    windows = backtest["spatial_per_window"]["poisson"]
    assert len(windows) == 3 and backtest["spatial_region"]["dh"] == 0.2
    res = run_main(["forecast", "evaluate", "--catalog", cat, "--archive", tmp_path / "a.sqlite",
                    "--tests", "s", "--model", "poisson", "--json", tmp_path / "e.json"])
    assert res.code == 0, res.output
    rows = json.loads((tmp_path / "e.json").read_text())["csep_tests"]
    assert len(rows) == 3
    assert sum(w["n_observed"] for w in windows) > 0
    for row, win in zip(rows, windows, strict=True):
        assert row["n_observed"] == win["n_observed"]
        if win["n_observed"]:
            assert row["s_test"]["observed_statistic"] == pytest.approx(win["s_test_statistic"])
            assert row["s_test"]["quantile"][1] == pytest.approx(win["s_test_quantile"])

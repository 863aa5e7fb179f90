"""``forecast backtest --spatial`` on a tiny located catalog, its report and the rate map."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from geohazard.catalog import write_catalog
from geohazard.forecast.region import SpatialRegion
from geohazard.forecast.spatial_eval import SpatialMap
from geohazard.plotting.forecast import spatial_rate_map
from tests.browser import render
from tests.forecast.test_spatial_eval import located_catalog


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geohazard.cli.main", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def located_paths(tmp_path_factory):  # noqa: ANN201, ANN001
    """The catalog CSV and its metadata written to a separate JSON (no sidecar)."""
    folder = tmp_path_factory.mktemp("loc")
    path = write_catalog(located_catalog(n=1200, seed=4, days=300.0), folder / "cat.csv")
    meta = folder / "meta.json"
    path.with_suffix(".json").rename(meta)
    return path, meta


def test_backtest_spatial_cli_with_meta_and_report(tmp_path, located_paths) -> None:  # noqa: ANN001
    path, meta = located_paths
    out, html = tmp_path / "bt.json", tmp_path / "bt.html"
    res = run_cli("forecast", "backtest", "--catalog", str(path), "--meta", str(meta),
                  "--model", "poisson", "--days", "15", "--samples", "200", "--spatial",
                  "--dh", "0.1", "--json", str(out), "--report", str(html))
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    n_win = len(data["windows"])
    assert n_win == 4  # 60 test days / 15
    summ = data["spatial_summaries"]["poisson"]
    assert summ["n_windows"] == n_win and 0.0 <= summ["pass_s"] <= 1.0
    assert data["spatial_region"]["dh"] == 0.1
    assert data["spatial_region"]["n_cells"] == 100  # the clustered law fills the 1x1 box
    rows = data["spatial_per_window"]["poisson"]
    assert [r["n_observed"] for r in rows] == [r["observed"] for r in data["per_window"]["poisson"]]
    assert "S pass" in html.read_text() and html.read_text().count("<img") == 3
    assert render(html) == {"total": 3, "rendered": 3}
    # without the metadata there are no split dates: a one-line error, exit 1
    bad = run_cli("forecast", "backtest", "--catalog", str(path), "--model", "poisson",
                  "--spatial")
    assert bad.returncode == 1 and "test split" in bad.stderr + bad.stdout


def test_spatial_rate_map_draws_log_density_and_events() -> None:
    region = SpatialRegion(0.0, 2.0, 0.0, 1.0, dh=1.0)
    rate = np.array([[2.0, 0.0]])  # (ny, nx): events per cell over the period
    smap = SpatialMap("m", region, rate, np.array([0.5, 1.5, 1.6]), np.array([0.5, 0.5, 0.2]),
                      days=4.0)
    np.testing.assert_allclose(smap.rate_density, [[0.5, 0.0]])
    ax = spatial_rate_map(smap)
    img = ax.images[0].get_array()
    assert img[0, 0] == pytest.approx(np.log10(0.5))
    assert np.ma.is_masked(img[0, 1]) or np.isnan(img[0, 1])  # zero rate: blank cell
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, [[0.5, 0.5], [1.5, 0.5], [1.6, 0.2]])
    assert ax.get_xlim() == (0.0, 2.0)
    plt.close(ax.figure)


def test_issue_spatial_reports_top_cells_and_a_rate_map(tmp_path, located_paths) -> None:  # noqa: ANN001
    from geohazard.catalog import read_catalog

    path, meta = located_paths
    out, html = tmp_path / "f.json", tmp_path / "f.html"
    cat = read_catalog(path, sidecar=meta)
    start = cat.origin + (cat.times[-1] - cat.origin) * 0.8
    res = run_cli("forecast", "issue", "--catalog", str(path), "--meta", str(meta),
                  "--start", str(start), "--model", "poisson", "--days", "10", "--samples",
                  "400", "--spatial", "--dh", "0.1", "--json", str(out), "--report", str(html))
    assert res.returncode == 0, res.stderr[-2000:]
    fc = json.loads(out.read_text())["poisson"]
    cells = fc["top_cells"]
    assert fc["region"]["dh"] == 0.1 and 0 < len(cells) <= 10
    expected = [c["expected_count"] for c in cells]
    assert expected == sorted(expected, reverse=True)
    assert sum(expected) <= fc["expected_count"] + 1e-9  # a share of the events in the box
    for c in cells:  # cell centres on the 0.1-degree grid
        assert abs((c["longitude"] - 0.05) / 0.1 - round((c["longitude"] - 0.05) / 0.1)) < 1e-6
        assert 0.0 < c["prob_at_least_one"] <= 1.0
    # Poisson counts per cell: P(>=1) = 1 - exp(-expected) within sampling error
    top = cells[0]
    assert top["prob_at_least_one"] == pytest.approx(1 - np.exp(-top["expected_count"]),
                                                     abs=0.08)
    assert render(html) == {"total": 2, "rendered": 2}  # fan chart and rate map

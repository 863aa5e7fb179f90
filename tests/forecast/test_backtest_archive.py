"""A located backtest archives its testing region (issue 13): re-evaluating the archived
forecasts with the S-test gives the backtest's own S-test results, window by window."""

from __future__ import annotations

import numpy as np
import pytest

from geohazard.forecast import PoissonGR
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.archive_csep import rerun_csep_tests
from geohazard.forecast.backtest import backtest
from geohazard.forecast.region import SpatialRegion
from tests.forecast._spatial_synth import BOX, LocatedPoissonStandIn
from tests.forecast.test_spatial_eval import located_catalog


def test_an_archived_located_backtest_reruns_to_its_own_s_test(tmp_path):
    cat = located_catalog(n=500, seed=4, days=200.0)
    md = cat.metadata
    hist = cat.to_sequence(t_end=md.test_start, features=("longitude", "latitude"))
    models = {"located": LocatedPoissonStandIn().fit(hist), "poisson": PoissonGR().fit(hist)}
    # a 0.2-degree grid: not the 0.05-degree box the rerun falls back to without a region
    region = SpatialRegion(*BOX, dh=0.2, mag_edges=tuple(np.round(np.arange(1.0, 4.0, 0.1), 2)))
    store = ForecastArchive(tmp_path / "bt.sqlite")
    res = backtest(cat, models, md.test_start, md.end, days=10.0, n_samples=100, rng=5,
                   region=region, archive=store)
    n_win = len(res.windows)
    assert n_win == 4
    located = [r for r in store.list() if r["model"] == "located"]
    assert len(located) == n_win
    assert all(store.region(r["id"]) == region.to_dict() for r in store.list())
    again = rerun_csep_tests(cat, ForecastArchive(tmp_path / "bt.sqlite"), "s",
                             model="located")
    assert [a.forecast_id for a in again] == [r["id"] for r in located]
    assert any(e.n_observed > 0 for e in res.spatial["located"])
    for a, ev in zip(again, res.spatial["located"], strict=True):
        s = a.results["s_test"]
        assert a.n_observed == ev.n_observed
        if ev.n_observed == 0:
            continue
        assert s.observed_statistic == pytest.approx(ev.s_test_statistic)
        assert s.quantile[1] == pytest.approx(ev.s_test_quantile)  # P(S_sim <= S_obs)
        assert s.status == ev.s_status

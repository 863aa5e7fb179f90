"""Spatial evaluation objects, the backtest's opt-in region and the SpatialRecast wrapper."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog.core import Catalog, CatalogMetadata
from geohazard.exceptions import InputError
from geohazard.forecast.backtest import backtest
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.region import SpatialRegion
from geohazard.forecast.spatial_eval import (
    SpatialEvaluation,
    SpatialSummary,
    gridded_counts,
    window_rate,
)
from tests.forecast._spatial_synth import (
    BOX,
    LocatedPoissonStandIn,
    clustered_law,
    located_forecast,
)


def located_catalog(n: int = 1500, seed: int = 0, days: float = 400.0) -> Catalog:
    """Poisson times, GR magnitudes, clustered epicentres, with split dates."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, days, n))
    origin = pd.Timestamp("2010-01-01", tz="UTC")
    lon, lat = clustered_law(rng, n)
    df = pd.DataFrame({"time": origin + pd.to_timedelta(t, unit="D"),
                       "magnitude": np.round(1.005 + rng.exponential(1 / np.log(10), n), 2),
                       "longitude": lon, "latitude": lat})
    day = lambda d: origin + pd.Timedelta(days=d)  # noqa: E731
    md = CatalogMetadata(name="synthetic-located", mag_completeness=1.0, mag_roundoff=0.01,
                         start=origin, end=day(days), train_start=day(10),
                         val_start=day(0.6 * days), test_start=day(0.8 * days))
    return Catalog(df, md)


def _ev(**kw: float) -> SpatialEvaluation:
    base = dict(model="m", n_observed=10, n_simulated_mean=10.0, n_test_delta1=0.5,
                n_test_delta2=0.5, m_test_quantile=0.5, s_test_quantile=0.5,
                s_test_statistic=-4.0, pl_test_quantile=0.5, pl_test_statistic=-30.0,
                s_status="normal", pl_status="normal")
    return SpatialEvaluation(**{**base, **kw})


def test_pass_rules_and_summary() -> None:
    assert _ev().passes() == {"n_test": True, "m_test": True, "s_test": True, "pl_test": True}
    assert _ev(n_test_delta1=0.02).passes()["n_test"] is False  # two-sided: 0.02 < 0.025
    assert _ev(n_test_delta2=0.03).passes()["n_test"] is True
    assert _ev(s_test_quantile=0.04).passes()["s_test"] is False
    assert _ev(pl_test_quantile=0.05).passes()["pl_test"] is True
    nan = _ev(n_observed=0, s_test_quantile=math.nan, pl_test_quantile=math.nan,
              m_test_quantile=math.nan)
    assert nan.passes()["s_test"] is None
    s = SpatialSummary.from_windows("m", [_ev(), _ev(s_test_quantile=0.01, pl_test_quantile=0.2),
                                          nan])
    assert s.n_windows == 3 and s.n_valid_spatial == 2
    assert s.pass_s == 0.5 and s.pass_pl == 1.0 and s.pass_n == 1.0
    assert s.mean_s_quantile == pytest.approx(0.255)
    assert json.loads(json.dumps(_ev().to_dict()))["passes"]["s_test"] is True
    with pytest.raises(InputError):
        SpatialSummary.from_windows("m", [])


def test_gridded_counts_and_rate_map() -> None:
    region = SpatialRegion(*BOX, dh=0.5, mag_edges=(1.0,))
    fc = located_forecast(np.random.default_rng(1), 300, 12.0)
    counts = gridded_counts(fc.continuations, region)
    c = fc.continuations
    inside = ((c.features["longitude"] < BOX[1]) & (c.features["latitude"] < BOX[3]))
    assert counts.shape == (300, 4) and counts.sum() == inside.sum()
    # cell order is pyCSEP's: count one sample by hand
    f = c.sample_features(0)
    ix = np.floor((f["longitude"] - BOX[0]) / 0.5).astype(int)
    iy = np.floor((f["latitude"] - BOX[2]) / 0.5).astype(int)
    grid = np.zeros((2, 2))
    np.add.at(grid, (iy, ix), 1)
    np.testing.assert_array_equal(region.to_grid(counts[0]), grid)
    np.testing.assert_allclose(window_rate(c, region), counts.mean(axis=0))


def test_backtest_with_region_adds_spatial_results() -> None:
    cat = located_catalog()
    md = cat.metadata
    hist = cat.to_sequence(t_end=md.test_start, features=("longitude", "latitude"))
    models = {"located": LocatedPoissonStandIn().fit(hist), "poisson": PoissonGR().fit(hist)}
    region = SpatialRegion(*BOX, dh=0.1, mag_edges=tuple(np.round(np.arange(1.0, 4.0, 0.1), 2)))
    res = backtest(cat, models, md.test_start, md.end, days=20.0, n_samples=200, rng=0,
                   region=region)
    n_win = len(res.windows)
    assert n_win == 4
    # the temporal-only model gets no spatial rows; the located one gets one per window
    assert set(res.spatial) == {"located"} and len(res.spatial["located"]) == n_win
    obs_counts = [e.observed for e in res.evaluations["located"]]
    assert [e.n_observed for e in res.spatial["located"]] == obs_counts  # all inside the box
    summ = res.spatial_summaries["located"]
    # the stand-in's locations come from the same law as the data: S and PL pass mostly
    assert summ.pass_s >= 0.75 and summ.pass_pl >= 0.5
    m = res.spatial_maps["located"]
    assert m.rate.shape == (10, 10) and m.days == pytest.approx(20.0 * n_win)
    assert np.nansum(m.rate) == pytest.approx(
        np.mean([e.n_simulated_mean for e in res.spatial["located"]]) * n_win)
    assert m.observed_lon.size == sum(obs_counts)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["spatial_summaries"]["located"]["n_windows"] == n_win
    assert data["spatial_region"]["n_cells"] == 100
    # without a region nothing spatial happens
    plain = backtest(cat, models, md.test_start, md.end, days=20.0, n_samples=50, rng=0)
    assert plain.spatial == {} and "spatial_summaries" not in plain.to_dict()
    unlocated = Catalog(cat.to_pandas().drop(columns=["longitude"]), md)
    with pytest.raises(InputError, match="longitude"):
        backtest(unlocated, models, md.test_start, md.end, days=20.0, n_samples=10,
                 region=region)


def test_catalog_region_and_located_model_factory() -> None:
    from geohazard.forecast.spatial_models import catalog_region, fit_spatial_model

    cat = located_catalog(n=800, seed=2, days=300.0)
    region = catalog_region(cat, dh=0.1)
    assert (region.lon_min, region.lat_min) == pytest.approx((-117.0, 33.0))
    assert region.shape == (10, 10)
    assert region.mag_edges[0] == 1.0 and region.mag_edges[1] == pytest.approx(1.1)
    model, info = fit_spatial_model("poisson", cat, cat.metadata.test_start)
    assert info["spatial"] and info["training_end"] == str(cat.metadata.test_start)
    hist = cat.to_sequence(t_end=cat.metadata.test_start, features=("longitude", "latitude"))
    sims = model.sample(hist, 10.0, 20, rng=0)
    assert sims.has_locations
    with pytest.raises(InputError, match="unknown spatial model"):
        fit_spatial_model("nope", cat, cat.metadata.test_start)
    unlocated = Catalog(cat.to_pandas().drop(columns=["latitude"]), cat.metadata)
    with pytest.raises(InputError, match="latitude"):
        catalog_region(unlocated)

"""pyCSEP catalog-based S and pseudo-likelihood tests through the adapter: known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.base import Continuations
from geohazard.forecast.csep_adapter import csep_spatial_tests
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.region import SpatialRegion
from geohazard.forecast.spatial_eval import (
    SpatialEvaluation,
    gridded_counts,
    observed_counts,
)
from geohazard.testing import spatial_statistics
from tests.forecast._spatial_synth import BOX, clustered_law, located_forecast, observation

MAGS = tuple(np.round(np.arange(1.0, 5.0, 0.1), 2))


@pytest.fixture(scope="module")
def region() -> SpatialRegion:
    return SpatialRegion(*BOX, dh=0.1, mag_edges=MAGS)


def test_region_grid_and_binning(region: SpatialRegion) -> None:
    assert region.shape == (10, 10) and region.n_cells == 100
    lon = np.array([-117.0, -116.95, -116.01, -116.0, -117.2, -116.55])
    lat = np.array([33.0, 33.05, 33.99, 33.5, 33.5, 34.0])
    idx = region.cell_index(lon, lat)
    assert idx[3] == -1 and idx[4] == -1 and idx[5] == -1  # east edge, west of box, north edge
    xo, yo = region.cell_origins()
    origins = region.to_csep().origins()
    for k in (0, 1, 2):  # the cell's origin is the largest grid origin not above the point
        i, j = int(np.floor((lon[k] + 117) / 0.1 + 1e-9)), int(np.floor((lat[k] - 33) / 0.1 + 1e-9))
        np.testing.assert_allclose(origins[idx[k]], [xo[i], yo[j]])
    grid = region.to_grid(np.arange(100.0))
    assert grid.shape == (10, 10) and np.nansum(grid) == np.arange(100.0).sum()
    around = SpatialRegion.around(np.array([-116.93, -116.12]), np.array([33.21, 33.38]), dh=0.1)
    assert (around.lon_min, around.lat_min) == pytest.approx((-117.0, 33.2))
    assert (around.lon_max, around.lat_max) == pytest.approx((-116.1, 33.4))
    with pytest.raises(ParameterError, match="dh"):
        SpatialRegion(*BOX, dh=0.0)
    with pytest.raises(ParameterError, match="lon_min"):
        SpatialRegion(-116.0, -117.0, 33.0, 34.0)


def test_same_law_passes_s_and_pl_with_uniform_quantiles(region: SpatialRegion) -> None:
    """Observation drawn from the forecast's own law: S/PL quantiles ~ U(0, 1) over seeds."""
    s_q, pl_q = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        fc = located_forecast(rng, 200, 30.0)
        obs = observation(rng, int(rng.poisson(30.0)))
        res = csep_spatial_tests(fc, *obs, region)
        assert res["s_test"]["status"] in {"normal", "undersampled"}
        s_q.append(res["s_test"]["quantile"][1])
        pl_q.append(res["pl_test"]["quantile"][1])
    s_q, pl_q = np.array(s_q), np.array(pl_q)
    assert stats.kstest(s_q, "uniform").pvalue > 0.01
    assert stats.kstest(pl_q, "uniform").pvalue > 0.01
    assert np.sum(s_q < 0.05) <= 4 and 0.25 < s_q.mean() < 0.75


def test_forecast_in_the_wrong_half_fails_s(region: SpatialRegion) -> None:
    rng = np.random.default_rng(7)
    # 75% of the forecast's events in the western blob, observed seismicity in the eastern one
    fc = located_forecast(rng, 500, 40.0, west=0.75)
    obs = observation(rng, 40, west=0.0)
    res = csep_spatial_tests(fc, *obs, region)
    assert res["s_test"]["quantile"][1] < 0.01
    assert res["pl_test"]["quantile"][1] < 0.01
    ev = SpatialEvaluation.from_csep("wrong", res)
    assert ev.passes()["s_test"] is False and ev.passes()["pl_test"] is False
    assert ev.passes()["n_test"] is True  # the count is right, only the places are wrong


def test_disjoint_support_is_a_failure_not_a_pass(region: SpatialRegion) -> None:
    """All observed events where no simulation put any: pyCSEP says not-valid; we fail it."""
    rng = np.random.default_rng(3)

    def west(r: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return r.uniform(-117.0, -116.6, n), r.uniform(33.0, 34.0, n)

    def east(r: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return r.uniform(-116.4, -116.0, n), r.uniform(33.0, 34.0, n)

    fc = located_forecast(rng, 100, 20.0, law=west)
    res = csep_spatial_tests(fc, *observation(rng, 20, law=east), region)
    assert res["s_test"]["status"] == "not-valid"
    ev = SpatialEvaluation.from_csep("disjoint", res)
    assert ev.s_test_quantile == 0.0 and ev.passes()["s_test"] is False
    assert ev.pl_test_quantile == 0.0


def test_statistics_equal_the_definition_on_a_tiny_case() -> None:
    """Two cells, three simulated catalogs: S and PL computed by hand equal pyCSEP's."""
    reg = SpatialRegion(0.0, 2.0, 0.0, 1.0, dh=1.0, mag_edges=(1.0,))
    # sims: cell counts (2, 0), (1, 1), (1, 2); observation (1, 2)
    lon_sims = [np.array([0.5, 0.5]), np.array([0.5, 1.5]), np.array([0.5, 1.5, 1.5])]
    cont = Continuations.from_lists(
        [np.sort(np.linspace(0.1, 0.9, x.size)) for x in lon_sims],
        [np.full(x.size, 2.0) for x in lon_sims], 0.0, 1.0,
        {"longitude": lon_sims, "latitude": [np.full(x.size, 0.5) for x in lon_sims]})
    fc = Forecast("tiny", cont)
    obs = (np.array([0.2, 0.4, 0.6]), np.full(3, 2.0), np.array([0.5, 1.5, 1.5]), np.full(3, 0.5))
    res = csep_spatial_tests(fc, *obs, reg)
    lam = np.array([4 / 3, 1.0])  # mean counts per cell
    nu = lam.sum()
    p = lam / nu

    def s_stat(w: np.ndarray) -> float:
        return float(np.sum(w[w > 0] * np.log(p[w > 0])) / w.sum())

    def pl_stat(w: np.ndarray) -> float:
        return float(np.sum(w[w > 0] * np.log(lam[w > 0])) - nu)

    sims = np.array([[2, 0], [1, 1], [1, 2]], float)
    obs_w = np.array([1, 2], float)
    s_sims = np.array([s_stat(w) for w in sims])
    pl_sims = np.array([pl_stat(w) for w in sims])
    assert res["s_test"]["observed_statistic"] == pytest.approx(s_stat(obs_w), rel=1e-12)
    assert res["pl_test"]["observed_statistic"] == pytest.approx(pl_stat(obs_w), rel=1e-12)
    assert res["s_test"]["quantile"][1] == pytest.approx(np.mean(s_sims <= s_stat(obs_w)))
    assert res["s_test"]["quantile"][0] == pytest.approx(np.mean(s_sims >= s_stat(obs_w)))
    assert res["pl_test"]["quantile"][1] == pytest.approx(np.mean(pl_sims <= pl_stat(obs_w)))
    # our kernel gives the same numbers
    ours = spatial_statistics(gridded_counts(cont, reg), observed_counts(*obs[2:], obs[1], reg))
    assert ours["s_observed"] == pytest.approx(s_stat(obs_w), rel=1e-12)
    np.testing.assert_allclose(ours["s_simulated"], s_sims, rtol=1e-12)
    np.testing.assert_allclose(ours["pl_simulated"], pl_sims, rtol=1e-12)


def test_kernel_matches_pycsep_on_random_forecasts(region: SpatialRegion) -> None:
    rng = np.random.default_rng(11)
    fc = located_forecast(rng, 150, 25.0)
    obs = observation(rng, 22, west=0.3)
    res = csep_spatial_tests(fc, *obs, region)
    ours = spatial_statistics(gridded_counts(fc.continuations, region),
                              observed_counts(obs[2], obs[3], obs[1], region))
    assert ours["s_observed"] == pytest.approx(res["s_test"]["observed_statistic"], rel=1e-10)
    assert ours["pl_observed"] == pytest.approx(res["pl_test"]["observed_statistic"], rel=1e-10)
    assert ours["s_quantile"] == pytest.approx(res["s_test"]["quantile"][1])
    assert ours["pl_quantile"] == pytest.approx(res["pl_test"]["quantile"][1])


def test_events_outside_the_region_are_ignored_consistently(region: SpatialRegion) -> None:
    rng = np.random.default_rng(5)
    fc = located_forecast(rng, 120, 20.0)
    obs = observation(rng, 18)
    base = csep_spatial_tests(fc, *obs, region)
    # add events outside the box (west, north, and exactly on the east edge) to every
    # simulated catalog and to the observation
    c = fc.continuations
    out_lon, out_lat = np.array([-117.3, -116.5, -116.0]), np.array([33.5, 34.2, 33.5])
    times, mags, lons, lats = [], [], [], []
    for i in range(c.n_samples):
        t, m = c.sample(i)
        f = c.sample_features(i)
        times.append(np.concatenate([t, [13.0, 13.1, 13.2]]))
        mags.append(np.concatenate([m, [2.0, 2.5, 3.0]]))
        lons.append(np.concatenate([f["longitude"], out_lon]))
        lats.append(np.concatenate([f["latitude"], out_lat]))
    padded = Forecast("padded", Continuations.from_lists(
        times, mags, c.t_start, c.t_end, {"longitude": lons, "latitude": lats}))
    obs_pad = tuple(np.concatenate([a, b]) for a, b in zip(
        obs, (np.array([13.0, 13.1, 13.2]), np.array([2.0, 2.5, 3.0]), out_lon, out_lat),
        strict=True))
    pad = csep_spatial_tests(padded, *obs_pad, region)
    assert pad["n_observed"] == base["n_observed"] == 18
    assert pad["n_simulated_mean"] == pytest.approx(base["n_simulated_mean"])
    for key in ("n_test", "m_test", "s_test", "pl_test"):
        assert pad[key]["quantile"] == pytest.approx(base[key]["quantile"]), key
        assert pad[key]["observed_statistic"] == pytest.approx(base[key]["observed_statistic"])
    # and the kernel drops the same events
    np.testing.assert_array_equal(gridded_counts(padded.continuations, region),
                                  gridded_counts(fc.continuations, region))


def test_no_observed_events_and_bad_input(region: SpatialRegion) -> None:
    rng = np.random.default_rng(2)
    fc = located_forecast(rng, 50, 5.0)
    empty = tuple(np.empty(0) for _ in range(4))
    res = csep_spatial_tests(fc, *empty, region)
    assert res["n_observed"] == 0 and res["s_test"]["status"] == "not-valid"
    ev = SpatialEvaluation.from_csep("x", res)
    assert math.isnan(ev.s_test_quantile) and ev.passes()["s_test"] is None
    assert ev.passes()["n_test"] is not None
    temporal = Forecast("t", Continuations(np.array([1.0]), np.array([2.0]),
                                           np.array([0, 1]), 0.0, 14.0))
    with pytest.raises(InputError, match="longitude"):
        csep_spatial_tests(temporal, *empty, region)
    with pytest.raises(InputError, match="same length"):
        csep_spatial_tests(fc, np.zeros(2), np.zeros(2), np.zeros(1), np.zeros(2), region)
    with pytest.raises(ParameterError, match="unknown test"):
        csep_spatial_tests(fc, *empty, region, tests=("x_test",))


def test_clustered_law_is_inside_the_box() -> None:
    lon, lat = clustered_law(np.random.default_rng(0), 1000)
    assert lon.min() >= BOX[0] and lon.max() < BOX[1] and lat.min() >= BOX[2]

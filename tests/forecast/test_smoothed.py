from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from geohazard.catalog.core import EventSequence
from geohazard.catalog.geo import LocalProjection
from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.smoothed import (
    SmoothedSeismicity,
    SpatialPoisson,
    displace,
    powerlaw_radial_cdf,
    sample_powerlaw_radius,
)

PROJ = LocalProjection(-116.5, 33.5)


def _seq(lon: np.ndarray, lat: np.ndarray, times: np.ndarray | None = None) -> EventSequence:
    """A located sequence of the epicentres, one event a day unless ``times`` are given."""
    t = np.arange(lon.size, dtype=float) if times is None else np.asarray(times, float)
    return EventSequence(t, np.full(lon.size, 2.0), 0.0, float(t[-1]) + 1.0, 0.0, 1.0,
                         features={"longitude": lon, "latitude": lat})


def _single(kernel: str, h: float) -> SmoothedSeismicity:
    """Density of one event (plus a far, zero-weight one) with a fixed bandwidth.

    Weighted epicentres take the internal array path (SpatialETAS's background).
    """
    lon, lat = PROJ.to_lonlat(np.array([0.0, 500.0]), np.array([0.0, 0.0]))
    return SmoothedSeismicity(kernel=kernel, bandwidth_km=h, projection=PROJ)._fit_points(
        lon, lat, weights=np.array([1.0, 0.0]))


@pytest.mark.parametrize("kernel", ["power", "gaussian"])
def test_single_kernel_integrates_to_one(kernel):
    model = _single(kernel, 2.0)
    r_max = model.max_distance_km if kernel == "power" else 60.0

    def radial(r: float) -> float:
        return 2 * math.pi * r * math.exp(model.log_density_km(np.array([r]), np.array([0.0]))[0])

    total = sum(integrate.quad(radial, a, b, limit=200)[0]
                for a, b in [(0, 2.0), (2.0, 200.0), (200.0, r_max)])
    assert total == pytest.approx(1.0, rel=1e-6)
    # the density is the kernel's: at r = 0, h / (2 pi h^3 F(R)) or 1 / (2 pi h^2)
    peak = math.exp(model.log_density_km(np.array([0.0]), np.array([0.0]))[0])
    norm = float(powerlaw_radial_cdf(np.array(1000.0), 4.0, 0.5)) if kernel == "power" else 1.0
    assert peak == pytest.approx(1 / (2 * math.pi * 4.0 * norm), rel=1e-9)


def test_mixture_integrates_to_one_over_a_large_box():
    rng = np.random.default_rng(0)
    lon, lat = PROJ.to_lonlat(rng.uniform(-20, 20, 30), rng.uniform(-20, 20, 30))
    model = SmoothedSeismicity(kernel="gaussian", neighbors=3, projection=PROJ).fit(
        _seq(lon, lat))
    g = np.linspace(-150, 150, 601)
    X, Y = np.meshgrid(g, g)
    total = np.exp(model.log_density_km(X, Y)).sum() * (g[1] - g[0]) ** 2
    assert total == pytest.approx(1.0, abs=1e-3)
    # power kernel: the box holds all but the analytic tail beyond ~130 km of each event
    power = SmoothedSeismicity(neighbors=3, projection=PROJ).fit(_seq(lon, lat))
    total = np.exp(power.log_density_km(X, Y)).sum() * (g[1] - g[0]) ** 2
    h = power.bandwidths_
    tail = np.mean(1 - powerlaw_radial_cdf(np.array(130.0), h**2, 0.5))
    assert 1 - 2 * tail - 0.01 < total < 1.0


@pytest.mark.parametrize("kernel", ["power", "gaussian"])
def test_bandwidth_fit_recovers_the_true_scale(kernel):
    rng = np.random.default_rng(1)
    h0, n_centres, n_held = 2.0, 300, 3000
    cx, cy = rng.uniform(-40, 40, n_centres), rng.uniform(-40, 40, n_centres)
    j = rng.integers(0, n_centres, n_held)
    if kernel == "power":
        r = sample_powerlaw_radius(np.full(n_held, h0**2), 0.5, rng, 1000.0)
    else:
        r = h0 * np.sqrt(-2 * np.log1p(-rng.random(n_held)))
    hx, hy = displace(cx[j], cy[j], r, rng)
    lon, lat = PROJ.to_lonlat(np.concatenate([cx, hx]), np.concatenate([cy, hy]))
    times = np.arange(lon.size, dtype=float)  # centres first: the later events are held out
    model = SmoothedSeismicity(kernel=kernel, bandwidth_km="fit", projection=PROJ,
                               holdout_fraction=n_held / lon.size).fit(_seq(lon, lat, times))
    assert model.bandwidth_km_ == pytest.approx(h0, rel=0.1)


def test_adaptive_bandwidths_and_selection():
    rng = np.random.default_rng(2)
    # tight clusters on a sparse background: adaptive bandwidths shrink inside clusters
    cl = rng.normal(0, 0.5, (2, 400))
    bg = rng.uniform(-50, 50, (2, 100))
    x, y = np.concatenate([cl[0], bg[0]]), np.concatenate([cl[1], bg[1]])
    lon, lat = PROJ.to_lonlat(x, y)
    # leave-one-out selection: the internal array path without times
    model = SmoothedSeismicity(min_bandwidth_km=0.05, projection=PROJ)._fit_points(lon, lat)
    assert model.neighbors_ in model.selection_["neighbors"]
    best = max(model.selection_["mean_log_density"])
    assert best == model.selection_["mean_log_density"][
        model.selection_["neighbors"].index(model.neighbors_)]
    assert np.median(model.bandwidths_[:400]) < 0.2 * np.median(model.bandwidths_[400:])
    assert model.log_density(lon[:1], lat[:1])[0] > model.log_density(
        *PROJ.to_lonlat(np.array([30.0]), np.array([30.0])))[0] + 3
    loo = model.loo_log_density()
    assert loo.shape == (500,) and np.all(loo < model.log_density(lon, lat))


def test_zero_weights_remove_events():
    rng = np.random.default_rng(3)
    lon, lat = PROJ.to_lonlat(rng.uniform(-30, 30, 50), rng.uniform(-30, 30, 50))
    w = np.where(np.arange(50) < 25, 1.0, 0.0)
    a = SmoothedSeismicity(bandwidth_km=3.0, projection=PROJ)._fit_points(lon, lat, weights=w)
    b = SmoothedSeismicity(bandwidth_km=3.0, projection=PROJ).fit(_seq(lon[:25], lat[:25]))
    q = PROJ.to_lonlat(rng.uniform(-30, 30, 20), rng.uniform(-30, 30, 20))
    np.testing.assert_allclose(a.log_density(*q), b.log_density(*q), rtol=1e-12)


def test_sample_follows_the_kernel():
    model = _single("power", 1.5)
    x, y = PROJ.to_km(*model.sample(20_000, rng=4))
    r = np.hypot(x, y)
    D = 1.5**2
    cdf = lambda v: powerlaw_radial_cdf(v, D, 0.5) / powerlaw_radial_cdf(  # noqa: E731
        np.array(1000.0), D, 0.5)
    assert stats.kstest(r, cdf).pvalue > 0.01
    assert abs(np.mean(np.arctan2(y, x))) < 4 * math.pi / math.sqrt(3 * 20_000)


def test_bad_settings_and_unfitted():
    lon, lat = np.array([-116.0, -116.1, -116.2]), np.array([33.0, 33.1, 33.2])
    with pytest.raises(ParameterError, match="kernel"):
        SmoothedSeismicity(kernel="box").fit(_seq(lon, lat))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="weights"):
        SmoothedSeismicity()._fit_points(lon, lat, weights=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(NotFittedError):
        SmoothedSeismicity().log_density(lon, lat)
    with pytest.raises(InputError, match="row 2"):
        SmoothedSeismicity().fit(_seq(lon, np.array([33.0, np.nan, 33.2])))
    with pytest.raises(InputError, match="EventSequence or Catalog"):
        SmoothedSeismicity().fit(lon, lat)  # one way to fit: arrays are refused
    with pytest.raises(InputError, match="'longitude'"):
        SmoothedSeismicity().fit(EventSequence(np.arange(3.0), np.full(3, 2.0), 0.0, 3.0, 0.0))


def test_fit_takes_a_catalog_like_every_model():
    """fit(Catalog, fit_end=...) fits the events above Mc before fit_end; holdout in time."""
    from geohazard.catalog.core import Catalog, CatalogMetadata
    from geohazard.forecast.protocols import history_of

    rng = np.random.default_rng(8)
    n = 400
    lon, lat = PROJ.to_lonlat(rng.normal(0, 5, n), rng.normal(0, 5, n))
    mags = np.where(np.arange(n) % 4 == 0, 0.8, 1.5)  # a quarter below Mc 1.0
    md = CatalogMetadata(name="located", mag_completeness=1.0, start="2020-01-01")
    cat = Catalog.from_days(np.arange(n) * 0.5, mags, "2020-01-01", metadata=md,
                            longitude=lon, latitude=lat)
    model = SmoothedSeismicity(projection=PROJ).fit(cat, fit_end="2020-05-01")
    above = (mags > 1.0) & (np.arange(n) * 0.5 < 121.0)  # 2020-05-01 is day 121
    np.testing.assert_allclose(model.x_, PROJ.to_km(lon[above], lat[above])[0])
    seq = history_of(cat, "2020-05-01", features=("longitude", "latitude"))
    same = SmoothedSeismicity(projection=PROJ).fit(seq)
    assert same.neighbors_ == model.neighbors_
    np.testing.assert_array_equal(same.bandwidths_, model.bandwidths_)
    # selection on the later quarter in time: the array path with the same times agrees
    arrays = SmoothedSeismicity(projection=PROJ)._fit_points(lon[above], lat[above],
                                                             times=seq.times)
    assert arrays.selection_ == model.selection_


# ----------------------------------------------------------------------------- SpatialPoisson
def _located(rng: np.random.Generator, n: int = 600, t_end: float = 600.0) -> EventSequence:
    times = np.sort(rng.uniform(0, t_end, n))
    mags = 1.0 + rng.exponential(1 / math.log(10), n)
    lon, lat = PROJ.to_lonlat(rng.normal(0, 5, n), rng.normal(0, 5, n))
    return EventSequence(times, mags, 0.0, t_end, 0.0, 1.0,
                         features={"longitude": lon, "latitude": lat})


def test_spatial_poisson_samples_located_continuations():
    rng = np.random.default_rng(5)
    hist = _located(rng)
    model = SpatialPoisson().fit(hist)
    assert isinstance(model, PointProcessModel)
    sims = model.sample(hist, 30.0, 500, rng=6)
    assert sims.has_locations and sims.features["latitude"].shape == sims.times.shape
    rate = len(hist) / hist.t_end
    se = math.sqrt(rate * 30.0 / 500)
    assert abs(sims.counts.mean() - rate * 30.0) < 4 * se
    x, y = PROJ.to_km(sims.features["longitude"], sims.features["latitude"])
    assert np.median(np.hypot(x, y)) == pytest.approx(5 * math.sqrt(2 * math.log(2)), rel=0.15)
    # the temporal score is PoissonGR's, unchanged
    ref = PoissonGR().fit(hist).log_likelihood(hist)
    assert model.log_likelihood(hist).log_likelihood == pytest.approx(ref.log_likelihood)
    np.testing.assert_allclose(model.intensity(hist, np.array([1.0, 2.0])), rate)
    later = _located(rng)
    ld = model.spatial_log_density(later)
    gauss = -np.log(2 * np.pi * 25) - 0.5 * np.hypot(*PROJ.to_km(
        later.features["longitude"], later.features["latitude"])) ** 2 / 25
    assert ld.mean() == pytest.approx(gauss.mean(), abs=0.15)  # close to the true density


def test_spatial_poisson_without_locations_names_the_column():
    rng = np.random.default_rng(7)
    hist = _located(rng)
    bare = EventSequence(hist.times, hist.magnitudes, 0.0, hist.t_end, 0.0, 1.0,
                         features={"latitude": hist.features["latitude"]})
    with pytest.raises(InputError, match="'longitude'"):
        SpatialPoisson().fit(bare)


def test_spatial_poisson_fits_a_located_catalog(catalogs_dir):
    from geohazard.catalog.io import read_catalog

    cat = read_catalog(catalogs_dir / "QTMSanJacinto_located.csv",
                       sidecar=catalogs_dir / "QTMSanJacinto.json")
    model = SpatialPoisson(neighbors=5).fit(cat)  # the train split, events above Mc
    train = cat.above_completeness().to_sequence("train", features=("longitude", "latitude"))
    assert model.temporal_.rate_per_day_ == pytest.approx(len(train) / train.t_end)
    sims = model.sample(train, 14.0, 50, rng=0)
    lon, lat = sims.features["longitude"], sims.features["latitude"]
    inside = (lon >= -117) & (lon <= -116) & (lat >= 33) & (lat <= 34)
    assert inside.mean() > 0.9
    with pytest.raises(InputError, match="'longitude'"):
        SpatialPoisson().fit(cat.to_sequence("train"))

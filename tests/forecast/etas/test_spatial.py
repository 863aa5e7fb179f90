from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import InputError
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import simulate_continuations
from geohazard.forecast.etas.spatial import (
    SpatialETAS,
    _Problem,
    kernel_radial_cdf,
    simulate_spatial_catalog,
)
from geohazard.forecast.smoothed import powerlaw_log_density, sample_powerlaw_radius

LAW = MagnitudeLaw(b=1.0, mc=2.0, m_max=7.0)
TEMPORAL = ETASParams(mu=1.0, k=0.01, alpha=0.8, c=0.01, p=1.2)  # n = 0.57
TRUTH = {"d": 0.3, "q": 1.8, "gamma": 0.5}


@pytest.fixture(scope="module")
def synthetic() -> EventSequence:
    return simulate_spatial_catalog(TEMPORAL, LAW, TRUTH, 1200.0, rng=11)


@pytest.fixture(scope="module")
def fitted(synthetic) -> SpatialETAS:
    temporal = ETAS.from_params(TEMPORAL, LAW.mc, b=LAW.b, m_max=LAW.m_max)
    return SpatialETAS(temporal=temporal, lookback_events=300, lookback_days=200.0).fit(synthetic)


# ----------------------------------------------------------------------------- (a) sampler
@pytest.mark.parametrize(("D", "s"), [(0.5, 0.8), (2.0, 2.0)])
def test_displacement_sampler_matches_analytic_cdf(D, s):
    rng = np.random.default_rng(0)
    r = sample_powerlaw_radius(np.full(20_000, D), s, rng)
    cdf = lambda v: kernel_radial_cdf(v, D, 1.0 + s, 0.0, 0.0)  # noqa: E731
    assert stats.kstest(r, cdf).pvalue > 0.01
    if s > 1.0:  # E[r^2] = D / (q - 2) when q > 2; finite variance needs q > 3
        r2 = r**2
        se = r2.std(ddof=1) / math.sqrt(r2.size)
        assert abs(r2.mean() - D / (s - 1.0)) < 4 * se


def test_truncated_sampler_stays_inside_and_matches_truncated_cdf():
    rng = np.random.default_rng(1)
    D, s, R = 4.0, 0.2, 30.0  # heavy tail: 45% of the untruncated mass lies beyond 30 km
    r = sample_powerlaw_radius(np.full(20_000, D), s, rng, R)
    assert r.max() <= R
    assert stats.kstest(r, lambda v: kernel_radial_cdf(v, D, 1.0 + s, 0.0, 0.0, R)).pvalue > 0.01


def test_mean_square_displacement_grows_with_magnitude_as_gamma_says():
    rng = np.random.default_rng(2)
    D = 0.3 * 10.0 ** (0.5 * np.array([0.0, 2.0]))  # parents at Mc and Mc + 2
    s = 3.0  # q = 4: E[r^2] = D / 2, finite variance
    r2 = [sample_powerlaw_radius(np.full(40_000, d), s, rng) ** 2 for d in D]
    ratio = r2[1].mean() / r2[0].mean()
    assert ratio == pytest.approx(10.0, rel=0.05)  # 10**(gamma * 2)


@settings(max_examples=50, deadline=None)
@given(D=st.floats(1e-6, 1e4), s=st.floats(0.02, 20.0), r_max=st.floats(0.1, 1e4),
       seed=st.integers(0, 2**32 - 1))
def test_displacements_are_non_negative_and_inside_the_truncation(D, s, r_max, seed):
    r = sample_powerlaw_radius(np.full(200, D), s, np.random.default_rng(seed), r_max)
    assert np.all(np.isfinite(r)) and np.all(r >= 0) and np.all(r <= r_max * (1 + 1e-9))


# ----------------------------------------------------------------------------- (b) normalisation
@pytest.mark.parametrize(("D", "s", "R"), [(0.1, 0.5, math.inf), (3.0, 1.2, math.inf),
                                           (1.0, 0.3, 50.0), (0.01, 0.05, 1000.0)])
def test_kernel_integrates_to_one_over_the_plane(D, s, R):
    def radial(r: float) -> float:
        return 2 * math.pi * r * math.exp(powerlaw_log_density(np.array(r * r), D, s, R))

    # split at the kernel scale so quad sees the peak and the tail separately
    edges = [0.0, math.sqrt(D), 100 * math.sqrt(D), R]
    total = sum(integrate.quad(radial, a, b, limit=200)[0]
                for a, b in zip(edges[:-1], edges[1:], strict=True) if a < b)
    assert total == pytest.approx(1.0, rel=1e-6)


# ----------------------------------------------------------------------------- likelihood
def _direct_loglik(seq: EventSequence, xv: np.ndarray, bg: np.ndarray, targets: np.ndarray,
                   lookback: int, r_max: float) -> float:
    """The space-time objective by a plain double loop (reference)."""
    d, s, gamma = math.exp(xv[0]), math.exp(xv[1]), xv[2]
    x, y = seq.features["x"], seq.features["y"]
    mu, k, alpha, c, p = TEMPORAL.to_array()
    total = 0.0
    for n, i in enumerate(targets):
        lam = bg[n]
        for j in range(max(0, i - lookback), i):
            dt = seq.times[i] - seq.times[j]
            if dt <= 0:
                continue
            mexc = seq.magnitudes[j] - LAW.mc
            D = d * 10 ** (gamma * mexc)
            r2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
            f = math.exp(powerlaw_log_density(np.array(r2), D, s, r_max))
            lam += k * 10 ** (alpha * mexc) * (dt + c) ** (-p) * f
        total += math.log(lam)
    return total


def test_objective_matches_direct_sum_and_its_gradient(synthetic):
    seq = EventSequence(synthetic.times[:300], synthetic.magnitudes[:300], 0.0,
                        float(synthetic.times[300]), 0.0, LAW.mc,
                        features={k: v[:300] for k, v in synthetic.features.items()})
    rng = np.random.default_rng(3)
    targets = np.arange(50, 300)
    bg = rng.uniform(1e-4, 1e-3, targets.size)
    lookback = 40
    lo = np.maximum(np.arange(300) - lookback, 0)
    prob = _Problem(seq.times, seq.features["x"], seq.features["y"], seq.magnitudes - LAW.mc,
                    lo, targets, TEMPORAL.to_array(), 0.0, 25.0**2, False)
    prob.bg = bg
    xv = np.array([math.log(0.4), math.log(0.7), 0.6])
    ll, grad = prob.evaluate(xv)
    assert ll == pytest.approx(_direct_loglik(seq, xv, bg, targets, lookback, 25.0), rel=1e-10)
    for i in range(3):
        h = np.zeros(3)
        h[i] = 1e-6
        numeric = (prob.evaluate(xv + h)[0] - prob.evaluate(xv - h)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)


# ----------------------------------------------------------------------------- (c) recovery
def test_fit_recovers_spatial_parameters_of_a_synthetic_catalog(fitted):
    est, se = fitted.spatial_params_, fitted.spatial_se_
    for name in ("d", "q", "gamma"):
        assert np.isfinite(se[name]) and se[name] > 0
        assert abs(est[name] - TRUTH[name]) < 3 * se[name], (name, est[name], se[name])
    assert fitted.fit_report_["converged"]
    summary = fitted.summary()
    assert summary["spatial"]["params"] == est and "params" in summary  # temporal kept
    assert json.loads(json.dumps(summary))["spatial"]["se"] == se  # JSON-ready as is


def test_background_share_matches_the_simulated_one(synthetic, fitted):
    # expected background fraction: mu T / N
    share = TEMPORAL.mu * synthetic.t_end / len(synthetic)
    assert fitted.background_share_ == pytest.approx(share, abs=0.05)


# ----------------------------------------------------------------------------- (d) background
def test_pure_poisson_catalog_is_all_background():
    rng = np.random.default_rng(4)
    n, t_end = 800, 800.0
    times = np.sort(rng.uniform(0, t_end, n))
    mags = LAW.mc + rng.exponential(1 / math.log(10), n)
    lon, lat = rng.uniform(-117, -116, n), rng.uniform(33, 34, n)
    seq = EventSequence(times, mags, 0.0, t_end, 0.0, LAW.mc,
                        features={"longitude": lon, "latitude": lat})
    model = SpatialETAS(lookback_events=100, lookback_days=50.0, b=1.0, constrained=True).fit(seq)
    assert model.background_share_ > 0.95
    assert model.background_share_temporal_ > 0.95


# ----------------------------------------------------------------------------- (f) parents
def test_parent_indices_point_to_earlier_events_and_leave_samples_unchanged():
    rng = np.random.default_rng(5)
    times = np.sort(np.concatenate([rng.uniform(0, 99, 60), [99.5]]))
    mags = np.where(times == 99.5, 5.5, LAW.mc + rng.exponential(0.43, times.size))
    hist = EventSequence(times, mags, 0.0, 100.0, 0.0, LAW.mc)
    plain = simulate_continuations(TEMPORAL, LAW, hist, 100.0, 20.0, 400, rng=9)
    sims, anc = simulate_continuations(TEMPORAL, LAW, hist, 100.0, 20.0, 400, rng=9,
                                       return_parents=True)
    np.testing.assert_array_equal(plain.times, sims.times)
    np.testing.assert_array_equal(plain.magnitudes, sims.magnitudes)
    np.testing.assert_array_equal(plain.offsets, sims.offsets)
    sample_of = np.repeat(np.arange(sims.n_samples), sims.counts)
    child = np.flatnonzero(anc.parent >= 0)
    par = anc.parent[child]
    assert child.size and np.all(par < child)
    assert np.all(sample_of[par] == sample_of[child])
    assert np.all(sims.times[par] <= sims.times[child])
    hc = np.flatnonzero(anc.history_parent >= 0)
    assert hc.size and np.all(anc.parent[hc] == -1)
    assert np.all(hist.times[anc.history_parent[hc]] < sims.times[hc])
    # the magnitude-5.5 event is the most prolific history parent
    top = np.bincount(anc.history_parent[hc]).argmax()
    assert hist.magnitudes[top] == 5.5
    # background counts are Poisson(mu * D) per sample
    bg = np.bincount(sample_of[anc.is_background], minlength=sims.n_samples)
    assert abs(bg.mean() - TEMPORAL.mu * 20.0) < 4 * math.sqrt(TEMPORAL.mu * 20.0 / 400)


def test_sample_locates_offspring_with_the_kernel(synthetic, fitted):
    sims = fitted.sample(synthetic, 10.0, 300, rng=6)
    temporal = fitted.temporal_.sample(synthetic, 10.0, 300, rng=6)
    np.testing.assert_array_equal(sims.times, temporal.times)  # same draws as ETAS.sample
    assert sims.has_locations
    lon, lat = sims.features["longitude"], sims.features["latitude"]
    assert np.all(np.isfinite(lon)) and lon.shape == sims.times.shape
    # end to end: child-parent distances follow f(r | m_parent) (probability transform)
    _, anc = simulate_continuations(fitted.temporal_.params_, fitted.temporal_.mag_law_,
                                    synthetic, synthetic.t_end, 10.0, 300, rng=6,
                                    return_parents=True)
    child = np.flatnonzero(anc.parent >= 0)
    par = anc.parent[child]
    x, y = fitted.projection_.to_km(lon, lat)
    r = np.hypot(x[child] - x[par], y[child] - y[par])
    sp = fitted.spatial_params_
    u = [kernel_radial_cdf(ri, sp["d"], sp["q"], sp["gamma"], m - LAW.mc, 1000.0)
         for ri, m in zip(r, sims.magnitudes[par], strict=True)]
    assert child.size > 100 and stats.kstest(u, "uniform").pvalue > 0.01


def test_spatial_log_density_beats_uniform_on_clustered_events(synthetic, fitted):
    n = len(synthetic)
    later = EventSequence(synthetic.times, synthetic.magnitudes, 0.0, synthetic.t_end,
                          float(synthetic.times[int(0.9 * n)]), LAW.mc,
                          features=synthetic.features)
    ld = fitted.spatial_log_density(later)
    assert ld.shape == (later.n_scored,) and np.all(np.isfinite(ld))
    assert ld.mean() > -math.log(100.0 * 100.0) + 1.0  # uniform over the 100 km box


def test_parameter_draws_split_samples_and_keep_locations_aligned(synthetic):
    temporal = ETAS.from_params(TEMPORAL, LAW.mc, b=LAW.b, m_max=LAW.m_max, param_draws=3)
    temporal.cov_ = np.diag((0.02 * TEMPORAL.to_array()) ** 2)
    model = SpatialETAS(temporal=temporal, lookback_events=100, lookback_days=50.0,
                        n_outer=1).fit(synthetic)
    assert isinstance(model, PointProcessModel)
    sims = model.sample(synthetic, 5.0, 30, rng=8)
    ref = temporal.sample(synthetic, 5.0, 30, rng=8)
    assert sims.n_samples == 30
    np.testing.assert_array_equal(sims.times, ref.times)
    np.testing.assert_array_equal(sims.offsets, ref.offsets)
    assert sims.features["longitude"].shape == sims.times.shape
    assert np.all(np.isfinite(sims.features["latitude"]))


def test_spatial_density_composes_background_and_kernels(synthetic, fitted):
    """One event by hand: (mu u(x) + sum_j w_j f(x - x_j | m_j)) / lambda(t)."""
    n = 400
    seq = EventSequence(synthetic.times[:n], synthetic.magnitudes[:n], 0.0,
                        float(synthetic.times[n]), float(synthetic.times[n - 2]), LAW.mc,
                        features={k: v[:n] for k, v in synthetic.features.items()})
    model = SpatialETAS(temporal=fitted.temporal_, lookback_events=n, lookback_days=1e4)
    for name in ("spatial_params_", "background_", "projection_", "temporal_"):
        setattr(model, name, getattr(fitted, name))
    got = model.spatial_log_density(seq)[-1]
    x, y = fitted.projection_.to_km(seq.features["longitude"], seq.features["latitude"])
    i = n - 1
    mu, k, alpha, c, p = TEMPORAL.to_array()
    mexc = seq.magnitudes[:i] - LAW.mc
    w = k * 10 ** (alpha * mexc) * (seq.times[i] - seq.times[:i] + c) ** (-p)
    sp = fitted.spatial_params_
    f = np.exp(powerlaw_log_density((x[i] - x[:i]) ** 2 + (y[i] - y[:i]) ** 2,
                                    sp["d"] * 10 ** (sp["gamma"] * mexc), sp["q"] - 1, 1000.0))
    u = np.exp(fitted.background_.log_density_km(x[i:i + 1], y[i:i + 1])[0])
    lam_t = fitted.temporal_.intensity(seq, seq.times[i:i + 1])[0]
    assert lam_t == pytest.approx(mu + w.sum(), rel=1e-8)  # the look-back covers all
    assert got == pytest.approx(math.log((mu * u + w @ f) / lam_t), rel=1e-8)


# ----------------------------------------------------------------------------- (g) bad input
def test_missing_location_features_raise_input_error_naming_them(synthetic, fitted):
    no_lat = EventSequence(synthetic.times, synthetic.magnitudes, 0.0, synthetic.t_end, 0.0,
                           LAW.mc, features={"longitude": synthetic.features["longitude"]})
    with pytest.raises(InputError, match="'latitude'"):
        SpatialETAS().fit(no_lat)
    bare = EventSequence(synthetic.times, synthetic.magnitudes, 0.0, synthetic.t_end, 0.0,
                         LAW.mc)
    with pytest.raises(InputError, match="'longitude'"):
        fitted.sample(bare, 1.0, 2)

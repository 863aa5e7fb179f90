from __future__ import annotations

import numpy as np
import pytest

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import ExplosiveProcessError
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.params import PARAM_NAMES, ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import (
    expected_count,
    simulate_catalog,
    simulate_continuations,
)

PARAMS = ETASParams(mu=0.5, k=0.01, alpha=0.8, c=0.01, p=1.2)  # n = 0.59 (b = 1, m_max = 8)


def _check_mean(counts: np.ndarray, expected: float) -> None:
    se = counts.std(ddof=1) / np.sqrt(counts.size)
    assert abs(counts.mean() - expected) < 4 * se + 0.005 * expected, (counts.mean(), expected)


def test_mean_count_matches_renewal_expectation(gr_law):
    sims = simulate_continuations(PARAMS, gr_law, None, 0.0, 100.0, 4000, rng=1)
    expected = expected_count(PARAMS, gr_law, 100.0, t_start=0.0)
    assert 50.0 < expected < 100.0 / (1 - PARAMS.branching_ratio(gr_law))
    _check_mean(sims.counts, expected)
    # sorted within samples, inside the window, magnitudes in the GR range
    assert sims.n_samples == 4000 and sims.offsets[-1] == sims.times.size
    t, m = sims.sample(0)
    assert np.all(np.diff(t) >= 0) and np.all((t >= 0) & (t < 100.0))
    assert sims.magnitudes.min() >= 2.0 and sims.magnitudes.max() <= 8.0


@pytest.mark.parametrize("tau", [None, 3.0])
def test_continuations_condition_on_history(gr_law, tau):
    params = PARAMS.replace(tau=tau)
    rng = np.random.default_rng(2)
    # a magnitude-6 event one day before the window dominates it
    times = np.sort(np.concatenate([rng.uniform(0, 99, 50), [99.0]]))
    mags = np.where(times == 99.0, 6.0, 2.0 + rng.exponential(0.43, times.size))
    hist = EventSequence(times, mags, 0.0, 100.0, 0.0, 2.0)
    model = ETAS.from_params(params, 2.0)
    sims = model.sample(hist, 10.0, 3000, rng=rng)
    assert sims.t_start == 100.0 and sims.t_end == 110.0
    expected = expected_count(params, gr_law, 10.0, history=hist)
    quiet = expected_count(params, gr_law, 10.0, t_start=100.0)
    assert expected > 2 * quiet
    _check_mean(sims.counts, expected)
    # the time profile too: the first day holds its expected share (Omori decay)
    first_day = np.array([np.sum(sims.sample(i)[0] < 101.0) for i in range(sims.n_samples)])
    _check_mean(first_day, expected_count(params, gr_law, 1.0, history=hist))


def test_explosive_parameters_are_refused(gr_law):
    hot = PARAMS.replace(p=0.95)  # p <= 1: infinite branching ratio
    with pytest.raises(ExplosiveProcessError, match="explosive"):
        simulate_continuations(hot, gr_law, None, 0.0, 10.0, 5, rng=0)
    with pytest.raises(ExplosiveProcessError, match="max_events"):
        simulate_continuations(PARAMS.replace(k=0.05), gr_law, None, 0.0, 2000.0, 2, rng=0,
                               allow_explosive=True, max_events=20_000)
    sims = simulate_continuations(hot, gr_law, None, 0.0, 10.0, 5, rng=0, allow_explosive=True)
    assert sims.n_samples == 5


def test_same_seed_same_catalog(gr_law):
    a = simulate_catalog(PARAMS, gr_law, 200.0, rng=7)
    b = simulate_catalog(PARAMS, gr_law, 200.0, rng=7)
    assert np.array_equal(a.times, b.times) and np.array_equal(a.magnitudes, b.magnitudes)


def test_refit_of_simulated_catalog_recovers_params():
    truth = ETASParams(mu=0.1, k=0.004, alpha=0.9, c=0.01, p=1.15)
    law = MagnitudeLaw(b=1.0, mc=2.0, m_max=7.0)
    seq = simulate_catalog(truth, law, 40_000.0, rng=12)
    assert 4000 < len(seq) < 20000
    model = ETAS(n_starts=2).fit(seq)
    z = (model.params_.to_array() - truth.to_array()) / model.se_
    assert np.all(np.abs(z) < 3.0), dict(zip(PARAM_NAMES, z, strict=True))
    assert model.branching_ratio_ == pytest.approx(truth.branching_ratio(law), rel=0.3)


def test_tapered_simulation_matches_expectation_and_refits(gr_law):
    """p < 1 is subcritical with a taper; thinning reproduces the tapered mean count."""
    tapered = ETASParams(mu=0.5, k=0.02, alpha=0.8, c=0.01, p=0.9, tau=30.0)
    assert 0.5 < tapered.branching_ratio(gr_law) < 0.8
    sims = simulate_continuations(tapered, gr_law, None, 0.0, 200.0, 2000, rng=3)
    _check_mean(sims.counts, expected_count(tapered, gr_law, 200.0, t_start=0.0))
    truth = ETASParams(mu=0.1, k=0.01, alpha=0.9, c=0.01, p=0.95, tau=100.0)
    law = MagnitudeLaw(b=1.0, mc=2.0, m_max=7.0)
    seq = simulate_catalog(truth, law, 40_000.0, rng=5)
    model = ETAS(n_starts=1, taper_days=100.0).fit(seq)
    assert model.params_.tau == 100.0
    z = (model.params_.to_array() - truth.to_array()) / model.se_
    assert np.all(np.abs(z) < 3.0), dict(zip(PARAM_NAMES, z, strict=True))
    # constrained + taper: p may stay below 1, the branching ratio is capped
    capped = ETAS(n_starts=1, taper_days=100.0, constrained=True, p_min=0.5, n_max=0.5).fit(seq)
    assert capped.branching_ratio_ <= 0.5 + 1e-9 and capped.loglik_ <= model.loglik_ + 1e-6

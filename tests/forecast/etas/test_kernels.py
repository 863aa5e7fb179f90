from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geohazard.forecast.etas import kernels
from geohazard.forecast.etas.model import ETAS, time_loglik
from geohazard.forecast.etas.params import ETASParams
from geohazard.testing import direct_loglik

from .conftest import random_sequence


@pytest.mark.parametrize(("c", "p", "t_max"), [(0.1, 1.08, 3e6), (2e-4, 0.93, 3650.0),
                                              (0.02, 1.16, 14000.0), (1e-3, 2.2, 100.0)])
def test_soe_grid_meets_its_proven_bound(c, p, t_max):
    grid = kernels.soe_grid(c, p, t_max, rtol=1e-9)
    assert grid.error_bound <= 1e-9
    # rates are exact doublings one period apart (the kernels square instead of exp)
    m = grid.period
    assert np.array_equal(grid.rates[m:], 2.0 * grid.rates[:-m])
    t = np.concatenate([[0.0], np.geomspace(1e-9, t_max, 3000)])
    rel = np.abs(grid.evaluate(t) / (t + c) ** -p - 1.0)
    assert rel.max() <= grid.error_bound
    # a looser tolerance needs fewer terms
    assert kernels.soe_grid(c, p, t_max, rtol=1e-5).size < grid.size


def _both(seq, params, mc=2.0):
    fast, _, _ = time_loglik(seq, params, mc)
    direct = direct_loglik(seq.times, seq.magnitudes - mc, seq.t_nll_start, seq.t_end,
                                   params.to_array())
    return fast, direct


@pytest.mark.parametrize("seed", range(6))
def test_soe_equals_direct_on_random_catalogs(seed):
    rng = np.random.default_rng(seed)
    t_end = float(rng.uniform(50, 5000))
    seq = random_sequence(rng, int(rng.integers(200, 1500)), t_end,
                          t_nll_start=float(rng.uniform(0, 0.5 * t_end)))
    params = ETASParams(mu=float(rng.uniform(0.01, 2)), k=float(rng.uniform(0.001, 0.1)),
                        alpha=float(rng.uniform(0, 2)), c=float(10 ** rng.uniform(-5, -0.5)),
                        p=float(rng.uniform(0.6, 2.5)))
    fast, direct = _both(seq, params)
    assert abs(fast - direct) <= 1e-6 * abs(direct)
    assert abs(fast - direct) <= 10 * seq.n_scored * 1e-9 + 1e-9  # the per-event bound


def test_soe_equals_direct_on_qtm_test_split(qtm, paper_params):
    seq = qtm.to_sequence("test")
    params = ETASParams.from_dict(paper_params["QTMSanJacinto"]["params"])
    fast, direct = _both(seq, params, mc=1.0)
    assert abs(fast - direct) / abs(direct) <= 1e-6


def test_analytic_gradient_matches_finite_differences():
    rng = np.random.default_rng(11)
    seq = random_sequence(rng, 800, 400.0, t_nll_start=100.0)
    for p in (0.9, 1.0, 1.3):
        params = ETASParams(mu=0.3, k=0.02, alpha=0.9, c=0.01, p=p)
        _, grad, _ = time_loglik(seq, params, 2.0)
        theta = params.to_array()
        for i in range(5):
            h = 1e-6 * theta[i]
            up, dn = theta.copy(), theta.copy()
            up[i] += h
            dn[i] -= h
            fd = (time_loglik(seq, ETASParams.from_array(up), 2.0)[0]
                  - time_loglik(seq, ETASParams.from_array(dn), 2.0)[0]) / (2 * h)
            assert grad[i] == pytest.approx(fd, rel=2e-5, abs=1e-4), (p, i)


def test_intensity_matches_direct_sum():
    rng = np.random.default_rng(5)
    seq = random_sequence(rng, 400, 200.0)
    params = ETASParams(mu=0.5, k=0.03, alpha=1.1, c=0.002, p=1.2)
    model = ETAS.from_params(params, 2.0)
    t = np.concatenate([rng.uniform(0, 200, 300), seq.times[:20], [250.0]])
    lam = model.intensity(seq, t)
    a = params.k * 10 ** (params.alpha * (seq.magnitudes - 2.0))
    for ti, li in zip(t, lam, strict=True):
        before = seq.times < ti
        ref = params.mu + np.sum(a[before] * (ti - seq.times[before] + params.c) ** -params.p)
        assert li == pytest.approx(ref, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), log_c=st.floats(-6, 0), p=st.floats(0.3, 3.0),
       alpha=st.floats(0, 3), log_mu=st.floats(-3, 1), log_k=st.floats(-4, -0.5))
def test_soe_equals_direct_property(seed, log_c, p, alpha, log_mu, log_k):
    rng = np.random.default_rng(seed)
    seq = random_sequence(rng, 120, float(rng.uniform(1, 2000)))
    params = ETASParams(mu=10**log_mu, k=10**log_k, alpha=alpha, c=10**log_c, p=p)
    fast, direct = _both(seq, params)
    assert abs(fast - direct) <= 1e-6 * max(abs(direct), 1.0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), p=st.floats(0.5, 2.5))
def test_compensator_increases_with_the_window(seed, p):
    """Extending the scored window by dt adds at least mu * dt to the compensator."""
    rng = np.random.default_rng(seed)
    seq = random_sequence(rng, 80, 100.0)
    params = ETASParams(mu=0.2, k=0.05, alpha=1.0, c=0.01, p=p)
    grad = np.zeros(5)
    comp = [kernels._compensator(seq.times, seq.magnitudes - 2.0, 0.0, t_end, *params.to_array(),
                                 grad) for t_end in (100.0, 150.0, 300.0)]
    assert comp[0] + 0.2 * 50 <= comp[1] + 1e-9 and comp[1] + 0.2 * 150 <= comp[2] + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_tapered_soe_equals_direct_with_quadrature_compensator(seed):
    rng = np.random.default_rng(100 + seed)
    t_end = float(rng.uniform(100, 3000))
    seq = random_sequence(rng, 600, t_end, t_nll_start=float(rng.uniform(0, 0.5 * t_end)))
    params = ETASParams(mu=0.3, k=0.03, alpha=0.9, c=float(10 ** rng.uniform(-4, -1)),
                        p=float(rng.uniform(0.7, 1.6)), tau=float(10 ** rng.uniform(0, 3)))
    fast, _, _ = time_loglik(seq, params, 2.0)
    direct = direct_loglik(seq.times, seq.magnitudes - 2.0, seq.t_nll_start,
                                   seq.t_end, params.to_array(), params.taper_rate)
    assert abs(fast - direct) <= 1e-6 * abs(direct)
    untapered = time_loglik(seq, params.replace(tau=None), 2.0)[0]
    assert abs(untapered - fast) > 1e-3  # the taper does change the likelihood


def test_tapered_gradient_and_intensity():
    rng = np.random.default_rng(12)
    seq = random_sequence(rng, 500, 300.0, t_nll_start=50.0)
    params = ETASParams(mu=0.3, k=0.02, alpha=0.9, c=0.01, p=0.9, tau=20.0)
    _, grad, _ = time_loglik(seq, params, 2.0)
    theta = params.to_array()
    for i in range(5):
        h = 1e-6 * theta[i]
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd = (time_loglik(seq, ETASParams.from_array(up, 20.0), 2.0)[0]
              - time_loglik(seq, ETASParams.from_array(dn, 20.0), 2.0)[0]) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=2e-5, abs=1e-4), i
    t = rng.uniform(0, 300, 50)
    lam = ETAS.from_params(params, 2.0).intensity(seq, t)
    a = params.k * 10 ** (params.alpha * (seq.magnitudes - 2.0))
    for ti, li in zip(t, lam, strict=True):
        lag = ti - seq.times[seq.times < ti]
        ref = params.mu + np.sum(a[: lag.size] * (lag + params.c) ** -params.p
                                 * np.exp(-lag / params.tau))
        assert li == pytest.approx(ref, rel=1e-8)

"""Weibull mixture and Gutenberg-Richter laws against scipy and exact integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from geohazard.forecast.recast.distributions import GutenbergRichter, WeibullMixture

W = np.array([0.5, 0.3, 0.2])
RATES = np.array([2.0, 0.1, 30.0])  # S_i(x) = exp(-b x^k)
SHAPES = np.array([0.6, 1.4, 0.9])


def _mix(dtype=torch.float64) -> WeibullMixture:
    return WeibullMixture(torch.tensor(np.log(W), dtype=dtype),
                          torch.tensor(np.log(RATES), dtype=dtype),
                          torch.tensor(SHAPES, dtype=dtype))


def _scipy_pdf(x: np.ndarray) -> np.ndarray:
    # scipy's weibull_min: S = exp(-(x/s)^k)  ->  s = b^(-1/k)
    return sum(w * stats.weibull_min.pdf(x, k, scale=b ** (-1 / k))
               for w, b, k in zip(W, RATES, SHAPES, strict=True))


def _scipy_sf(x: np.ndarray) -> np.ndarray:
    return sum(w * stats.weibull_min.sf(x, k, scale=b ** (-1 / k))
               for w, b, k in zip(W, RATES, SHAPES, strict=True))


def test_log_prob_and_survival_match_scipy() -> None:
    x = np.logspace(-6, 2, 200)
    d = _mix()
    lp = d.log_prob(torch.tensor(x)).numpy()
    ls = d.log_survival(torch.tensor(x)).numpy()
    np.testing.assert_allclose(lp, np.log(_scipy_pdf(x)), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ls, np.log(_scipy_sf(x)), rtol=1e-9, atol=1e-12)


def test_density_integrates_to_one_and_survival_is_its_tail() -> None:
    d = _mix()

    def f(x: float) -> float:
        return float(d.log_prob(torch.tensor([x], dtype=torch.float64)).exp())

    pts = [1e-4, 1e-2, 1.0, 10.0]
    total = integrate.quad(f, 0, 100, points=pts, limit=500)[0] + integrate.quad(
        f, 100, np.inf)[0]
    assert total == pytest.approx(1.0, abs=1e-6)
    for x in (0.01, 0.5, 3.0):
        tail = 1.0 - integrate.quad(f, 0, x, points=[p for p in pts if p < x], limit=500)[0]
        s = float(d.log_survival(torch.tensor([x], dtype=torch.float64)).exp())
        assert s == pytest.approx(tail, abs=1e-6)


def test_hazard_is_density_over_survival_and_zero_gap_survives() -> None:
    d = _mix()
    x = torch.tensor([0.0, 1e-3, 0.7, 5.0], dtype=torch.float64)
    ls = d.log_survival(x)
    assert float(ls[0]) == 0.0
    np.testing.assert_allclose(d.log_hazard(x[1:]).numpy(),
                               (d.log_prob(x[1:]) - ls[1:]).numpy())


def test_extreme_values_stay_finite_in_float32() -> None:
    d = WeibullMixture(torch.log_softmax(torch.zeros(2, 4), -1),
                       torch.tensor([[-25.0, 0.0, 5.0, 25.0]] * 2),
                       torch.tensor([[0.05, 1.0, 3.0, 8.0]] * 2))
    x = torch.tensor([1e-12, 1e8])
    assert torch.isfinite(d.log_prob(x)).all()
    assert torch.isfinite(d.log_survival(x)).all()
    assert (d.log_survival(x) <= 0).all()


def test_samples_follow_the_mixture_ks() -> None:
    d = WeibullMixture(*(t.expand(4000, 3) for t in (_mix().log_weights, _mix().log_rates,
                                                     _mix().shapes)))
    x = d.sample(generator=torch.Generator().manual_seed(1)).numpy()
    res = stats.kstest(x, lambda v: 1.0 - _scipy_sf(np.asarray(v)))
    assert res.pvalue > 1e-3


@pytest.mark.parametrize("elapsed", [0.05, 1.0, 8.0])
def test_conditional_samples_follow_the_truncated_law(elapsed: float) -> None:
    n = 4000
    base = _mix()
    d = WeibullMixture(*(t.expand(n, 3) for t in (base.log_weights, base.log_rates,
                                                  base.shapes)))
    x = d.sample(torch.full((n,), elapsed, dtype=torch.float64),
                 generator=torch.Generator().manual_seed(2)).numpy()
    assert (x >= elapsed).all()
    s_e = _scipy_sf(np.array([elapsed]))[0]
    res = stats.kstest(x, lambda v: 1.0 - _scipy_sf(np.asarray(v)) / s_e)
    assert res.pvalue > 1e-3
    # a wrong (unconditional) law is rejected, so the test has power
    assert stats.kstest(x, lambda v: 1.0 - _scipy_sf(np.asarray(v))).pvalue < 1e-6


def test_mixture_mean_matches_scipy() -> None:
    expected = sum(w * stats.weibull_min.mean(k, scale=b ** (-1 / k))
                   for w, b, k in zip(W, RATES, SHAPES, strict=True))
    assert float(_mix().mean()) == pytest.approx(expected, rel=1e-10)


def test_gutenberg_richter_density_and_samples() -> None:
    gr = GutenbergRichter(torch.tensor(1.1, dtype=torch.float64), mag_min=2.05)
    beta = 1.1 * math.log(10)
    m = torch.tensor([2.05, 2.5, 4.0], dtype=torch.float64)
    np.testing.assert_allclose(gr.log_prob(m).numpy(),
                               stats.expon.logpdf(m.numpy(), loc=2.05, scale=1 / beta))
    s = gr.sample((5000,), generator=torch.Generator().manual_seed(3)).numpy()
    assert stats.kstest(s, stats.expon(loc=2.05, scale=1 / beta).cdf).pvalue > 1e-3

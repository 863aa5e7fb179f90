from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from geohazard.exceptions import ParameterError
from geohazard.forecast.etas.params import (
    ETASParams,
    MagnitudeLaw,
    b_value_mle,
    omori_cdf_integral,
    omori_cdf_inverse,
)


def test_params_are_frozen_named_and_bounded(truth):
    assert truth.to_dict() == {"mu": 0.02, "k": 0.005, "alpha": 0.8, "c": 0.1, "p": 1.08}
    assert ETASParams.from_array(truth.to_array()) == truth
    assert ETASParams.from_dict({"params": truth.to_dict()}) == truth
    with pytest.raises(AttributeError):
        truth.mu = 1.0  # type: ignore[misc]
    with pytest.raises(ParameterError, match="'c'"):
        truth.replace(c=-1.0)
    with pytest.raises(ParameterError, match="missing"):
        ETASParams.from_dict({"mu": 1})
    with pytest.raises(ParameterError, match="'p'"):
        truth.replace(p=float("nan"))


@pytest.mark.parametrize("p", [0.7, 0.999999, 1.0, 1.000001, 1.08, 2.5])
@pytest.mark.parametrize("x", [1e-6, 0.3, 40.0, 1e5])
def test_omori_integral_matches_quadrature_and_inverts(p, x):
    c = 0.01
    if abs(p - 1) > 1e-3:  # closed form, no cancellation this far from p = 1
        ref = ((x + c) ** (1 - p) - c ** (1 - p)) / (1 - p)
    else:
        pts = [v for v in (c, 10 * c, 100 * c) if v < x]
        ref = integrate.quad(lambda t: (t + c) ** -p, 0, x, limit=400, points=pts or None,
                             epsrel=1e-12)[0]
    got = omori_cdf_integral(np.array([x]), c, p)[0]
    assert got == pytest.approx(ref, rel=1e-8)
    # the inverse is ill-conditioned where G saturates (p > 1, x >> c): 1e-5 there
    assert omori_cdf_inverse(np.array([got]), c, p)[0] == pytest.approx(x, rel=1e-5)


def test_branching_ratio_closed_form(truth):
    law = MagnitudeLaw(b=1.0, mc=2.0, m_max=None)
    beta, a = law.beta, truth.alpha * math.log(10)
    expected = truth.k * beta / (beta - a) * truth.c ** (1 - truth.p) / (truth.p - 1)
    assert truth.branching_ratio(law) == pytest.approx(expected, rel=1e-12)
    assert truth.replace(p=0.95).branching_ratio(law) == math.inf
    # truncation lowers the mean productivity; Monte Carlo agrees with the formula
    law8 = MagnitudeLaw(b=1.0, mc=2.0, m_max=4.0)
    m = law8.sample(400_000, np.random.default_rng(0))
    assert m.min() >= 2.0 and m.max() <= 4.0
    mc_mean = np.mean(10 ** (truth.alpha * (m - 2.0)))
    assert law8.mean_productivity(truth.alpha) == pytest.approx(mc_mean, rel=5e-3)


def test_b_value_mle_recovers_gr_b():
    rng = np.random.default_rng(3)
    law = MagnitudeLaw(b=1.2, mc=1.0, m_max=None)
    m = law.sample(50_000, rng)
    assert b_value_mle(m, 1.0) == pytest.approx(1.2, rel=0.02)
    binned = np.round(m[m > 1.05], 1)  # reported to 0.1; events "above Mc" are >= 1.1
    assert b_value_mle(binned, 1.0, bin_width=0.1) == pytest.approx(1.2, rel=0.03)
    with pytest.raises(ParameterError):
        MagnitudeLaw(b=-1.0, mc=0.0)


@pytest.mark.parametrize("p", [0.6, 1.0, 1.3])
def test_tapered_branching_ratio_is_finite_for_any_p(truth, p):
    law = MagnitudeLaw(b=1.0, mc=2.0, m_max=8.0)
    tapered = truth.replace(p=p, tau=50.0)
    ref = integrate.quad(lambda t: (t + truth.c) ** -p * np.exp(-t / 50.0), 0, np.inf,
                         limit=500, points=None, epsabs=0, epsrel=1e-11)[0]
    assert tapered.omori_integral() == pytest.approx(ref, rel=1e-8)
    assert tapered.omori_integral(30.0) == pytest.approx(
        integrate.quad(lambda t: (t + truth.c) ** -p * np.exp(-t / 50.0), 0, 30.0,
                       epsrel=1e-11)[0], rel=1e-8)
    assert np.isfinite(tapered.branching_ratio(law))
    assert tapered.to_dict()["tau"] == 50.0
    assert ETASParams.from_dict(tapered.to_dict()) == tapered
    with pytest.raises(ParameterError, match="tau"):
        truth.replace(tau=-1.0)

"""The count log-pmf kernels of forecast.evaluation equal scipy.stats' distributions.

evaluation.py writes them with scipy.special (scipy.stats costs 0.4 s of every forecast
command's start-up); scipy.stats is the oracle here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from geohazard.forecast import evaluation as ev


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_negative_binomial_and_poisson_floor_equal_scipy_stats(seed):
    rng = np.random.default_rng(seed)
    k = np.arange(0, 400)
    over = rng.negative_binomial(3, 0.05, size=2000)  # overdispersed: negative binomial
    mean, var = over.mean(), over.var(ddof=1)
    p = mean / var
    r = mean * p / (1 - p)
    np.testing.assert_allclose(ev._nb_or_poisson_logpmf(over, k), stats.nbinom.logpmf(k, r, p),
                               rtol=1e-12, atol=1e-12)
    under = np.full(50, 7)  # no dispersion: Poisson with the sample mean
    np.testing.assert_allclose(ev._nb_or_poisson_logpmf(under, k),
                               stats.poisson.logpmf(k, 7.0), rtol=1e-12, atol=1e-12)
    zeros = np.zeros(10, dtype=int)  # all-zero simulations: mean floored at 1/(n+1)
    np.testing.assert_allclose(ev._nb_or_poisson_logpmf(zeros, k),
                               stats.poisson.logpmf(k, 1 / 11), rtol=1e-12, atol=1e-12)


def test_log_normal_interval_equals_scipy_in_both_tails():
    z = np.linspace(-40, 40, 801)
    lo, hi = z[:-1], z[1:]
    # Oracle 1: the same tail-safe formula on scipy.stats.norm's logsf/logcdf, everywhere.
    upper = lo > 0
    a = np.where(upper, stats.norm.logsf(lo), stats.norm.logcdf(hi))
    b = np.where(upper, stats.norm.logsf(hi), stats.norm.logcdf(lo))
    np.testing.assert_allclose(ev._log_normal_interval(lo, hi), a + np.log1p(-np.exp(b - a)),
                               rtol=1e-13)
    # Oracle 2: the plain difference of probabilities where it does not underflow.
    plain = np.where(upper, stats.norm.sf(lo) - stats.norm.sf(hi),
                     stats.norm.cdf(hi) - stats.norm.cdf(lo))
    ok = plain > 1e-300
    np.testing.assert_allclose(ev._log_normal_interval(lo, hi)[ok], np.log(plain[ok]),
                               rtol=1e-9)
    assert np.all(np.isfinite(ev._log_normal_interval(lo, hi)))


def test_forecast_issue_path_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = ("import sys, geohazard.workflows.forecast, geohazard.forecast.smoothed; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"

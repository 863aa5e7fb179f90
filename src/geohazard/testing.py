"""Oracles for tests: direct O(N^2) sums, exact likelihoods and brute-force statistics.

Slow, simple and written from the definitions, so that the fast kernels of the library can be
checked against them (tests and benchmarks import these; library code never does).

- :func:`direct_loglik`: the temporal ETAS log-likelihood by the direct double sum.
- :func:`renewal_log_likelihood`: the exact log-likelihood of the Weibull renewal process
  of :func:`geohazard.examples.renewal_catalog`.
- :func:`spatial_statistics`: the catalog-based S-test and pseudo-likelihood statistics
  (Savran et al. 2020), checked against pyCSEP.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
from scipy import stats

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import InputError
from geohazard.forecast.etas import kernels
from geohazard.forecast.etas.kernels import LN10

__all__ = ["direct_loglik", "renewal_log_likelihood", "spatial_statistics"]


@nb.njit(cache=True)
def direct_loglik(times, mexc, t0, T, theta, lam=0.0):
    """Reference time log-likelihood on ``(t0, T]`` by the direct O(N^2) double sum.

    With a taper (``lam = 1 / tau > 0``) the compensator is integrated by Gauss-Legendre
    quadrature in ``log(t + c)`` (independent of the SOE representation).
    """
    mu, k, alpha, c, p = theta[0], theta[1], theta[2], theta[3], theta[4]
    n = times.size
    e = np.empty(n)
    for j in range(n):
        e[j] = math.exp(alpha * LN10 * mexc[j])
    ll = 0.0
    for i in range(n):
        ti = times[i]
        if ti <= t0:
            continue
        acc = 0.0
        for j in range(i):
            acc += e[j] * (ti - times[j] + c) ** (-p) * math.exp(-lam * (ti - times[j]))
        ll += math.log(mu + k * acc)
    grad = np.zeros(5)
    if lam == 0.0:
        return ll - kernels._compensator(times, mexc, t0, T, mu, k, alpha, c, p, grad)
    ll -= mu * (T - t0)
    for j in range(n):
        if times[j] < T:
            lo = max(t0 - times[j], 0.0)
            ll -= k * e[j] * _tapered_quad(lo, T - times[j], c, p, lam)
    return ll


_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


@nb.njit(cache=True)
def _tapered_quad(a, b, c, p, lam):
    """``int_a^b (t + c)**(-p) exp(-lam t) dt`` by Gauss-Legendre quadrature.

    16 points on each 0.05-wide panel of ``v = log(t + c)``, where the integrand is
    ``exp((1 - p) v - lam (e**v - c))``.
    """
    va = math.log(a + c)
    vb = math.log(b + c)
    n_panels = max(1, int(math.ceil((vb - va) / 0.05)))
    width = (vb - va) / n_panels
    total = 0.0
    for i in range(n_panels):
        mid = va + (i + 0.5) * width
        for q in range(_GL_X.size):
            v = mid + 0.5 * width * _GL_X[q]
            total += 0.5 * width * _GL_W[q] * math.exp((1.0 - p) * v - lam * (math.exp(v) - c))
    return total


def renewal_log_likelihood(seq: EventSequence, shape: float, scale: float) -> float:
    """Exact time log-likelihood of a Weibull renewal process on the scored interval.

    Parameters
    ----------
    seq
        The events (float64 days), scored on ``(t_nll_start, t_end]``.
    shape, scale
        Weibull shape and scale in days of the inter-event times (those of
        :func:`geohazard.examples.renewal_catalog` are ``RENEWAL_SHAPE`` and
        ``RENEWAL_SCALE_DAYS`` there).
    """
    law = stats.weibull_min(shape, scale=scale)
    starts = np.concatenate(([seq.t_start], seq.times))
    tau = seq.inter_times
    scored = np.concatenate((seq.times, [seq.t_end])) > seq.t_nll_start
    is_event = np.arange(tau.size) < len(seq)
    terms = np.where(is_event, law.logpdf(np.maximum(tau, 1e-300)), law.logsf(tau))
    terms -= law.logsf(np.maximum(seq.t_nll_start - starts, 0.0))
    return float(terms[scored].sum())


def _pseudo_and_spatial(omega: np.ndarray, rate: np.ndarray) -> tuple[float, float]:
    n = float(omega.sum())
    total = float(rate.sum())
    if n == 0:
        return -total, math.nan
    hit = omega > 0
    with np.errstate(divide="ignore"):
        pl = float(np.sum(omega[hit] * np.log(rate[hit]))) - total
        s = float(np.sum(omega[hit] * np.log(rate[hit] / total))) / n if total > 0 else math.nan
    return pl, s


def spatial_statistics(sim_counts: np.ndarray, obs_counts: np.ndarray
                       ) -> dict[str, Any]:
    """S-test and pseudo-likelihood statistics (see the module docstring).

    Parameters
    ----------
    sim_counts
        (N, K) simulated counts per cell.
    obs_counts
        (K,) observed counts per cell.

    Returns
    -------
    dict
        ``s_observed``, ``s_simulated`` (N,), ``pl_observed``, ``pl_simulated`` (N,) and the
        quantiles ``s_quantile = P(S_sim <= S_obs)`` (simulations with no event, whose S
        is undefined, are left out) and ``pl_quantile = P(L_sim <= L_obs)``.
    """
    sims = np.asarray(sim_counts, np.float64)
    obs = np.asarray(obs_counts, np.float64)
    if sims.ndim != 2 or obs.shape != (sims.shape[1],):
        raise InputError(f"spatial statistics: need (N, K) and (K,) counts, got {sims.shape} "
                         f"and {obs.shape}")
    rate = sims.mean(axis=0)
    pairs = np.array([_pseudo_and_spatial(row, rate) for row in sims]).reshape(-1, 2)
    pl_obs, s_obs = _pseudo_and_spatial(obs, rate)
    s_sim = pairs[:, 1][~np.isnan(pairs[:, 1])]
    s_q = float(np.mean(s_sim <= s_obs)) if s_sim.size and not math.isnan(s_obs) else math.nan
    return {"s_observed": s_obs, "s_simulated": s_sim, "s_quantile": s_q,
            "pl_observed": pl_obs, "pl_simulated": pairs[:, 0],
            "pl_quantile": float(np.mean(pairs[:, 0] <= pl_obs))}

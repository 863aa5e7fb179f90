"""ETAS log-likelihood kernels: exact O(N K) sum-of-exponentials and the direct O(N^2) reference.

Sum-of-exponentials (SOE) representation of the Omori kernel
------------------------------------------------------------
For ``t >= 0``, ``c > 0``, ``p > 0``::

    (t + c)**(-p) = 1/Gamma(p) * int_R exp(p u - (t + c) e**u) du        (s = e**u)

The trapezoidal rule with step ``h`` on the nodes ``u_j = j h`` gives
``g_K(t) = sum_j w_j exp(-s_j t)`` with ``s_j = e**(u_j)`` and
``w_j = h exp(p u_j - c s_j) / Gamma(p)``. Error bound, relative to ``(t + c)**(-p)``
for every ``t`` in ``[0, T]`` (see :func:`soe_grid`):

- discretisation (Trefethen & Weideman 2014, Thm 5.1): the integrand is analytic in the
  strip ``|Im u| < a < pi/2`` with ``int |f(u + iy)| du = ((t + c) cos y)**(-p)``, so the
  infinite trapezoidal sum has relative error ``<= 2 cos(a)**(-p) / (exp(2 pi a / h) - 1)``;
- upper truncation ``s > s_max``: the integrand decreases beyond its mode, so the dropped
  nodes sum to at most ``Q(p, c s_max) + h (c s_max)**p e**(-c s_max) / Gamma(p)``;
- lower truncation ``s < s_min``: the dropped nodes sum to at most
  ``(s_min (T + c))**p h / (Gamma(p) (1 - e**(-p h)))``.

Each term has a recursive state ``S_j(t_i) = sum_{l<i} a_l exp(-s_j (t_i - t_l))`` updated in
O(1), so the intensity at all N events costs O(N K). The compensator is exact and O(N)
(closed-form Omori integral). With ``|g_K - g| <= eps g`` pointwise, the intensity at each
event has relative error ``<= eps``, so the log-likelihood error is ``<= eps * N_scored``.

An exponential taper ``exp(-t / tau)`` multiplies every term (rates ``s_j + 1/tau``), so
the same pointwise bound holds; its compensator is then integrated term by term from the
SOE (O(N K)), while the O(N^2) reference integrates it by Gauss-Legendre quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np
from scipy import special

LN10 = math.log(10.0)
_UNDERFLOW = 50.0  # exp(-50) ~ 2e-22: a state older than this is zero to double precision
_FAST = {"reassoc", "contract", "nsz"}  # vectorised sums; exp and log stay exact
_SQUARINGS = 5  # squarings between fresh exp calls (error growth 2**5 ulp)


@dataclass(frozen=True)
class SOEGrid:
    """Nodes of the sum-of-exponentials Omori kernel and its proven error bound.

    Attributes
    ----------
    rates
        (K,) decay rates ``s_j`` (1/day), increasing.
    weights
        (K,) weights ``w_j`` (includes ``exp(-c s_j)``).
    log_rates
        (K,) ``u_j = log s_j`` (for the derivative in ``p``).
    error_bound
        Proven bound on ``|g_K(t) - g(t)| / g(t)`` for ``t`` in ``[0, t_max]``.
    period
        ``m`` with ``rates[j + m] == 2 * rates[j]`` exactly.
    """

    rates: np.ndarray
    weights: np.ndarray
    log_rates: np.ndarray
    error_bound: float
    period: int = 1

    @property
    def size(self) -> int:
        """Number of exponentials K."""
        return int(self.rates.size)

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """``g_K(t)`` at (M,) lags ``t >= 0``."""
        t = np.asarray(t, dtype=np.float64)
        return np.exp(-np.multiply.outer(t, self.rates)) @ self.weights


def _discretisation_bound(p: float, h: float) -> float:
    """Trefethen-Weideman bound ``min_a 2 cos(a)**(-p) / (exp(2 pi a / h) - 1)``."""
    a = np.linspace(0.05, 1.55, 301)
    return float(np.min(2.0 * np.cos(a) ** (-p) / np.expm1(2.0 * np.pi * a / h)))


def _upper_cut(p: float, h: float, eps: float) -> tuple[float, float]:
    """``z = c s_max`` whose dropped upper tail is ``<= eps``; returns (z, bound)."""
    z = max(p, 1.0)
    while True:
        bound = special.gammaincc(p, z) + h * math.exp(p * math.log(z) - z - math.lgamma(p))
        if bound <= eps:
            return z, float(bound)
        z *= 1.1


def soe_grid(c: float, p: float, t_max: float, rtol: float = 1e-9) -> SOEGrid:
    """Sum-of-exponentials nodes of ``(t + c)**(-p)`` on ``[0, t_max]`` to relative ``rtol``.

    The step is ``h = ln(2) / m`` with the smallest ``m`` meeting the discretisation bound,
    and the rates are exact powers of two apart (``s_{j+m} = 2 s_j``), so the kernels get
    ``exp(-s_{j+m} dt)`` by squaring ``exp(-s_j dt)`` instead of calling ``exp``.

    Parameters
    ----------
    c, p
        Omori parameters (days, dimensionless).
    t_max
        Largest lag needed (days), e.g. the sequence length.
    rtol
        Target pointwise relative error (split evenly over the three error sources).

    Returns
    -------
    SOEGrid
    """
    eps = rtol / 3.0
    m = 1
    while _discretisation_bound(p, math.log(2.0) / m) > eps:
        m += 1
    h = math.log(2.0) / m
    e_disc = _discretisation_bound(p, h)
    z, e_up = _upper_cut(p, h, eps)
    lg = math.lgamma(p)
    tail = math.exp(lg) * (-math.expm1(-p * h)) / h
    s_min = (eps * tail) ** (1.0 / p) / (t_max + c)
    s_max = z / c
    j = np.arange(math.floor(math.log(s_min) / h), math.ceil(math.log(s_max) / h) + 1)
    base = np.exp(j[:m] * h)  # (m,) first period; the rest are exact doublings
    s = np.ldexp(base[np.arange(j.size) % m], np.arange(j.size) // m)
    u = np.log(s)
    w = h * np.exp(p * u - c * s - lg)
    e_lo = (s[0] * (t_max + c)) ** p / tail
    return SOEGrid(s, w, u, float(e_disc + e_up + e_lo), m)


# ----------------------------------------------------------------------------- Omori integral
@nb.njit(cache=True)
def _phi1(z: float) -> float:
    """``expm1(z) / z``."""
    if abs(z) < 1e-12:
        return 1.0 + 0.5 * z
    return math.expm1(z) / z


@nb.njit(cache=True)
def _phi2(z: float) -> float:
    """``int_0^1 s exp(z s) ds``."""
    if abs(z) < 0.05:
        total = 0.0
        fact = 1.0
        for n in range(12):
            total += z**n / (fact * (n + 2))
            fact *= n + 1
        return total
    return (math.exp(z) * (z - 1.0) + 1.0) / (z * z)


@nb.njit(cache=True)
def omori_g(x: float, c: float, p: float) -> tuple[float, float, float]:
    """``G(x) = int_0^x (t+c)^-p dt`` and its derivatives in ``c`` and ``p``."""
    q = 1.0 - p
    L = math.log1p(x / c)
    cq = math.exp(q * math.log(c))
    g = cq * L * _phi1(q * L)
    dg_dc = math.exp(-p * math.log(x + c)) - math.exp(-p * math.log(c))
    dg_dq = math.log(c) * g + cq * L * L * _phi2(q * L)
    return g, dg_dc, -dg_dq


@nb.njit(cache=True)
def _compensator(times, mexc, t0, T, mu, k, alpha, c, p, grad):  # noqa: D401
    """Scored compensator on ``(t0, T]``; adds ``-dLambda/dtheta`` to ``grad``."""
    lam = mu * (T - t0)
    grad[0] -= T - t0
    sk = 0.0
    sa = 0.0
    sc = 0.0
    sp = 0.0
    for j in range(times.size):
        tj = times[j]
        if tj >= T:
            break
        e = math.exp(alpha * LN10 * mexc[j])
        g1, c1, p1 = omori_g(T - tj, c, p)
        if tj < t0:
            g0, c0, p0 = omori_g(t0 - tj, c, p)
            g1 -= g0
            c1 -= c0
            p1 -= p0
        sk += e * g1
        sa += e * g1 * LN10 * mexc[j]
        sc += e * c1
        sp += e * p1
    lam += k * sk
    grad[1] -= sk
    grad[2] -= k * sa
    grad[3] -= k * sc
    grad[4] -= k * sp
    return lam


# ----------------------------------------------------------------------------- O(N K) kernel
@nb.njit(cache=True)
def _decay(S, SA, rates, dt, m, E, cnt, taper):
    """Multiply the states by ``exp(-s_j dt) * taper``; states that underflow are zeroed.

    ``exp(-s_{j+m} dt) = exp(-s_j dt)**2`` (exact doubling of the rates); a fresh ``exp``
    is taken every ``_SQUARINGS + 1`` nodes of a residue class, which bounds the relative
    error of each factor by ``2**_SQUARINGS`` ulps.
    """
    K = rates.size
    for j in range(K):
        x = rates[j] * dt
        if x > _UNDERFLOW:
            for jj in range(j, K):
                S[jj] = 0.0
                SA[jj] = 0.0
            return
        if j >= m and cnt[j - m] < _SQUARINGS:
            f = E[j - m] * E[j - m]
            cnt[j] = cnt[j - m] + 1
        else:
            f = math.exp(-x)
            cnt[j] = 0
        E[j] = f
        S[j] *= f * taper
        SA[j] *= f * taper


@nb.njit(cache=True)
def soe_loglik(times, mexc, t0, T, theta, rates, weights, log_rates, dig_p, period, with_grad,
               taper_rate):
    """Time log-likelihood on ``(t0, T]`` and its gradient, in O(N K).

    Parameters
    ----------
    times, mexc
        (N,) sorted event times (days), all ``< T``, and magnitude excesses ``m - Mc``.
    t0, T
        Scored interval ``(t0, T]``.
    theta
        (5,) ``mu, k, alpha, c, p``.
    rates, weights, log_rates, dig_p, period
        (K,) SOE grid of ``(t + c)**(-p)`` (see :func:`soe_grid`), ``digamma(p)`` and the
        ``m`` with ``rates[j + m] == 2 rates[j]``.
    with_grad
        Also accumulate the gradient (else it is returned as zeros).
    taper_rate
        Taper rate ``1 / tau`` (0: untapered, exact closed-form compensator; else the
        compensator integrates the SOE kernel, with the same relative error bound).

    Returns
    -------
    (float, (5,) ndarray)
        Log-likelihood and its gradient.
    """
    mu, k, alpha, c, p = theta[0], theta[1], theta[2], theta[3], theta[4]
    K = rates.size
    S, SA, E, cnt = np.zeros(K), np.zeros(K), np.ones(K), np.zeros(K, dtype=np.int64)
    wc, wp = -weights * rates, weights * (log_rates - dig_p)
    grad, ll = np.zeros(5), 0.0
    prev = times[0] if times.size else 0.0
    for i in range(times.size):
        ti = times[i]
        _decay(S, SA, rates, ti - prev, period, E, cnt, math.exp(-taper_rate * (ti - prev)))
        prev = ti
        if ti > t0:
            a = _dot(weights, S)
            lam = mu + k * a
            ll += math.log(lam)
            if with_grad:
                _accumulate(grad, S, SA, weights, wc, wp, a, k, lam)
        e = math.exp(alpha * LN10 * mexc[i])
        ea = e * LN10 * mexc[i] if with_grad else 0.0
        _add(S, SA, e, ea)
    if taper_rate > 0.0:
        return ll - _compensator_soe(times, mexc, t0, T, theta, rates, weights, wc, wp,
                                     period, taper_rate, grad), grad
    return ll - _compensator(times, mexc, t0, T, mu, k, alpha, c, p, grad), grad


@nb.njit(cache=True, fastmath=_FAST)
def _dot(x, y):
    """``x @ y`` (reassociated, so it vectorises)."""
    acc = 0.0
    for j in range(x.size):
        acc += x[j] * y[j]
    return acc


@nb.njit(cache=True, fastmath=_FAST)
def _add(S, SA, e, ea):
    """Add a new event to the states."""
    for j in range(S.size):
        S[j] += e
        SA[j] += ea


@nb.njit(cache=True)
def _accumulate(grad, S, SA, weights, wc, wp, a, k, lam):
    """Add one event's ``d log(lambda) / d theta`` to ``grad``."""
    aa = _dot(weights, SA)
    ac = _dot(wc, S)
    ap = _dot(wp, S)
    grad[0] += 1.0 / lam
    grad[1] += a / lam
    grad[2] += k * aa / lam
    grad[3] += k * ac / lam
    grad[4] += k * ap / lam


@nb.njit(cache=True)
def soe_intensity(times, mexc, queries, theta, rates, weights, period, lam):
    """Intensity at sorted ``queries`` given events strictly before each, in O((N + M) K)."""
    mu, k, alpha = theta[0], theta[1], theta[2]
    K = rates.size
    S = np.zeros(K)
    dummy = np.zeros(K)
    E = np.ones(K)
    cnt = np.zeros(K, dtype=np.int64)
    out = np.empty(queries.size)
    prev = queries[0] if queries.size else 0.0
    if times.size and times[0] < prev:
        prev = times[0]
    j = 0
    for q in range(queries.size):
        tq = queries[q]
        while j < times.size and times[j] < tq:
            _decay(S, dummy, rates, times[j] - prev, period, E, cnt,
                   math.exp(-lam * (times[j] - prev)))
            prev = times[j]
            e = math.exp(alpha * LN10 * mexc[j])
            for r in range(K):
                S[r] += e
            j += 1
        _decay(S, dummy, rates, tq - prev, period, E, cnt, math.exp(-lam * (tq - prev)))
        prev = tq
        acc = 0.0
        for r in range(K):
            acc += weights[r] * S[r]
        out[q] = mu + k * acc
    return out


@nb.njit(cache=True)
def _compensator_soe(times, mexc, t0, T, theta, rates, weights, wc, wp, period, lam, grad):
    """Scored compensator of the tapered kernel from its SOE (rates ``s_j + lam``)."""
    mu, k, alpha = theta[0], theta[1], theta[2]
    K = rates.size
    Ea = np.ones(K)
    Eb = np.zeros(K)
    dummy = np.zeros(K)
    chain = np.ones(K)
    cnt = np.zeros(K, dtype=np.int64)
    total = mu * (T - t0)
    grad[0] -= T - t0
    sk = 0.0
    sa = 0.0
    sc = 0.0
    sp = 0.0
    for j in range(times.size):
        tj = times[j]
        if tj >= T:
            break
        _exp_row(Eb, rates, T - tj, period, cnt, math.exp(-lam * (T - tj)), chain, dummy)
        lo = t0 - tj
        if lo > 0.0:
            _exp_row(Ea, rates, lo, period, cnt, math.exp(-lam * lo), chain, dummy)
        else:
            Ea[:] = 1.0
        i0 = 0.0
        ic = 0.0
        ip = 0.0
        for r in range(K):
            integral = (Ea[r] - Eb[r]) / (rates[r] + lam)
            i0 += weights[r] * integral
            ic += wc[r] * integral
            ip += wp[r] * integral
        e = math.exp(alpha * LN10 * mexc[j])
        sk += e * i0
        sa += e * i0 * LN10 * mexc[j]
        sc += e * ic
        sp += e * ip
    total += k * sk
    grad[1] -= sk
    grad[2] -= k * sa
    grad[3] -= k * sc
    grad[4] -= k * sp
    return total


@nb.njit(cache=True)
def _exp_row(out, rates, x, period, cnt, taper, chain, dummy):
    """``out[j] = exp(-rates[j] x) * taper`` by the squaring chain of :func:`_decay`."""
    out[:] = 1.0
    _decay(out, dummy, rates, x, period, chain, cnt, taper)


def tapered_integral(x: np.ndarray, c: float, p: float, tau: float,
                     rtol: float = 1e-10) -> np.ndarray:
    """``int_0^x (t + c)**(-p) exp(-t / tau) dt`` (``x`` may be inf), from the SOE kernel.

    The SOE grid covers lags up to ``min(max x, 80 tau)``; beyond it the taper is below
    ``exp(-80)``, so the relative error stays at ``rtol``.
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    grid = soe_grid(c, p, float(min(np.max(x), 80.0 * tau)), rtol)
    sigma = grid.rates + 1.0 / tau
    with np.errstate(over="ignore"):
        frac = -np.expm1(-np.multiply.outer(x, sigma))  # (M, K)
    return frac @ (grid.weights / sigma)


def tapered_omega(c: float, p: float, tau: float, rtol: float = 1e-10) -> tuple[float, float,
                                                                                float]:
    """``Omega = int_0^inf (t + c)**(-p) exp(-t / tau) dt`` and ``d log Omega / d(c, p)``."""
    grid = soe_grid(c, p, 80.0 * tau, rtol)
    sigma = grid.rates + 1.0 / tau
    omega = float(np.sum(grid.weights / sigma))
    d_c = float(np.sum(-grid.rates * grid.weights / sigma)) / omega
    d_p = float(np.sum((grid.log_rates - digamma(p)) * grid.weights / sigma)) / omega
    return omega, d_c, d_p


def digamma(p: float) -> float:
    """``psi(p)`` (scipy), for the derivative of the SOE weights in ``p``."""
    return float(special.digamma(p))

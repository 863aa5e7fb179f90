"""Numba kernels of the Mizrahi-style space-time ETAS (:mod:`geohazard.forecast.npp_etas`).

Parameters travel as one float64 vector ``p = (mu, k0, a, c, omega, tau, d, gamma, rho)``
(``mu`` per day per km2, ``c`` and ``tau`` in days, ``d`` in km2) and ``me = m - m_ref``::

    g(dt, r2, me) = k0 exp(a me) exp(-dt / tau) (dt + c)**-(1 + omega)
                    * (r2 + d exp(gamma me))**-(1 + rho)
    lambda(t, x)  = mu + sum_j g(t - t_j, |x - x_j|**2, me_j)               (1/day/km2)
    lambda_g(t)   = mu A + sum_j k0 e^{a me_j} pi / (rho D_j**rho) h(t - t_j)   (1/day)

Distances are great-circle (haversine) km. Time integrals of ``h(s) = exp(-s/tau)
(s + c)**-(1 + omega)`` over [lo, hi] use Gauss-Legendre in ``u = log(s + c)``, where the
integrand ``exp(-omega u - (e^u - c) / tau)`` is smooth, on pieces no wider than 0.5 in
``u`` and ``tau / 2`` in ``s`` (agrees with the closed form to ~1e-12 relative; tested).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

LN10 = math.log(10.0)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


@nb.njit(cache=True)
def haversine_r2(lat1, lon1, lat2, lon2, radius):
    """Squared great-circle distance (km2) between points given in radians."""
    s1 = math.sin(0.5 * (lat2 - lat1))
    s2 = math.sin(0.5 * (lon2 - lon1))
    h = s1 * s1 + math.cos(lat1) * math.cos(lat2) * s2 * s2
    r = 2.0 * radius * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))
    return r * r


@nb.njit(cache=True)
def _count_pairs(t, lat, lon, r2max, i0, i1, radius):
    counts = np.zeros(i1 - i0, np.int64)
    for i in range(i0, i1):
        n = 0
        for j in range(i):
            if t[j] < t[i] and haversine_r2(lat[j], lon[j], lat[i], lon[i], radius) <= r2max[j]:
                n += 1
        counts[i - i0] = n
    return counts


@nb.njit(cache=True)
def _fill_pairs(t, lat, lon, r2max, i0, i1, radius, ptr, src, dt, r2):
    for i in range(i0, i1):
        q = ptr[i - i0]
        for j in range(i):
            if t[j] < t[i]:
                d2 = haversine_r2(lat[j], lon[j], lat[i], lon[i], radius)
                if d2 <= r2max[j]:
                    src[q] = j
                    dt[q] = t[i] - t[j]
                    r2[q] = d2
                    q += 1


def build_pairs(t, lat_rad, lon_rad, r2max, i0, i1, radius):
    """Source-target pairs (CSR over targets ``i0..i1-1``) within ``r2max[source]`` km2.

    Returns
    -------
    ptr (n_targets + 1,), src (P,) int32, dt (P,) days, r2 (P,) km2
    """
    counts = _count_pairs(t, lat_rad, lon_rad, r2max, i0, i1, radius)
    ptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    n = int(ptr[-1])
    src, dt, r2 = np.empty(n, np.int32), np.empty(n), np.empty(n)
    _fill_pairs(t, lat_rad, lon_rad, r2max, i0, i1, radius, ptr, src, dt, r2)
    return ptr, src, dt, r2


def _pair_loglik(ptr, src, dt, r2, me, p, nchunk):  # noqa: C901 - one fused loop
    """``sum_i log(mu + sum_j g_ij)`` over targets and its gradient in the optimiser's x.

    ``x = (log10 mu, log10 k0, a, log10 c, omega, log10 tau, log10 d, gamma, rho)``.
    """
    mu, k0, a, c, om, tau, d, gam, rho = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    n_t = ptr.size - 1
    lls = np.zeros(nchunk)
    grads = np.zeros((nchunk, 9))
    for ch in nb.prange(nchunk):
        ll = 0.0
        gr = np.zeros(9)
        for i in range(ch * n_t // nchunk, (ch + 1) * n_t // nchunk):
            lam = mu
            s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = 0.0
            for q in range(ptr[i], ptr[i + 1]):
                mj = me[src[q]]
                D = d * math.exp(gam * mj)
                base = r2[q] + D
                s = dt[q] + c
                lb = math.log(base)
                ls = math.log(s)
                g = k0 * math.exp(a * mj - dt[q] / tau - (1.0 + om) * ls - (1.0 + rho) * lb)
                lam += g
                s1 += g
                s2 += g * mj
                s3 += g * (-(1.0 + om) * c / s)
                s4 -= g * ls
                s5 += g * dt[q] / tau
                f = -(1.0 + rho) * D / base
                s6 += g * f
                s7 += g * f * mj
                s8 -= g * lb
            ll += math.log(lam)
            inv = 1.0 / lam
            gr[0] += mu * LN10 * inv
            gr[1] += s1 * LN10 * inv
            gr[2] += s2 * inv
            gr[3] += s3 * LN10 * inv
            gr[4] += s4 * inv
            gr[5] += s5 * LN10 * inv
            gr[6] += s6 * LN10 * inv
            gr[7] += s7 * inv
            gr[8] += s8 * inv
        lls[ch] = ll
        grads[ch, :] = gr
    return lls.sum(), grads.sum(axis=0)


_PAIR_LL = (nb.njit(cache=True)(_pair_loglik), nb.njit(parallel=True, cache=True)(_pair_loglik))
#: below this many pairs the serial kernels win (thread start-up dominates)
PARALLEL_PAIRS = 200_000


def pair_loglik(ptr, src, dt, r2, me, p, nchunk=16):
    """Serial or parallel :func:`_pair_loglik` by problem size."""
    return _PAIR_LL[src.size >= PARALLEL_PAIRS](ptr, src, dt, r2, me, p, nchunk)


@nb.njit(cache=True)
def h_integral(lo, hi, c, om, tau, glx, glw):
    """``int_lo^hi exp(-s/tau) (s + c)**-(1 + omega) ds`` (Gauss-Legendre in log(s + c))."""
    if hi <= lo:
        return 0.0
    u0 = math.log(lo + c)
    u1 = math.log(hi + c)
    n = int(max(math.ceil((u1 - u0) / 0.5), math.ceil(2.0 * (hi - lo) / tau), 1.0))
    w = (u1 - u0) / n
    total = 0.0
    for k in range(n):
        a = u0 + k * w
        for q in range(glx.size):
            u = a + 0.5 * w * (glx[q] + 1.0)
            total += glw[q] * math.exp(-om * u - (math.exp(u) - c) / tau)
    return 0.5 * w * total


@nb.njit(parallel=True, cache=True)
def test_terms(t, lat, lon, me, p, area, radius, i0, t_prev0, glx, glw):
    """Per test event ``i >= i0``: ``lambda_g``, ``lambda`` and the compensator increment.

    Every earlier event is a source (no pruning). The increment for ``i`` integrates
    ``lambda_g`` over ``[t_(i-1), t_i]`` (``[t_prev0, t_i0]`` for the first).
    """
    mu, k0, a, c, om, tau, d, gam, rho = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    n = t.size - i0
    lam_g = np.empty(n)
    lam = np.empty(n)
    comp = np.empty(n)
    for k in nb.prange(n):
        i = i0 + k
        tp = t_prev0 if k == 0 else t[i - 1]
        lg = mu * area
        ls = mu
        cp = mu * area * (t[i] - tp)
        for j in range(i):
            dtj = t[i] - t[j]
            if dtj <= 0.0:
                continue
            D = d * math.exp(gam * me[j])
            kap = k0 * math.exp(a * me[j])
            hval = math.exp(-dtj / tau) * (dtj + c) ** (-1.0 - om)
            S = math.pi / (rho * D ** rho)
            lg += kap * S * hval
            r2 = haversine_r2(lat[j], lon[j], lat[i], lon[i], radius)
            ls += kap * hval * (r2 + D) ** (-1.0 - rho)
            cp += kap * S * h_integral(max(tp - t[j], 0.0), dtj, c, om, tau, glx, glw)
        lam_g[k] = lg
        lam[k] = ls
        comp[k] = cp
    return lam_g, lam, comp


@nb.njit(cache=True)
def window_integral(t, me, p, area, lo, hi, glx, glw):
    """``int_lo^hi lambda_g(s) ds`` with every event before ``hi`` as a source."""
    mu, k0, a, c, om, tau, d, gam, rho = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    total = mu * area * (hi - lo)
    for j in range(t.size):
        if t[j] >= hi:
            break
        D = d * math.exp(gam * me[j])
        kap = k0 * math.exp(a * me[j])
        total += kap * math.pi / (rho * D ** rho) * h_integral(
            max(lo - t[j], 0.0), hi - t[j], c, om, tau, glx, glw)
    return total


@nb.njit(cache=True)
def _h_integral_grad(lo, hi, c, om, tau, glx, glw, out):
    """``out[:] = (H, int h dlog h/dlog c, int h dlog h/d omega, int h dlog h/dlog tau)``."""
    out[:] = 0.0
    if hi <= lo:
        return
    u0 = math.log(lo + c)
    u1 = math.log(hi + c)
    n = int(max(math.ceil((u1 - u0) / 0.5), math.ceil(2.0 * (hi - lo) / tau), 1.0))
    w = (u1 - u0) / n
    for k in range(n):
        a = u0 + k * w
        for q in range(glx.size):
            u = a + 0.5 * w * (glx[q] + 1.0)
            eu = math.exp(u)
            f = 0.5 * w * glw[q] * math.exp(-om * u - (eu - c) / tau)
            out[0] += f
            out[1] += f * (-(1.0 + om) * c / eu)
            out[2] -= f * u
            out[3] += f * (eu - c) / tau


@nb.njit(cache=True)
def window_h(lo, hi, c, om, tau, glx, glw):
    """``(n, 4)``: ``int_lo^hi h`` and its log-derivatives (as ``_h_integral_grad``) per source.

    Integrates once along the sorted union of all ``lo`` and ``hi`` (cumulative sums), so
    each source costs one short Gauss-Legendre segment instead of its whole window.
    """
    n = lo.size
    pts = np.concatenate((lo, hi))
    order = np.argsort(pts)
    cum = np.zeros((2 * n, 4))
    acc = np.zeros(4)
    hv = np.zeros(4)
    prev = 0.0
    for k in range(2 * n):
        x = pts[order[k]]
        _h_integral_grad(prev, x, c, om, tau, glx, glw, hv)
        acc += hv
        cum[order[k], :] = acc
        prev = max(prev, x)
    out = np.empty((n, 4))
    for j in range(n):
        out[j, :] = cum[n + j, :] - cum[j, :]
    return out


@nb.njit(cache=True)
def source_integrals(lo, hi, me, p, glx, glw):
    """``sum_j G_j``: expected aftershocks of each source in its window, and the gradient.

    ``G_j = k0 e^{a me_j} pi / (rho D_j**rho) int_{lo_j}^{hi_j} h`` (over the whole plane).
    """
    k0, a, c, om, tau, d, gam, rho = p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    total = 0.0
    grad = np.zeros(9)
    hw = window_h(lo, hi, c, om, tau, glx, glw)
    for j in range(me.size):
        hv = hw[j]
        lD = math.log(d) + gam * me[j]
        pref = k0 * math.exp(a * me[j]) * math.pi / rho * math.exp(-rho * lD)
        G = pref * hv[0]
        total += G
        grad[1] += G * LN10
        grad[2] += G * me[j]
        grad[3] += pref * hv[1] * LN10
        grad[4] += pref * hv[2]
        grad[5] += pref * hv[3] * LN10
        grad[6] += -rho * G * LN10
        grad[7] += -rho * me[j] * G
        grad[8] += G * (-1.0 / rho - lD)
    return total, grad


# ----------------------------------------------------------------------------- EM (benchmark)
@nb.njit(parallel=True, cache=True)
def responsibilities(ptr, src, dt, r2, me, p):
    """E-step: ``p_ij = g_ij / lambda_i`` per pair and ``p_i0 = mu / lambda_i`` per target."""
    mu, k0, a, c, om, tau, d, gam, rho = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    n_t = ptr.size - 1
    pij = np.empty(src.size)
    p0 = np.empty(n_t)
    for i in nb.prange(n_t):
        lam = mu
        for q in range(ptr[i], ptr[i + 1]):
            mj = me[src[q]]
            g = k0 * math.exp(a * mj - dt[q] / tau) * (dt[q] + c) ** (-1.0 - om) * (
                r2[q] + d * math.exp(gam * mj)) ** (-1.0 - rho)
            pij[q] = g
            lam += g
        for q in range(ptr[i], ptr[i + 1]):
            pij[q] /= lam
        p0[i] = mu / lam
    return pij, p0


def _weighted_pair_terms(src, dt, r2, me, w, p, nchunk):
    """``sum_q w_q [-dt/tau - (1+omega) log(dt+c) - (1+rho) log(r2 + D_j)]`` and gradient.

    Gradient in the optimiser's x (index as :func:`pair_loglik`; entries 0-2 are zero).
    """
    c, om, tau, d, gam, rho = p[3], p[4], p[5], p[6], p[7], p[8]
    n = src.size
    vals = np.zeros(nchunk)
    grads = np.zeros((nchunk, 9))
    for ch in nb.prange(nchunk):
        v = 0.0
        g3 = g4 = g5 = g6 = g7 = g8 = 0.0
        for q in range(ch * n // nchunk, (ch + 1) * n // nchunk):
            wq = w[q]
            mj = me[src[q]]
            D = d * math.exp(gam * mj)
            base = r2[q] + D
            s = dt[q] + c
            lb = math.log(base)
            ls = math.log(s)
            v += wq * (-dt[q] / tau - (1.0 + om) * ls - (1.0 + rho) * lb)
            g3 += wq * (-(1.0 + om) * c / s)
            g4 -= wq * ls
            g5 += wq * dt[q] / tau
            f = -(1.0 + rho) * D / base
            g6 += wq * f
            g7 += wq * f * mj
            g8 -= wq * lb
        vals[ch] = v
        grads[ch, 3] = g3 * LN10
        grads[ch, 4] = g4
        grads[ch, 5] = g5 * LN10
        grads[ch, 6] = g6 * LN10
        grads[ch, 7] = g7
        grads[ch, 8] = g8
    return vals.sum(), grads.sum(axis=0)


_WEIGHTED = (nb.njit(cache=True)(_weighted_pair_terms),
             nb.njit(parallel=True, cache=True)(_weighted_pair_terms))


def weighted_pair_terms(src, dt, r2, me, w, p, nchunk=16):
    """Serial or parallel :func:`_weighted_pair_terms` by problem size."""
    return _WEIGHTED[src.size >= PARALLEL_PAIRS](src, dt, r2, me, w, p, nchunk)


@nb.njit(cache=True)
def window_fraction_terms(lo, hi, ell, p, glx, glw):
    """``sum_j l_j log(H_j / H_inf)`` and its gradient (x indices 3-5).

    The term by which the benchmark's M-step (time density normalised over [0, inf),
    counts over the window) differs from the complete-data log-likelihood.
    """
    c, om, tau = p[3], p[4], p[5]
    hv = np.zeros(4)
    _h_integral_grad(0.0, 60.0 * tau, c, om, tau, glx, glw, hv)
    h_inf, d_inf = hv[0], hv[1:].copy()
    total = 0.0
    grad = np.zeros(9)
    hw = window_h(lo, hi, c, om, tau, glx, glw)
    for j in range(lo.size):
        hv = hw[j]
        if ell[j] <= 0.0 or hv[0] <= 0.0:
            continue
        total += ell[j] * (math.log(hv[0]) - math.log(h_inf))
        for k in range(3):
            grad[3 + k] += ell[j] * (hv[1 + k] / hv[0] - d_inf[k] / h_inf)
    grad[3] *= LN10
    grad[5] *= LN10
    return total, grad

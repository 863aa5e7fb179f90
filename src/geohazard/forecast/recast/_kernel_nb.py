"""Numba kernels of the attention kernel-mixture location head (:mod:`.kernel_head`).

The head's density of the next epicentre ``z`` (km), given its time ``t`` and the history, is

    f(z) = [sum_j e^{s_j} k_j(z) + sum_c e^{b_c} KDE_c(z) + e^{b_u} U(z)]
           / [sum_j e^{s_j} + sum_c e^{b_c} + e^{b_u}]

over the sources ``j`` (the last ``n_recent`` events and up to ``n_big`` older events of
magnitude >= ``m_big`` within ``max_age`` days). ``s_j`` and ``log D_j`` are bilinear
interpolations of learned tables over ``(log dt, m_j - Mc)``; ``k_j`` is the normalised
power-law kernel ``rho / pi * D^rho / (q + D)^(1 + rho)`` of the Mahalanobis distance
``q`` under a learned unit-determinant shape; ``KDE_c`` are power-law (``rho = 1``)
densities of all past epicentres with fixed scales ``D_c`` (km^2), and ``U`` is uniform on
a box. Every function here runs the same arithmetic as the torch training loss.
"""

# numba draws from its own per-thread legacy generator (seeded by ``_seed`` from the
# caller's np.random.Generator), so the legacy np.random calls are the intended ones here
# ruff: noqa: NPY002
from __future__ import annotations

import math

import numba
import numpy as np

LOG_PI = math.log(math.pi)


@numba.njit(cache=True)
def source_lists(t: np.ndarray, m: np.ndarray, targets: np.ndarray, n_recent: int,
                 n_big: int, m_big: float, max_age: float) -> np.ndarray:  # pragma: no cover
    """(n_targets, n_recent + n_big) source indices of each target (-1 pads)."""
    out = -np.ones((targets.size, n_recent + n_big), np.int64)
    big = np.nonzero(m >= m_big)[0]
    for r in range(targets.size):
        i = targets[r]
        lo = max(0, i - n_recent)
        k = 0
        for j in range(i - 1, lo - 1, -1):
            out[r, k] = j
            k += 1
        pos = np.searchsorted(big, lo) - 1  # big events strictly before the recent ones
        nb = 0
        while pos >= 0 and nb < n_big:
            j = big[pos]
            if t[i] - t[j] > max_age:
                break
            out[r, n_recent + nb] = j
            nb += 1
            pos -= 1
    return out


@numba.njit(cache=True)
def _kde_sums(px: float, py: float, x: np.ndarray, y: np.ndarray, n: int, scales: np.ndarray,
              acc: np.ndarray) -> None:  # pragma: no cover - compiled
    """``acc[c] = sum_{j < n} D_c / (q_j + D_c)^2`` at ``(px, py)``: the KDE sums."""
    acc[:] = 0.0
    for j in range(n):
        q = (px - x[j]) ** 2 + (py - y[j]) ** 2
        for c in range(scales.size):
            acc[c] += scales[c] / ((q + scales[c]) * (q + scales[c]))


@numba.njit(cache=True)
def _source_term(s: float, ld: float, rho: float, lrho: float, inv_shape: np.ndarray,
                 dx: float, dy: float) -> float:  # pragma: no cover - compiled
    """``s + log k(dx, dy)``: a source's weight plus its kernel's log density there."""
    px = inv_shape[0, 0] * dx + inv_shape[0, 1] * dy
    py = inv_shape[1, 0] * dx + inv_shape[1, 1] * dy
    return s + lrho + rho * ld - (1 + rho) * math.log(px * px + py * py + math.exp(ld))


@numba.njit(cache=True)
def kde_log_density(x: np.ndarray, y: np.ndarray, targets: np.ndarray,
                    scales: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """(n_targets, C) log densities of each target under kernel densities of the past.

    Each is the equal-weight power-law (``rho = 1``) density of all earlier epicentres, at
    each scale ``D_c`` (km^2).
    """
    C = scales.size
    out = np.empty((targets.size, C))
    acc = np.empty(C)
    for r in range(targets.size):
        i = targets[r]
        _kde_sums(x[i], y[i], x, y, i, scales, acc)
        for c in range(C):
            out[r, c] = math.log(acc[c] / (math.pi * max(i, 1)) + 1e-300)
    return out


@numba.njit(cache=True)
def table_at(table: np.ndarray, u: float, mp: float, u0: float, du: float, m0: float,
             dm: float) -> float:  # pragma: no cover - compiled
    """Bilinear interpolation of ``table`` (NU, NM) at ``(u, mp)``, clamped to the grid."""
    nu, nm = table.shape
    fu = min(max((u - u0) / du, 0.0), nu - 1.000001)
    fm = min(max((mp - m0) / dm, 0.0), nm - 1.000001)
    iu, im = int(fu), int(fm)
    au, am = fu - iu, fm - im
    return ((1 - au) * ((1 - am) * table[iu, im] + am * table[iu, im + 1])
            + au * ((1 - am) * table[iu + 1, im] + am * table[iu + 1, im + 1]))


@numba.njit(cache=True)
def _logsumexp(v: np.ndarray, n: int) -> float:  # pragma: no cover - compiled
    top = -np.inf
    for k in range(n):
        top = max(top, v[k])
    if top == -np.inf:
        return top
    acc = 0.0
    for k in range(n):
        acc += math.exp(v[k] - top)
    return top + math.log(acc)


@numba.njit(cache=True)
def log_density(t: np.ndarray, m: np.ndarray, x: np.ndarray, y: np.ndarray,
                targets: np.ndarray, sources: np.ndarray, log_kde: np.ndarray,
                score: np.ndarray, log_d: np.ndarray, grid: np.ndarray, rho: float,
                inv_shape: np.ndarray, beta: np.ndarray, box: np.ndarray, mc: float
                ) -> np.ndarray:  # pragma: no cover - compiled
    """(n_targets,) log density (per km^2) of each target's epicentre.

    ``grid`` = (u0, du, m0, dm); ``inv_shape`` (2, 2) maps offsets to the unit-determinant
    frame; ``beta`` holds the KDE weights then the uniform weight; ``box`` = (x0, x1, y0, y1).
    """
    K = sources.shape[1]
    C = log_kde.shape[1]
    num = np.empty(K + C + 1)
    den = np.empty(K + C + 1)
    out = np.empty(targets.size)
    area = (box[1] - box[0]) * (box[3] - box[2])
    lrho = math.log(rho / math.pi)
    for r in range(targets.size):
        i = targets[r]
        n = 0
        for k in range(K):
            j = sources[r, k]
            if j < 0:
                continue
            u = math.log(max(t[i] - t[j], 1e-12))
            s = table_at(score, u, m[j] - mc, grid[0], grid[1], grid[2], grid[3])
            ld = table_at(log_d, u, m[j] - mc, grid[0], grid[1], grid[2], grid[3])
            num[n] = _source_term(s, ld, rho, lrho, inv_shape, x[i] - x[j], y[i] - y[j])
            den[n] = s
            n += 1
        for c in range(C):
            num[n] = beta[c] + log_kde[r, c]
            den[n] = beta[c]
            n += 1
        inside = box[0] <= x[i] <= box[1] and box[2] <= y[i] <= box[3]
        num[n] = beta[C] - math.log(area) if inside else -np.inf
        den[n] = beta[C]
        n += 1
        out[r] = _logsumexp(num, n) - _logsumexp(den, n)
    return out


@numba.njit(cache=True)
def _seed(seed: int) -> None:  # pragma: no cover - compiled
    np.random.seed(seed)


@numba.njit(cache=True)
def _offset(d: float, rho: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """A draw of the unit-frame offset of the power-law kernel with scale ``d``, ``rho``."""
    u = 1.0 - np.random.random()
    r = math.sqrt(d * (u ** (-1.0 / rho) - 1.0))
    ang = 2.0 * math.pi * np.random.random()
    return r * math.cos(ang), r * math.sin(ang)


@numba.njit(cache=True)
def locate(ht: np.ndarray, hm: np.ndarray, hx: np.ndarray, hy: np.ndarray,
           times: np.ndarray, mags: np.ndarray, offsets: np.ndarray, score: np.ndarray,
           log_d: np.ndarray, grid: np.ndarray, rho: float, shape: np.ndarray,
           beta: np.ndarray, box: np.ndarray, scales: np.ndarray, mc: float,
           n_recent: int, n_big: int, m_big: float, max_age: float, seed: int
           ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Epicentres (x, y km) of simulated events, drawn one after another from the head.

    ``ht``.. ``hy``: the observed history (sorted); ``times``/``mags``/``offsets``: the
    continuations (each sorted, all after the history). Every drawn epicentre joins the
    history of the later events of its continuation.
    """
    _seed(seed)
    nh = ht.size
    big_h = np.nonzero(hm >= m_big)[0]
    C = scales.size
    xs, ys = np.empty(times.size), np.empty(times.size)
    logw = np.empty(n_recent + n_big + C + 1)
    src = np.empty(n_recent + n_big, np.int64)
    for c in range(offsets.size - 1):
        a, b = offsets[c], offsets[c + 1]
        big_s = np.empty(b - a, np.int64)
        nbs = 0
        for e in range(a, b):
            n_tot = nh + (e - a)
            te = times[e]
            K = _sources(ht, hm, times, mags, a, nh, n_tot, big_h, big_s, nbs, te, n_recent,
                         n_big, max_age, src)
            for k in range(K):
                j = src[k]
                tj, mj = (ht[j], hm[j]) if j < nh else (times[a + j - nh], mags[a + j - nh])
                logw[k] = table_at(score, math.log(max(te - tj, 1e-12)), mj - mc, grid[0],
                                   grid[1], grid[2], grid[3])
            for k in range(C + 1):
                logw[K + k] = beta[k]
            pick = _choose(logw, K + C + 1)
            if pick < K:
                j = src[pick]
                tj, mj = (ht[j], hm[j]) if j < nh else (times[a + j - nh], mags[a + j - nh])
                zx, zy = (hx[j], hy[j]) if j < nh else (xs[a + j - nh], ys[a + j - nh])
                ld = table_at(log_d, math.log(max(te - tj, 1e-12)), mj - mc, grid[0],
                              grid[1], grid[2], grid[3])
                px, py = _offset(math.exp(ld), rho)
                xs[e] = zx + shape[0, 0] * px + shape[0, 1] * py
                ys[e] = zy + shape[1, 0] * px + shape[1, 1] * py
            elif pick < K + C:
                j = min(int(np.random.random() * n_tot), n_tot - 1)
                zx, zy = (hx[j], hy[j]) if j < nh else (xs[a + j - nh], ys[a + j - nh])
                px, py = _offset(scales[pick - K], 1.0)
                xs[e], ys[e] = zx + px, zy + py
            else:
                xs[e] = box[0] + (box[1] - box[0]) * np.random.random()
                ys[e] = box[2] + (box[3] - box[2]) * np.random.random()
            if mags[e] >= m_big:
                big_s[nbs] = n_tot
                nbs += 1
    return xs, ys


@numba.njit(cache=True)
def _sources(ht: np.ndarray, hm: np.ndarray, times: np.ndarray, mags: np.ndarray, a: int,
             nh: int, n_tot: int, big_h: np.ndarray, big_s: np.ndarray, nbs: int, te: float,
             n_recent: int, n_big: int, max_age: float, src: np.ndarray
             ) -> int:  # pragma: no cover - compiled
    """Fill ``src`` with the sources of the next event (indices into history + drawn)."""
    lo = max(0, n_tot - n_recent)
    k = 0
    for j in range(n_tot - 1, lo - 1, -1):
        src[k] = j
        k += 1
    nb = 0
    for q in range(nbs - 1, -1, -1):  # drawn big events older than the recent ones
        j = big_s[q]
        if j >= lo:
            continue
        if nb >= n_big or te - times[a + j - nh] > max_age:
            return k
        src[k] = j
        k += 1
        nb += 1
    pos = np.searchsorted(big_h, min(lo, nh)) - 1
    while pos >= 0 and nb < n_big:
        j = big_h[pos]
        if te - ht[j] > max_age:
            break
        src[k] = j
        k += 1
        nb += 1
        pos -= 1
    return k


@numba.njit(cache=True)
def _choose(logw: np.ndarray, n: int) -> int:  # pragma: no cover - compiled
    """Index drawn with probabilities proportional to ``exp(logw[:n])``."""
    top = -np.inf
    for k in range(n):
        top = max(top, logw[k])
    total = 0.0
    for k in range(n):
        total += math.exp(logw[k] - top)
    u = np.random.random() * total
    acc = 0.0
    for k in range(n):
        acc += math.exp(logw[k] - top)
        if u < acc:
            return k
    return n - 1


@numba.njit(cache=True)
def density_at(ht: np.ndarray, hm: np.ndarray, hx: np.ndarray, hy: np.ndarray, te: float,
               src: np.ndarray, px: np.ndarray, py: np.ndarray, score: np.ndarray,
               log_d: np.ndarray, grid: np.ndarray, rho: float, inv_shape: np.ndarray,
               beta: np.ndarray, box: np.ndarray, scales: np.ndarray, mc: float
               ) -> np.ndarray:  # pragma: no cover - compiled
    """Log density (per km^2) at points ``(px, py)`` of the next event, at time ``te``.

    ``src`` are its sources (indices into the history, -1 pads); the same arithmetic as
    :func:`log_density` with the epicentre replaced by each point.
    """
    K = src.size
    C = scales.size
    s = np.empty(K)
    ld = np.empty(K)
    n_src = 0
    for k in range(K):
        j = src[k]
        if j < 0:
            continue
        u = math.log(max(te - ht[j], 1e-12))
        s[n_src] = table_at(score, u, hm[j] - mc, grid[0], grid[1], grid[2], grid[3])
        ld[n_src] = table_at(log_d, u, hm[j] - mc, grid[0], grid[1], grid[2], grid[3])
        src[n_src] = j
        n_src += 1
    den = np.empty(n_src + C + 1)
    for k in range(n_src):
        den[k] = s[k]
    for c in range(C + 1):
        den[n_src + c] = beta[c]
    log_den = _logsumexp(den, n_src + C + 1)
    area = (box[1] - box[0]) * (box[3] - box[2])
    lrho = math.log(rho / math.pi)
    num = np.empty(n_src + C + 1)
    acc = np.empty(C)
    out = np.empty(px.size)
    for p in range(px.size):
        for k in range(n_src):
            j = src[k]
            num[k] = _source_term(s[k], ld[k], rho, lrho, inv_shape, px[p] - hx[j],
                                  py[p] - hy[j])
        _kde_sums(px[p], py[p], hx, hy, ht.size, scales, acc)
        for c in range(C):
            num[n_src + c] = beta[c] + math.log(acc[c] / (math.pi * ht.size) + 1e-300)
        inside = box[0] <= px[p] <= box[1] and box[2] <= py[p] <= box[3]
        num[n_src + C] = beta[C] - math.log(area) if inside else -np.inf
        out[p] = _logsumexp(num, n_src + C + 1) - log_den
    return out

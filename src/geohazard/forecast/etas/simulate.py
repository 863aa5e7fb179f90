"""Branching simulation of temporal ETAS, vectorised over samples and generations.

Algorithm (all samples at once):

1. generation 0 of each sample: background events (Poisson ``mu * D``, uniform times) and
   the direct aftershocks that the history's events place in the window (Poisson with mean
   ``sum_j a_j [G(T1 - t_j) - G(T0 - t_j)]``; parent drawn in proportion to its share,
   time by the inverse Omori CDF restricted to the window);
2. every event of generation ``g`` has Poisson ``a_i G(T1 - t_i)`` children, at times drawn
   by the inverse Omori CDF truncated at ``T1``; magnitudes follow the Gutenberg-Richter law
   up to ``m_max``; repeat until a generation is empty.

``a = k 10**(alpha (m - Mc))`` and ``G(x) = int_0^x (t + c)**(-p) dt``. A taper
``exp(-lag / tau)`` is applied by thinning: each candidate child is kept with that
probability, which turns the Omori cluster into the tapered one exactly.

Genealogy: with ``return_parents=True`` :func:`simulate_continuations` also returns an
:class:`Ancestry` giving every simulated event's parent (a history event, an earlier
simulated event, or none for background events). Tracking parents draws no extra random
numbers, so a seed gives the same continuations with or without it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import ExplosiveProcessError, ParameterError
from geohazard.forecast.base import Continuations
from geohazard.forecast.etas import kernels
from geohazard.forecast.etas.params import (
    LN10,
    ETASParams,
    MagnitudeLaw,
    omori_cdf_integral,
    omori_cdf_inverse,
)
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ancestry:
    """Parent of every simulated event, aligned with :attr:`Continuations.times`.

    Attributes
    ----------
    parent
        (total,) int64 index into the continuation arrays (``times``, ``magnitudes``) of
        the simulated parent, or -1 when the parent is a history event or none. A parent
        belongs to the same sample and comes earlier in it (``parent[i] < i``).
    history_parent
        (total,) int64 index into the history's events (``history.times``) of the
        parent, or -1 when the parent is simulated or none.
    """

    parent: np.ndarray
    history_parent: np.ndarray

    @property
    def is_background(self) -> np.ndarray:
        """(total,) True for background events (no parent)."""
        return (self.parent < 0) & (self.history_parent < 0)


def check_subcritical(params: ETASParams, mag_law: MagnitudeLaw, allow_explosive: bool) -> float:
    """Branching ratio; raises :class:`ExplosiveProcessError` if ``>= 1`` and not allowed."""
    n = params.branching_ratio(mag_law)
    if n >= 1.0 and not allow_explosive:
        raise ExplosiveProcessError(
            f"ETAS branching ratio n = {n:.4g} >= 1 (p = {params.p:.4g}, alpha = "
            f"{params.alpha:.4g}, b = {mag_law.b:.4g}): the process is explosive; refusing to "
            "simulate it unless explosive simulation is allowed explicitly"
        )
    return n


def _productivity(params: ETASParams, mags: np.ndarray, mc: float) -> np.ndarray:
    return params.k * np.exp(params.alpha * LN10 * (mags - mc))


def _history_children(
    params: ETASParams, mc: float, hist_t: np.ndarray, hist_m: np.ndarray, t0: float,
    t1: float, n_samples: int, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct aftershocks of the history in ``[t0, t1)``: (sample ids, times, parents)."""
    if hist_t.size == 0:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    g0 = omori_cdf_integral(t0 - hist_t, params.c, params.p)
    g1 = omori_cdf_integral(t1 - hist_t, params.c, params.p)
    share = _productivity(params, hist_m, mc) * (g1 - g0)  # (N_hist,) expected children
    cum = np.cumsum(share)
    total = float(cum[-1])
    counts = rng.poisson(total, n_samples)
    sid = np.repeat(np.arange(n_samples), counts)
    parent = np.minimum(np.searchsorted(cum, rng.random(sid.size) * total), cum.size - 1)
    g = g0[parent] + rng.random(sid.size) * (g1[parent] - g0[parent])
    lag = omori_cdf_inverse(g, params.c, params.p)
    keep = _thin(lag, params, rng)
    times = hist_t[parent[keep]] + lag[keep]
    return sid[keep], np.clip(times, t0, np.nextafter(t1, -np.inf)), parent[keep]


def _thin(lag: np.ndarray, params: ETASParams, rng: np.random.Generator) -> np.ndarray:
    """Keep mask of candidate children: the taper thins the untapered Omori process."""
    if params.tau is None:
        return np.ones(lag.size, dtype=bool)
    return rng.random(lag.size) < np.exp(-lag / params.tau)


def _cascade(
    params: ETASParams, mag_law: MagnitudeLaw, sid: np.ndarray, times: np.ndarray,
    mags: np.ndarray, t1: float, rng: np.random.Generator, max_events: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All descendants (inside ``t1``) of the given events, generation after generation.

    Returns (sample ids, times, magnitudes, parents): the given events first, then each
    generation; ``parents`` indexes that concatenation (-1 for the given events).
    """
    out_sid, out_t, out_m = [sid], [times], [mags]
    out_par = [np.full(sid.size, -1, dtype=np.int64)]
    total = sid.size
    gen_start = 0  # position of the current generation in the concatenation
    while sid.size:
        expected = _productivity(params, mags, mag_law.mc) * omori_cdf_integral(
            t1 - times, params.c, params.p)
        counts = rng.poisson(expected)
        parent = np.repeat(np.arange(sid.size), counts)
        gmax = omori_cdf_integral(t1 - times[parent], params.c, params.p)
        lag = omori_cdf_inverse(rng.random(parent.size) * gmax, params.c, params.p)
        keep = _thin(lag, params, rng)
        parent, lag = parent[keep], lag[keep]
        out_par.append(gen_start + parent)
        gen_start += sid.size
        sid = sid[parent]
        times = np.minimum(times[parent] + lag, np.nextafter(t1, -np.inf))
        mags = mag_law.sample(parent.size, rng)
        total += sid.size
        if total > max_events:
            raise ExplosiveProcessError(
                f"simulation exceeded max_events = {max_events} events; the parameters are "
                "(near-)explosive or the window too long"
            )
        out_sid.append(sid)
        out_t.append(times)
        out_m.append(mags)
    return (np.concatenate(out_sid), np.concatenate(out_t), np.concatenate(out_m),
            np.concatenate(out_par))


@overload
def simulate_continuations(
    params: ETASParams, mag_law: MagnitudeLaw, history: EventSequence | None, t_start: float,
    duration_days: float, n_samples: int, rng: RNGLike = ..., *, allow_explosive: bool = ...,
    max_events: int = ..., return_parents: Literal[False] = ...,
) -> Continuations: ...


@overload
def simulate_continuations(
    params: ETASParams, mag_law: MagnitudeLaw, history: EventSequence | None, t_start: float,
    duration_days: float, n_samples: int, rng: RNGLike = ..., *, allow_explosive: bool = ...,
    max_events: int = ..., return_parents: Literal[True],
) -> tuple[Continuations, Ancestry]: ...


def simulate_continuations(
    params: ETASParams, mag_law: MagnitudeLaw, history: EventSequence | None, t_start: float,
    duration_days: float, n_samples: int, rng: RNGLike = None, *, allow_explosive: bool = False,
    max_events: int = 50_000_000, return_parents: bool = False,
) -> Continuations | tuple[Continuations, Ancestry]:
    """Simulate ``n_samples`` continuations on ``[t_start, t_start + duration_days)``.

    Parameters
    ----------
    params, mag_law
        The ETAS parameters and the magnitude law of simulated events.
    history
        Events before ``t_start`` (all of them: their aftershocks reach into the window);
        None for a process started empty.
    t_start, duration_days
        Window start (days since the origin) and length.
    n_samples, rng
        Number of continuations; random generator or seed.
    allow_explosive
        Simulate even when the branching ratio is ``>= 1``.
    max_events
        Cap on the total number of simulated events (guards against explosion).
    return_parents
        Also return the :class:`Ancestry` of the simulated events (same random draws, so
        the continuations are identical for a given seed).

    Returns
    -------
    Continuations, or (Continuations, Ancestry) with ``return_parents``
    """
    if not duration_days > 0 or n_samples < 1:
        raise ParameterError(f"simulate: need duration_days > 0 and n_samples >= 1, got "
                             f"{float(duration_days):g} and {n_samples}")
    check_subcritical(params, mag_law, allow_explosive)
    gen = as_generator(rng)
    t1 = t_start + duration_days
    sid0, t0, n_bg, par_h = _first_generation(params, mag_law.mc, history, t_start,
                                              duration_days, n_samples, gen)
    m0 = mag_law.sample(sid0.size, gen)
    sid, t, m, par = _cascade(params, mag_law, sid0, t0, m0, t1, gen, max_events)
    order = np.lexsort((t, sid))
    offsets = np.zeros(n_samples + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(sid, minlength=n_samples))
    sims = Continuations(t[order], m[order], offsets, float(t_start), float(t1))
    if not return_parents:
        return sims
    hist_par = np.full(sid.size, -1, dtype=np.int64)
    hist_par[n_bg:sid0.size] = par_h
    return sims, _sorted_ancestry(order, par, hist_par)


def _first_generation(params: ETASParams, mc: float, history: EventSequence | None,
                      t_start: float, duration_days: float, n_samples: int,
                      gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Background events and the history's direct aftershocks in the window.

    Returns
    -------
    sid, t, n_bg, parents
        Sample ids and times (background first), the number of background events, and
        the history index of each history child's parent.
    """
    t1 = t_start + duration_days
    n_bg = gen.poisson(params.mu * duration_days, n_samples)
    sid_bg = np.repeat(np.arange(n_samples), n_bg)
    t_bg = t_start + gen.random(sid_bg.size) * duration_days
    if history is not None and len(history):
        keep = np.flatnonzero(history.times < t_start)
        sid_h, t_h, par_h = _history_children(params, mc, history.times[keep],
                                              history.magnitudes[keep], t_start, t1,
                                              n_samples, gen)
        par_h = keep[par_h]
    else:
        sid_h, t_h, par_h = np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    return (np.concatenate([sid_bg, sid_h]), np.concatenate([t_bg, t_h]), int(sid_bg.size),
            par_h)


def _sorted_ancestry(order: np.ndarray, parent: np.ndarray, hist_parent: np.ndarray
                     ) -> Ancestry:
    """Re-index parents after the events were put in ``order`` (a stable sort)."""
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    par = parent[order]
    par = np.where(par >= 0, rank[np.maximum(par, 0)], -1)
    return Ancestry(par, hist_parent[order])


def simulate_catalog(
    params: ETASParams,
    mag_law: MagnitudeLaw,
    t_end: float,
    rng: RNGLike = None,
    *,
    allow_explosive: bool = False,
    max_events: int = 20_000_000,
) -> EventSequence:
    """One ETAS catalog on ``[0, t_end)`` started empty, as an :class:`EventSequence`."""
    sims = simulate_continuations(params, mag_law, None, 0.0, t_end, 1, rng,
                                  allow_explosive=allow_explosive, max_events=max_events)
    return EventSequence(times=sims.times, magnitudes=sims.magnitudes, t_start=0.0,
                         t_end=float(t_end), t_nll_start=0.0, mag_completeness=mag_law.mc)


def expected_count(
    params: ETASParams,
    mag_law: MagnitudeLaw,
    duration_days: float,
    history: EventSequence | None = None,
    t_start: float | None = None,
    n_grid: int = 2000,
) -> float:
    """Expected number of events in ``[t_start, t_start + duration_days)`` (renewal equation).

    Solves ``r(t) = h(t) + kappa int_0^t r(s) g(t - s) ds`` for the mean rate, with
    ``kappa = k E[10**(alpha (m - Mc))]``, ``g(t) = (t + c)**(-p)`` and the forcing
    ``h(t) = mu + sum_j a_j g(t - t_j)`` of the history (``g`` tapered when ``tau`` is
    set). ``r`` is taken piecewise constant on a uniform grid; the forcing and the kernel
    are integrated exactly over the cells (``H(x) = int_0^x G``).

    Returns
    -------
    float
    """
    G, H = _cell_integrals(params)
    kappa = params.k * mag_law.mean_productivity(params.alpha)
    if not math.isfinite(kappa):
        return math.inf
    t0 = (history.t_end if history is not None else 0.0) if t_start is None else t_start
    dt = duration_days / n_grid
    edges = np.arange(n_grid + 1) * dt
    forcing = np.full(n_grid, params.mu)  # (n_grid,) cell averages of h
    if history is not None and len(history):
        keep = history.times < t0
        a = _productivity(params, history.magnitudes[keep], mag_law.mc)
        lags = t0 - history.times[keep]
        forcing += np.diff(_history_integral(params, G, lags, a, edges)) / dt
    Hx = H(np.arange(n_grid + 1) * dt)
    kern = np.empty(n_grid)  # kern[d]: cell-averaged weight of the cell d cells back
    kern[0] = Hx[1] / dt
    kern[1:] = (Hx[2:] - 2.0 * Hx[1:-1] + Hx[:-2])[: n_grid - 1] / dt
    rate = np.zeros(n_grid)
    for i in range(n_grid):
        conv = float(rate[:i][::-1] @ kern[1:i + 1]) if i else 0.0
        rate[i] = (forcing[i] + kappa * conv) / (1.0 - kappa * kern[0])
    return float(rate.sum() * dt)


def _cell_integrals(params: ETASParams) -> tuple[Any, Any]:
    """``G(x) = int_0^x g`` and ``H(x) = int_0^x G`` of the (tapered) Omori kernel ``g``."""
    c, p = params.c, params.p
    if params.tau is None:
        def g_int(x: np.ndarray) -> np.ndarray:
            return omori_cdf_integral(x, c, p)

        def h_int(x: np.ndarray) -> np.ndarray:
            return (x + c) * omori_cdf_integral(x, c, p) - omori_cdf_integral(x, c, p - 1.0)

        return g_int, h_int
    grid = kernels.soe_grid(c, p, 80.0 * params.tau, 1e-10)  # beyond: taper < exp(-80)
    sig = grid.rates + 1.0 / params.tau  # (K,)
    w = grid.weights

    def g_tap(x: np.ndarray) -> np.ndarray:
        return -np.expm1(-np.multiply.outer(x, sig)) @ (w / sig)

    def h_tap(x: np.ndarray) -> np.ndarray:
        z = np.multiply.outer(x, sig)  # (M, K); H = sum w (z - 1 + e^-z) / sig**2
        small = z < 1e-4
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(small, 0.5 - z / 6.0 + z * z / 24.0,
                           (z + np.expm1(-z)) / np.where(small, 1.0, z * z))
        return (np.square(x)[:, None] * phi) @ w

    return g_tap, h_tap


def _history_integral(params: ETASParams, G: Any, lags: np.ndarray, a: np.ndarray,
                      edges: np.ndarray) -> np.ndarray:
    """``sum_j a_j G(lag_j + e)`` at each edge ``e`` (O(N K) once with a taper)."""
    if params.tau is None:
        return np.array([G(lags + e) @ a for e in edges])
    grid = kernels.soe_grid(params.c, params.p, 80.0 * params.tau, 1e-10)
    sig = grid.rates + 1.0 / params.tau  # (K,)
    decayed = np.array([np.exp(-s * lags) @ a for s in sig])  # (K,) sum_j a_j e^(-s lag_j)
    return (a.sum() - np.exp(-np.multiply.outer(edges, sig)) * decayed) @ (grid.weights / sig)

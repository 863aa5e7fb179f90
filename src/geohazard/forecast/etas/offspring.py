"""Where simulated space-time ETAS events land: offspring locations and synthetic catalogs.

An aftershock lies at its parent's location plus a displacement drawn exactly from the
(truncated) power-law kernel ``f(r | m) = s D**s / pi * (r**2 + D)**(-(s + 1))``,
``D = d 10**(gamma (m - Mc))``, ``s = q - 1``, in a uniform direction; background events
come from a given sampler. :class:`~geohazard.forecast.etas.spatial.SpatialETAS` samples
with :func:`locate_offspring`; :func:`simulate_spatial_catalog` makes test catalogs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.catalog.geo import LocalProjection
from geohazard.exceptions import InputError
from geohazard.forecast.etas.params import LN10, ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import Ancestry, simulate_continuations
from geohazard.forecast.smoothed import displace, powerlaw_radial_cdf, sample_powerlaw_radius
from geohazard.rng import RNGLike, as_generator

__all__ = ["kernel_radial_cdf", "locate_offspring", "simulate_spatial_catalog"]

Sampler = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def kernel_radial_cdf(r: np.ndarray, d: float, q: float, gamma: float, mexc: float,
                      max_distance_km: float = math.inf) -> np.ndarray:
    """``P(R <= r)`` of the (truncated) triggering kernel of a parent ``mexc`` above Mc."""
    D = d * 10.0 ** (gamma * mexc)
    cdf = powerlaw_radial_cdf(np.asarray(r, np.float64), D, q - 1.0)
    if math.isfinite(max_distance_km):
        cdf = np.minimum(cdf / powerlaw_radial_cdf(np.array(max_distance_km), D, q - 1.0), 1.0)
    return cdf


def locate_offspring(ancestry: Ancestry, magnitudes: np.ndarray, d: float, q: float,
                     gamma: float, mc: float, background: Sampler, rng: RNGLike = None, *,
                     history: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     max_distance_km: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """Locations (km) of simulated events given their parents.

    Background events are drawn by ``background(n, rng)``; an aftershock lies at its
    parent's location plus a displacement drawn exactly from ``f(r | m_parent)`` in a
    uniform direction, generation after generation.

    Parameters
    ----------
    ancestry
        Parents of the events (from ``simulate_continuations(..., return_parents=True)``).
    magnitudes
        (total,) magnitudes of the simulated events.
    d, q, gamma, mc
        Spatial kernel parameters (d in km2) and the magnitude of completeness.
    background
        Sampler of background locations (km).
    rng
        Random generator or seed.
    history
        ``(x, y, magnitude)`` of the history events the ancestry refers to.
    max_distance_km
        Truncation radius of the kernel.

    Returns
    -------
    (x, y)
        (total,) km.
    """
    gen = as_generator(rng)
    mags = np.asarray(magnitudes, np.float64)

    def jump(px: np.ndarray, py: np.ndarray, pm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        D = d * np.exp(gamma * LN10 * (pm - mc))
        return displace(px, py, sample_powerlaw_radius(D, q - 1.0, gen, max_distance_km), gen)

    x, y = np.full(mags.size, np.nan), np.full(mags.size, np.nan)
    bg = np.flatnonzero(ancestry.is_background)
    x[bg], y[bg] = background(bg.size, gen)
    hi = np.flatnonzero(ancestry.history_parent >= 0)
    if hi.size:
        if history is None:
            raise InputError("locate_offspring: events have history parents but no history")
        hp = ancestry.history_parent[hi]
        x[hi], y[hi] = jump(history[0][hp], history[1][hp], history[2][hp])
    _by_generation(ancestry.parent, x, y, mags, jump)
    return x, y


def _by_generation(parent: np.ndarray, x: np.ndarray, y: np.ndarray, mags: np.ndarray,
                   jump: Callable[..., tuple[np.ndarray, np.ndarray]]) -> None:
    """Place in ``x``, ``y`` every event with a simulated parent, one generation per pass."""
    pending = parent >= 0
    while pending.any():  # parents come first
        idx = np.flatnonzero(pending & ~np.isnan(x[np.maximum(parent, 0)]))
        if idx.size == 0:
            raise InputError("locate_offspring: the ancestry has a cycle or a missing parent")
        par = parent[idx]
        x[idx], y[idx] = jump(x[par], y[par], mags[par])
        pending[idx] = False


def simulate_spatial_catalog(
    params: ETASParams, mag_law: MagnitudeLaw, spatial: dict[str, float], t_end: float,
    rng: RNGLike = None, *, box_km: float = 100.0, centre: tuple[float, float] = (-116.5, 33.5),
    max_distance_km: float = math.inf,
) -> EventSequence:
    """One space-time ETAS catalog on ``[0, t_end)`` with a uniform background in a square.

    Parameters
    ----------
    params, mag_law
        Temporal ETAS parameters and magnitude law.
    spatial
        ``{"d": km2, "q": ..., "gamma": ...}``.
    t_end
        Length in days.
    rng
        Random generator or seed.
    box_km
        Side of the square (centred on ``centre``) holding the background events.
    centre
        ``(lon, lat)`` of the local projection's centre.
    max_distance_km
        Truncation radius of the kernel.

    Returns
    -------
    EventSequence
        With features ``longitude``, ``latitude`` (and ``x``, ``y`` in km).
    """
    gen = as_generator(rng)
    sims, anc = simulate_continuations(params, mag_law, None, 0.0, t_end, 1, gen,
                                       return_parents=True)

    def uniform(n: int, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return tuple(g.uniform(-box_km / 2, box_km / 2, (2, n)))  # type: ignore[return-value]

    x, y = locate_offspring(anc, sims.magnitudes, spatial["d"], spatial["q"],
                            spatial["gamma"], mag_law.mc, uniform, gen,
                            max_distance_km=max_distance_km)
    lon, lat = LocalProjection(*centre).to_lonlat(x, y)
    return EventSequence(times=sims.times, magnitudes=sims.magnitudes, t_start=0.0,
                         t_end=float(t_end), t_nll_start=0.0, mag_completeness=mag_law.mc,
                         features={"longitude": lon, "latitude": lat, "x": x, "y": y})

"""Smoothed-seismicity spatial density: adaptive kernels of epicentres.

The space-time Poisson baseline built on it lives in :mod:`geohazard.forecast.spatial_poisson`
(importing it from here still works).

Interface contract (shared with :mod:`geohazard.forecast.etas.spatial`)::

    from geohazard.forecast import SmoothedSeismicity, SpatialPoisson

    model = SpatialPoisson().fit(history)   # history carries features longitude/latitude
    sims = model.sample(history, duration_days, n_samples, rng=None)  # -> Continuations
    sims.features["longitude"], sims.features["latitude"]                # degrees
    model.log_likelihood(sequence)   # delegates to the temporal model (time-only score)
    model.intensity(history, t)      # likewise (events/day)
    model.spatial_log_density(sequence)  # (n_scored,) log density per km2 of scored events

    density = SmoothedSeismicity().fit(catalog, fit_end="2016-01-01")  # or fit(sequence)
    density.log_density(lon, lat)    # log density per km2

The density (Helmstetter et al. 2007 style) is a weighted sum of isotropic kernels centred
on past events, in kilometres of an azimuthal equidistant projection centred on the
catalog (:class:`geohazard.catalog.geo.LocalProjection`)::

    u(x) = sum_j w_j K_{h_j}(|x - x_j|) / sum_j w_j

- ``kernel="power"``: ``K_h(r) = h / (2 pi) (r**2 + h**2)**(-3/2)``, truncated at
  ``max_distance_km`` and renormalised exactly (the Helmstetter kernel);
- ``kernel="gaussian"``: ``K_h(r) = exp(-r**2 / (2 h**2)) / (2 pi h**2)``.

Bandwidths are adaptive, ``h_j = max(min_bandwidth_km, distance to the k-th nearest
neighbour of event j)``, or one fixed ``h``. The free parameter (``k`` from a grid, or ``h``
on a continuous scale) maximises the log-likelihood of held-out events: the later part of
the events in time (the density of the earlier events scores the later ones);
internal callers fitting weighted epicentres without times use leave-one-out. The final
density uses all events with that parameter.

The power-law kernel primitives (:func:`powerlaw_log_density`,
:func:`sample_powerlaw_radius`, :func:`powerlaw_radial_cdf`) also serve the ETAS
spatial triggering kernel ``f(r) = s D**s / pi * (r**2 + D)**(-(s + 1))`` with
``s = q - 1``. Events may land outside the catalog's region; evaluators clip to theirs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Literal

import numba as nb
import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.catalog.geo import LocalProjection
from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.forecast.protocols import Estimator, history_of
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)

LOCATION_FEATURES = ("longitude", "latitude")
_NEIGHBOR_GRID = (1, 2, 3, 5, 8, 12, 18, 27, 40, 60)
_MAX_SCORED = 3000  # held-out / leave-one-out events scored per candidate (strided subset)


# ----------------------------------------------------------------------------- kernel primitives
def powerlaw_radial_cdf(r: np.ndarray, D: np.ndarray | float, s: float) -> np.ndarray:
    """``P(R <= r) = 1 - (1 + r**2 / D)**(-s)`` of the untruncated power-law kernel."""
    r2 = np.square(np.asarray(r, dtype=np.float64))
    return -np.expm1(-s * np.log1p(r2 / D))


def powerlaw_log_density(r2: np.ndarray, D: np.ndarray | float, s: float,
                         max_distance_km: float = math.inf) -> np.ndarray:
    """Log of the planar density ``s D**s / pi (r**2 + D)**(-(s + 1))`` (per km2).

    Parameters
    ----------
    r2
        Squared distances (km2).
    D
        Squared length scale (km2), broadcast with ``r2``.
    s
        Tail exponent ``q - 1 > 0``.
    max_distance_km
        Truncation radius: zero density beyond it, renormalised inside.
    """
    r2 = np.asarray(r2, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    if not s > 0:
        raise ParameterError(f"power-law kernel: need s = q - 1 > 0, got {s!r}")
    out = math.log(s) + s * np.log(D) - math.log(math.pi) - (s + 1.0) * np.log(r2 + D)
    if math.isfinite(max_distance_km):
        out = out - np.log(powerlaw_radial_cdf(np.array(max_distance_km), D, s))
        out = np.where(r2 > max_distance_km**2, -np.inf, out)
    return out


def sample_powerlaw_radius(D: np.ndarray, s: float, rng: np.random.Generator,
                           max_distance_km: float = math.inf) -> np.ndarray:
    """Distances drawn exactly from the (truncated) power-law kernel by inverse CDF.

    Parameters
    ----------
    D
        (n,) squared length scales (km2), one per draw.
    s
        Tail exponent ``q - 1 > 0``.
    rng
        Random generator (one uniform per draw).
    max_distance_km
        Truncation radius (inf: untruncated).

    Returns
    -------
    (n,) ndarray
        Distances in km.
    """
    D = np.asarray(D, dtype=np.float64)
    u = rng.random(D.shape)
    if math.isfinite(max_distance_km):
        u = u * powerlaw_radial_cdf(np.array(max_distance_km), D, s)
    return np.sqrt(D * np.expm1(-np.log1p(-u) / s))


def displace(x: np.ndarray, y: np.ndarray, r: np.ndarray, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """Move points by distances ``r`` in uniformly random directions."""
    phi = rng.uniform(0.0, 2.0 * math.pi, np.shape(r))
    return x + r * np.cos(phi), y + r * np.sin(phi)


@nb.njit(cache=True)
def _log_mixture(qx, qy, ex, ey, w, lognorm, D, s, r2max, gaussian, skip):
    """``log sum_j w_j K_j(q)`` at each query; ``skip[i]`` is an event left out (or -1).

    Power kernels: ``K_j = exp(lognorm_j) (r2 + D_j)**(-(s+1))`` inside ``r2max``;
    Gaussian: ``K_j = exp(lognorm_j - r2 / (2 D_j))`` (log-sum-exp, no underflow).
    """
    out = np.empty(qx.size)
    for i in range(qx.size):
        top = -np.inf
        if gaussian:
            for j in range(ex.size):
                if j != skip[i] and w[j] > 0.0:
                    r2 = (qx[i] - ex[j]) ** 2 + (qy[i] - ey[j]) ** 2
                    top = max(top, lognorm[j] - 0.5 * r2 / D[j])
        acc = 0.0
        for j in range(ex.size):
            if j == skip[i] or w[j] == 0.0:
                continue
            r2 = (qx[i] - ex[j]) ** 2 + (qy[i] - ey[j]) ** 2
            if gaussian:
                acc += w[j] * math.exp(lognorm[j] - 0.5 * r2 / D[j] - top)
            elif r2 <= r2max:
                z = r2 + D[j]
                if s == 0.5:
                    acc += w[j] * math.exp(lognorm[j]) / (z * math.sqrt(z))
                else:
                    acc += w[j] * math.exp(lognorm[j] - (s + 1.0) * math.log(z))
        out[i] = (math.log(acc) + (top if gaussian else 0.0)) if acc > 0.0 else -np.inf
    return out


# ----------------------------------------------------------------------------- density
class SmoothedSeismicity(Estimator):
    """Adaptive (or fixed) kernel density of epicentres, per km2 of the local projection.

    Parameters
    ----------
    kernel
        ``"power"`` (Helmstetter's ``(r**2 + h**2)**(-3/2)``) or ``"gaussian"``.
    neighbors
        Adaptive bandwidth: the ``k`` of the k-th nearest neighbour distance; None selects
        it from ``neighbor_grid`` by held-out likelihood.
    neighbor_grid
        Candidate ``k`` values.
    bandwidth_km
        Use one fixed bandwidth instead of adaptive ones: a number fixes it, ``"fit"``
        maximises the held-out likelihood over it.
    min_bandwidth_km
        Lower limit of adaptive bandwidths (location error scale).
    holdout_fraction
        With event times, the later fraction of the events (in time) held out to select
        the bandwidth parameter.
    max_distance_km
        Truncation radius of the power-law kernel.
    projection
        Local projection; None centres one on the fitted events.
    """

    def __init__(
        self,
        *,
        kernel: Literal["power", "gaussian"] = "power",
        neighbors: int | None = None,
        neighbor_grid: Sequence[int] = _NEIGHBOR_GRID,
        bandwidth_km: float | Literal["fit"] | None = None,
        min_bandwidth_km: float = 0.5,
        holdout_fraction: float = 0.25,
        max_distance_km: float = 1000.0,
        projection: LocalProjection | None = None,
    ) -> None:
        self.kernel = kernel
        self.neighbors = neighbors
        self.neighbor_grid = neighbor_grid
        self.bandwidth_km = bandwidth_km
        self.min_bandwidth_km = min_bandwidth_km
        self.holdout_fraction = holdout_fraction
        self.max_distance_km = max_distance_km
        self.projection = projection

    # -- fitting -------------------------------------------------------------------------
    def fit(self, history: EventSequence | Catalog, fit_end: Any = None) -> SmoothedSeismicity:
        """Fit the density to the epicentres of a located history, as every model fits.

        The bandwidth parameter is selected on the later ``holdout_fraction`` of the
        events in time (the density of the earlier events scores the later ones).

        Parameters
        ----------
        history
            Sequence with ``longitude`` and ``latitude`` features (all its events are
            used), or a located :class:`Catalog`: its events above Mc, before ``fit_end``
            when given, else its train split when it has one
            (:func:`~geohazard.forecast.protocols.history_of`).
        fit_end
            With a Catalog: fit on its events before this UTC time.

        Returns
        -------
        SmoothedSeismicity
            ``self`` with ``projection_``, ``x_``, ``y_``, ``weights_``, ``bandwidths_``,
            ``neighbors_`` (adaptive) or ``bandwidth_km_`` (fixed) and ``selection_``.
        """
        seq = as_located_sequence(history, "SmoothedSeismicity.fit", fit_end)
        lon, lat = locations_of(seq, "SmoothedSeismicity.fit")
        return self._fit_points(lon, lat, times=seq.times)

    def _fit_points(self, lon: np.ndarray, lat: np.ndarray, weights: np.ndarray | None = None,
                    times: np.ndarray | None = None) -> SmoothedSeismicity:
        """Fit to epicentre arrays (degrees), optionally weighted: the path for internal code.

        Parameters
        ----------
        lon, lat
            (N,) epicentres in degrees.
        weights
            (N,) non-negative weights (e.g. background probabilities); None: all 1.
        times
            (N,) event times: select the bandwidth on the later ``holdout_fraction`` of
            the events (None: leave-one-out).
        """
        self._check_settings()
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        if lon.size < 2:
            raise InputError(f"smoothed seismicity: need at least 2 events, got {lon.size}")
        w = np.ones(lon.size) if weights is None else np.asarray(weights, np.float64)
        if w.shape != lon.shape or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError("smoothed seismicity: weights must be finite, >= 0, not all 0, "
                             "one per event")
        proj = self.projection or LocalProjection.centred_on(lon, lat)
        x, y = proj.to_km(lon, lat)
        self.projection_ = proj
        score = self._scorer(x, y, w, self._split(times, lon.size))
        if self.bandwidth_km is None:
            grid = [self.neighbors] if self.neighbors is not None else list(self.neighbor_grid)
            grid = [k for k in grid if k < lon.size] or [1]
            scores = [score(k) for k in grid]
            best = grid[int(np.argmax(scores))]
            self.neighbors_ = int(best)
            self.selection_ = {"neighbors": grid, "mean_log_density": scores}
            h = self._adaptive(x, y, best)
        else:
            h0 = self._fit_fixed(score) if self.bandwidth_km == "fit" else float(
                self.bandwidth_km)
            self.bandwidth_km_ = h0
            h = np.full(x.size, h0)
        self.x_, self.y_, self.weights_ = x, y, w / w.sum()
        self.bandwidths_ = h
        return self

    def _check_settings(self) -> None:
        if self.kernel not in ("power", "gaussian"):
            raise ParameterError(f"smoothed seismicity: kernel must be 'power' or 'gaussian', "
                                 f"got {self.kernel!r}")
        if not self.min_bandwidth_km > 0 or not self.max_distance_km > 0:
            raise ParameterError("smoothed seismicity: min_bandwidth_km and max_distance_km "
                                 "must be > 0")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ParameterError(f"smoothed seismicity: holdout_fraction must be in (0, 1), "
                                 f"got {self.holdout_fraction}")
        bw = self.bandwidth_km
        if bw is not None and bw != "fit" and not (isinstance(bw, float | int) and bw > 0):
            raise ParameterError(f"smoothed seismicity: bandwidth_km must be > 0, None or "
                                 f"'fit', got {bw!r}")

    def _split(self, times: np.ndarray | None, n: int) -> int | None:
        """Index of the first held-out event (events sorted by time), or None (LOO)."""
        if times is None:
            return None
        t = np.asarray(times, np.float64)
        if t.shape != (n,) or np.any(np.diff(t) < 0):
            raise InputError("smoothed seismicity: times must be sorted, one per event")
        cut = int(round(n * (1.0 - self.holdout_fraction)))
        return cut if 2 <= cut < n else None

    def _adaptive(self, x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
        """Distance to the k-th nearest other event, floored at ``min_bandwidth_km``."""
        k = min(k, x.size - 1)
        from scipy.spatial import cKDTree  # lazy: 0.15 s of every forecast start-up

        dist, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=[k + 1])
        return np.maximum(dist[:, 0], self.min_bandwidth_km)

    def _scorer(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, split: int | None):
        """Mean held-out log density as a function of ``k`` (adaptive) or ``h`` (fixed)."""
        adaptive = self.bandwidth_km is None
        if split is None:  # leave-one-out on a strided subset
            idx = np.arange(0, x.size, max(1, x.size // _MAX_SCORED))
            tx, ty, tw, qx, qy, qw = x, y, w, x[idx], y[idx], w[idx]
            skip = idx
        else:
            held = np.arange(split, x.size)
            held = held[:: max(1, held.size // _MAX_SCORED)]
            tx, ty, tw = x[:split], y[:split], w[:split]
            qx, qy, qw = x[held], y[held], w[held]
            skip = np.full(held.size, -1)

        def score(param: float) -> float:
            h = self._adaptive(tx, ty, int(param)) if adaptive else np.full(tx.size, param)
            ld = self._evaluate(qx, qy, tx, ty, tw, h, skip)
            return float(np.sum(qw * ld) / max(qw.sum(), 1e-300))

        return score

    def _fit_fixed(self, score) -> float:
        """Fixed bandwidth maximising the held-out score (bounded search in log h)."""
        from scipy import optimize

        res = optimize.minimize_scalar(lambda lh: -score(math.exp(lh)), bounds=(
            math.log(0.01), math.log(500.0)), method="bounded", options={"xatol": 1e-4})
        return float(math.exp(res.x))

    def _evaluate(self, qx: np.ndarray, qy: np.ndarray, ex: np.ndarray, ey: np.ndarray,
                  w: np.ndarray, h: np.ndarray, skip: np.ndarray) -> np.ndarray:
        """Log density at queries of the kernel mixture (renormalised without ``skip``)."""
        D = np.square(h)
        gaussian = self.kernel == "gaussian"
        if gaussian:
            lognorm = -np.log(2.0 * math.pi * D)
        else:
            lognorm = powerlaw_log_density(np.zeros_like(D), D, 0.5, self.max_distance_km) + (
                1.5 * np.log(D))
        wn = w / w.sum()
        out = _log_mixture(qx, qy, ex, ey, wn, lognorm, D, 0.5, self.max_distance_km**2,
                           gaussian, np.asarray(skip, np.int64))
        left = 1.0 - np.where(skip >= 0, wn[np.maximum(skip, 0)], 0.0)
        return out - np.log(np.maximum(left, 1e-300))

    # -- use -----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "bandwidths_"):
            raise NotFittedError("SmoothedSeismicity is not fitted; call fit() first")

    def log_density_km(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Log density (per km2) at projected points ``x``, ``y`` (km)."""
        self._check_fitted()
        x, y = np.atleast_1d(np.asarray(x, np.float64)), np.atleast_1d(np.asarray(y, np.float64))
        return self._evaluate(x.ravel(), y.ravel(), self.x_, self.y_, self.weights_,
                              self.bandwidths_, np.full(x.size, -1)).reshape(x.shape)

    def log_density(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Log density (per km2 of the local projection) at ``lon``, ``lat`` (degrees)."""
        self._check_fitted()
        return self.log_density_km(*self.projection_.to_km(lon, lat))

    def loo_log_density(self) -> np.ndarray:
        """(N,) leave-one-out log density at each fitted event (its own kernel removed)."""
        self._check_fitted()
        return self._evaluate(self.x_, self.y_, self.x_, self.y_, self.weights_,
                              self.bandwidths_, np.arange(self.x_.size))

    def sample_km(self, n: int, rng: RNGLike = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points (km) drawn from the density: a kernel by weight, then a displacement."""
        self._check_fitted()
        gen = as_generator(rng)
        cum = np.cumsum(self.weights_)
        j = np.minimum(np.searchsorted(cum, gen.random(n) * cum[-1], side="right"),
                       cum.size - 1)
        h = self.bandwidths_[j]
        if self.kernel == "gaussian":
            r = h * np.sqrt(-2.0 * np.log1p(-gen.random(n)))
        else:
            r = sample_powerlaw_radius(np.square(h), 0.5, gen, self.max_distance_km)
        return displace(self.x_[j], self.y_[j], r, gen)

    def sample(self, n: int, rng: RNGLike = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` epicentres ``(lon, lat)`` in degrees drawn from the density."""
        x, y = self.sample_km(n, rng)
        return self.projection_.to_lonlat(x, y)


def as_located_sequence(data: EventSequence | Catalog, what: str, fit_end: Any = None
                        ) -> EventSequence:
    """A sequence with location features from a sequence or a located catalog.

    A :class:`Catalog` gives its events above Mc: before ``fit_end`` when given, else its
    ``train`` split when it has split dates, else all of it
    (:func:`~geohazard.forecast.base.history_of`).
    """
    return history_of(data, fit_end, features=LOCATION_FEATURES, what=what)


def locations_of(sequence: EventSequence, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``(longitude, latitude)`` features of a sequence; InputError naming a missing one."""
    for name in LOCATION_FEATURES:
        if name not in sequence.features:
            raise InputError(f"{what}: the sequence has no '{name}' feature; build it with "
                             "Catalog.to_sequence(..., features=('longitude', 'latitude'))")
    lon = np.asarray(sequence.features["longitude"], np.float64)
    lat = np.asarray(sequence.features["latitude"], np.float64)
    if lon.shape != sequence.times.shape or lat.shape != sequence.times.shape:
        raise InputError(f"{what}: longitude/latitude features must have one value per event")
    return lon, lat


def __getattr__(name: str) -> Any:
    """:class:`SpatialPoisson` moved to :mod:`geohazard.forecast.spatial_poisson`."""
    if name == "SpatialPoisson":
        from geohazard.forecast.spatial_poisson import SpatialPoisson

        return SpatialPoisson
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

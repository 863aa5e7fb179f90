"""Space-time ETAS: the temporal :class:`ETAS` plus an isotropic spatial triggering kernel.

Interface contract (shared with :class:`geohazard.forecast.smoothed.SpatialPoisson`)::

    from geohazard.forecast.etas.spatial import SpatialETAS

    model = SpatialETAS(**etas_kwargs).fit(history)  # history carries longitude/latitude
    sims = model.sample(history, duration_days, n_samples, rng=None)  # -> Continuations
    sims.features["longitude"], sims.features["latitude"]                # degrees
    model.log_likelihood(sequence)   # delegates to the temporal ETAS (time-only score)
    model.intensity(history, t)      # likewise (events/day)
    model.spatial_log_density(sequence)  # (n_scored,) log density per km2 of scored events
    model.summary()                  # temporal and spatial parameters with standard errors

Model (Ogata 1998; Zhuang, Ogata & Vere-Jones 2002), distances in km of an azimuthal
equidistant projection centred on the catalog::

    lambda(t, x) = mu u(x) + sum_{t_j < t} k 10**(alpha (m_j - Mc)) g(t - t_j) f(x - x_j | m_j)
    f(r | m) = s D**s / pi * (r**2 + D)**(-(s + 1)),  D = d 10**(gamma (m - Mc)),  s = q - 1

``f`` is a planar density (per km2), truncated at ``max_distance_km`` and renormalised.
Integrating over the plane gives back the temporal ETAS, so the temporal parameters are
fitted by the temporal likelihood alone (unchanged) and held fixed here.

Spatial fit. Candidate parents of event ``i`` are its last ``lookback_events`` events
within ``lookback_days`` (O(N K)); triggering from older events (the exact temporal
intensity minus the look-back sum) is spread like the background. ``method="marginal"``
(default) maximises the space-time log-likelihood ``sum_i log lambda(t_i, x_i)`` in
``(d, q, gamma)``. Its gradient is ``sum_ij rho_ij d log f(r_ij | m_j)``, with ``rho_ij``
the space-time triggering probabilities, so this is the fixed point of the EM iteration on
the weighted objective ``sum rho_ij log f`` (Zhuang et al. 2002), and its observed
information gives honest standard errors. ``method="temporal_weights"`` maximises
``sum_ij rho_ij log f(r_ij | m_j)`` with ``rho_ij`` the stochastic-declustering
probabilities of the temporal ETAS alone (one step; its SEs ignore the uncertainty of
``rho``). The background density ``u`` is the smoothed density
(:class:`~geohazard.forecast.smoothed.SmoothedSeismicity`) of the events weighted by their
background probabilities ``rho_i0`` (temporal first, then space-time, ``n_outer`` rounds),
left-one-out at each event during the fit.

Simulation: the temporal continuation with parent indices
(:func:`~geohazard.forecast.etas.simulate.simulate_continuations` with
``return_parents=True``; the same draws as :meth:`ETAS.sample`, so times and magnitudes
equal the temporal model's for a given seed), then locations: background events from
``u``, each aftershock at its parent's location plus a displacement drawn exactly from
``f(r | m_parent)`` (inverse CDF) in a uniform direction. Events may be simulated outside
the catalog's region (kernel tails); evaluators clip to their region.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Literal

import numba as nb
import numpy as np
from scipy import optimize

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.catalog.geo import LocalProjection
from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.etas.fitting import symmetric_jacobian
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.offspring import (  # re-exported: their home before the split
    kernel_radial_cdf,
    locate_offspring,
    simulate_spatial_catalog,
)
from geohazard.forecast.etas.params import LN10
from geohazard.forecast.etas.simulate import Ancestry, simulate_continuations
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.smoothed import SmoothedSeismicity, as_located_sequence, locations_of
from geohazard.rng import RNGLike, as_generator

__all__ = ["SPATIAL_NAMES", "SpatialETAS", "kernel_radial_cdf", "locate_offspring",
           "simulate_spatial_catalog"]

log = logging.getLogger(__name__)

SPATIAL_NAMES = ("d", "q", "gamma")
#: Optimiser box in ``x = (log d, log(q - 1), gamma)``; d in km2.
_X_BOUNDS = [(math.log(1e-5), math.log(1e4)), (math.log(0.02), math.log(20.0)), (0.0, 3.0)]
_X0 = np.array([0.0, math.log(0.5), 0.5])  # d = 1 km2, q = 1.5, gamma = 0.5


# ----------------------------------------------------------------------------- kernels
def _per_parent(mexc: np.ndarray, logd: float, s: float, gamma: float, r2max: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-event ``log D``, ``log`` normaliser and the truncation's derivative terms."""
    lD = logd + gamma * LN10 * mexc
    D = np.exp(lD)
    if math.isfinite(r2max):
        L = np.log1p(r2max / D)
        A = np.exp(-s * L)  # mass beyond the truncation radius
        F = -np.expm1(-s * L)
        logF = np.log(F)
        dF_dlD = -A * s * (r2max / (D + r2max)) / F  # d log F / d log D
        dF_dls = A * s * L / F  # d log F / d log s
    else:
        logF = dF_dlD = dF_dls = np.zeros_like(D)
    lognorm = math.log(s) + s * lD - math.log(math.pi) - logF
    return lD, lognorm, dF_dlD, dF_dls


@nb.njit(cache=True, inline="always")
def _pair(r2, dt, mj, lDj, Dj, lognormj, dFDj, dFsj, s, logk, alpha, c, p, taper):
    """Log triggering weight, ``log f`` and ``d log f / d (log D, log s)`` of one pair."""
    lw = logk + alpha * LN10 * mj - p * math.log(dt + c) - taper * dt
    z = math.log(r2 + Dj)
    lf = lognormj - (s + 1.0) * z
    dD = s - (s + 1.0) * Dj / (r2 + Dj) - dFDj
    ds = 1.0 + s * (lDj - z) - dFsj
    return lw, lf, dD, ds


@nb.njit(cache=True, inline="always")
def _target_sums(i, bn, weighted, ll, t, x, y, mexc, lo, lD, D, lognorm, dF_dlD, dF_dls, s,
                 r2max, logk, alpha, c, p, taper):
    """Sums over the look-back parents of target ``i`` with background ``bn``.

    Returns ``ll`` (plus ``sum_j (w_j / bn) log f_j`` when ``weighted``), ``lam`` and the
    three gradient sums: ``lam = bn + sum_j w_j f_j`` and ``sum_j w_j f_j d log f_j``
    (marginal), or ``lam = sum_j w_j`` and ``sum_j (w_j / bn) d log f_j`` (weighted).
    """
    lam, g0, g1, g2 = 0.0 if weighted else bn, 0.0, 0.0, 0.0
    for j in range(lo[i], i):
        dt = t[i] - t[j]
        if dt <= 0.0:
            continue
        r2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
        if r2 > r2max:
            continue
        lw, lf, dD, ds = _pair(r2, dt, mexc[j], lD[j], D[j], lognorm[j], dF_dlD[j],
                               dF_dls[j], s, logk, alpha, c, p, taper)
        if weighted:
            rho = math.exp(lw) / bn
            lam += rho * bn
            ll += rho * lf
        else:
            rho = math.exp(lw + lf)
            lam += rho
        g0 += rho * dD
        g1 += rho * ds
        g2 += rho * dD * LN10 * mexc[j]
    return ll, lam, g0, g1, g2


@nb.njit(cache=True)
def _spatial_terms(t, x, y, mexc, lo, targets, bg, theta, taper, lD, lognorm, dF_dlD, dF_dls,
                   s, r2max, weighted, lam_out):
    """Spatial objective and gradient in ``(log d, log s, gamma)`` over target events.

    ``weighted`` False: ``sum_i log(bg_i + sum_j w_ij f_ij)`` (``lam_out`` gets the
    space-time intensities). True: ``sum_ij (w_ij / bg_i) log f_ij`` with ``bg_i`` the
    temporal intensity (``lam_out`` gets the temporal look-back sums).
    """
    logk, alpha, c, p = math.log(theta[1]), theta[2], theta[3], theta[4]
    D = np.exp(lD)
    ll = 0.0
    grad = np.zeros(3)
    for n in range(targets.size):
        ll, lam, g0, g1, g2 = _target_sums(targets[n], bg[n], weighted, ll, t, x, y, mexc, lo,
                                           lD, D, lognorm, dF_dlD, dF_dls, s, r2max, logk,
                                           alpha, c, p, taper)
        lam_out[n] = lam
        if weighted:
            grad[0] += g0
            grad[1] += g1
            grad[2] += g2
        elif lam > 0.0:
            ll += math.log(lam)
            grad[0] += g0 / lam
            grad[1] += g1 / lam
            grad[2] += g2 / lam
        else:
            ll += -np.inf
    return ll, grad


@nb.njit(cache=True)
def _lookback_sum(t, mexc, lo, targets, theta, taper):
    """Temporal triggering from the look-back parents of each target (events/day)."""
    k, alpha, c, p = theta[1], theta[2], theta[3], theta[4]
    out = np.zeros(targets.size)
    for n in range(targets.size):
        i = targets[n]
        acc = 0.0
        for j in range(lo[i], i):
            dt = t[i] - t[j]
            if dt > 0.0:
                acc += math.exp(alpha * LN10 * mexc[j] - p * math.log(dt + c) - taper * dt)
        out[n] = k * acc
    return out


class _Problem:
    """Arrays of one spatial fit (or evaluation) and its objective in ``x``."""

    def __init__(self, t: np.ndarray, x: np.ndarray, y: np.ndarray, mexc: np.ndarray,
                 lo: np.ndarray, targets: np.ndarray, theta: np.ndarray, taper: float,
                 r2max: float, weighted: bool) -> None:
        self.t, self.x, self.y, self.mexc, self.lo = t, x, y, mexc, lo
        self.targets, self.theta, self.taper, self.r2max = targets, theta, taper, r2max
        self.weighted = weighted
        self.bg = np.zeros(targets.size)
        self.lam = np.zeros(targets.size)

    def subset(self, targets: np.ndarray, weighted: bool) -> _Problem:
        """The same events with other targets (and objective)."""
        return _Problem(self.t, self.x, self.y, self.mexc, self.lo, targets, self.theta,
                        self.taper, self.r2max, weighted)

    def evaluate(self, xv: np.ndarray) -> tuple[float, np.ndarray]:
        """Total objective and gradient at ``x = (log d, log s, gamma)``."""
        s = math.exp(xv[1])
        terms = _per_parent(self.mexc, float(xv[0]), s, float(xv[2]), self.r2max)
        ll, grad = _spatial_terms(self.t, self.x, self.y, self.mexc, self.lo, self.targets,
                                  self.bg, self.theta, self.taper, *terms, s, self.r2max,
                                  self.weighted, self.lam)
        return float(ll), grad

    def __call__(self, xv: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative objective per target event and its gradient (for L-BFGS-B)."""
        ll, grad = self.evaluate(xv)
        n = max(self.targets.size, 1)
        if not math.isfinite(ll):
            return math.inf, np.zeros(3)
        return -ll / n, -grad / n

    def hessian(self, xv: np.ndarray) -> np.ndarray:
        """(3, 3) Hessian of the negative total objective by central differences."""
        return -symmetric_jacobian(lambda v: self.evaluate(v)[1], xv)


# ----------------------------------------------------------------------------- model
class SpatialETAS(Estimator):
    """Temporal ETAS with an isotropic power-law spatial triggering kernel.

    Parameters
    ----------
    temporal
        An already fitted :class:`ETAS` to reuse (None: fit one with ``etas_kwargs``).
    method
        ``"marginal"`` (space-time likelihood, default) or ``"temporal_weights"``.
    lookback_events, lookback_days
        Candidate parents of an event: at most this many preceding events within this
        many days.
    max_distance_km
        Truncation radius of the spatial kernel (and of the background kernels).
    neighbors, min_bandwidth_km
        Background smoothing: k-th neighbour (None: selected by leave-one-out
        likelihood) and minimum bandwidth.
    n_outer
        Rounds of (spatial fit, background-probability update).
    max_iter, tol
        L-BFGS-B iteration cap and relative function tolerance.
    **etas_kwargs
        Settings of the temporal :class:`ETAS` (``taper_days``, ``param_draws`` ...).
    """

    _kwargs_attribute = "etas_kwargs"

    def __init__(
        self,
        *,
        temporal: ETAS | None = None,
        method: Literal["marginal", "temporal_weights"] = "marginal",
        lookback_events: int = 1000,
        lookback_days: float = 1000.0,
        max_distance_km: float = 1000.0,
        neighbors: int | None = None,
        min_bandwidth_km: float = 0.5,
        n_outer: int = 2,
        max_iter: int = 200,
        tol: float = 1e-10,
        **etas_kwargs: Any,
    ) -> None:
        self.temporal = temporal
        self.method = method
        self.lookback_events = lookback_events
        self.lookback_days = lookback_days
        self.max_distance_km = max_distance_km
        self.neighbors = neighbors
        self.min_bandwidth_km = min_bandwidth_km
        self.n_outer = n_outer
        self.max_iter = max_iter
        self.tol = tol
        self.etas_kwargs = etas_kwargs

    # -- fitting -------------------------------------------------------------------------
    def fit(self, history: EventSequence | Catalog, fit_end: Any = None) -> SpatialETAS:
        """Fit the temporal model (unless given) then the spatial kernel and background.

        Parameters
        ----------
        history
            Sequence with ``longitude`` and ``latitude`` features; events in
            ``(t_nll_start, t_end]`` are fitted given all earlier ones. A located
            :class:`Catalog` gives its events above Mc (its train split when it has one).
        fit_end
            With a Catalog: fit on its events before this UTC time.

        Returns
        -------
        SpatialETAS
            ``self`` with ``temporal_``, ``spatial_params_`` (d km2, q, gamma),
            ``spatial_se_``, ``background_``, ``background_share_``, ``projection_``.
        """
        self._check_settings()
        history = as_located_sequence(history, "SpatialETAS.fit", fit_end)
        lon, lat = locations_of(history, "SpatialETAS.fit")
        started = time.perf_counter()
        self.temporal_ = self._temporal(history)
        self.projection_ = LocalProjection.centred_on(lon, lat)
        x, y = self.projection_.to_km(lon, lat)
        every, lam_t, far = self._problem(history, x, y, np.arange(len(history)))
        scored = np.flatnonzero(history.scored)
        if scored.size < 10:
            raise InputError(f"SpatialETAS fit: need at least 10 scored events, got "
                             f"{scored.size}")
        prob = every.subset(scored, self.method == "temporal_weights")
        xv, res, rho0, rounds = self._alternate(every, prob, (lon, lat), lam_t, far)
        self._store(prob, xv, res, rho0, lam_t[scored], rounds, time.perf_counter() - started)
        return self

    def _temporal(self, history: EventSequence) -> ETAS:
        """The given fitted temporal ETAS, or one fitted on ``history``."""
        temporal = self.temporal if self.temporal is not None else ETAS(
            **self.etas_kwargs).fit(history)
        if not hasattr(temporal, "params_"):
            raise NotFittedError("SpatialETAS: the given temporal ETAS is not fitted")
        return temporal

    def _alternate(self, every: _Problem, prob: _Problem, lonlat: tuple[np.ndarray, np.ndarray],
                   lam_t: np.ndarray, far: np.ndarray
                   ) -> tuple[np.ndarray, Any, np.ndarray, list[dict[str, Any]]]:
        """``n_outer`` rounds of background density, spatial fit, background probabilities.

        Returns the spatial parameters ``x``, the last optimiser result, the (N,) background
        probabilities and one summary per round.
        """
        mu, scored = self.temporal_.params_.mu, prob.targets
        rho0 = mu / lam_t  # (N,) temporal background probabilities
        xv, rounds = _X0.copy(), []
        for it in range(max(self.n_outer, 1)):
            self.background_ = self._background(*lonlat, rho0)
            u = np.exp(self.background_.loo_log_density())  # (N,) left-one-out
            prob.bg = lam_t[scored] if prob.weighted else ((mu + far) * u)[scored]
            res = optimize.minimize(prob, xv, jac=True, method="L-BFGS-B", bounds=_X_BOUNDS,
                                    options={"maxiter": self.max_iter, "ftol": self.tol,
                                             "gtol": 1e-8})
            xv = res.x
            rounds.append({"d": math.exp(xv[0]), "q": 1.0 + math.exp(xv[1]),
                           "gamma": float(xv[2]), "objective": -float(res.fun),
                           "background_share": float(np.mean(rho0[scored]))})
            log.info("SpatialETAS round %d: d=%.4g km2 q=%.4g gamma=%.4g (%d iterations)",
                     it + 1, rounds[-1]["d"], rounds[-1]["q"], rounds[-1]["gamma"], res.nit)
            if it < self.n_outer - 1:  # space-time background probabilities
                every.bg = (mu + far) * u
                every.evaluate(xv)
                rho0 = mu * u / every.lam
        return xv, res, rho0, rounds

    def _check_settings(self) -> None:
        if self.method not in ("marginal", "temporal_weights"):
            raise ParameterError(f"SpatialETAS: method must be 'marginal' or "
                                 f"'temporal_weights', got {self.method!r}")
        if self.lookback_events < 1 or not self.lookback_days > 0:
            raise ParameterError("SpatialETAS: lookback_events >= 1 and lookback_days > 0 "
                                 "are required")
        if not self.max_distance_km > 0:
            raise ParameterError("SpatialETAS: max_distance_km must be > 0")

    def _problem(self, seq: EventSequence, x: np.ndarray, y: np.ndarray, targets: np.ndarray
                 ) -> tuple[_Problem, np.ndarray, np.ndarray]:
        """Look-back windows, temporal intensity and far-parent residual at ``targets``."""
        t = seq.times
        lo = np.maximum(np.arange(t.size) - self.lookback_events,
                        np.searchsorted(t, t - self.lookback_days, side="left")).astype(np.int64)
        params = self.temporal_.params_
        mexc = seq.magnitudes - self.temporal_.mc_
        theta = params.to_array()
        lam_t = self.temporal_.intensity(seq, t[targets])  # exact, strictly earlier events
        near = _lookback_sum(t, mexc, lo, targets, theta, params.taper_rate)
        far = np.maximum(lam_t - params.mu - near, 0.0)
        prob = _Problem(t, x, y, mexc, lo, targets.astype(np.int64), theta, params.taper_rate,
                        self.max_distance_km**2, False)
        return prob, lam_t, far

    def _background(self, lon: np.ndarray, lat: np.ndarray, weights: np.ndarray
                    ) -> SmoothedSeismicity:
        k = getattr(getattr(self, "background_", None), "neighbors_", self.neighbors)
        return SmoothedSeismicity(neighbors=k, min_bandwidth_km=self.min_bandwidth_km,
                                  max_distance_km=self.max_distance_km,
                                  projection=self.projection_)._fit_points(lon, lat, weights)

    def _store(self, prob: _Problem, xv: np.ndarray, res: Any, rho0: np.ndarray,
               lam_t: np.ndarray, rounds: list[dict[str, Any]], seconds: float) -> None:
        s = math.exp(xv[1])
        self.spatial_params_ = {"d": math.exp(xv[0]), "q": 1.0 + s, "gamma": float(xv[2])}
        at_bound = [min(v - lo, hi - v) < 1e-6 for v, (lo, hi) in zip(xv, _X_BOUNDS,
                                                                      strict=True)]
        H = prob.hessian(xv)
        free = np.flatnonzero(~np.array(at_bound))
        cov = np.full((3, 3), np.nan)
        try:
            cov[np.ix_(free, free)] = np.linalg.inv(H[np.ix_(free, free)])
        except np.linalg.LinAlgError:
            log.warning("SpatialETAS: singular Hessian; standard errors unavailable")
        jac = np.array([math.exp(xv[0]), s, 1.0])  # d natural / d x
        with np.errstate(invalid="ignore"):
            se = jac * np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
        self.spatial_se_ = dict(zip(SPATIAL_NAMES, map(float, se), strict=True))
        self.spatial_cov_x_ = cov
        self.spatial_loglik_ = -float(res.fun) * prob.targets.size
        self.background_weights_ = rho0
        self.background_share_ = float(np.mean(rho0[prob.targets]))
        self.background_share_temporal_ = float(np.mean(self.temporal_.params_.mu / lam_t))
        self.fit_report_ = {"converged": bool(res.success), "message": str(res.message),
                            "n_iter": int(res.nit), "at_bounds": [
                                n for n, b in zip(SPATIAL_NAMES, at_bound, strict=True) if b],
                            "rounds": rounds, "fit_seconds": seconds, "method": self.method,
                            "n_targets": int(prob.targets.size)}
        if not res.success:
            log.warning("SpatialETAS spatial fit did not converge: %s", res.message)

    # -- protocol ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "spatial_params_"):
            raise NotFittedError("SpatialETAS is not fitted; call fit() first")

    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """Time-only (optionally magnitude) score of the temporal ETAS (the paper's)."""
        self._check_fitted()
        return self.temporal_.log_likelihood(sequence, include_magnitude=include_magnitude)

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Temporal conditional intensity (events/day) of the temporal ETAS."""
        self._check_fitted()
        return self.temporal_.intensity(history, t)

    def spatial_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density (per km2) of each scored epicentre given its past.

        ``lambda(t_i, x_i) / lambda(t_i)``: the location density of event ``i`` given its
        time and all earlier events. For events outside the fitted history (the background
        density is not left-one-out here).
        """
        self._check_fitted()
        lon, lat = locations_of(sequence, "SpatialETAS.spatial_log_density")
        x, y = self.projection_.to_km(lon, lat)
        targets = np.flatnonzero(sequence.scored)
        prob, lam_t, far = self._problem(sequence, x, y, targets)
        prob.weighted = False
        u = np.exp(self.background_.log_density_km(x[targets], y[targets]))
        prob.bg = (self.temporal_.params_.mu + far) * u
        sp = self.spatial_params_
        prob.evaluate(np.array([math.log(sp["d"]), math.log(sp["q"] - 1.0), sp["gamma"]]))
        return np.log(prob.lam) - np.log(lam_t)

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None) -> Continuations:
        """Continuations after ``history.t_end`` with simulated epicentres (degrees).

        Times and magnitudes are those :meth:`ETAS.sample` of the temporal model draws
        for the same seed; locations are drawn afterwards.
        """
        self._check_fitted()
        lon_h, lat_h = locations_of(history, "SpatialETAS.sample")
        temporal = self.temporal_
        gen = as_generator(rng)
        draws = temporal.parameter_draws(gen) if temporal.param_draws > 0 else [
            temporal.params_]
        sizes = np.diff(np.linspace(0, n_samples, len(draws) + 1).round().astype(int))
        parts = [simulate_continuations(theta, temporal.mag_law_, history, history.t_end,
                                        duration_days, int(size), gen,
                                        allow_explosive=temporal.allow_explosive,
                                        return_parents=True)
                 for theta, size in zip(draws, sizes, strict=True) if size > 0]
        hx, hy = self.projection_.to_km(lon_h, lat_h)
        located = [self._locate(sims, anc, hx, hy, history.magnitudes, gen)
                   for sims, anc in parts]
        merged = [sims.with_features({"longitude": lon, "latitude": lat})
                  for (sims, _), (lon, lat) in zip(parts, located, strict=True)]
        if len(merged) == 1:
            return merged[0]
        lists = [(p.sample(i), p.sample_features(i)) for p in merged for i in range(p.n_samples)]
        return Continuations.from_lists(
            [tm[0] for tm, _ in lists], [tm[1] for tm, _ in lists], history.t_end,
            history.t_end + duration_days,
            features={k: [f[k] for _, f in lists] for k in ("longitude", "latitude")})

    def _locate(self, sims: Continuations, anc: Ancestry, hx: np.ndarray, hy: np.ndarray,
                hmag: np.ndarray, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Epicentres (degrees) of simulated events."""
        sp = self.spatial_params_
        x, y = locate_offspring(anc, sims.magnitudes, sp["d"], sp["q"], sp["gamma"],
                                self.temporal_.mc_, self.background_.sample_km, gen,
                                history=(hx, hy, hmag), max_distance_km=self.max_distance_km)
        return self.projection_.to_lonlat(x, y)

    def summary(self) -> dict[str, Any]:
        """Temporal and spatial parameters with standard errors, background share (JSON)."""
        self._check_fitted()
        out = self.temporal_.summary()
        out["spatial"] = {
            "params": dict(self.spatial_params_), "se": dict(self.spatial_se_),
            "units": {"d": "km2", "q": "", "gamma": "per magnitude unit"},
            "background_share": self.background_share_,
            "background_share_temporal": self.background_share_temporal_,
            "background_neighbors": int(self.background_.neighbors_),
            "projection": self.projection_.to_dict(),
            "lookback_events": self.lookback_events, "lookback_days": self.lookback_days,
            "max_distance_km": self.max_distance_km, "loglik": self.spatial_loglik_,
            "report": self.fit_report_,
        }
        return out

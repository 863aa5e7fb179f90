"""The :class:`ETAS` estimator: maximum likelihood, standard errors, scoring and simulation.

Follows the scikit-learn contract: ``__init__`` stores settings, :meth:`ETAS.fit` returns
``self``, learned values end in ``_``, using an unfitted model raises
:class:`~geohazard.exceptions.NotFittedError`. It implements the
:class:`~geohazard.forecast.base.PointProcessModel` protocol shared with RECAST.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from geohazard.catalog.checks import check, fmt_number
from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.etas import kernels
from geohazard.forecast.etas.fitting import Objective, Transform, standard_errors, time_loglik
from geohazard.forecast.etas.params import (
    BOUNDS,
    PARAM_NAMES,
    ETASParams,
    MagnitudeLaw,
    b_value_mle,
    omori_cdf_integral,
)
from geohazard.forecast.etas.simulate import simulate_continuations
from geohazard.forecast.protocols import Estimator, history_of
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)

_LO = np.array([BOUNDS[n][0] for n in PARAM_NAMES])
_HI = np.array([BOUNDS[n][1] for n in PARAM_NAMES])
_STARTS = ((1.0, 0.01, 1.1), (0.5, 0.001, 1.02), (1.5, 0.05, 1.3))  # (alpha, c, p)


@dataclass(frozen=True)
class FitReport:
    """Convergence report of :meth:`ETAS.fit`."""

    converged: bool
    message: str
    n_iter: int
    n_eval: int
    nll_per_event: float
    grad_norm: float
    fit_seconds: float
    constrained: bool
    at_bounds: tuple[str, ...]
    starts: list[dict[str, Any]] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return asdict(self)


class ETAS(Estimator):
    """Temporal ETAS model fitted by maximum likelihood.

    Parameters
    ----------
    constrained
        Fit the subcritical variant: ``p >= p_min`` (finite Omori integral) and branching
        ratio ``n <= n_max`` (parameterised by ``n`` instead of ``k``, so both are bounds).
    p_min, n_max
        Bounds of the constrained fit.
    taper_days
        Fixed exponential taper ``tau`` of the Omori kernel (None: no taper). With a taper
        the branching ratio is finite for any ``p``.
    b
        Gutenberg-Richter b-value of the magnitude law (None: Aki-Utsu MLE from the data).
    m_max
        Maximum magnitude of the magnitude law (simulation and branching ratio).
    mag_bin
        Magnitude rounding, for the b-value's binning correction.
    max_iter, tol
        L-BFGS-B iteration cap and relative function tolerance of the final polish.
    n_starts
        Number of starting points (each probed for ``probe_iter`` iterations; the best is
        polished to convergence).
    probe_iter
        Iterations per start before the polish.
    rtol
        Relative error bound of the sum-of-exponentials kernel.
    allow_explosive
        Let :meth:`sample` simulate with a branching ratio ``>= 1``.
    fixed_alpha
        Hold the productivity exponent: a value, or ``"b"`` for the fitted b-value
        (alpha = b, Helmstetter 2003; a remedy for the low, near-critical alpha temporal ETAS
        fits over large regions). None estimates it.
    param_draws
        When > 0, :meth:`sample` propagates parameter uncertainty: it draws this many
        parameter sets from the fit's asymptotic normal law (in log space for mu, k, c),
        keeps subcritical ones, and splits the continuations among them.
    """

    def __init__(
        self,
        *,
        constrained: bool = False,
        p_min: float = 1.01,
        n_max: float = 0.99,
        taper_days: float | None = None,
        b: float | None = None,
        m_max: float | None = 8.0,
        mag_bin: float = 0.0,
        max_iter: int = 500,
        tol: float = 1e-12,
        n_starts: int = 3,
        probe_iter: int = 25,
        rtol: float = 1e-9,
        allow_explosive: bool = False,
        param_draws: int = 0,
        fixed_alpha: float | str | None = None,
    ) -> None:
        self.constrained = constrained
        self.p_min = p_min
        self.n_max = n_max
        self.taper_days = taper_days
        self.b = b
        self.m_max = m_max
        self.mag_bin = mag_bin
        self.max_iter = max_iter
        self.tol = tol
        self.n_starts = n_starts
        self.probe_iter = probe_iter
        self.rtol = rtol
        self.allow_explosive = allow_explosive
        self.param_draws = param_draws
        self.fixed_alpha = fixed_alpha

    # -- construction from known parameters ---------------------------------------------
    @classmethod
    def from_params(
        cls, params: ETASParams, mag_completeness: float, b: float = 1.0,
        m_max: float | None = 8.0, **settings: Any,
    ) -> ETAS:
        """A model with given parameters (no fit): for scoring and simulation."""
        model = cls(b=b, m_max=m_max, **settings)
        model.params_ = params
        model.mc_ = float(mag_completeness)
        model.mag_law_ = MagnitudeLaw(b=b, mc=float(mag_completeness), m_max=m_max)
        model.se_ = np.full(len(PARAM_NAMES), np.nan)  # not estimated
        return model

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data: EventSequence | Catalog, fit_end: Any = None) -> ETAS:
        """Fit by maximum likelihood on the scored interval of ``data``.

        Parameters
        ----------
        data
            An :class:`EventSequence` (scored on ``(t_nll_start, t_end]`` given all earlier
            events), or a :class:`Catalog` (see :func:`~geohazard.forecast.base.history_of`:
            events above Mc, its ``train`` split when it has split dates, else all of it).
        fit_end
            With a Catalog: fit on the events before this UTC time instead.

        Returns
        -------
        ETAS
            ``self``, with ``params_``, ``se_``, ``cov_``, ``branching_ratio_``,
            ``mag_law_``, ``loglik_`` and ``fit_report_``.
        """
        seq = history_of(data, fit_end, what="ETAS.fit")
        self._check_settings()
        started = time.perf_counter()
        mc = self._mc(seq)
        n = seq.n_scored
        if n < 10:
            raise InputError(f"ETAS fit: need at least 10 scored events, got {n} in the "
                             f"scored window {_window_text(seq)} (events above Mc {mc:g})")
        ties = tied_times(seq)
        b = self.b if self.b is not None else b_value_mle(seq.magnitudes[seq.scored], mc,
                                                          self.mag_bin)
        law = MagnitudeLaw(b=b, mc=mc, m_max=self.m_max)
        transform = Transform(law, self.constrained, self.p_min, self.n_max, self.taper_days,
                              self._alpha(b))
        bounds = transform.bounds()
        objective = Objective(seq, mc, self.rtol, transform)
        probes = []
        for x0 in self._starts(seq, mc, transform)[: max(self.n_starts, 1)]:
            res = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                    options={"maxiter": self.probe_iter, "ftol": 1e-9})
            probes.append(res)
        best = min(probes, key=lambda r: r.fun)
        res = optimize.minimize(objective, best.x, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": self.max_iter, "ftol": self.tol,
                                         "gtol": 1e-9, "maxcor": 20})
        self._store(res, objective, law, started, probes, ties)
        return self

    def _check_settings(self) -> None:
        """Validate the settings against their physical ranges (Python names)."""
        check(self.n_starts, "starts", "n_starts")
        check(self.max_iter, "max_iter")
        check(self.param_draws, "param_draws")
        if self.taper_days is not None:
            check(self.taper_days, "taper_days")
        if self.constrained:
            check(self.n_max, "n_max")
            check(self.p_min, "p_min")
            if self.p_min <= 1.0 and self.taper_days is None:
                raise ParameterError(f"p_min must exceed 1 without a taper (the Omori integral "
                                     f"diverges for p <= 1), got {fmt_number(self.p_min)}")
        if self.fixed_alpha is not None and self.fixed_alpha != "b":
            check(self.fixed_alpha, "fixed_alpha")

    def _store(self, res: Any, objective: Objective, law: MagnitudeLaw, started: float,
               probes: list[Any], ties: int = 0) -> None:
        transform = objective.transform
        self.params_ = ETASParams.from_array(transform.theta(res.x), transform.tau)
        self.mc_ = law.mc
        self.mag_law_ = law
        at_bounds = tuple(name for name, xi, (lo, hi) in zip(transform.names, res.x,
                                                              transform.bounds(), strict=True)
                          if min(xi - lo, hi - xi) < 1e-6)
        self.cov_, self.se_ = standard_errors(objective, res.x, at_bounds)
        self.branching_ratio_ = self.params_.branching_ratio(law)
        self.loglik_ = -float(res.fun) * objective.n
        self.fit_report_ = FitReport(
            converged=bool(res.success), message=str(res.message), n_iter=int(res.nit),
            n_eval=objective.calls, nll_per_event=float(res.fun),
            grad_norm=float(np.linalg.norm(res.jac)),
            fit_seconds=time.perf_counter() - started, constrained=self.constrained,
            at_bounds=at_bounds,
            starts=[{"params": transform.theta(r.x).tolist(), "nll_per_event": float(r.fun)}
                    for r in probes],
            warnings=fit_warnings(self.params_, law, tuple(
                b for b in at_bounds if b != "alpha" or transform.alpha is None),
                ties, self.constrained),
        )
        if not res.success:
            log.warning("ETAS fit did not converge: %s", res.message)
        for text in self.fit_report_.warnings:
            log.warning("%s", text)

    def _starts(self, seq: EventSequence, mc: float, transform: Transform) -> list[np.ndarray]:
        """Starting points: background half the mean rate, branching ratio 0.5 over the window."""
        rate = seq.n_scored / max(seq.scored_days, 1e-9)
        span = seq.t_end - seq.t_start
        mexc = seq.magnitudes - mc
        lo, hi = np.array(transform.bounds()).T
        starts = []
        for alpha, c, p in _STARTS:
            p = max(p, lo[4] + 0.01)
            prod = float(np.mean(np.exp(alpha * math.log(10) * mexc))) if mexc.size else 1.0
            k = 0.5 / (prod * float(omori_cdf_integral(np.array([span]), c, p)[0]))
            theta = np.clip(np.array([0.5 * rate, k, alpha, c, p]), _LO, _HI)
            starts.append(np.clip(transform.to_x(theta), lo, hi))
        return starts

    def _alpha(self, b: float) -> float | None:
        """The fixed alpha (``"b"``: the b-value), or None when alpha is estimated."""
        if self.fixed_alpha is None:
            return None
        if self.fixed_alpha == "b":
            return float(b)
        if isinstance(self.fixed_alpha, str):
            raise ParameterError(f"fixed_alpha must be a number or 'b', got {self.fixed_alpha!r}")
        return float(self.fixed_alpha)

    def _mc(self, seq: EventSequence) -> float:
        mc = seq.mag_completeness
        if mc is None:
            mc = getattr(self, "mc_", None)
        if mc is None:
            raise InputError("ETAS: the sequence has no magnitude of completeness (Mc)")
        return float(mc)

    @property
    def report_(self) -> FitReport:
        """Deprecated name of :attr:`fit_report_` (the one name of every model's fit report)."""
        import warnings

        warnings.warn("ETAS.report_ is deprecated; use fit_report_", DeprecationWarning,
                      stacklevel=2)
        return self.fit_report_

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("this ETAS model is not fitted; call fit() or from_params()")

    # -- protocol ------------------------------------------------------------------------
    def log_likelihood(
        self, sequence: EventSequence, *, include_magnitude: bool = False
    ) -> ScoreResult:
        """Score ``sequence`` on ``(t_nll_start, t_end]`` given all earlier events.

        The time term is exact to ``rtol`` per event; with ``include_magnitude`` the
        Gutenberg-Richter log-density of the scored magnitudes is added.
        """
        self._check_fitted()
        mc = self._mc(sequence)
        ll, _, grid = time_loglik(sequence, self.params_, mc, self.rtol, with_grad=False)
        extra: dict[str, Any] = {"time_log_likelihood": ll, "soe_terms": grid.size,
                                 "soe_error_bound": grid.error_bound}
        if include_magnitude:
            mag_ll = float(self.mag_law_.log_density(sequence.magnitudes[sequence.scored]).sum())
            extra["magnitude_log_likelihood"] = mag_ll
            ll += mag_ll
        return ScoreResult(ll, sequence.n_scored, sequence.scored_days, include_magnitude, extra)

    def sample(
        self, history: EventSequence, duration_days: float, n_samples: int,
        rng: RNGLike = None,
    ) -> Continuations:
        """Simulate continuations of ``duration_days`` after ``history.t_end``."""
        self._check_fitted()
        gen = as_generator(rng)
        draws = self.parameter_draws(gen) if self.param_draws > 0 else [self.params_]
        sizes = np.diff(np.linspace(0, n_samples, len(draws) + 1).round().astype(int))
        parts = [simulate_continuations(theta, self.mag_law_, history, history.t_end,
                                        duration_days, int(size), gen,
                                        allow_explosive=self.allow_explosive)
                 for theta, size in zip(draws, sizes, strict=True) if size > 0]
        if len(parts) == 1:
            return parts[0]
        lists = [p.sample(i) for p in parts for i in range(p.n_samples)]
        return Continuations.from_lists([t for t, _ in lists], [m for _, m in lists],
                                        history.t_end, history.t_end + duration_days)

    def parameter_draws(self, rng: RNGLike = None) -> list[ETASParams]:
        """``param_draws`` parameter sets from the fit's asymptotic normal law.

        Positive parameters (mu, k, c) are drawn log-normally (delta method on ``cov_``);
        draws that are explosive (unless allowed) or outside the bounds are redrawn. When
        the covariance is unavailable the point estimate is returned alone.
        """
        self._check_fitted()
        cov = getattr(self, "cov_", None)
        if cov is None or not np.all(np.isfinite(cov)):
            return [self.params_]
        theta = self.params_.to_array()
        logged = np.array([True, True, False, True, False])
        scale = np.where(logged, 1.0 / theta, 1.0)
        z_cov = cov * np.outer(scale, scale)
        z0 = np.where(logged, np.log(theta), theta)
        gen = as_generator(rng)
        out: list[ETASParams] = []
        for _ in range(50):
            z = gen.multivariate_normal(z0, z_cov, size=self.param_draws, method="eigh")
            for row in z:
                values = np.where(logged, np.exp(row), row)
                try:
                    cand = ETASParams.from_array(values, self.params_.tau)
                except ParameterError:
                    continue
                if self.allow_explosive or cand.branching_ratio(self.mag_law_) < 1.0:
                    out.append(cand)
            if len(out) >= self.param_draws:
                return out[: self.param_draws]
        return out or [self.params_]

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Conditional intensity (events/day) at times ``t`` given the events before each."""
        self._check_fitted()
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        order = np.argsort(t, kind="stable")
        span = max(float(t.max() - min(t.min(), history.t_start)), 1e-9) if t.size else 1.0
        grid = kernels.soe_grid(self.params_.c, self.params_.p, span, self.rtol)
        lam = kernels.soe_intensity(history.times, history.magnitudes - self._mc(history),
                                    t[order], self.params_.to_array(), grid.rates,
                                    grid.weights, grid.period, self.params_.taper_rate)
        out = np.empty_like(t)
        out[order] = lam
        return out

    def summary(self) -> dict[str, Any]:
        """Parameters, standard errors, branching ratio and the fit report (JSON-ready)."""
        self._check_fitted()
        se = self.se_
        out: dict[str, Any] = {
            "params": self.params_.to_dict(),
            "se": dict(zip(PARAM_NAMES, map(float, se), strict=True)),
            "mag_completeness": self.mc_, "b_value": self.mag_law_.b,
            "m_max": self.mag_law_.m_max,
            "branching_ratio": self.params_.branching_ratio(self.mag_law_),
        }
        if hasattr(self, "fit_report_"):
            out["report"] = self.fit_report_.to_dict()
        return out


def tied_times(seq: EventSequence) -> int:
    """Number of events that share their time with the previous event."""
    return int(np.count_nonzero(np.diff(seq.times) == 0.0))


def fit_warnings(params: ETASParams, law: MagnitudeLaw, at_bounds: tuple[str, ...],
                 ties: int = 0, constrained: bool = False,
                 what: str = "ETAS fit") -> tuple[str, ...]:
    """Why a fit is suspect: an explosive branching ratio, parameters at bounds, tied times.

    Parameters
    ----------
    params
        The fitted parameters.
    law
        The magnitude law of the fit.
    at_bounds
        Names of the optimiser coordinates that ended on a bound.
    ties
        Events sharing their time with the previous one.
    constrained
        Whether the subcritical parameterisation was used (``n``, ``p`` bounds are constraints).
    what
        How the messages start (``"ETAS fit"``, ``"ETAS parameters"``).

    Returns
    -------
    tuple of str
        One sentence per problem (empty for a clean fit).
    """
    out = []
    n = params.branching_ratio(law)
    if not math.isfinite(n):
        out.append(f"{what}: branching ratio n = inf (p = {params.p:.4g} <= 1 without a "
                   "taper, or alpha >= b): the fitted process is explosive; forecasts from it "
                   "are not meaningful (fit with --constrained or --taper-days)")
    elif n >= 1.0:
        out.append(f"{what}: branching ratio n = {n:.4g} >= 1: the fitted process is "
                   "explosive (supercritical); fit with --constrained or --taper-days")
    if at_bounds:
        kind = "constraint binds" if constrained and set(at_bounds) <= {"n", "p"} else (
            "parameters sit at their search bounds")
        out.append(f"{what}: {kind} ({', '.join(at_bounds)}): the likelihood optimum lies "
                   "beyond them and the estimate is not an interior maximum")
    if ties:
        out.append(f"{what}: {ties} events share their time with the previous event "
                   "(tied times); zero lags push c, k and alpha to their bounds: remove "
                   "duplicates or restore sub-second times")
    return tuple(out)


def _window_text(seq: EventSequence) -> str:
    """The scored window of ``seq`` as UTC dates (or days without an origin)."""
    if seq.origin is None:
        return f"({seq.t_nll_start:g}, {seq.t_end:g}] days"
    lo, hi = (seq.utc_of(t).round("s") for t in (seq.t_nll_start, seq.t_end))
    return f"{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M}"

"""Optimiser coordinates, objective and observed-information standard errors of the ETAS fit.

Two parameterisations (``x`` is what L-BFGS-B sees, ``theta = (mu, k, alpha, c, p)``):

- free: ``x = (log mu, log k, alpha, log c, p)`` with ``p >= 0.2``;
- subcritical: ``x = (log mu, log n, alpha, log c, p)`` with ``p >= p_min > 1`` and
  ``n <= n_max < 1``, where ``n = k E[10**(alpha (m - Mc))] c**(1-p) / (p - 1)`` is the
  branching ratio; ``k`` follows from ``n``. Both constraints are then simple bounds.

Gradients and covariances move between the two with the Jacobian ``J = d theta / d x``:
``grad_x = J^T grad_theta`` and ``cov_theta = J cov_x J^T``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import ParameterError
from geohazard.forecast.etas import kernels
from geohazard.forecast.etas.params import BOUNDS, PARAM_NAMES, ETASParams, MagnitudeLaw

log = logging.getLogger(__name__)

_LO = np.array([BOUNDS[n][0] for n in PARAM_NAMES])
_HI = np.array([BOUNDS[n][1] for n in PARAM_NAMES])
_LOGGED = np.array([True, True, False, True, False])  # mu, k|n, c in log space


def time_loglik(
    seq: EventSequence, params: ETASParams, mc: float, rtol: float = 1e-9,
    with_grad: bool = True,
) -> tuple[float, np.ndarray, kernels.SOEGrid]:
    """Exact O(N K) time log-likelihood of ``seq`` on its scored interval, with gradient.

    Parameters
    ----------
    seq
        The sequence; events in ``(t_nll_start, t_end]`` are scored given all earlier ones.
    params
        ETAS parameters.
    mc
        Magnitude of completeness of the productivity law.
    rtol
        Pointwise relative error bound of the sum-of-exponentials Omori kernel.
    with_grad
        Compute the gradient too (else it is returned as zeros).

    Returns
    -------
    (float, (5,) ndarray, SOEGrid)
        Log-likelihood, its gradient in ``(mu, k, alpha, c, p)`` and the grid used.
    """
    span = max(seq.t_end - seq.t_start, 1e-9)
    if params.tau is not None:  # lags beyond 80 tau are below exp(-80)
        span = min(span, 80.0 * params.tau)
    grid = kernels.soe_grid(params.c, params.p, span, rtol)
    ll, grad = kernels.soe_loglik(
        seq.times, seq.magnitudes - mc, seq.t_nll_start, seq.t_end, params.to_array(),
        grid.rates, grid.weights, grid.log_rates, kernels.digamma(params.p), grid.period,
        with_grad, params.taper_rate)
    return float(ll), grad, grid


class Transform:
    """Map optimiser coordinates ``x`` to ``theta`` (free or subcritical parameterisation).

    Parameters
    ----------
    mag_law
        Magnitude law of the branching ratio (subcritical parameterisation only).
    subcritical
        Use ``(log mu, log n, alpha, log c, p)`` with ``p >= p_min``, ``n <= n_max``.
    p_min, n_max
        Bounds of the subcritical parameterisation (``p_min`` may be below 1 with a taper).
    tau
        Fixed taper (days) of the Omori kernel, or None.
    alpha
        Hold the productivity exponent at this value (None: estimated).
    """

    def __init__(self, mag_law: MagnitudeLaw, subcritical: bool = False, p_min: float = 1.01,
                 n_max: float = 0.99, tau: float | None = None,
                 alpha: float | None = None) -> None:
        if subcritical and not ((p_min > 1.0 or tau is not None) and 0.0 < n_max):
            raise ParameterError(f"constrained ETAS fit needs p_min > 1 (or a taper) and "
                                 f"n_max > 0, got p_min={p_min}, n_max={n_max}")
        self.mag_law, self.subcritical, self.tau = mag_law, subcritical, tau
        self.p_min, self.n_max = p_min, n_max
        if alpha is not None and not _LO[2] <= alpha <= _HI[2]:
            raise ParameterError(f"fixed alpha must lie in [{_LO[2]}, {_HI[2]}], got {alpha}")
        self.alpha = alpha
        self.names = ("mu", "n", "alpha", "c", "p") if subcritical else PARAM_NAMES

    def _log_omega(self, c: float, p: float) -> tuple[float, float, float]:
        """``log int_0^inf`` of the (tapered) Omori kernel and its derivatives in c, p."""
        if self.tau is not None:
            omega, d_c, d_p = kernels.tapered_omega(c, p, self.tau)
            return math.log(omega), d_c, d_p
        return (1 - p) * math.log(c) - math.log(p - 1), (1 - p) / c, -math.log(c) - 1 / (p - 1)

    def _log_k_per_n(self, alpha: float, c: float, p: float) -> float:
        """``log(k / n) = -log(E(alpha) Omega(c, p))``."""
        return -(math.log(self.mag_law.mean_productivity(alpha)) + self._log_omega(c, p)[0])

    def theta(self, x: np.ndarray) -> np.ndarray:
        """(5,) natural parameters, clipped into :data:`BOUNDS`."""
        th = np.where(_LOGGED, np.exp(x), x)
        if self.subcritical:
            th[1] = math.exp(x[1] + self._log_k_per_n(x[2], th[3], x[4]))
        return np.clip(th, _LO, _HI)

    def to_x(self, theta: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`theta`."""
        x = np.where(_LOGGED, np.log(theta), theta)
        if self.subcritical:
            x[1] -= self._log_k_per_n(theta[2], theta[3], theta[4])
        return x

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """(5, 5) ``d theta / d x``."""
        th = self.theta(x)
        J = np.diag(np.where(_LOGGED, th, 1.0))
        if self.subcritical:
            alpha, c, p, k = x[2], th[3], x[4], th[1]
            h = 1e-6
            dlog_e = (math.log(self.mag_law.mean_productivity(alpha + h))
                      - math.log(self.mag_law.mean_productivity(max(alpha - h, 0.0)))) / (
                alpha + h - max(alpha - h, 0.0))
            _, d_c, d_p = self._log_omega(c, p)
            J[1, 2] = -k * dlog_e
            J[1, 3] = -k * c * d_c  # d / d log c
            J[1, 4] = -k * d_p
        return J

    def bounds(self) -> list[tuple[float, float]]:
        """L-BFGS-B box in ``x``."""
        out = [(math.log(lo), math.log(hi)) if logged else (lo, hi)
               for lo, hi, logged in zip(_LO, _HI, _LOGGED, strict=True)]
        if self.subcritical:
            out[1] = (math.log(1e-6), math.log(self.n_max))
            out[4] = (self.p_min, _HI[4])
        if self.alpha is not None:
            out[2] = (self.alpha, self.alpha)  # L-BFGS-B holds a variable with equal bounds
        return out


class Objective:
    """NLL per scored event and its gradient in the optimiser's coordinates."""

    def __init__(self, seq: EventSequence, mc: float, rtol: float, transform: Transform) -> None:
        self.seq, self.mc, self.rtol, self.transform = seq, mc, rtol, transform
        self.n = max(seq.n_scored, 1)
        self.calls = 0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(NLL / n_scored, its gradient in x)``; inf outside the parameter bounds."""
        self.calls += 1
        try:
            params = ETASParams.from_array(self.transform.theta(x), self.transform.tau)
        except ParameterError:
            return math.inf, np.zeros(5)
        ll, grad, _ = time_loglik(self.seq, params, self.mc, self.rtol)
        if not math.isfinite(ll):
            return math.inf, np.zeros(5)
        gx = self.transform.jacobian(x).T @ grad
        return -ll / self.n, -gx / self.n


def symmetric_jacobian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                       rel_step: float = 1e-4) -> np.ndarray:
    """Central-difference Jacobian of a gradient at ``x``, symmetrised: a Hessian, (d, d)."""
    d = x.size
    H = np.zeros((d, d))
    for i in range(d):
        step = rel_step * max(1.0, abs(x[i]))
        hi, lo = x.copy(), x.copy()
        hi[i] += step
        lo[i] -= step
        H[:, i] = (np.asarray(grad(hi)) - np.asarray(grad(lo))) / (2 * step)
    return 0.5 * (H + H.T)


def standard_errors(
    objective: Objective, x: np.ndarray, at_bounds: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance and standard errors of ``theta`` from the observed information.

    The Hessian of the total NLL in ``x`` is taken by central differences of the analytic
    gradient; coordinates at a bound are held fixed (their own se is nan).

    Returns
    -------
    ((5, 5) ndarray, (5,) ndarray)
    """
    names = objective.transform.names
    free = np.array([name not in at_bounds for name in names])
    H = objective.n * symmetric_jacobian(lambda v: objective(v)[1], x)
    cov_x = np.zeros((5, 5))
    idx = np.flatnonzero(free)
    try:
        cov_x[np.ix_(idx, idx)] = np.linalg.inv(H[np.ix_(idx, idx)])
    except np.linalg.LinAlgError:
        log.warning("ETAS fit: singular Hessian; standard errors unavailable")
        cov_x[:] = np.nan
    J = objective.transform.jacobian(x)
    cov = J @ cov_x @ J.T
    diag = np.diag(cov).copy()
    diag[[i for i, n in enumerate(PARAM_NAMES) if n in at_bounds]] = np.nan
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.where(diag >= 0, diag, np.nan))
    return cov, se

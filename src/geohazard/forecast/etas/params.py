"""Frozen, bounded, named ETAS parameters and the Gutenberg-Richter magnitude law.

Temporal ETAS (Ogata 1988) as used by the RECAST paper, time in days::

    lambda(t) = mu + sum_{t_j < t} k * 10**(alpha * (m_j - Mc)) * (t - t_j + c)**(-p)

The branching ratio (mean number of direct aftershocks of one event) is::

    n = k * E[10**(alpha (m - Mc))] * int_0^inf (t + c)**(-p) dt

with the expectation over the magnitude law; the time integral is ``c**(1-p) / (p-1)`` for
``p > 1`` and infinite otherwise, so ``p <= 1`` is always explosive on an infinite horizon.
An optional exponential taper ``exp(-(t - t_j) / tau)`` of the Omori kernel makes the time
integral finite for every ``p``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.exceptions import ParameterError

PARAM_NAMES: tuple[str, ...] = ("mu", "k", "alpha", "c", "p")
LN10 = math.log(10.0)

#: Hard bounds of each parameter (inclusive); the fit searches inside them.
BOUNDS: dict[str, tuple[float, float]] = {
    "mu": (1e-10, 1e5),  # background rate, events/day
    "k": (1e-10, 1e3),  # productivity, events/day**(1-p)
    "alpha": (0.0, 5.0),  # magnitude sensitivity of productivity, per magnitude unit
    "c": (1e-8, 10.0),  # Omori offset, days
    "p": (0.2, 5.0),  # Omori decay exponent
}
TAU_BOUNDS = (1e-3, 1e8)  # taper e-folding time, days


@dataclass(frozen=True)
class ETASParams:
    """Temporal ETAS parameters (time in days).

    Attributes
    ----------
    mu
        Background rate, events/day.
    k
        Productivity of an event at ``Mc``.
    alpha
        Productivity growth per magnitude unit (log10 scale).
    c
        Omori offset, days.
    p
        Omori exponent.
    tau
        Optional exponential taper of the Omori kernel, ``exp(-(t - t_j) / tau)``, in days
        (None: no taper). It is a fixed setting of a fit, not estimated.
    """

    mu: float
    k: float
    alpha: float
    c: float
    p: float
    tau: float | None = None

    def __post_init__(self) -> None:
        if self.tau is not None:
            try:
                tau = float(self.tau)
            except (TypeError, ValueError):
                raise ParameterError(f"ETAS taper 'tau' must be a number of days, got "
                                     f"{self.tau!r}") from None
            if not np.isfinite(tau) or not TAU_BOUNDS[0] <= tau <= TAU_BOUNDS[1]:
                raise ParameterError(f"ETAS taper 'tau' = {tau:g} days is outside "
                                     f"[{TAU_BOUNDS[0]:g}, {TAU_BOUNDS[1]:g}]")
            object.__setattr__(self, "tau", tau)
        for name in PARAM_NAMES:
            value = getattr(self, name)
            try:
                value = float(value)
            except (TypeError, ValueError, OverflowError):
                raise ParameterError(f"ETAS parameter '{name}' must be a number, got "
                                     f"{value!r}") from None
            lo, hi = BOUNDS[name]
            if not np.isfinite(value) or not lo <= value <= hi:
                raise ParameterError(
                    f"ETAS parameter '{name}' = {value:g} is outside its bounds [{lo:g}, {hi:g}]"
                )
            object.__setattr__(self, name, value)

    # -- conversion -------------------------------------------------------------------
    def to_array(self) -> np.ndarray:
        """(5,) float64 array in the order of :data:`PARAM_NAMES`."""
        return np.array([getattr(self, n) for n in PARAM_NAMES], dtype=np.float64)

    @classmethod
    def from_array(cls, values: np.ndarray, tau: float | None = None) -> ETASParams:
        """Build from a (5,) array ordered as :data:`PARAM_NAMES` (and a taper)."""
        arr = np.asarray(values, dtype=np.float64).ravel()
        if arr.size != len(PARAM_NAMES):
            raise ParameterError(f"expected {len(PARAM_NAMES)} ETAS parameters, got {arr.size}")
        return cls(**{n: float(v) for n, v in zip(PARAM_NAMES, arr, strict=True)}, tau=tau)

    def to_dict(self) -> dict[str, float]:
        """Mapping name -> value (``tau`` only when tapered)."""
        out = {n: getattr(self, n) for n in PARAM_NAMES}
        if self.tau is not None:
            out["tau"] = self.tau
        return out

    @property
    def taper_rate(self) -> float:
        """``1 / tau`` (0 without a taper), per day."""
        return 0.0 if self.tau is None else 1.0 / self.tau

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ETASParams:
        """Build from a mapping; accepts a ``{"params": {...}}`` wrapper as written by the CLI."""
        if not isinstance(data, Mapping):
            raise ParameterError(f"ETAS parameters must be a mapping of {list(PARAM_NAMES)}, "
                                 f"got {type(data).__name__}")
        if "params" in data and isinstance(data["params"], Mapping):
            data = data["params"]
        missing = [n for n in PARAM_NAMES if n not in data]
        if missing:
            raise ParameterError(f"ETAS parameters missing {missing}; need {list(PARAM_NAMES)}")
        return cls(**{n: data[n] for n in PARAM_NAMES}, tau=data.get("tau"))

    def replace(self, **changes: Any) -> ETASParams:
        """Copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    # -- derived quantities -----------------------------------------------------------
    def omori_integral(self, horizon: float = math.inf) -> float:
        """``int_0^horizon (t + c)**(-p) [exp(-t / tau)] dt`` (inf for ``p <= 1``, no taper)."""
        if self.tau is not None:
            from geohazard.forecast.etas.kernels import tapered_integral

            return float(tapered_integral(np.array([horizon]), self.c, self.p, self.tau)[0])
        if math.isinf(horizon):
            return self.c ** (1.0 - self.p) / (self.p - 1.0) if self.p > 1.0 else math.inf
        return float(omori_cdf_integral(np.array([horizon]), self.c, self.p)[0])

    def branching_ratio(self, mag_law: MagnitudeLaw, horizon: float = math.inf) -> float:
        """Mean number of direct aftershocks per event, over ``horizon`` days."""
        return self.k * mag_law.mean_productivity(self.alpha) * self.omori_integral(horizon)


def read_params(path: str | Path, catalog: str = "") -> tuple[ETASParams, float | None]:
    """Read an ETAS parameter file (JSON): as written by ``etas fit --json`` or the paper's.

    Parameters
    ----------
    path
        JSON object with ``mu, k, alpha, c, p`` (optionally ``tau``, ``b_value``), or a
        ``{"params": {...}}`` wrapper, or ``{"catalogs": {NAME: {...}}}`` (per catalog).
    catalog
        Catalog name to pick from a ``catalogs`` file.

    Returns
    -------
    (ETASParams, float or None)
        The parameters and the file's ``b_value`` (None when absent).

    Raises
    ------
    DataFileNotFoundError
        The file does not exist.
    ParameterError
        Anything else: unreadable, not JSON, missing or out-of-bounds values (the message
        names the file).
    """
    from geohazard.exceptions import DataFileNotFoundError

    p = Path(path)
    if not p.is_file():
        raise DataFileNotFoundError(f"{p}: parameter file not found")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ParameterError(f"{p}: not a text (UTF-8) JSON file") from None
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{p}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ParameterError(f"{p}: JSON nested too deeply") from None
    try:
        return _params_from_json(raw, catalog)
    except ParameterError as exc:
        raise ParameterError(f"{p}: {exc}") from None


def _params_from_json(raw: Any, catalog: str) -> tuple[ETASParams, float | None]:
    if isinstance(raw, dict) and "catalogs" in raw:
        table = raw["catalogs"]
        if not isinstance(table, dict):
            raise ParameterError("'catalogs' must map catalog names to parameter objects")
        if catalog not in table:
            raise ParameterError(f"no entry for catalog '{catalog}' in 'catalogs' "
                                 f"(has {sorted(map(str, table))})")
        raw = table[catalog]
    if not isinstance(raw, dict):
        raise ParameterError("expected a JSON object of ETAS parameters "
                             f"{list(PARAM_NAMES)}")
    params = ETASParams.from_dict(raw)
    b = raw.get("b_value")
    if b is None:
        return params, None
    try:
        b = float(b)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(f"'b_value' must be a number, got {b!r}") from None
    if not (math.isfinite(b) and 0.1 <= b <= 5.0):
        raise ParameterError(f"'b_value' = {b:g} is outside [0.1, 5]")
    return params, b


def omori_cdf_integral(x: np.ndarray, c: float, p: float) -> np.ndarray:
    """``G(x) = int_0^x (t + c)**(-p) dt``, stable through ``p = 1``.

    Written as ``c**(1-p) * L * expm1(q L) / (q L)`` with ``q = 1 - p`` and
    ``L = log((x + c) / c)``, which has no cancellation near ``p = 1``.
    """
    x = np.asarray(x, dtype=np.float64)
    q = 1.0 - p
    L = np.log1p(x / c)
    z = q * L
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(np.abs(z) < 1e-12, 1.0 + 0.5 * z, np.expm1(z) / np.where(z == 0, 1, z))
    return c**q * L * phi


def omori_cdf_inverse(g: np.ndarray, c: float, p: float) -> np.ndarray:
    """Inverse of :func:`omori_cdf_integral`: the ``x`` with ``G(x) = g``."""
    g = np.asarray(g, dtype=np.float64)
    q = 1.0 - p
    y = g * c ** (-q)  # = L * expm1(qL)/(qL)  -> L = log1p(q y) / q
    if abs(q) < 1e-12:
        L = y
    else:
        with np.errstate(divide="ignore"):  # q y <= -1 only by rounding at G(inf): x = inf
            L = np.log1p(np.maximum(q * y, -1.0)) / q
    return c * np.expm1(L)


@dataclass(frozen=True)
class MagnitudeLaw:
    """Gutenberg-Richter law above ``mc``, optionally truncated at ``m_max``.

    Attributes
    ----------
    b
        b-value.
    mc
        Lower magnitude (events are above it).
    m_max
        Upper truncation magnitude (None: untruncated).
    """

    b: float
    mc: float
    m_max: float | None = 8.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.b) or not 0.1 <= self.b <= 5.0:
            raise ParameterError(f"Gutenberg-Richter b = {float(self.b):g} is outside [0.1, 5]")
        if not np.isfinite(self.mc):
            raise ParameterError(f"magnitude of completeness mc = {float(self.mc):g} must be "
                                 "a finite number")
        if self.m_max is not None and not self.m_max > self.mc:
            raise ParameterError(f"m_max = {float(self.m_max):g} must exceed "
                                 f"mc = {float(self.mc):g}")

    @property
    def beta(self) -> float:
        """``b * ln 10``: the exponential rate of ``m - mc``."""
        return self.b * LN10

    def mean_productivity(self, alpha: float) -> float:
        """``E[10**(alpha (m - mc))]`` under this law (inf if divergent)."""
        a = alpha * LN10
        d = self.beta - a
        if self.m_max is None:
            return self.beta / d if d > 0 else math.inf
        span = self.m_max - self.mc
        norm = -math.expm1(-self.beta * span)
        if abs(d) < 1e-12:
            return self.beta * span / norm
        return self.beta * (-math.expm1(-d * span)) / (d * norm)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n,) magnitudes drawn by inverse CDF."""
        u = rng.random(n)
        if self.m_max is None:
            return self.mc - np.log1p(-u) / self.beta
        norm = -math.expm1(-self.beta * (self.m_max - self.mc))
        return self.mc - np.log1p(-u * norm) / self.beta

    def log_density(self, m: np.ndarray) -> np.ndarray:
        """Log-density of magnitudes ``m`` (per magnitude unit)."""
        m = np.asarray(m, dtype=np.float64)
        out = math.log(self.beta) - self.beta * (m - self.mc)
        if self.m_max is not None:
            out = out - math.log(-math.expm1(-self.beta * (self.m_max - self.mc)))
        return out


def b_value_mle(magnitudes: np.ndarray, mc: float, bin_width: float = 0.0) -> float:
    """Aki-Utsu maximum-likelihood b-value of events above ``mc``, corrected for binning.

    Events are ``m > mc`` (the paper's convention); with binned magnitudes the lowest bin
    is ``mc + bin_width`` and covers ``[mc + bin_width / 2, ...)`` (Utsu's correction).

    Parameters
    ----------
    magnitudes
        (N,) magnitudes, all above ``mc``.
    mc
        Magnitude of completeness.
    bin_width
        Magnitude rounding (0 for continuous magnitudes).

    Returns
    -------
    float
    """
    from geohazard.catalog.stats import b_value
    from geohazard.exceptions import InputError

    try:  # the one binning-corrected estimator (catalog.stats), clipped to a sane range
        b = b_value(np.asarray(magnitudes, dtype=np.float64), mc, bin_width, strict=True).b
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    return float(np.clip(b, 0.1, 5.0))

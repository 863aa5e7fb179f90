"""Magnitude statistics: completeness (Mc) and Gutenberg-Richter b-value estimators.

References
----------
- Aki (1965); Utsu (1966): b-value MLE, with the half-bin correction for rounded data.
- Shi & Bolt (1982): standard error of the b-value.
- Tinti & Mulargia (1987): exact MLE for binned (geometric) magnitudes.
- Wiemer & Wyss (2000), Woessner & Wiemer (2005): maximum curvature (+0.2 correction).
- Cao & Gao (2002), Woessner & Wiemer (2005): Mc by b-value stability.
- van der Elst (2021): b-positive from positive magnitude differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geohazard.exceptions import InputError

LOG10E = float(np.log10(np.e))


@dataclass(frozen=True)
class BValue:
    """A b-value estimate.

    Attributes
    ----------
    b
        Gutenberg-Richter b.
    se
        Standard error (Shi & Bolt for ``aki``; Fisher information for ``tinti`` and
        ``positive``).
    n
        Number of magnitudes (or positive differences) used.
    mc
        Completeness threshold the sample was cut at.
    method
        ``aki``, ``tinti`` or ``positive``.
    a
        log10 of the number of events at or above ``mc`` (cumulative GR intercept at Mc),
        ``log10 N(>=M) = a - b (M - mc)``.
    """

    b: float
    se: float
    n: int
    mc: float
    method: str
    a: float = float("nan")

    def to_dict(self) -> dict[str, float | int | str]:
        """JSON-ready mapping."""
        return {"b": self.b, "se": self.se, "n": self.n, "mc": self.mc, "method": self.method,
                "a": self.a}


def _sample(mags: np.ndarray, mc: float, strict: bool) -> np.ndarray:
    m = np.asarray(mags, dtype=np.float64)
    if m.ndim != 1:
        raise InputError("magnitudes must be a 1-D array")
    if np.isnan(m).any():
        raise InputError("magnitudes contain NaN")
    eps = 1e-9
    return m[m > mc + eps] if strict else m[m >= mc - eps]


def lowest_bin(mc: float, delta: float, strict: bool) -> float:
    """Centre of the lowest magnitude bin kept by the cut ``m > mc`` / ``m >= mc``."""
    if delta <= 0:
        return mc
    k = np.floor(mc / delta + 1e-6)
    base = k * delta
    if strict:
        return float(base + delta)
    return float(base if np.isclose(base, mc) else base + delta)


def b_value(mags: np.ndarray, mc: float, delta: float = 0.0, *, strict: bool = True,
            method: Literal["aki", "tinti"] = "aki") -> BValue:
    """Maximum-likelihood b-value above ``mc``.

    Parameters
    ----------
    mags
        (N,) magnitudes.
    mc
        Completeness: events with ``m > mc`` (``strict``, the RECAST catalogs'
        convention) or ``m >= mc`` are used.
    delta
        Magnitude bin width (rounding); 0 for continuous magnitudes.
    strict
        Strict or inclusive cut.
    method
        ``aki``: Aki-Utsu, ``b = log10(e) / (mean - (m_lo - delta/2))`` with the
        Shi-Bolt standard error. ``tinti``: Tinti-Mulargia MLE for binned magnitudes,
        ``b = ln(1 + delta / (mean - m_lo)) / (delta ln 10)``.

    Returns
    -------
    BValue
    """
    m = _sample(mags, mc, strict)
    n = m.size
    if n < 2:
        raise InputError(f"b-value: need at least 2 magnitudes above Mc={mc}, got {n}")
    m_lo = lowest_bin(mc, delta, strict) if delta > 0 else mc
    mean = float(m.mean())
    a = float(np.log10(n))
    if method == "aki":
        threshold = m_lo - delta / 2.0 if delta > 0 else mc
        if mean <= threshold:
            raise InputError("b-value: mean magnitude does not exceed the threshold")
        b = LOG10E / (mean - threshold)
        se = 2.3 * b * b * float(np.sqrt(np.sum((m - mean) ** 2) / (n * (n - 1))))
        return BValue(b, se, n, mc, "aki", a)
    if method == "tinti":
        if delta <= 0:
            raise InputError("b-value: method 'tinti' needs a bin width delta > 0")
        kbar = (mean - m_lo) / delta
        if kbar <= 0:
            raise InputError("b-value: all magnitudes fall in the lowest bin")
        q = kbar / (1.0 + kbar)
        beta = -np.log(q) / delta
        se_beta = (1.0 - q) / (delta * np.sqrt(n * q))
        return BValue(float(beta / np.log(10)), float(se_beta / np.log(10)), n, mc, "tinti", a)
    raise InputError(f"b-value: unknown method {method!r}; use 'aki' or 'tinti'")


def b_positive(mags: np.ndarray, delta: float = 0.0, dm_min: float | None = None) -> BValue:
    """b-positive (van der Elst 2021) from positive differences of consecutive magnitudes.

    Differences ``dm = m[i] - m[i-1] >= dm_min`` follow an exponential law with the
    catalog's beta even under short-term incompleteness. For binned magnitudes the
    differences lie on the same grid and are treated as geometric (Tinti-Mulargia).

    Parameters
    ----------
    mags
        (N,) magnitudes in time order.
    delta
        Magnitude bin width (0 for continuous).
    dm_min
        Minimum difference; default ``max(2 * delta, 0.1)``.
    """
    m = np.asarray(mags, dtype=np.float64)
    dm_min = max(2.0 * delta, 0.1) if dm_min is None else float(dm_min)
    d = np.diff(m)
    d = d[d >= dm_min - 1e-9]
    n = d.size
    if n < 2:
        raise InputError(f"b-positive: need >= 2 differences >= {dm_min}, got {n}")
    mean = float(d.mean())
    if delta > 0:
        kbar = (mean - dm_min) / delta
        q = kbar / (1.0 + kbar)
        beta = -np.log(q) / delta
        se_beta = (1.0 - q) / (delta * np.sqrt(n * q))
    else:
        beta = 1.0 / (mean - dm_min)
        se_beta = beta / np.sqrt(n)
    return BValue(float(beta / np.log(10)), float(se_beta / np.log(10)), n, dm_min, "positive")


def _histogram(m: np.ndarray, bin_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Counts per magnitude bin centred on multiples of ``bin_width``."""
    k = np.round(m / bin_width).astype(np.int64)
    k0 = int(k.min())
    counts = np.bincount(k - k0)
    centres = (np.arange(counts.size) + k0) * bin_width
    return centres, counts


def mc_maxc(mags: np.ndarray, bin_width: float = 0.1, correction: float = 0.2) -> float:
    """Mc by maximum curvature: the modal bin of the non-cumulative FMD plus ``correction``.

    The +0.2 correction (Woessner & Wiemer 2005) offsets MAXC's known underestimate.
    """
    m = np.asarray(mags, dtype=np.float64)
    if m.size < 10:
        raise InputError(f"Mc (MAXC): need at least 10 magnitudes, got {m.size}")
    centres, counts = _histogram(m, bin_width)
    return float(np.round(centres[int(np.argmax(counts))] + correction, 10))


def mc_bvalue_stability(
    mags: np.ndarray,
    bin_width: float = 0.1,
    delta: float = 0.0,
    window: float = 0.5,
    min_events: int = 50,
) -> float:
    """Mc by b-value stability (Cao & Gao 2002; Woessner & Wiemer 2005).

    For trial thresholds ``Mco`` (inclusive cut on bin edges), ``b(Mco)`` is compared with
    the mean ``b_ave`` over ``[Mco, Mco + window]``; Mc is the first ``Mco`` where
    ``|b_ave - b(Mco)| <= se_Shi-Bolt(Mco)``.

    Parameters
    ----------
    mags
        (N,) magnitudes.
    bin_width
        Step of the trial thresholds.
    delta
        Rounding of the magnitudes (for the b-value half-bin correction).
    window
        Width of the averaging range above each trial Mc (0.5 magnitude units).
    min_events
        Trial thresholds with fewer events are not evaluated.
    """
    m = np.asarray(mags, dtype=np.float64)
    lo = np.floor(m.min() / bin_width) * bin_width
    trials = np.arange(lo, m.max(), bin_width)
    n_avg = max(1, int(round(window / bin_width)))

    def b_at(mco: float) -> BValue | None:
        sample = m[m >= mco - 1e-9]
        if sample.size < min_events:
            return None
        return b_value(sample, mco - delta / 2 if delta > 0 else mco, 0.0, strict=False)

    estimates = [b_at(float(t)) for t in trials]
    for i, est in enumerate(estimates):
        if est is None:
            break
        ahead = [e.b for e in estimates[i : i + n_avg + 1] if e is not None]
        if len(ahead) < n_avg + 1:
            break
        if abs(float(np.mean(ahead)) - est.b) <= est.se:
            return float(np.round(trials[i], 10))
    raise InputError("Mc (b-value stability): no stable threshold found (too few events?)")


def fmd(mags: np.ndarray, bin_width: float = 0.1) -> dict[str, np.ndarray]:
    """Frequency-magnitude distribution: bin centres, counts and cumulative counts (>= M)."""
    centres, counts = _histogram(np.asarray(mags, dtype=np.float64), bin_width)
    cumulative = np.cumsum(counts[::-1])[::-1]
    return {"magnitude": centres, "count": counts, "cumulative": cumulative}


def magnitude_resolution(
    mags: np.ndarray, candidates: tuple[float, ...] = (0.1, 0.01, 0.001)
) -> float:
    """Coarsest grid step in ``candidates`` on which all magnitudes lie (0.0 if none).

    Catalog metadata sometimes states a coarser rounding than the data carry (SCEDC's
    sidecar says 0.1 while its magnitudes have two decimals); b-value bin corrections
    must use the data's real grid.
    """
    m = np.asarray(mags, dtype=np.float64)
    for step in candidates:
        k = m / step
        if np.all(np.abs(k - np.round(k)) < 1e-6):
            return step
    return 0.0

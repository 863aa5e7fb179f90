"""Magnitude-landslide scaling: fits ``log10 Y = a M + b`` and literature relations.

``Y`` is the number of landslides ``N``, their total area (km^2) or total volume (km^3)
of an earthquake-triggered landslide event. :func:`fit_scaling` is an ordinary
least-squares fit with standard errors, covariance and residual scatter, and
:meth:`ScalingFit.predict` gives confidence and prediction intervals (Student t).

Literature relations shipped in :data:`LITERATURE` (each with its source, a
``verified`` flag and a ``provenance`` note; checked 2026-11-25, no paper PDF readable):

* Keefer (1984), GSA Bull. 95:406-421: mean area affected by landslides
  ``log10 A = M - 3.46`` (km^2; scatter 0.47). Partly checked: Havenith et al. (2016,
  Geoenviron. Disasters 3:6, Fig. 2 caption, after Jibson & Harp 2012) give an
  "average (219 km2)" area expected for an M 5.8 earthquake from Keefer (1984, 2002) and
  Rodriguez et al. (1999); ``10**(5.8 - 3.46) = 218.8`` km^2 agrees, but one point does
  not pin slope and intercept separately, and the 0.47 scatter and the attribution
  (Keefer 1984 vs Keefer & Wilson 1989) were not found in any text read
  (``verified=False``).
* Malamud et al. (2004, EPSL 229:45-59): landslide-event magnitude
  ``m_L = log10 N_LT = 1.29 M - 5.65`` and total volume
  ``log10 V_LT = 1.42 M - 11.26`` (km^3); total area follows from their mean landslide
  area 3.07e-3 km^2 (Malamud et al. 2004, ESPL 29:687-711): ``log10 A_LT = 1.29 M - 8.16``
  (a derivation of this project, not a published relation). Unverified: only the
  abstracts of both papers were readable, and they define ``m_L = log N_LT`` without the
  coefficients (``verified=False``).

The reviewed Tibetan Plateau events ship as ``geohazard/data/
tibetan_plateau_landslide_events.csv`` with a source and a status for every figure
(:func:`load_reviewed_events`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from geohazard.exceptions import DataFileNotFoundError, InputError

PathLike = str | os.PathLike[str]

__all__ = [
    "LITERATURE",
    "LiteratureRelation",
    "ScalingFit",
    "fit_event_table",
    "fit_scaling",
    "load_events",
    "load_reviewed_events",
]

QUANTITIES = {"n": "n_landslides", "area": "area_km2", "volume": "volume_km3"}


@dataclass(frozen=True)
class LiteratureRelation:
    """A published relation ``log10 Y = slope * M + intercept``."""

    name: str
    quantity: str
    slope: float
    intercept: float
    sigma: float | None
    units: str
    source: str
    verified: bool
    provenance: str = ""

    def predict(self, magnitude: Any) -> np.ndarray:
        """Return ``Y`` (not its log) for magnitudes ``magnitude``."""
        return 10.0 ** (self.slope * np.asarray(magnitude, dtype=np.float64) + self.intercept)


_MALAMUD_NOTE = ("coefficients not found in any readable text (only the abstracts of "
                 "Malamud et al. 2004 EPSL and ESPL were readable)")

LITERATURE: dict[str, LiteratureRelation] = {
    "keefer1984_area": LiteratureRelation(
        "Keefer (1984) mean area affected", "area", 1.0, -3.46, 0.47, "km^2",
        "Keefer D.K. (1984) Landslides caused by earthquakes. GSA Bull. 95:406-421",
        False,
        "10**(5.8 - 3.46) = 219 km^2 matches the 'average (219 km2)' area for M 5.8 in "
        "Havenith et al. (2016) Geoenviron. Disasters 3:6, Fig. 2 caption; slope, scatter "
        "0.47 and attribution not confirmed"),
    "malamud2004_n": LiteratureRelation(
        "Malamud et al. (2004) number", "n", 1.29, -5.65, None, "count",
        "Malamud B.D., Turcotte D.L., Guzzetti F., Reichenbach P. (2004) EPSL 229:45-59",
        False, _MALAMUD_NOTE),
    "malamud2004_volume": LiteratureRelation(
        "Malamud et al. (2004) volume", "volume", 1.42, -11.26, None, "km^3",
        "Malamud et al. (2004) EPSL 229:45-59", False, _MALAMUD_NOTE),
    "malamud2004_area": LiteratureRelation(
        "Malamud et al. (2004) area (derived)", "area", 1.29, -5.65 + np.log10(3.07e-3), None,
        "km^2", "number relation times mean area 3.07e-3 km^2 (Malamud et al. 2004 ESPL "
        "29:687-711)", False,
        "derived in this project from the number relation and the mean area; "
        + _MALAMUD_NOTE),
}


@dataclass(frozen=True)
class ScalingFit:
    """OLS fit of ``log10 Y = a M + b`` (frozen).

    Attributes
    ----------
    quantity
        ``"n"``, ``"area"`` or ``"volume"`` (or any label).
    a, b
        Slope and intercept.
    a_se, b_se
        Standard errors.
    cov
        2x2 covariance of ``(a, b)``.
    sigma
        Residual standard deviation of ``log10 Y``.
    n
        Number of events used.
    r2
        Coefficient of determination.
    m_mean
        Mean magnitude of the events (for intervals).
    sxx
        Sum of squared magnitude deviations.
    """

    quantity: str
    a: float
    b: float
    a_se: float
    b_se: float
    cov: tuple[tuple[float, float], tuple[float, float]]
    sigma: float
    n: int
    r2: float
    m_mean: float
    sxx: float

    def predict(self, magnitude: Any, level: float = 0.95,
                interval: str = "prediction") -> dict[str, np.ndarray]:
        """Predicted ``Y`` with a ``level`` interval.

        Parameters
        ----------
        magnitude
            Magnitudes.
        level
            Confidence level.
        interval
            ``"prediction"`` (a new event) or ``"confidence"`` (the mean relation).

        Returns
        -------
        dict
            ``log10``, ``median``, ``lower`` and ``upper`` arrays (``Y`` units).
        """
        m = np.asarray(magnitude, dtype=np.float64)
        mu = self.a * m + self.b
        extra = 1.0 if interval == "prediction" else 0.0
        if interval not in ("prediction", "confidence"):
            raise InputError(f"interval must be 'prediction' or 'confidence', not {interval!r}")
        se = self.sigma * np.sqrt(extra + 1.0 / self.n + (m - self.m_mean) ** 2 / self.sxx)
        t = stats.t.ppf(0.5 + level / 2.0, self.n - 2)
        return {"log10": mu, "median": 10**mu, "lower": 10 ** (mu - t * se),
                "upper": 10 ** (mu + t * se)}

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return {"quantity": self.quantity, "a": self.a, "b": self.b, "a_se": self.a_se,
                "b_se": self.b_se, "sigma": self.sigma, "n": self.n, "r2": self.r2}


def fit_scaling(magnitude: Any, values: Any, quantity: str = "n") -> ScalingFit:
    """Fit ``log10 values = a M + b`` by ordinary least squares.

    Parameters
    ----------
    magnitude
        Event magnitudes.
    values
        Positive values (landslide count, area or volume); NaN rows are dropped.
    quantity
        Label stored in the result.

    Returns
    -------
    ScalingFit

    Raises
    ------
    InputError
        With fewer than 3 usable events, non-positive values or a single magnitude.
    """
    m = np.asarray(magnitude, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if m.shape != y.shape:
        raise InputError(f"magnitude ({m.shape}) and values ({y.shape}) differ in shape")
    ok = np.isfinite(m) & np.isfinite(y)
    if np.any(y[ok] <= 0):
        raise InputError(f"{quantity}: values must be positive to take log10")
    m, ly = m[ok], np.log10(y[ok])
    n = m.size
    if n < 3:
        raise InputError(f"{quantity}: need at least 3 events with values, got {n}")
    m_mean = float(m.mean())
    sxx = float(np.sum((m - m_mean) ** 2))
    if sxx == 0:
        raise InputError(f"{quantity}: all magnitudes are equal; the slope is undefined")
    a = float(np.sum((m - m_mean) * (ly - ly.mean())) / sxx)
    b = float(ly.mean() - a * m_mean)
    resid = ly - (a * m + b)
    s2 = float(np.sum(resid**2) / (n - 2))
    var_a = s2 / sxx
    var_b = s2 * (1.0 / n + m_mean**2 / sxx)
    cov_ab = -m_mean * s2 / sxx
    sst = float(np.sum((ly - ly.mean()) ** 2))
    return ScalingFit(quantity, a, b, float(np.sqrt(var_a)), float(np.sqrt(var_b)),
                      ((var_a, cov_ab), (cov_ab, var_b)), float(np.sqrt(s2)), n,
                      1.0 - float(np.sum(resid**2)) / sst if sst > 0 else 1.0, m_mean, sxx)


def load_events(path: PathLike) -> pd.DataFrame:
    """Read an event table (CSV) of magnitudes and landslide figures.

    Required column ``mw``; at least one of ``n_landslides``, ``area_km2``, ``volume_km3``.

    Parameters
    ----------
    path
        CSV file.

    Returns
    -------
    pandas.DataFrame
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"event table not found: {p}")
    df = pd.read_csv(p)
    _check_events(df, str(p))
    return df


def _check_events(df: pd.DataFrame, where: str) -> None:
    if "mw" not in df.columns:
        raise InputError(f"{where}: missing column 'mw'")
    present = [c for c in QUANTITIES.values() if c in df.columns]
    if not present:
        raise InputError(f"{where}: needs one of the columns {sorted(QUANTITIES.values())}")
    for col in ["mw", *present]:
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = df.index[vals.isna() & df[col].notna()]
        if len(bad):
            raise InputError(f"{where}: column {col!r} row {int(bad[0]) + 1} is not a number")


def load_reviewed_events() -> pd.DataFrame:
    """The shipped table of reviewed Tibetan Plateau events (with sources and status).

    Returns
    -------
    pandas.DataFrame
        Columns ``event, date, mw, n_landslides, area_km2, volume_km3``, then for each
        figure ``F`` in ``mw, n, area, volume`` a ``F_source`` (citation and the address
        of the text read) and a ``F_status``: ``verified`` (the figure was read in the
        cited text), ``unverified`` (not confirmed; use with care) or ``missing`` (no
        figure given), and ``notes`` (other inventories, caveats).
    """
    ref = resources.files("geohazard") / "data" / "tibetan_plateau_landslide_events.csv"
    with resources.as_file(ref) as p:
        df = pd.read_csv(p)
    _check_events(df, "tibetan_plateau_landslide_events.csv")
    return df


def fit_event_table(df: pd.DataFrame, min_events: int = 3) -> dict[str, ScalingFit | None]:
    """Fit every quantity present in an event table.

    Parameters
    ----------
    df
        Table from :func:`load_events` or :func:`load_reviewed_events`.
    min_events
        Quantities with fewer usable events give ``None``.

    Returns
    -------
    dict
        ``{"n": ScalingFit | None, "area": ..., "volume": ...}`` for the columns present.
    """
    out: dict[str, ScalingFit | None] = {}
    for q, col in QUANTITIES.items():
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        mw = pd.to_numeric(df["mw"], errors="coerce").to_numpy(dtype=np.float64)
        usable = int(np.sum(np.isfinite(vals) & np.isfinite(mw)))
        out[q] = fit_scaling(mw, vals, q) if usable >= max(min_events, 3) else None
    return out

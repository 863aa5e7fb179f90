r"""Long-term evolution of landslide activity after an earthquake (issue 15).

Landslide rates jump after a large earthquake and decay back to the pre-event background
(Marc, Hovius, Meunier, Uchida & Hayashi 2015, Geology 43(10):883-886, "Transient changes
of landslide rates after earthquakes"). With ``t`` the years since the event and ``b`` the
background activity (count, area or vegetation loss per observation), two forms are fitted
by least squares:

.. math::

    a_{exp}(t) = b + A e^{-t/\tau}, \qquad a_{pow}(t) = b + A (1 + t/c)^{-p}.

**Decay time**: the e-folding time of the excess over background (``tau``; for the power
law ``c (e^{1/p} - 1)``). **Recovery time**: when the excess falls to a stated fraction
``f`` of the background (``A e^{-t/\tau} = f b``); with no background (``b <= 0``) the
fraction is taken of the first excess ``A`` instead, and the JSON says which.

Uncertainty comes from a residual bootstrap (``n_boot`` refits on resampled residuals,
explicit ``rng``): the reported ``std`` and 16th-84th percentiles are those of the refits.
The background is the mean of the pre-event observations when there are any (its standard
error enters the bootstrap), otherwise a free parameter of the fit.

Inputs: a table (CSV/Parquet) of activity over time, or a multi-temporal inventory (any
vector file with a date or year column), aggregated by :func:`activity_series`; several
files (one inventory per date) are merged by :func:`read_activities`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import ConvergenceError, InputError, ParameterError
from geohazard.landslide.checks import check_param
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

__all__ = [
    "DecayFit",
    "EvolutionResult",
    "activity_series",
    "fit_decay",
    "fit_evolution",
    "read_activities",
    "read_activity",
]

DAYS_PER_YEAR = 365.25
MODELS = ("exponential", "power")


def _exp(t: np.ndarray, b: float, a: float, tau: float) -> np.ndarray:
    return b + a * np.exp(-t / tau)


def _pow(t: np.ndarray, b: float, a: float, c: float, p: float) -> np.ndarray:
    return b + a * (1.0 + t / c) ** (-p)


def _decay_time(model: str, params: np.ndarray) -> float:
    if model == "exponential":
        return float(params[2])
    c, p = params[2], params[3]
    return float(c * (np.exp(1.0 / p) - 1.0))


def _recovery_time(model: str, params: np.ndarray, fraction: float) -> float:
    """Years until the excess is ``fraction`` of the background (or of the first excess)."""
    b, a = float(params[0]), float(params[1])
    target = fraction * b if b > 0 else fraction * a
    if a <= target:
        return 0.0
    ratio = a / target
    if model == "exponential":
        return float(params[2] * np.log(ratio))
    c, p = params[2], params[3]
    return float(c * (ratio ** (1.0 / p) - 1.0))


@dataclass(frozen=True)
class DecayFit:
    """One fitted decay model with bootstrap uncertainty (frozen).

    Attributes
    ----------
    model
        ``"exponential"`` or ``"power"``.
    params
        Parameter name to best-fit value (``background, amplitude, tau`` or
        ``background, amplitude, c, p``).
    decay_time_years, recovery_time_years
        Best-fit values.
    decay_ci, recovery_ci
        ``(std, p16, p84)`` of the bootstrap refits.
    aic
        Akaike information criterion of the least-squares fit (Gaussian errors).
    rss
        Residual sum of squares.
    at_bounds
        Shape parameters that ended on a bound of the fit (the fit is then suspect).
    """

    model: str
    params: dict[str, float]
    decay_time_years: float
    recovery_time_years: float
    decay_ci: tuple[float, float, float]
    recovery_ci: tuple[float, float, float]
    aic: float
    rss: float
    at_bounds: tuple[str, ...] = ()

    def predict(self, t_years: Any) -> np.ndarray:
        """Activity at ``t_years`` after the event."""
        t = np.asarray(t_years, dtype=np.float64)
        p = list(self.params.values())
        return _exp(t, *p) if self.model == "exponential" else _pow(t, *p)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"model": self.model, "params": self.params,
                "decay_time_years": {"value": self.decay_time_years, "std": self.decay_ci[0],
                                     "p16": self.decay_ci[1], "p84": self.decay_ci[2]},
                "recovery_time_years": {"value": self.recovery_time_years,
                                        "std": self.recovery_ci[0], "p16": self.recovery_ci[1],
                                        "p84": self.recovery_ci[2]},
                "aic": self.aic, "rss": self.rss, "at_bounds": list(self.at_bounds)}


#: Bounds of (amplitude, tau) and (amplitude, c, p) in the fits.
_BOUNDS = {"exponential": ([0.0, 1e-4], [np.inf, 1e3]),
           "power": ([0.0, 1e-4, 0.05], [np.inf, 1e3, 10.0])}


def _at_bounds(model: str, params: np.ndarray, names: list[str]) -> tuple[str, ...]:
    """Names of the shape parameters that ended on a bound of the fit."""
    lo, hi = _BOUNDS[model]
    shape = params[1:]
    hit = [n for n, v, a, b in zip(names[1:], shape, lo, hi, strict=True)
           if np.isclose(v, a, rtol=1e-6, atol=1e-9) or np.isclose(v, b, rtol=1e-6)]
    return tuple(h for h in hit if h != "amplitude")


def _least_squares(model: str, t: np.ndarray, y: np.ndarray, background: float | None
                   ) -> np.ndarray:
    """Best-fit parameters; the background is fixed when given."""
    from scipy.optimize import least_squares

    span = max(float(t.max()), 1e-3)
    b0 = float(np.min(y)) if background is None else background
    a0 = max(float(y[0] - b0), 1e-9)
    lo, hi = _BOUNDS[model]
    x0 = [a0, span / 3] if model == "exponential" else [a0, span / 10, 1.0]
    f = _exp if model == "exponential" else _pow
    if background is None:
        x0, lo, hi = [max(b0, 0.0), *x0], [0.0, *lo], [np.inf, *hi]

    def resid(x: np.ndarray) -> np.ndarray:
        full = x if background is None else np.concatenate([[background], x])
        return f(t, *full) - y

    sol = least_squares(resid, np.clip(x0, lo, hi), bounds=(lo, hi), x_scale="jac",
                        max_nfev=2000)
    if not sol.success:
        raise ConvergenceError(f"{model} decay fit did not converge: {sol.message}")
    return sol.x if background is None else np.concatenate([[background], sol.x])


def _aic(rss: float, n: int, k: int) -> float:
    return float(n * np.log(max(rss, 1e-300) / n) + 2 * k)


def fit_decay(t_years: Any, activity: Any, model: str = "exponential", *,
              background: float | None = None, background_se: float = 0.0,
              recovery_fraction: float = 0.1, n_boot: int = 200, rng: RNGLike = None
              ) -> DecayFit:
    """Fit one decay form to post-event activity, with bootstrap uncertainty.

    Parameters
    ----------
    t_years
        Years since the event of each post-event observation (>= 0).
    activity
        Activity at those times (count, area, fraction of vegetation lost ...).
    model
        ``"exponential"`` or ``"power"``.
    background
        Pre-event background activity (``None``: fitted).
    background_se
        Standard error of ``background`` (its bootstrap draws vary by this much).
    recovery_fraction
        Recovery when the excess is this fraction of the background.
    n_boot
        Bootstrap refits.
    rng
        Random generator or seed.

    Returns
    -------
    DecayFit
    """
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}")
    check_param("recovery_fraction", recovery_fraction)
    check_param("n_boot", n_boot)
    t, y = _check_series(t_years, activity, 4 if background is not None else 5)
    gen = as_generator(rng)
    best = _least_squares(model, t, y, background)
    fitted = (_exp if model == "exponential" else _pow)(t, *best)
    resid = y - fitted
    boot = _bootstrap(model, t, fitted, resid, background, background_se, recovery_fraction,
                      n_boot, gen)
    names = ["background", "amplitude", "tau"] if model == "exponential" else \
        ["background", "amplitude", "c", "p"]
    rss = float(np.sum(resid**2))
    k = len(names) - (background is not None)
    hit = _at_bounds(model, best, names)
    if hit:
        log.warning("%s decay fit: %s at a bound of the fit; treat it with care", model,
                    ", ".join(hit))
    return DecayFit(model, {n: float(v) for n, v in zip(names, best, strict=True)},
                    _decay_time(model, best), _recovery_time(model, best, recovery_fraction),
                    _summary(boot[:, 0]), _summary(boot[:, 1]), _aic(rss, t.size, k), rss, hit)


def _summary(v: np.ndarray) -> tuple[float, float, float]:
    v = v[np.isfinite(v)]
    if v.size < 2:
        return (float("nan"),) * 3  # type: ignore[return-value]
    return float(np.std(v, ddof=1)), float(np.quantile(v, 0.16)), float(np.quantile(v, 0.84))


def _bootstrap(model: str, t: np.ndarray, fitted: np.ndarray, resid: np.ndarray,
               background: float | None, background_se: float, fraction: float, n_boot: int,
               gen: np.random.Generator) -> np.ndarray:
    out = np.full((n_boot, 2), np.nan)
    for i in range(n_boot):
        y = fitted + gen.choice(resid, size=resid.size, replace=True)
        b = None if background is None else max(background + background_se * gen.normal(), 0.0)
        try:
            p = _least_squares(model, t, y, b)
        except ConvergenceError:
            continue
        out[i] = _decay_time(model, p), _recovery_time(model, p, fraction)
    return out


def _check_series(t: Any, y: Any, min_n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise InputError(f"times and activity must be 1-D of one length, got {t.shape}, "
                         f"{y.shape}")
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if t.size < min_n:
        raise InputError(f"need at least {min_n} post-event observations to fit a decay, "
                         f"got {t.size}")
    if np.any(t < 0):
        raise InputError("post-event times must be >= 0 years after the event")
    if np.any(y < 0):
        raise InputError("activity must be >= 0 (a count, an area or a fraction)")
    order = np.argsort(t)
    return t[order], y[order]


# --------------------------------------------------------------------------- inputs


def read_activity(path: PathLike, time_col: str | None = None,
                  value_col: str | None = None) -> pd.DataFrame:
    """Read an activity table or a multi-temporal inventory into ``time, value`` rows.

    Parameters
    ----------
    path
        CSV/TSV/Parquet table with a time column and a value column, or a vector
        inventory (GeoPackage, GeoJSON, shapefile ...) with a date or year column: each
        observation time then has the count and total area of its landslides.
    time_col
        Column of dates or (decimal) years (default: the first of ``date``, ``time``,
        ``year``, ``observation_date`` present).
    value_col
        Activity column of a table (default: the first of ``count``, ``n_landslides``,
        ``area_km2``, ``area``, ``value``, ``vegetation_loss``); for an inventory,
        ``count`` (default) or ``area_km2``.

    Returns
    -------
    pandas.DataFrame
        ``time`` (UTC timestamps) and ``value``, sorted; ``attrs['value_col']`` and
        ``attrs['source']``.
    """
    p = Path(path)
    if not p.exists():
        from geohazard.exceptions import DataFileNotFoundError

        raise DataFileNotFoundError(f"activity file not found: {p}")
    vector = p.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml",
                                  ".kml", ".zip")
    df = _read_vector(p) if vector else _read_table(p)
    tcol = _pick(df, time_col, ("date", "time", "year", "observation_date"), p, "--time-col")
    times = _to_times(df[tcol], p, tcol)
    if vector:
        return activity_series(df.assign(_t=times), "_t", value_col or "count", str(p))
    vcol = _pick(df, value_col, ("count", "n_landslides", "area_km2", "area", "value",
                                 "vegetation_loss"), p, "--value-col")
    vals = pd.to_numeric(df[vcol], errors="coerce")
    bad = df.index[vals.isna()]
    if len(bad):
        raise InputError(f"{p}: column {vcol!r} row {int(bad[0]) + 1} is not a number")
    out = pd.DataFrame({"time": times, "value": vals.astype(float)}).sort_values("time")
    out.attrs.update(value_col=vcol, source=str(p))
    return out.reset_index(drop=True)


def read_activities(paths: Any, time_col: str | None = None,
                    value_col: str | None = None) -> pd.DataFrame:
    """Read several activity files (e.g. one inventory per date) into one series.

    Parameters
    ----------
    paths
        One path or several (see :func:`read_activity`); values at equal times are summed.
    time_col, value_col
        As in :func:`read_activity`, for every file.

    Returns
    -------
    pandas.DataFrame
        ``time``, ``value``, sorted.
    """
    paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not paths:
        raise InputError("no activity file given")
    parts = [read_activity(p, time_col, value_col) for p in paths]
    if len(parts) == 1:
        return parts[0]
    cols = {s.attrs.get("value_col") for s in parts}
    if len(cols) > 1:
        raise InputError(f"the activity files measure different things {sorted(cols)}; "
                         "choose one with --value-col")
    out = pd.concat(parts).groupby("time", as_index=False)["value"].sum()
    out.attrs.update(value_col=cols.pop(), source=", ".join(str(p) for p in paths))
    return out


def _read_table(p: Path) -> pd.DataFrame:
    try:
        if p.suffix.lower() == ".parquet":
            return pd.read_parquet(p)
        return pd.read_csv(p, sep=None, engine="python")
    except Exception as exc:  # pandas' ParserError, UnicodeDecodeError ...
        raise InputError(f"cannot read activity table {p}: {exc}") from exc


def _read_vector(p: Path) -> pd.DataFrame:
    from geohazard.landslide.inventory import read_inventory

    return read_inventory(p)


def _pick(df: pd.DataFrame, given: str | None, defaults: tuple[str, ...], p: Path,
          flag: str) -> str:
    if given is not None:
        if given not in df.columns:
            raise InputError(f"{p}: no column {given!r} ({flag}); columns: {list(df.columns)}")
        return given
    for c in defaults:
        if c in df.columns:
            return c
    raise InputError(f"{p}: none of the columns {list(defaults)}; name one with {flag}")


def _to_times(col: pd.Series, p: Path, name: str) -> pd.Series:
    """Dates, or decimal years (numbers 1800..2300) turned into dates."""
    if pd.api.types.is_datetime64_any_dtype(col):
        t = pd.to_datetime(col, utc=True)
        if t.isna().any():
            raise InputError(f"{p}: column {name!r} row "
                             f"{int(np.nonzero(t.isna().to_numpy())[0][0]) + 1} has no date")
        return t
    num = pd.to_numeric(col, errors="coerce")
    if num.notna().all():
        if not ((num >= 1800) & (num <= 2300)).all():
            row = int(np.nonzero(~((num >= 1800) & (num <= 2300)).to_numpy())[0][0]) + 1
            raise InputError(f"{p}: column {name!r} row {row} is not a year in 1800..2300")
        year = np.floor(num).astype(int)
        start = pd.to_datetime(year.astype(str) + "-01-01", utc=True)
        return start + pd.to_timedelta((num - year) * DAYS_PER_YEAR, unit="D")
    t = pd.to_datetime(col, utc=True, errors="coerce")
    if t.isna().any():
        row = int(np.nonzero(t.isna().to_numpy())[0][0]) + 1
        raise InputError(f"{p}: column {name!r} row {row} is not a date or a year")
    return t


def activity_series(gdf: Any, time_col: str, value: str = "count", source: str = ""
                    ) -> pd.DataFrame:
    """Aggregate a multi-temporal inventory into activity per observation time.

    Parameters
    ----------
    gdf
        Landslide polygons (or points) with an observation-time column.
    time_col
        Column of UTC timestamps.
    value
        ``"count"`` (landslides per observation) or ``"area_km2"`` (their total area,
        computed in an equal-area projection).
    source
        Name for messages.

    Returns
    -------
    pandas.DataFrame
        ``time``, ``value``.
    """
    if value not in ("count", "area_km2"):
        raise InputError(f"{source}: an inventory's activity is 'count' or 'area_km2' "
                         f"(--value-col), got {value!r}")
    if value == "area_km2":
        area = gdf.to_crs("+proj=cea +datum=WGS84").geometry.area / 1e6
        g = pd.Series(area.to_numpy(), index=gdf[time_col]).groupby(level=0).sum()
    else:
        g = gdf.groupby(time_col).size()
    out = pd.DataFrame({"time": g.index, "value": g.to_numpy(dtype=float)})
    out.attrs.update(value_col=value, source=source)
    return out.sort_values("time").reset_index(drop=True)


# --------------------------------------------------------------------------- whole fit


@dataclass(frozen=True)
class EvolutionResult:
    """Fit of post-event activity back to the background (frozen).

    Attributes
    ----------
    series
        ``time``, ``years`` (since the event), ``value``, ``post`` (bool).
    event_date
        The event (UTC).
    background, background_se
        Background activity and its standard error (``None`` when fitted).
    fits
        Model name to :class:`DecayFit`.
    best
        The model reported: lowest AIC among fits with no parameter on a bound, the
        exponential unless the power law's AIC is lower by more than 2.
    recovery_fraction
        ``f`` of the recovery definition; ``recovery_reference`` says of what.
    recovery_reference
        ``"background"`` or ``"first excess"``.
    """

    series: pd.DataFrame
    event_date: pd.Timestamp
    background: float | None
    background_se: float
    fits: dict[str, DecayFit] = field(default_factory=dict)
    best: str = "exponential"
    recovery_fraction: float = 0.1
    recovery_reference: str = "background"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary; top-level times are those of the best model."""
        b = self.fits[self.best].to_dict()
        return {"event_date": self.event_date.isoformat(), "best_model": self.best,
                "decay_time_years": b["decay_time_years"],
                "recovery_time_years": b["recovery_time_years"],
                "recovery_fraction": self.recovery_fraction,
                "recovery_reference": self.recovery_reference,
                "background": self.background, "background_se": self.background_se,
                "n_pre": int((~self.series["post"]).sum()),
                "n_post": int(self.series["post"].sum()),
                "models": {k: v.to_dict() for k, v in self.fits.items()}}


def fit_evolution(series: pd.DataFrame, event_date: Any = None, *,
                  background: float | None = None, recovery_fraction: float = 0.1,
                  n_boot: int = 200, rng: RNGLike = None,
                  progress: Callable[[str], None] | None = None) -> EvolutionResult:
    """Fit exponential and power-law decay to an activity series around one event.

    Parameters
    ----------
    series
        ``time`` (timestamps) and ``value`` (:func:`read_activity`).
    event_date
        Date of the earthquake (default: the first observation, which is then post-event).
    background
        Known background activity; default the mean of pre-event observations, or fitted.
    recovery_fraction, n_boot, rng
        See :func:`fit_decay`.
    progress
        Optional callable told each model's name before it is fitted.

    Returns
    -------
    EvolutionResult
    """
    df = series.copy()
    ev = pd.Timestamp(event_date if event_date is not None else df["time"].min())
    ev = ev.tz_localize("UTC") if ev.tzinfo is None else ev.tz_convert("UTC")
    df["years"] = (df["time"] - ev).dt.total_seconds() / (DAYS_PER_YEAR * 86400.0)
    df["post"] = df["years"] >= 0
    bg, se = _background(df, background)
    gen = as_generator(rng)
    fits = {}
    for m in MODELS:
        if progress is not None:
            progress(m)
        fits[m] = fit_decay(df.loc[df.post, "years"], df.loc[df.post, "value"], m,
                            background=bg, background_se=se,
                            recovery_fraction=recovery_fraction, n_boot=n_boot, rng=gen)
    best = _choose(fits)
    ref = "background" if fits[best].params["background"] > 0 else "first excess"
    return EvolutionResult(df, ev, bg, se, fits, best, recovery_fraction, ref)


def _choose(fits: dict[str, DecayFit]) -> str:
    """Name of the model to report (see :class:`EvolutionResult`).

    Lowest AIC among fits with no parameter on a bound; the exponential (the power law's
    ``p -> inf`` limit, one parameter fewer) unless the power law wins by more than 2.
    """
    ok = {k: f for k, f in fits.items() if not f.at_bounds} or fits
    best = min(ok, key=lambda k: ok[k].aic)
    if best == "power" and "exponential" in ok and \
            ok["exponential"].aic - ok["power"].aic <= 2.0:
        return "exponential"
    return best


def _background(df: pd.DataFrame, background: float | None) -> tuple[float | None, float]:
    if background is not None:
        check_param("background", background)
        return float(background), 0.0
    pre = df.loc[~df.post, "value"].to_numpy(dtype=float)
    if pre.size == 0:
        log.warning("no pre-event observation: the background is fitted")
        return None, 0.0
    se = float(np.std(pre, ddof=1) / np.sqrt(pre.size)) if pre.size > 1 else 0.0
    return float(pre.mean()), se

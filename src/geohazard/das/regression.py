"""Relations between band energy and weather, per channel, vectorised over channels.

* :func:`classify_windows` labels windows calm / wind / rain / heavy rain and marks dry
  ones (no rain now nor within ``dry_buffer_s`` before).
* :func:`fit_lines` fits ``y = intercept + slope * x`` for every channel at once:
  ordinary least squares, or a Huber M-estimate (iteratively reweighted, robust to
  traffic bursts) with ``robust=True``.  Both report slope, intercept, Pearson r, R²,
  the slope's standard error, a ``ci``-level confidence interval (Student t, n-2
  degrees of freedom; for Huber an approximation using the final weights) and the
  two-sided p-value of slope = 0.
* :func:`find_events` splits rain into storm events; :func:`event_fits` fits energy
  against rain rate per event and channel; :func:`volume_fits` fits event slopes
  against event rain volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from geohazard.exceptions import ParameterError

CLASSES = ("calm", "wind", "rain", "heavy_rain")


@dataclass(frozen=True)
class Thresholds:
    """Window classification thresholds.

    Attributes
    ----------
    wind_mps
        Wind speed at or above which a dry window is "wind" (else "calm").
    rain_mmph
        Rain rate at or above which a window is "rain".
    heavy_mmph
        Rain rate at or above which a window is "heavy_rain" (7.6 mm/h: the AMS
        definition of heavy rain).
    dry_buffer_s
        Time after rain during which windows are not "dry" (drains still flowing).
    """

    wind_mps: float = 5.0
    rain_mmph: float = 0.1
    heavy_mmph: float = 7.6
    dry_buffer_s: float = 0.0


def classify_windows(wx: pd.DataFrame, th: Thresholds | None = None) -> pd.DataFrame:
    """Add ``klass`` and ``dry`` columns to a window-aligned weather table."""
    th = th or Thresholds()
    out = wx.copy()
    rain = out["rain_mmph"].to_numpy(float)
    wind = out["wind_mps"].to_numpy(float)
    klass = np.where(wind >= th.wind_mps, "wind", "calm").astype(object)
    klass[rain >= th.rain_mmph] = "rain"
    klass[rain >= th.heavy_mmph] = "heavy_rain"
    klass[np.isnan(rain) | np.isnan(wind)] = "unknown"
    out["klass"] = klass
    raining = rain >= th.rain_mmph
    if isinstance(out.index, pd.DatetimeIndex):
        t = out.index.as_unit("ns").asi8 / 1e9
    else:
        t = np.arange(len(out), dtype=float)
    last_rain = pd.Series(np.where(raining, t, np.nan)).ffill().to_numpy()
    recent = (t - last_rain) <= th.dry_buffer_s
    out["dry"] = ~raining & ~np.isnan(rain) & ~recent
    return out


# ------------------------------------------------------------------ line fits
def _ols(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted LS per column. x (n,), y (n, C), w (n, C) (0 = excluded)."""
    sw = w.sum(0)
    xm = (w * x[:, None]).sum(0) / sw
    ym = (w * y).sum(0) / sw
    dx = x[:, None] - xm
    sxx = (w * dx * dx).sum(0)
    slope = (w * dx * (y - ym)).sum(0) / sxx
    intercept = ym - slope * xm
    return slope, intercept, sxx


def fit_lines(x: np.ndarray, y: np.ndarray, mask: np.ndarray | None = None, *,
              robust: bool = False, ci: float = 0.95, max_iter: int = 50,
              tol: float = 1e-8) -> pd.DataFrame:
    """Fit ``y[:, c] = intercept + slope * x`` for every column ``c``.

    Parameters
    ----------
    x
        Predictor, shape ``(n,)``.
    y
        Responses, shape ``(n, C)`` (NaN entries are left out).
    mask
        Rows to use, shape ``(n,)``.
    robust
        Huber M-estimate (tuning constant 1.345, scale 1.4826 MAD) instead of OLS.
    ci
        Confidence level of the slope interval.
    max_iter, tol
        Iteration limit and relative tolerance of the Huber fit.

    Returns
    -------
    pandas.DataFrame
        One row per column: slope, intercept, r, r2, slope_se, slope_lo, slope_hi,
        p_value, n.
    """
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be in (0, 1), got {ci}")
    xs, ys, w0 = _usable(x, y, mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope, intercept, sxx = _ols(xs, ys, w0)
        w = w0
        if robust:
            w, slope, intercept, sxx = _huber(xs, ys, w0, slope, intercept, max_iter, tol)
        return _line_stats(xs, ys, w0, w if robust else None, slope, intercept, sxx, ci)


def _usable(x: np.ndarray, y: np.ndarray, mask: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x`` (n,) and ``y`` (n, C) with unusable entries zeroed, and their 0/1 weights."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if y.ndim == 1:
        y = y[:, None]
    use = np.isfinite(x)[:, None] & np.isfinite(y)
    if mask is not None:
        use &= np.asarray(mask, bool)[:, None]
    return np.where(np.isfinite(x), x, 0.0), np.where(use, y, 0.0), use.astype(float)


def _line_stats(xs: np.ndarray, ys: np.ndarray, w0: np.ndarray, w: np.ndarray | None,
                slope: np.ndarray, intercept: np.ndarray, sxx: np.ndarray, ci: float
                ) -> pd.DataFrame:
    """The fit table; ``w`` are the final Huber weights (None for OLS)."""
    n = w0.sum(0)
    res = ys - intercept - slope * xs[:, None]
    dof = n - 2
    s2 = (w * res * res).sum(0) / (w.sum(0) - 2) if w is not None else \
        (w0 * res * res).sum(0) / dof
    se = np.sqrt(s2 / sxx)
    tq = stats.t.ppf(0.5 + ci / 2, np.maximum(dof, 1))
    r = _pearson(xs, ys, w0)
    pval = 2 * stats.t.sf(np.abs(slope / se), np.maximum(dof, 1))
    table = pd.DataFrame({"slope": slope, "intercept": intercept, "r": r, "r2": r * r,
                          "slope_se": se, "slope_lo": slope - tq * se,
                          "slope_hi": slope + tq * se, "p_value": pval, "n": n.astype(int)})
    table.loc[n < 3, table.columns[:-1]] = np.nan
    return table


def _huber(x, y, w0, slope, intercept, max_iter, tol):  # noqa: ANN001, ANN202
    c = 1.345
    w = w0
    sxx = None
    for _ in range(max_iter):
        res = y - intercept - slope * x[:, None]
        absr = np.where(w0 > 0, np.abs(res), np.nan)
        scale = 1.4826 * np.nanmedian(absr, axis=0)
        scale = np.where(scale > 0, scale, np.nanmean(absr, axis=0) + 1e-300)
        u = np.abs(res) / scale
        w = w0 * np.minimum(1.0, c / np.maximum(u, 1e-12))
        new_slope, new_int, sxx = _ols(x, y, w)
        done = np.nanmax(np.abs(new_slope - slope) / (np.abs(slope) + 1e-300)) < tol
        slope, intercept = new_slope, new_int
        if done:
            break
    if sxx is None:
        sxx = _ols(x, y, w)[2]
    return w, slope, intercept, sxx


def _pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    sw = w.sum(0)
    xm = (w * x[:, None]).sum(0) / sw
    ym = (w * y).sum(0) / sw
    dx, dy = x[:, None] - xm, y - ym
    return (w * dx * dy).sum(0) / np.sqrt((w * dx * dx).sum(0) * (w * dy * dy).sum(0))


def response(energy: np.ndarray, kind: str) -> np.ndarray:
    """Transform energy: ``energy`` (as is), ``rms`` (square root) or ``db`` (10 log10)."""
    if kind == "energy":
        return energy
    if kind == "rms":
        return np.sqrt(np.maximum(energy, 0.0))
    if kind == "db":
        return 10 * np.log10(np.maximum(energy, 1e-30))
    raise ParameterError(f"response must be energy, rms or db, got {kind!r}")


# ------------------------------------------------------------------ rain events
def best_wind_channel(wind_fits: pd.DataFrame, energy: Any, windows: pd.DataFrame
                      ) -> tuple[np.ndarray, np.ndarray, pd.Series, str]:
    """The most wind-sensitive channel's dry-window points and fitted line, for a figure.

    Parameters
    ----------
    wind_fits
        Per-channel wind fits (``channel``, ``band``, ``response``, ``slope``, ...).
    energy
        Band energy (``band`` x window x channel DataArray).
    windows
        Window table with ``wind_mps`` and ``dry``.

    Returns
    -------
    wind, response, fit, label
        (M,) wind speeds and responses of the dry windows, the channel's fit row and a label.
    """
    best = wind_fits.loc[wind_fits["slope"].idxmax()]
    band = wind_fits["band"].iat[0]
    col = int(np.flatnonzero(wind_fits["channel"].to_numpy() == best["channel"])[0])
    y = response(energy.sel(band=band).values[:, col], wind_fits["response"].iat[0])
    dry = windows["dry"].to_numpy()
    return (windows["wind_mps"].to_numpy()[dry], y[dry], best,
            f"channel {int(best['channel'])} {band}")


def find_events(wx: pd.DataFrame, rain_mmph: float = 0.1, gap_s: float = 3600.0,
                min_windows: int = 3) -> pd.DataFrame:
    """Storm events: rainy windows separated by less than ``gap_s`` are one event.

    Returns
    -------
    pandas.DataFrame
        event, start, end (window starts, UTC), n_windows, volume_mm, peak_mmph.
        ``wx`` must be indexed by window start with a regular step.
    """
    rain = wx["rain_mmph"].to_numpy(float)
    t = wx.index.as_unit("ns").asi8 / 1e9
    step = float(np.median(np.diff(t))) if t.size > 1 else 60.0
    wet = np.flatnonzero(rain >= rain_mmph)
    if wet.size == 0:
        return pd.DataFrame(columns=["event", "start", "end", "n_windows", "volume_mm",
                                     "peak_mmph"])
    breaks = np.flatnonzero(np.diff(t[wet]) > gap_s) + 1
    rows: list[dict[str, Any]] = []
    for grp in np.split(wet, breaks):
        if grp.size < min_windows:
            continue
        span = slice(grp[0], grp[-1] + 1)
        r = np.nan_to_num(rain[span])
        rows.append({"event": len(rows), "start": wx.index[grp[0]], "end": wx.index[grp[-1]],
                     "n_windows": int(grp[-1] - grp[0] + 1),
                     "volume_mm": float(r.sum() * step / 3600.0), "peak_mmph": float(r.max())})
    return pd.DataFrame(rows)


def event_fits(wx: pd.DataFrame, energy: np.ndarray, events: pd.DataFrame, *,
               robust: bool = False, kind: str = "energy") -> pd.DataFrame:
    """Energy (``kind``) against rain rate, per event and channel.

    ``energy`` has shape ``(n_windows, C)`` aligned with ``wx``.
    """
    out = []
    rain = wx["rain_mmph"].to_numpy(float)
    y = response(energy, kind)
    for ev in events.itertuples():
        m = (wx.index >= ev.start) & (wx.index <= ev.end)
        fit = fit_lines(rain, y, m, robust=robust)
        fit.insert(0, "channel", np.arange(y.shape[1]))
        fit.insert(0, "event", ev.event)
        fit["volume_mm"], fit["peak_mmph"] = ev.volume_mm, ev.peak_mmph
        out.append(fit)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def volume_fits(ev_fits: pd.DataFrame, channels: np.ndarray | None = None) -> pd.DataFrame:
    """Per channel: event slope against event rain volume (needs >= 3 events)."""
    if ev_fits.empty or ev_fits["event"].nunique() < 3:
        return pd.DataFrame()
    piv = ev_fits.pivot(index="event", columns="channel", values="slope")
    vol = ev_fits.groupby("event")["volume_mm"].first().reindex(piv.index).to_numpy()
    if channels is not None:
        piv = piv[[c for c in channels if c in piv.columns]]
    fit = fit_lines(vol, piv.to_numpy())
    fit.insert(0, "channel", piv.columns.to_numpy())
    return fit

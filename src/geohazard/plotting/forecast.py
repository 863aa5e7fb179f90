"""Forecast plots: fan chart, observed against predicted, PIT histogram, rate map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from geohazard.forecast.evaluation import WindowEvaluation
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.spatial_eval import SpatialMap
from geohazard.plotting._style import (
    LINE_STYLES,
    count_intervals,
    date_axis,
    finish_count_axes,
    model_color,
)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    return ax


def fan_chart(
    forecast: Forecast,
    observed_times: np.ndarray | None = None,
    bin_days: float = 0.25,
    ax: Axes | None = None,
) -> Axes:
    """Cumulative count through the window: median and 50/90/95% bands, observed on top.

    The time axis is in UTC dates when the forecast knows its catalog's origin, else in
    days since the forecast start.
    """
    ax = _axes(ax)
    edges, per_bin = forecast.daily_counts(bin_days)
    cum = np.concatenate([np.zeros((per_bin.shape[0], 1)), np.cumsum(per_bin, axis=1)], axis=1)
    x: Any = edges - forecast.t_start
    start = None
    if forecast.origin is not None:
        start = forecast.utc_of(forecast.t_start)
        x = forecast.utc_of(edges)
    color = model_color(forecast.model, 0)
    for (lo, hi), alpha in (((2.5, 97.5), 0.15), ((5, 95), 0.25), ((25, 75), 0.4)):
        ax.fill_between(x, np.percentile(cum, lo, axis=0), np.percentile(cum, hi, axis=0),
                        color=color, alpha=alpha, lw=0, label=f"{hi - lo:.0f}% range")
    ax.plot(x, np.median(cum, axis=0), color=color, lw=1.5, label="median")
    if observed_times is not None:
        obs: Any = np.sort(np.asarray(observed_times)) - forecast.t_start
        steps: Any = np.concatenate(([0.0], obs, [edges[-1] - forecast.t_start]))
        if start is not None:
            steps = forecast.utc_of(steps + forecast.t_start)
        ax.step(steps,
                np.concatenate(([0], np.arange(1, obs.size + 1), [obs.size])),
                where="post", color="k", lw=1.5, label="observed")
    if start is not None:
        date_axis(ax)
        ax.set_xlabel("date (UTC)")
    else:
        ax.set_xlabel("days since forecast start")
    ax.set_ylabel("cumulative number of events")
    ax.grid(color="0.92", lw=0.8)
    ax.set_title(f"{forecast.model}: {forecast.continuations.n_samples} simulations, "
                 f"{forecast.days:g} days")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def observed_vs_predicted(
    windows: dict[str, Sequence[WindowEvaluation]],
    intervals: dict[str, np.ndarray],
    ax: Axes | None = None,
    starts: Sequence[Any] | None = None,
) -> Axes:
    """Per-window observed counts against each model's 95% interval.

    Each model's intervals are bars in its own colour-blind-safe colour, side by side in
    each window; the count axis is linear to 1 and logarithmic above with plain ticks.

    Parameters
    ----------
    windows
        Model name -> per-window evaluations (same windows for every model).
    intervals
        Model name -> (W, 2) array of 2.5% and 97.5% count quantiles.
    ax
        Axes to draw on.
    starts
        Start (UTC) of each window: the axis is in dates (else window numbers).
    """
    ax = _axes(ax)
    first = next(iter(windows.values()))
    pos: Any = np.arange(len(first), dtype=float)
    step: Any = 1.0
    if starts is not None:
        pos = pd.DatetimeIndex(starts)
        step = np.median(np.diff(pos)) if len(pos) > 1 else pd.Timedelta(days=1)
    series = {name: (pos, intervals[name][:, 0], intervals[name][:, 1],
                     [e.expected for e in evals]) for name, evals in windows.items()}
    dense, top = count_intervals(ax, series, len(first), 0.5, step)
    obs = [e.observed for e in first]
    ax.plot(pos, obs, "ko", ms=2.5 if dense else 4, mfc="white", label="observed count")
    if starts is not None:
        date_axis(ax)
        ax.set_xlabel("forecast window start (UTC)")
    else:
        ax.set_xlabel("forecast window number")
    ax.set_ylabel("events in the window")
    finish_count_axes(ax, dense, max(top, float(max(obs, default=0))))
    return ax


def pit_histogram(pits: dict[str, Sequence[float]], bins: int = 10, ax: Axes | None = None) -> Axes:
    """Histogram of PIT values per model; a calibrated model is flat at 1.

    PIT piled up near 0 means the observed counts sit in the forecasts' lower tail (the
    model over-predicts); near 1, it under-predicts. The legend gives each mean PIT.
    """
    ax = _axes(ax)
    edges = np.linspace(0, 1, bins + 1)
    for i, (name, values) in enumerate(pits.items()):
        h, _ = np.histogram(values, edges, density=True)
        ax.step(edges, np.concatenate(([h[0]], h)), where="pre", color=model_color(name, i),
                lw=2, ls=LINE_STYLES[i % 4],
                label=f"{name} (mean PIT {np.mean(values):.2f})")
    ax.axhline(1.0, color="0.5", ls="--", lw=1, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT of the observed count (0: fewer than forecast, 1: more)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax


def spatial_rate_map(smap: SpatialMap, ax: Axes | None = None, log10: bool = True) -> Axes:
    """Forecast rate density per cell (events/day/deg²) with the observed epicentres on top.

    Parameters
    ----------
    smap
        A :class:`~geohazard.forecast.spatial_eval.SpatialMap` (from a located backtest).
    ax
        Axes to draw on (a new figure if None).
    log10
        Colour by ``log10`` of the density (cells with zero rate left blank).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    reg = smap.region
    dens = smap.rate_density
    with np.errstate(divide="ignore", invalid="ignore"):
        shown = np.where(dens > 0, np.log10(dens), np.nan) if log10 else dens
    extent = (reg.lon_min, reg.lon_min + reg.shape[1] * reg.dh,
              reg.lat_min, reg.lat_min + reg.shape[0] * reg.dh)
    im = ax.imshow(shown, origin="lower", extent=extent, cmap="viridis", aspect="auto",
                   interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label=("log10 " if log10 else "")
                       + "forecast rate (events / day / deg²)")
    ax.scatter(smap.observed_lon, smap.observed_lat, s=4, c="tab:red", alpha=0.6,
               linewidths=0, label=f"observed ({smap.observed_lon.size})")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(f"{smap.model}: mean forecast over {smap.days:g} days")
    ax.legend(loc="upper right", fontsize="small")
    return ax

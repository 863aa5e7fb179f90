"""Forecast plots: fan chart, observed against predicted, PIT histogram, rate map."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from geohazard.forecast.evaluation import WindowEvaluation
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.spatial_eval import SpatialMap


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
    """Cumulative count through the window: median and 50/90/95% bands, observed on top."""
    ax = _axes(ax)
    edges, per_bin = forecast.daily_counts(bin_days)
    cum = np.concatenate([np.zeros((per_bin.shape[0], 1)), np.cumsum(per_bin, axis=1)], axis=1)
    x = edges - forecast.t_start
    for (lo, hi), alpha in (((2.5, 97.5), 0.15), ((5, 95), 0.25), ((25, 75), 0.4)):
        ax.fill_between(x, np.percentile(cum, lo, axis=0), np.percentile(cum, hi, axis=0),
                        color="C0", alpha=alpha, lw=0, label=f"{hi - lo:.0f}% interval")
    ax.plot(x, np.median(cum, axis=0), color="C0", lw=1.5, label="median")
    if observed_times is not None:
        obs = np.sort(np.asarray(observed_times)) - forecast.t_start
        ax.step(np.concatenate(([0.0], obs, [x[-1]])),
                np.concatenate(([0], np.arange(1, obs.size + 1), [obs.size])),
                where="post", color="k", lw=1.5, label="observed")
    ax.set_xlabel("days since forecast start")
    ax.set_ylabel("cumulative number of events")
    ax.set_title(f"{forecast.model}: {forecast.continuations.n_samples} simulations")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def observed_vs_predicted(
    windows: dict[str, Sequence[WindowEvaluation]],
    intervals: dict[str, np.ndarray],
    ax: Axes | None = None,
) -> Axes:
    """Per-window observed counts against each model's 95% interval.

    Parameters
    ----------
    windows
        Model name -> per-window evaluations (same windows for every model).
    intervals
        Model name -> (W, 2) array of 2.5% and 97.5% count quantiles.
    ax
        Axes to draw on.
    """
    ax = _axes(ax)
    for i, (name, evals) in enumerate(windows.items()):
        idx = np.arange(len(evals)) + 0.2 * (i - (len(windows) - 1) / 2)
        iv = intervals[name]
        ax.vlines(idx, iv[:, 0], iv[:, 1], color=f"C{i}", alpha=0.6, lw=2, label=f"{name} 95%")
        ax.plot(idx, [e.expected for e in evals], "_", color=f"C{i}", ms=6)
    first = next(iter(windows.values()))
    ax.plot(np.arange(len(first)), [e.observed for e in first], "k.", ms=5, label="observed")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("forecast window")
    ax.set_ylabel("number of events")
    ax.legend(fontsize=8)
    return ax


def pit_histogram(pits: dict[str, Sequence[float]], bins: int = 10, ax: Axes | None = None) -> Axes:
    """Histogram of PIT values per model; a calibrated model is flat at 1."""
    ax = _axes(ax)
    edges = np.linspace(0, 1, bins + 1)
    for i, (name, values) in enumerate(pits.items()):
        h, _ = np.histogram(values, edges, density=True)
        ax.step(edges, np.concatenate(([h[0]], h)), where="pre", color=f"C{i}", label=name)
    ax.axhline(1.0, color="0.5", ls="--", lw=1)
    ax.set_xlabel("PIT of observed count")
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

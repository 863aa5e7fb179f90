"""DAS storm-noise figures: ``f(..., ax=None) -> Axes`` plus a saver for an analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 4)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def plot_energy_waterfall(energy: Any, band: str, distance: np.ndarray | None = None,
                          ax: Axes | None = None, max_rows: int = 1500) -> Axes:
    """Band energy (dB) against time and distance along the fiber.

    More than ``max_rows`` windows are averaged (in dB) in blocks for display.
    """
    ax = _ax(ax, (8, 4))
    data = 10 * np.log10(np.maximum(energy.sel(band=band).values, 1e-30))  # (time, channel)
    t = pd.DatetimeIndex(energy.time.values)
    step = int(np.ceil(len(t) / max_rows))
    if step > 1:  # months of windows: average blocks of rows for display
        keep = (len(t) // step) * step
        data = np.nanmean(data[:keep].reshape(-1, step, data.shape[1]), axis=1)
        t = t[:keep:step]
    x = distance if distance is not None else energy.channel.values
    mesh = ax.pcolormesh(x, t, data, shading="auto", cmap="magma")
    ax.figure.colorbar(mesh, ax=ax, label=f"{band} energy (dB)")
    ax.set_xlabel("distance (m)" if distance is not None else "channel")
    ax.set_ylabel("time (UTC)")
    ax.set_title(f"Band energy {band}")
    return ax


def plot_wind_fit(x: np.ndarray, y: np.ndarray, fit: pd.Series, label: str = "",
                  ax: Axes | None = None) -> Axes:
    """Energy response against wind speed with the fitted line of one channel."""
    ax = _ax(ax, (5, 4))
    ax.scatter(x, y, s=8, alpha=0.6)
    xx = np.linspace(np.nanmin(x), np.nanmax(x), 50)
    ax.plot(xx, fit["intercept"] + fit["slope"] * xx, color="k",
            label=f"slope {fit['slope']:.3g} (R² {fit['r2']:.2f})")
    ax.set_xlabel("wind speed (m/s)")
    ax.set_ylabel(label or "response")
    ax.legend(loc="upper left")
    return ax


def plot_sensitivity(fits: pd.DataFrame, sources: pd.DataFrame | None = None,
                     kind: str = "pole", ylabel: str = "slope", ax: Axes | None = None) -> Axes:
    """Slope along the fiber with its confidence band and the detected sources."""
    ax = _ax(ax, (8, 3.5))
    d = fits["distance_m"].to_numpy()
    ax.fill_between(d, fits["slope_lo"], fits["slope_hi"], alpha=0.3, lw=0)
    ax.plot(d, fits["slope"], lw=1)
    if sources is not None and not sources.empty:
        sel = sources.loc[sources["kind"] == kind]
        ax.scatter(sel["distance_m"], sel["peak_slope"], color="r", zorder=3,
                   label=f"{kind} candidates")
        if len(sel):
            ax.legend()
    ax.set_xlabel("distance along fiber (m)")
    ax.set_ylabel(ylabel)
    return ax


def plot_sensitivity_map(channels: pd.DataFrame, values: np.ndarray,
                         sources: pd.DataFrame | None = None, label: str = "wind slope",
                         ax: Axes | None = None) -> Axes:
    """Fiber in map view (lon/lat or x/y) coloured by sensitivity, sources marked."""
    ax = _ax(ax, (6, 5))
    if {"longitude", "latitude"} <= set(channels.columns):
        xc, yc = "longitude", "latitude"
    elif {"x", "y"} <= set(channels.columns):
        xc, yc = "x", "y"
    else:
        xc, yc = "distance_m", None
    y = channels[yc] if yc else np.zeros(len(channels))
    sc = ax.scatter(channels[xc], y, c=values, s=10, cmap="viridis")
    ax.figure.colorbar(sc, ax=ax, label=label)
    if sources is not None and not sources.empty and xc in sources:
        for kind, marker in (("pole", "^"), ("drain", "s")):
            sel = sources.loc[sources["kind"] == kind]
            ys = sel[yc] if yc else np.zeros(len(sel))
            ax.scatter(sel[xc], ys, marker=marker, facecolors="none", edgecolors="r", s=80,
                       label=kind)
        ax.legend()
    ax.ticklabel_format(useOffset=False, style="plain")
    if xc == "longitude":
        ax.set_aspect(1 / np.cos(np.radians(float(np.nanmean(y)))), adjustable="datalim")
    ax.set_xlabel(xc)
    ax.set_ylabel(yc or "")
    return ax


def plot_event_slopes(volume: np.ndarray, slope: np.ndarray, ax: Axes | None = None) -> Axes:
    """Event slope (energy per mm/h) against event rain volume."""
    ax = _ax(ax, (5, 4))
    ax.plot(volume, slope, "o")
    ax.set_xlabel("event rain volume (mm)")
    ax.set_ylabel("energy slope per mm/h")
    return ax


def plot_spectra(spectra: dict[str, Any], ax: Axes | None = None) -> Axes:
    """PSD of one channel in a calm and a windy window (resonance peaks stand out)."""
    ax = _ax(ax, (6, 4))
    for label in ("calm", "windy"):
        if label in spectra:
            s = spectra[label]
            ax.semilogy(s["freqs"], s["psd"], label=f"{label} ({s['wind_mps']:.1f} m/s)")
    ax.set_xlim(0, 20)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("PSD ((units)²/Hz)")
    ax.set_title(f"channel {spectra.get('channel')}")
    ax.legend()
    return ax


def plot_resonance_wind(tracks: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Resonance amplitude (sqrt of 1-8 Hz PSD) against wind speed, per pole channel."""
    ax = _ax(ax, (5, 4))
    for ch, grp in tracks.groupby("channel"):
        ax.scatter(grp["wind_mps"], np.sqrt(grp["band_psd"]), s=8, label=f"channel {ch}")
    ax.set_xlabel("wind speed (m/s)")
    ax.set_ylabel("resonance amplitude density")
    ax.legend()
    return ax


def _save(ax: Axes, path: Path) -> Path:
    from geohazard.io_utils import atomic_path

    fig = cast(Figure, ax.figure)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return path


def _best_wind_fit(res: Any) -> Axes:
    """Energy against wind for the most wind-sensitive channel, with its fit."""
    from geohazard.das.regression import best_wind_channel

    return plot_wind_fit(*best_wind_channel(res.wind_fits, res.energy, res.windows))


def save_analysis_figures(res: Any, out_dir: Path) -> dict[str, Path]:
    """Write the standard figures of an :class:`AnalysisResult`; return name -> path."""
    figs: dict[str, Path] = {}
    dist = res.channels["distance_m"].to_numpy()
    for band in res.energy.band.values:
        figs[f"waterfall_{band}"] = _save(plot_energy_waterfall(res.energy, str(band), dist),
                                          out_dir / f"waterfall_{band}.png")
    wf = res.wind_fits
    figs["wind_sensitivity"] = _save(plot_sensitivity(wf, res.sources, "pole",
                                                      f"wind slope ({wf['response'].iat[0]})"),
                                     out_dir / "wind_sensitivity.png")
    if {"latitude", "longitude"} <= set(res.channels) or {"x", "y"} <= set(res.channels):
        figs["map"] = _save(plot_sensitivity_map(res.channels, wf["slope"].to_numpy(),
                                                 res.sources), out_dir / "map.png")
    if wf["slope"].notna().any():
        figs["wind_fit"] = _save(_best_wind_fit(res), out_dir / "wind_fit.png")
    if res.spectra:
        figs["spectra"] = _save(plot_spectra(res.spectra), out_dir / "spectra.png")
        figs["resonance_wind"] = _save(plot_resonance_wind(res.resonances),
                                       out_dir / "resonance_wind.png")
    if not res.volume_fits.empty and not res.event_fits.empty:
        ch = int(res.volume_fits["channel"].iat[0])
        sel = res.event_fits.loc[(res.event_fits["channel"] == ch)
                                 & (res.event_fits["band"] == res.volume_fits["band"].iat[0])]
        figs["event_slopes"] = _save(plot_event_slopes(sel["volume_mm"], sel["slope"]),
                                     out_dir / "event_slopes.png")
    return figs

"""DAS storm-noise figures: ``f(..., ax=None) -> Axes`` plus a saver for an analysis.

Axes carry the units of the quantity the file holds (strain rate, strain or velocity:
:class:`~geohazard.das.quantity.Quantity`), and every decibel scale states its reference
(``dB re 1 (1/s)^2``).
"""

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


def _band_text(band: str) -> str:
    """``'0.5-8Hz'`` -> ``'0.5-8 Hz'``."""
    return band[:-2] + " Hz" if band.endswith("Hz") else band


def plot_energy_waterfall(energy: Any, band: str, distance: np.ndarray | None = None,
                          ax: Axes | None = None, max_rows: int = 1500) -> Axes:
    """Band energy (dB) against time and distance along the fiber.

    The colour bar names the energy and its dB reference from ``energy.attrs``
    (``long_name``, ``units``).  More than ``max_rows`` windows are averaged (in dB) in
    blocks for display.
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
    units = energy.attrs.get("units", "(data units)^2")
    ax.figure.colorbar(mesh, ax=ax, label=f"{_band_text(band)} energy (dB re 1 {units})")
    ax.set_xlabel("distance along fiber (m)" if distance is not None else "channel")
    ax.set_ylabel("time (UTC)")
    name = str(energy.attrs.get("long_name", "band energy"))
    ax.set_title(f"{name[0].upper()}{name[1:]}, {_band_text(band)}")
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


def plot_event_slopes(volume: np.ndarray, slope: np.ndarray, ax: Axes | None = None,
                      units: str = "energy") -> Axes:
    """Event slope (energy per mm/h) against event rain volume; ``units`` of the energy."""
    ax = _ax(ax, (5, 4))
    ax.plot(volume, slope, "o")
    ax.set_xlabel("event rain volume (mm)")
    ax.set_ylabel(f"event slope ({units} per mm/h)")
    return ax


def plot_spectra(spectra: dict[str, Any], ax: Axes | None = None) -> Axes:
    """PSD of one channel in a calm and a windy window (resonance peaks stand out)."""
    ax = _ax(ax, (6, 4))
    for label in ("calm", "windy"):
        if label in spectra:
            s = spectra[label]
            psd_db = 10 * np.log10(np.maximum(np.asarray(s["psd"], float), 1e-300))
            ax.plot(s["freqs"], psd_db, label=f"{label} (wind {s['wind_mps']:.1f} m/s)")
    ax.set_xlim(0, 20)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel(f"PSD (dB re 1 {spectra.get('psd_units', '(data units)^2/Hz')})")
    ax.set_title(f"Channel {spectra.get('channel')}: calm and windy dry windows")
    ax.legend()
    return ax


def plot_resonance_wind(tracks: pd.DataFrame, ax: Axes | None = None,
                        units: str = "data units") -> Axes:
    """Resonance amplitude (sqrt of 1-8 Hz PSD) against wind speed, per pole channel.

    ``units`` are those of the samples (the amplitude is in ``units``/sqrt(Hz)).
    """
    ax = _ax(ax, (5, 4))
    for ch, grp in tracks.groupby("channel"):
        ax.scatter(grp["wind_mps"], np.sqrt(grp["band_psd"]), s=8, label=f"channel {ch}")
    ax.set_xlabel("wind speed (m/s)")
    ax.set_ylabel(f"resonance amplitude, 1-8 Hz ({units}/√Hz)")
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


_RESPONSE = {"rms": "band RMS", "energy": "band energy", "db": "band energy"}


def _response_label(fits: pd.DataFrame) -> tuple[str, str]:
    """``("band RMS 0.5-8 Hz", "1/s")``: what a fit table's response is, and its units."""
    resp = str(fits["response"].iat[0]) if "response" in fits and len(fits) else "energy"
    band = _band_text(str(fits["band"].iat[0])) if "band" in fits and len(fits) else ""
    units = str(fits["response_units"].iat[0]) if "response_units" in fits and len(fits) \
        else resp
    return f"{_RESPONSE.get(resp, resp)} {band}".strip(), units


def _best_wind_fit(res: Any) -> Axes:
    """Energy against wind for the most wind-sensitive channel, with its fit."""
    from geohazard.das.regression import best_wind_channel

    x, y, fit, label = best_wind_channel(res.wind_fits, res.energy, res.windows)
    what, units = _response_label(res.wind_fits)
    ax = plot_wind_fit(x, y, fit, f"{what} ({units})")
    ax.set_title(f"Most wind-sensitive: {label.split(' ')[0]} {int(fit['channel'])}")
    return ax


def _quantity(res: Any) -> Any:
    from geohazard.das.quantity import Quantity

    return getattr(res, "quantity", None) or Quantity()


def save_analysis_figures(res: Any, out_dir: Path) -> dict[str, Path]:
    """Write the standard figures of an :class:`AnalysisResult`; return name -> path."""
    figs: dict[str, Path] = {}
    dist = res.channels["distance_m"].to_numpy()
    for band in res.energy.band.values:
        figs[f"waterfall_{band}"] = _save(plot_energy_waterfall(res.energy, str(band), dist),
                                          out_dir / f"waterfall_{band}.png")
    wf = res.wind_fits
    what, units = _response_label(wf)
    slope_label = f"wind slope of {what} ({units} per m/s)"
    figs["wind_sensitivity"] = _save(plot_sensitivity(wf, res.sources, "pole", slope_label),
                                     out_dir / "wind_sensitivity.png")
    if {"latitude", "longitude"} <= set(res.channels) or {"x", "y"} <= set(res.channels):
        figs["map"] = _save(plot_sensitivity_map(res.channels, wf["slope"].to_numpy(),
                                                 res.sources, f"wind slope ({units} per m/s)"),
                            out_dir / "map.png")
    if wf["slope"].notna().any():
        figs["wind_fit"] = _save(_best_wind_fit(res), out_dir / "wind_fit.png")
    if res.spectra:
        figs["spectra"] = _save(plot_spectra(res.spectra), out_dir / "spectra.png")
        figs["resonance_wind"] = _save(
            plot_resonance_wind(res.resonances, units=_quantity(res).unit_text),
            out_dir / "resonance_wind.png")
    if not res.volume_fits.empty and not res.event_fits.empty:
        ch = int(res.volume_fits["channel"].iat[0])
        sel = res.event_fits.loc[(res.event_fits["channel"] == ch)
                                 & (res.event_fits["band"] == res.volume_fits["band"].iat[0])]
        figs["event_slopes"] = _save(plot_event_slopes(sel["volume_mm"], sel["slope"],
                                                       units=_response_label(res.rain_fits)[1]),
                                     out_dir / "event_slopes.png")
    return figs

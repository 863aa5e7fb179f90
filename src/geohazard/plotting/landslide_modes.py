"""Figures of landslide modes: mobility (H/L against volume) and counts per mode."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

__all__ = ["MODE_COLOURS", "plot_mode_mobility", "plot_mode_summary"]

MODE_COLOURS = {"fall": "tab:red", "slide": "tab:blue", "avalanche": "tab:orange",
                "deformation": "tab:green", "unclassified": "tab:gray"}


def _ax(ax: Axes | None, size: tuple[float, float] = (6, 4.5)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def plot_mode_mobility(table: Any, ax: Axes | None = None, h_over_l: float = 0.6) -> Axes:
    """H/L against volume per mode, with Scheidegger's (1973) curve and the 0.6 line.

    Parameters
    ----------
    table
        Modes table with ``volume_m3``, ``h_over_l`` and ``mode``.
    ax
        Axes to draw on.
    h_over_l
        Mobility threshold drawn as a horizontal line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    for mode, grp in table.groupby("mode"):
        ax.scatter(grp["volume_m3"], grp["h_over_l"], s=14, label=f"{mode} ({len(grp)})",
                   color=MODE_COLOURS.get(str(mode), "k"))
    v = np.logspace(1, 11, 50)
    ax.plot(v, 10 ** (0.62419 - 0.15666 * np.log10(v)), "k--", lw=1,
            label="Scheidegger (1973)")
    ax.axhline(h_over_l, color="0.5", lw=0.8, ls=":", label=f"H/L = {h_over_l:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("volume from area (Larsen et al. 2010), m³")
    ax.set_ylabel("H/L (Fahrböschung)")
    ax.legend(fontsize=8)
    return ax


def plot_mode_summary(summary: Any, ax: Axes | None = None) -> Axes:
    """Count (bars) and area (labels) of landslides per mode.

    Parameters
    ----------
    summary
        Table with ``mode``, ``count`` and ``area_km2``.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax, (5, 3.5))
    modes = summary["mode"].astype(str).tolist()
    bars = ax.bar(modes, summary["count"], color=[MODE_COLOURS.get(m, "k") for m in modes])
    for b, a in zip(bars, summary["area_km2"], strict=True):
        ax.annotate(f"{a:.3g} km²", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("landslides")
    return ax

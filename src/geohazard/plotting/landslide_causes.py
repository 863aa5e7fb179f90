"""Figures of shaking amplification and the PGA-landslide relation (issue 15, causes)."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from geohazard.plotting.landslide import label_map_axes  # noqa: E402
from geohazard.plotting.landslide_hazard import _extent  # noqa: E402

__all__ = ["plot_amplification", "plot_pga_relation"]


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 5)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def plot_amplification(amp: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Map of a topographic amplification factor, diverging about 1 (crests red).

    Parameters
    ----------
    amp
        Amplification raster (``xarray.DataArray``; decimate large rasters first).
    ax
        Axes to draw on (a new figure when None).
    title
        Title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    v = np.asarray(amp.values, dtype=float)
    finite = v[np.isfinite(v)]
    lo = min(float(finite.min()), 0.99) if finite.size else 0.99
    hi = max(float(finite.max()), 1.01) if finite.size else 1.01
    img = ax.imshow(v, extent=_extent(amp), cmap="RdBu_r", interpolation="nearest",
                    norm=TwoSlopeNorm(vcenter=1.0, vmin=lo, vmax=hi),
                    origin="upper" if amp.y.values[0] > amp.y.values[-1] else "lower")
    ax.figure.colorbar(img, ax=ax, label="topographic amplification (factor)")
    ax.set_title(title or "Topographic amplification (FSC)")
    return label_map_axes(ax, amp)


def plot_pga_relation(tables: dict[str, Any], ax: Axes | None = None,
                      column: str = "area_pct") -> Axes:
    """Landslide density per PGA class, one bar group per table (e.g. with/without amp).

    Parameters
    ----------
    tables
        Label to factor-statistics table
        (:func:`~geohazard.landslide.factors.factor_statistics` columns).
    ax
        Axes to draw on.
    column
        ``"area_pct"`` (landslide area density, %), ``"fr"`` or
        ``"number_density_per_km2"``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax, (8, 4))
    labels = next(iter(tables.values()))["label"].tolist()
    width = 0.8 / max(len(tables), 1)
    x = np.arange(len(labels))
    for k, (name, t) in enumerate(tables.items()):
        vals = t.set_index("label").reindex(labels)[column].to_numpy(dtype=float)
        ax.bar(x + (k - (len(tables) - 1) / 2) * width, np.nan_to_num(vals), width, label=name)
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_xlabel("PGA class (g)")
    ax.set_ylabel({"area_pct": "landslide area density (%)", "fr": "frequency ratio",
                   "number_density_per_km2": "landslides per km²"}.get(column, column))
    ax.legend()
    return ax

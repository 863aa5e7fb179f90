"""Landslide hazard figures: ``f(..., ax=None) -> Axes`` for the USGS model, Newmark and scaling."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import BoundaryNorm, LogNorm  # noqa: E402

from geohazard.plotting.landslide import label_map_axes  # noqa: E402

__all__ = [
    "plot_coverage_map",
    "plot_displacement_curves",
    "plot_raster",
    "plot_scaling",
]

#: Bin edges of the USGS Ground Failure landslide legend (areal coverage).
USGS_COVERAGE_BINS = (0.002, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 5)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def _extent(da: Any) -> tuple[float, float, float, float]:
    x, y = da.x.values, da.y.values
    dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
    dy = abs(y[1] - y[0]) if y.size > 1 else 1.0
    return (x.min() - dx / 2, x.max() + dx / 2, y.min() - dy / 2, y.max() + dy / 2)


def plot_raster(da: Any, ax: Axes | None = None, cmap: str = "viridis", log: bool = False,
                label: str | None = None) -> Axes:
    """Show a north-up raster (``xarray.DataArray`` with ``x``/``y``) with a colour bar.

    Parameters
    ----------
    da
        Raster.
    ax
        Axes to draw on (a new figure when None).
    cmap
        Colour map.
    log
        Logarithmic colour scale (positive values only).
    label
        Colour-bar label (default: name and units).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    vals = np.asarray(da.values, dtype=float)
    norm = None
    if log:
        pos = vals[np.isfinite(vals) & (vals > 0)]
        if pos.size:
            norm = LogNorm(vmin=pos.min(), vmax=pos.max())
        vals = np.where(vals > 0, vals, np.nan)
    img = ax.imshow(vals, extent=_extent(da), origin="upper" if da.y.values[0] > da.y.values[-1]
                    else "lower", cmap=cmap, norm=norm, interpolation="nearest")
    units = da.attrs.get("units", "")
    default = f"{da.name or ''} ({units})" if units else str(da.name or "")
    ax.figure.colorbar(img, ax=ax, label=label or default)
    return label_map_axes(ax, da)


def plot_coverage_map(coverage: Any, ax: Axes | None = None, epicenter: tuple[float, float]
                      | None = None, title: str | None = None) -> Axes:
    """Landslide areal coverage with the USGS Ground Failure legend bins.

    Parameters
    ----------
    coverage
        Areal coverage raster (e.g. :attr:`geohazard.landslide.usgs.JesseeResult.coverage`).
    ax
        Axes to draw on.
    epicenter
        ``(lon, lat)`` to mark with a star.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    vals = np.asarray(coverage.values, dtype=float)
    vals = np.where(vals >= USGS_COVERAGE_BINS[0], vals, np.nan)  # masked like the USGS map
    cmap = plt.get_cmap("CMRmap_r", len(USGS_COVERAGE_BINS) - 1)
    norm = BoundaryNorm(USGS_COVERAGE_BINS, cmap.N)
    img = ax.imshow(vals, extent=_extent(coverage), origin="upper", cmap=cmap, norm=norm,
                    interpolation="nearest")
    ax.figure.colorbar(img, ax=ax, label="areal coverage (proportion of cell)")
    if epicenter is not None:
        ax.plot(*epicenter, marker="*", color="k", markersize=14, linestyle="none")
    label_map_axes(ax, coverage, default_crs="EPSG:4326")
    ax.set_title(title or "Landslide areal coverage (Nowicki Jessee et al. 2018)")
    return ax


def plot_displacement_curves(amax_g: float = 0.5, magnitude: float = 7.0,
                             pgv_cms: float = 50.0, ax: Axes | None = None) -> Axes:
    """Newmark displacement against ``ac/amax`` for the shipped regressions.

    Parameters
    ----------
    amax_g
        PGA in g.
    magnitude
        Moment magnitude.
    pgv_cms
        PGV for the Saygili & Rathje PGA-PGV model.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from geohazard.landslide.newmark import bray_travasarou_2007, jibson_2007, saygili_rathje_2008

    ax = _ax(ax)
    r = np.linspace(0.02, 0.98, 200)
    ac = r * amax_g
    curves = {
        "Jibson 2007 eq. 6": jibson_2007(ac, amax_g),
        f"Jibson 2007 eq. 7 (M {magnitude:g})": jibson_2007(ac, amax_g, magnitude),
        "Saygili & Rathje 2008 PGA": saygili_rathje_2008(ac, amax_g),
        f"Saygili & Rathje 2008 PGA-PGV ({pgv_cms:g} cm/s)": saygili_rathje_2008(
            ac, amax_g, pgv_cms=pgv_cms),
        f"Bray & Travasarou 2007 rigid (M {magnitude:g})": bray_travasarou_2007(
            ac, amax_g, magnitude),
    }
    for label, d in curves.items():
        ax.semilogy(r, np.asarray(d), label=label)
    ax.axhline(5.0, color="0.5", linestyle=":", label="5 cm (Godt et al. 2008)")
    ax.set_xlabel("critical acceleration ratio ac / amax")
    ax.set_ylabel("displacement (cm)")
    ax.set_title(f"Newmark displacement regressions, PGA = {amax_g:g} g")
    ax.legend(fontsize=8)
    return ax


def plot_scaling(events: Any, fit: Any = None, quantity: str = "n",
                 literature: list[Any] | None = None, ax: Axes | None = None) -> Axes:
    """Event values against magnitude with a fitted relation and literature lines.

    Parameters
    ----------
    events
        Event table with ``mw``, ``event`` and the quantity's column.
    fit
        :class:`geohazard.landslide.scaling.ScalingFit` to draw with its 95 % band.
    quantity
        ``"n"``, ``"area"`` or ``"volume"``.
    literature
        :class:`~geohazard.landslide.scaling.LiteratureRelation` objects to draw.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from geohazard.landslide.scaling import QUANTITIES

    ax = _ax(ax)
    col = QUANTITIES[quantity]
    ok = events[col].notna()
    ax.scatter(events.loc[ok, "mw"], events.loc[ok, col], color="k", zorder=3)
    for _, row in events.loc[ok].iterrows():
        ax.annotate(str(row.get("event", "")), (row["mw"], row[col]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    m = np.linspace(events["mw"].min() - 0.3, events["mw"].max() + 0.3, 100)
    if fit is not None:
        pr = fit.predict(m)
        ax.plot(m, pr["median"], color="C0",
                label=f"fit: log10 = {fit.a:.2f} M {fit.b:+.2f} (n={fit.n})")
        ax.fill_between(m, pr["lower"], pr["upper"], color="C0", alpha=0.2,
                        label="95 % prediction interval")
    for k, rel in enumerate(literature or []):
        ax.plot(m, rel.predict(m), linestyle="--", color=f"C{k + 1}", label=rel.name)
    ax.set_yscale("log")
    ax.set_xlabel("moment magnitude")
    ax.set_ylabel({"n": "number of landslides", "area": "landslide area (km$^2$)",
                   "volume": "landslide volume (km$^3$)"}[quantity])
    ax.legend(fontsize=8)
    return ax

"""Landslide susceptibility figures: ``f(obj, ax=None) -> Axes``.

Terrain and factor maps, fault sides, factor statistics and success/prediction-rate curves.
"""

from __future__ import annotations

from typing import Any, Literal

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

__all__ = [
    "crs_axis_labels",
    "label_map_axes",
    "length_label",
    "plot_factor_statistics",
    "plot_fault_sides",
    "plot_map",
    "plot_rate_curves",
]


def _crs(obj: Any) -> Any:
    """The CRS of a raster (rioxarray) or a CRS-like object; None when unknown."""
    from pyproj import CRS

    crs = obj
    if hasattr(obj, "rio"):
        try:
            crs = obj.rio.crs
        except Exception:  # no CRS coordinate: rioxarray raises its own errors
            return None
    if crs is None:
        return None
    try:
        return CRS.from_user_input(crs)
    except Exception:  # pyproj.exceptions.CRSError and friends on an odd object
        return None


def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else str(crs.name)


def crs_axis_labels(crs: Any) -> tuple[str, str]:
    """Axis labels naming the CRS and its units: ``("Easting (m), EPSG:32610", ...)``.

    ``crs`` is anything pyproj reads, or a raster with a rioxarray CRS; without one the
    labels say so (``"x (CRS unknown)"``).
    """
    c = _crs(crs)
    if c is None:
        return "x (CRS unknown)", "y (CRS unknown)"
    name = _crs_name(c)
    if c.is_geographic:
        return f"Longitude (°), {name}", f"Latitude (°), {name}"
    unit = c.axis_info[0].unit_name if c.axis_info else "unknown unit"
    unit = {"metre": "m", "meter": "m", "foot": "ft", "US survey foot": "US ft"}.get(unit, unit)
    return f"Easting ({unit}), {name}", f"Northing ({unit}), {name}"


def length_label(value: float, crs: Any = None) -> str:
    """A length in CRS units for people: ``894.089`` (metres) -> ``"894 m"``, ``"1.25 km"``.

    Projected CRS units are converted to metres; a geographic CRS gives degrees.
    """
    c = _crs(crs)
    if c is not None and c.is_geographic:
        return f"{value:.3g}°"
    factor = 1.0
    if c is not None and c.axis_info:
        factor = float(c.axis_info[0].unit_conversion_factor or 1.0)
    m = float(value) * factor
    return f"{m / 1000:.3g} km" if abs(m) >= 1000 else f"{m:.3g} m"


def label_map_axes(ax: Axes, da: Any, default_crs: Any = None) -> Axes:
    """Label map axes with the CRS name and units; plain tick numbers, no offset.

    ``default_crs`` names the CRS of a raster that carries none (e.g. the lon/lat grid of
    the USGS model).
    """
    from matplotlib.ticker import FuncFormatter

    c = _crs(da)
    c = c if c is not None else _crs(default_crs)
    xlabel, ylabel = crs_axis_labels(c)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fmt = "{:.4g}" if c is not None and c.is_geographic else "{:,.0f}"
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _, f=fmt: f.format(v)))
    return ax


def _ax(ax: Axes | None, size: tuple[float, float] = (6, 5)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def _origin(y: np.ndarray) -> Literal["upper", "lower"]:
    return "upper" if y.size < 2 or y[0] > y[-1] else "lower"


def _extent(da: Any) -> tuple[float, float, float, float]:
    x, y = np.asarray(da.x), np.asarray(da.y)
    dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
    dy = abs(y[1] - y[0]) if y.size > 1 else 1.0
    return (float(x.min() - dx / 2), float(x.max() + dx / 2), float(y.min() - dy / 2),
            float(y.max() + dy / 2))


def plot_map(da: Any, ax: Axes | None = None, *, cmap: str = "viridis",
             landslides: Any = None, title: str | None = None, **kwargs: Any) -> Axes:
    """Show a raster (terrain factor, susceptibility) with optional landslide cells.

    Parameters
    ----------
    da
        2-D ``DataArray`` with ``x``/``y`` coordinates.
    ax
        Axes to draw on (a new figure when None).
    cmap
        Colormap name.
    landslides
        Boolean raster on the same grid, outlined in sky blue (Okabe-Ito; seen on
        viridis and magma alike).
    title
        Axes title (defaults to the array's name and units).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (``vmin``, ``vmax`` ...).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    y = np.asarray(da.y)
    img = np.asarray(da.values, dtype=float)
    origin = _origin(y)
    im = ax.imshow(img, extent=_extent(da), origin=origin, cmap=cmap, **kwargs)
    units = da.attrs.get("units", "")
    label = f"{da.name or ''} ({units})" if units else str(da.name or "")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    if landslides is not None:
        mask = np.asarray(landslides.values, dtype=float)
        ax.contour(np.asarray(landslides.x), y, mask, levels=[0.5], colors="#56B4E9",
                   linewidths=0.6)
    ax.set_title(title if title is not None else str(da.name or ""))
    return label_map_axes(ax, da)


def plot_fault_sides(ds: Any, ax: Axes | None = None, faults: Any = None) -> Axes:
    """Map of hanging wall (+1), footwall (-1) and unknown (0) cells from ``fault_factors``.

    Parameters
    ----------
    ds
        Dataset from :func:`geohazard.landslide.faults.fault_factors`.
    ax
        Axes to draw on.
    faults
        Fault GeoDataFrame (drawn in black, reprojected to the grid's CRS).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from geohazard.landslide.categorical import FAULT_SIDE_CLASSES

    ax = _ax(ax)
    cmap = ListedColormap([c for _, c in FAULT_SIDE_CLASSES.classes.values()])
    y = np.asarray(ds.y)
    origin = _origin(y)
    im = ax.imshow(np.asarray(ds.side.values, float), extent=_extent(ds.side), origin=origin,
                   cmap=cmap, vmin=-1.5, vmax=1.5)
    cb = ax.figure.colorbar(im, ax=ax, ticks=[-1, 0, 1], shrink=0.8)
    cb.ax.set_yticklabels(["footwall", "unknown", "hanging wall"])
    ax.contour(np.asarray(ds.x), y, np.asarray(ds.distance_m.values), levels=5,
               colors="k", linewidths=0.3, alpha=0.5)
    if faults is not None:
        crs = ds.rio.crs if hasattr(ds, "rio") else None
        f = faults.to_crs(crs) if crs is not None else faults
        f.plot(ax=ax, color="k", linewidth=1.2)
        ax.set_xlim(*_extent(ds.side)[:2])
        ax.set_ylim(*_extent(ds.side)[2:])
    ax.set_title("fault side and distance contours")
    return label_map_axes(ax, ds.side)


def plot_factor_statistics(table: Any, ax: Axes | None = None, column: str = "fr") -> Axes:
    """Bar chart of a per-class statistic (default frequency ratio) with class area share.

    Parameters
    ----------
    table
        Output of :func:`geohazard.landslide.factors.factor_statistics`.
    ax
        Axes to draw on.
    column
        Statistic to plot (``fr``, ``iv``, ``area_pct``, ``number_density_per_km2`` ...).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax, (7, 4))
    pos = np.arange(len(table))
    vals = np.asarray(table[column], dtype=float)
    ax.bar(pos, np.where(np.isfinite(vals), vals, 0.0), color="#d95f02", label=column)
    if column == "fr":
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax2 = ax.twinx()
    ax2.plot(pos, np.asarray(table["class_area_pct"]), "o-", color="#1b9e77",
             label="class area (%)")
    ax2.set_ylabel("class area (%)")
    ax.set_xticks(pos)
    ax.set_xticklabels(list(table["label"]), rotation=45, ha="right")
    ax.set_ylabel(column)
    ax.set_title(f"{table.attrs.get('factor', '')}: {column} per class")
    return ax


def plot_rate_curves(curves: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Success- and prediction-rate curves.

    Parameters
    ----------
    curves
        Label to :class:`~geohazard.landslide.susceptibility.RateCurve`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax, (5, 5))
    for label, rc in curves.items():
        ax.plot(100 * rc.area_fraction, 100 * rc.landslide_fraction,
                label=f"{label} (AUC {rc.auc:.3f})")
    ax.plot([0, 100], [0, 100], color="grey", ls=":", lw=0.8)
    ax.set_xlabel("area ranked by susceptibility (%)")
    ax.set_ylabel("landslide cells (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title("success and prediction rates")
    return ax

"""Factor statistics per class: number density, area percentage, frequency ratio, IV.

For a factor raster split into classes ``i`` (categories, or bins of a continuous factor)
and an inventory rasterised by :func:`geohazard.landslide.inventory.inventory_rasters`:

- ``class_area_km2`` ``S_i``: true area of the class's valid cells (total ``S``);
- ``n_landslides`` ``N_i``: landslides whose representative point lies in the class;
- ``landslide_area_km2`` ``A_i``: landslide-covered area in the class (total ``A``);
- ``number_density_per_km2`` = ``N_i / S_i``;
- ``area_pct`` (landslide area percentage) = ``100 A_i / S_i``;
- ``fr`` (frequency ratio, area based) = ``(A_i / A) / (S_i / S)``;
  ``fr_count`` uses numbers: ``(N_i / N) / (S_i / S)``;
- ``iv`` (information value, Yin & Yan 1988) = ``ln(fr)``; ``-inf`` for a class without
  landslides (no evidence), NaN when the class is empty.

Areas use true cell areas, so geographic grids are handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide.checks import check_param, fmt_num, raster_label, require_data

__all__ = ["class_value_map", "classify", "factor_classes", "factor_statistics"]

COLUMNS = ["class", "label", "n_cells", "class_area_km2", "class_area_pct", "n_landslides",
           "landslide_area_km2", "number_density_per_km2", "area_pct", "fr", "fr_count", "iv"]


def classify(
    factor: xr.DataArray, bins: int | Sequence[float] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Split a factor raster into integer classes.

    Parameters
    ----------
    factor
        Factor raster; NaN cells get class ``-1`` (excluded).
    bins
        ``None``: the values are categories (rounded to integers); an int ``k``: ``k``
        quantile classes; a sequence: bin edges (values outside the edges get ``-1``).

    Returns
    -------
    tuple
        ``(classes, labels)``: int array of the raster's shape and one label per class.
    """
    v = np.asarray(factor.values, dtype=np.float64)
    ok = np.isfinite(v)
    out = np.full(v.shape, -1, dtype=np.int64)
    if bins is None:
        cats = np.unique(np.rint(v[ok])).astype(np.int64)
        out[ok] = np.searchsorted(cats, np.rint(v[ok]).astype(np.int64))
        return out, [str(c) for c in cats]
    if isinstance(bins, int | np.integer):
        check_param("n_bins", bins, "bins")
        if not ok.any():
            raise RasterError(f"factor {raster_label(factor)}: every cell is nodata")
        edges = np.unique(np.quantile(v[ok], np.linspace(0, 1, int(bins) + 1)))
    else:
        edges = np.asarray(bins, dtype=np.float64)
    if isinstance(bins, int | np.integer) and edges.size < 2:
        raise ParameterError(f"factor {raster_label(factor)} is constant ({fmt_num(edges[0])}): "
                             f"it cannot be split into {int(bins)} quantile classes")
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ParameterError(f"bin edges must increase strictly, got {edges.tolist()}")
    idx = np.searchsorted(edges, v, side="right") - 1
    idx[v == edges[-1]] = edges.size - 2  # close the last bin on the right
    inside = ok & (idx >= 0) & (idx < edges.size - 1)
    out[inside] = idx[inside]
    labels = [f"[{edges[i]:.6g}, {edges[i + 1]:.6g}{']' if i == edges.size - 2 else ')'}"
              for i in range(edges.size - 1)]
    return out, labels


def factor_statistics(
    factor: xr.DataArray,
    inventory: xr.Dataset,
    *,
    bins: int | Sequence[float] | None = None,
    valid: xr.DataArray | np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-class landslide statistics of one factor (see the module docstring).

    Parameters
    ----------
    factor
        Factor raster on the inventory's grid.
    inventory
        Output of :func:`~geohazard.landslide.inventory.inventory_rasters` on that grid.
    bins
        Classes: see :func:`classify`.
    valid
        Boolean mask of the study area (default: all cells with a finite factor).

    Returns
    -------
    pandas.DataFrame
        One row per class with the columns of :data:`COLUMNS`; ``attrs`` holds the totals.
    """
    if factor.shape != inventory["count"].shape:
        raise RasterError(
            f"factor {factor.name!r} {factor.shape} and inventory {inventory['count'].shape} "
            "are not on one grid; align them with raster.align_to")
    require_data(factor, f"factor {raster_label(factor)}")
    classes, labels = classify(factor, bins)
    keep = classes >= 0
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    k = len(labels)
    cls = classes[keep]
    area = np.asarray(inventory["area_m2"].values, dtype=np.float64)[keep]
    frac = np.asarray(inventory["fraction"].values, dtype=np.float64)[keep]
    cnt = np.asarray(inventory["count"].values, dtype=np.float64)[keep]
    n_cells = np.bincount(cls, minlength=k)
    s_i = np.bincount(cls, weights=area, minlength=k)
    a_i = np.bincount(cls, weights=area * frac, minlength=k)
    n_i = np.bincount(cls, weights=cnt, minlength=k)
    return _table(labels, n_cells, s_i, a_i, n_i, factor.name)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _table(labels: list[str], n_cells: np.ndarray, s_i: np.ndarray, a_i: np.ndarray,
           n_i: np.ndarray, name: Any) -> pd.DataFrame:
    s_tot, a_tot, n_tot = s_i.sum(), a_i.sum(), n_i.sum()
    share = s_i / s_tot if s_tot > 0 else np.full_like(s_i, np.nan)
    fr = _ratio(a_i / a_tot if a_tot > 0 else np.full_like(a_i, np.nan), share)
    fr_n = _ratio(n_i / n_tot if n_tot > 0 else np.full_like(n_i, np.nan), share)
    with np.errstate(divide="ignore"):
        iv = np.log(fr)
    df = pd.DataFrame({
        "class": np.arange(len(labels)), "label": labels, "n_cells": n_cells,
        "class_area_km2": s_i / 1e6, "class_area_pct": 100.0 * share,
        "n_landslides": n_i.astype(np.int64), "landslide_area_km2": a_i / 1e6,
        "number_density_per_km2": _ratio(n_i, s_i / 1e6),
        "area_pct": 100.0 * _ratio(a_i, s_i), "fr": fr, "fr_count": fr_n, "iv": iv,
    }, columns=COLUMNS)
    df.attrs.update(factor=str(name), total_area_km2=s_tot / 1e6,
                    total_landslide_area_km2=a_tot / 1e6, total_landslides=int(n_tot))
    return df


def class_value_map(
    factor: xr.DataArray, table: pd.DataFrame, column: str = "fr",
    bins: int | Sequence[float] | None = None,
) -> xr.DataArray:
    """Map a per-class statistic (e.g. FR or IV) back onto the factor's grid.

    Parameters
    ----------
    factor
        The factor raster the table was computed from.
    table
        Output of :func:`factor_statistics`.
    column
        Column to map.
    bins
        The same ``bins`` used for the table.

    Returns
    -------
    xarray.DataArray
        Per-cell values; NaN outside the classes. Summing FR (or IV) maps of several factors
        gives the classic bivariate susceptibility index.
    """
    if column not in table.columns:
        raise ParameterError(f"unknown column {column!r}; choose from {list(table.columns)}")
    classes, labels = classify(factor, bins)
    if len(labels) != len(table):
        raise ParameterError(f"table has {len(table)} classes, the factor gives {len(labels)}")
    lut = table[column].to_numpy(dtype=np.float64)
    out = np.where(classes >= 0, lut[np.clip(classes, 0, None)], np.nan)
    return rst.like(factor, out, name=f"{factor.name}_{column}")


def factor_classes(factor: xr.DataArray, bins: int | Sequence[float] | None = None
                   ) -> tuple[xr.DataArray, Any]:
    """The classes of :func:`classify` as a class raster and its colour scheme.

    Codes are the class index + 1 (0 = no class); binned factors get ordered (viridis)
    colours, categories the Okabe-Ito palette (ordered colours past seven categories).
    Write them with :func:`geohazard.landslide.categorical.write_class_geotiff`.

    Returns
    -------
    tuple
        ``(codes, ClassScheme)``; codes as ``uint8`` on the factor's grid.
    """
    from geohazard.landslide.categorical import ordered_scheme, qualitative_scheme

    classes, labels = classify(factor, bins)
    if len(labels) > 255:
        raise ParameterError(f"factor {raster_label(factor)} has {len(labels)} classes; a "
                             "class raster holds at most 255")
    title = f"{factor.name or 'factor'} classes"
    scheme = (qualitative_scheme(title, labels) if bins is None and len(labels) <= 7
              else ordered_scheme(title, labels))
    codes = rst.like(factor, (classes + 1).astype(np.uint8), name=title, units="1")
    return codes, scheme


"""Cells and mapping units of a susceptibility analysis: tables, sampling, spatial blocks.

Step 1 of :mod:`geohazard.landslide.susceptibility` (see it for the workflow): factor
rasters and a landslide mask to a table of cells or of mapping units, unit predictions back
onto the grid, balanced case-control samples and square spatial blocks. Every name is
importable from :mod:`geohazard.landslide.susceptibility` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from geohazard.exceptions import InputError, ParameterError
from geohazard.landslide import raster as rst
from geohazard.rng import RNGLike, as_generator

__all__ = ["balanced_sample", "cell_table", "map_units", "spatial_blocks", "unit_table"]


def cell_table(
    factors: Mapping[str, xr.DataArray],
    landslide: xr.DataArray | None = None,
    valid: xr.DataArray | np.ndarray | None = None,
) -> pd.DataFrame:
    """Flatten aligned rasters into a table of cells.

    Parameters
    ----------
    factors
        Factor name to raster; all on one grid (see :func:`raster.align_to`).
    landslide
        Boolean landslide mask on the same grid (omit for prediction tables).
    valid
        Optional boolean study-area mask.

    Returns
    -------
    pandas.DataFrame
        Columns ``row``, ``col``, ``x``, ``y``, one per factor, ``cell_area_m2`` and (if
        given) ``landslide`` (0/1); cells with any NaN factor are dropped.
    """
    if not factors:
        raise ParameterError("cell_table needs at least one factor raster")
    names = list(factors)
    ref = factors[names[0]]
    for name in names[1:]:
        rst.check_same_grid(ref, factors[name], f"factors {names[0]!r} and {name!r}")
    if landslide is not None:
        rst.check_same_grid(ref, landslide, "factors and landslide mask")
    ny, nx = ref.shape
    rows, cols = np.divmod(np.arange(ny * nx), nx)
    data: dict[str, np.ndarray] = {
        "row": rows, "col": cols, "x": np.asarray(ref.x)[cols], "y": np.asarray(ref.y)[rows]}
    keep = np.ones(ny * nx, dtype=bool)
    for name in names:
        v = np.asarray(factors[name].values, dtype=np.float64).ravel()
        data[name] = v
        keep &= np.isfinite(v)
    dy, dx = rst.cell_size_m(ref)
    data["cell_area_m2"] = np.broadcast_to(np.asarray(dy) * np.asarray(dx), ref.shape).ravel()
    if landslide is not None:
        data["landslide"] = np.asarray(landslide.values).astype(bool).ravel().astype(np.int8)
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool).ravel()
    return pd.DataFrame({k: v[keep] for k, v in data.items()}).reset_index(drop=True)


def unit_table(
    factors: Mapping[str, xr.DataArray],
    units: xr.DataArray,
    landslide: xr.DataArray | None = None,
    *,
    stats: Sequence[str] = ("mean", "std"),
    min_landslide_fraction: float = 0.0,
) -> pd.DataFrame:
    """Aggregate cells into mapping units (slope units, catchments) for unit-based models.

    Parameters
    ----------
    factors
        Factor rasters on one grid.
    units
        Integer unit id per cell on the same grid (NaN or negative: outside any unit), e.g.
        slope units from r.slopeunits.
    landslide
        Boolean landslide cells; a unit is a landslide unit when its landslide-covered
        fraction exceeds ``min_landslide_fraction``.
    stats
        Per-factor aggregates (pandas names: ``mean``, ``std``, ``min``, ``max``, ``median``).
    min_landslide_fraction
        Threshold on the landslide-cell fraction of a unit.

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit``, ``x``/``y`` (unit centroid), ``n_cells``,
        ``cell_area_m2`` (unit area), ``<factor>_<stat>`` columns and ``landslide``.
    """
    rst.check_same_grid(next(iter(factors.values())), units, "factors and units")
    cells = cell_table(factors, landslide)
    uid = np.asarray(units.values, dtype=np.float64)[cells["row"], cells["col"]]
    ok = np.isfinite(uid) & (uid >= 0)
    cells = cells[ok].assign(unit=uid[ok].astype(np.int64))
    if cells.empty:
        raise InputError("no cell with a factor value falls in a unit")
    g = cells.groupby("unit", sort=True)
    agg = g[list(factors)].agg(list(stats))
    agg.columns = [f"{f}_{s}" for f, s in agg.columns]
    out = pd.DataFrame({"x": g["x"].mean(), "y": g["y"].mean(), "n_cells": g.size(),
                        "cell_area_m2": g["cell_area_m2"].sum()}).join(agg.fillna(0.0))
    if landslide is not None:
        frac = g["landslide"].mean()
        out["landslide"] = (frac > min_landslide_fraction).astype(np.int8)
    return out.reset_index()


def map_units(values: pd.Series | np.ndarray, unit_ids: np.ndarray, units: xr.DataArray,
              name: str = "susceptibility") -> xr.DataArray:
    """Paint per-unit values (e.g. unit susceptibility) back onto the units raster."""
    uid = np.asarray(units.values, dtype=np.float64)
    order = np.argsort(unit_ids)
    keys, vals = np.asarray(unit_ids)[order], np.asarray(values, dtype=np.float64)[order]
    out = np.full(uid.shape, np.nan)
    ok = np.isfinite(uid)
    pos = np.searchsorted(keys, uid[ok])
    pos = np.clip(pos, 0, keys.size - 1)
    hit = keys[pos] == uid[ok]
    tmp = np.full(pos.shape, np.nan)
    tmp[hit] = vals[pos[hit]]
    out[ok] = tmp
    return rst.like(units, out.astype(np.float32), name=name)


def balanced_sample(y: np.ndarray, balance: float = 1.0, rng: RNGLike = None) -> np.ndarray:
    """Indices of all positive cells plus ``balance`` times as many random negatives.

    Parameters
    ----------
    y
        0/1 labels.
    balance
        Negatives per positive (all negatives when there are fewer).
    rng
        Random generator or seed.

    Returns
    -------
    numpy.ndarray
        Sorted indices into ``y``.
    """
    if balance <= 0:
        raise ParameterError(f"balance must be > 0, got {balance}")
    y = np.asarray(y)
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    if pos.size == 0 or neg.size == 0:
        raise InputError("need both landslide and stable cells to fit a susceptibility model")
    n_neg = min(neg.size, int(round(balance * pos.size)))
    pick = as_generator(rng).choice(neg, size=n_neg, replace=False)
    return np.sort(np.concatenate([pos, pick]))


def spatial_blocks(x: np.ndarray, y: np.ndarray, block_size: float) -> np.ndarray:
    """Integer id of the square block (side ``block_size``, CRS units) holding each cell."""
    if block_size <= 0:
        raise ParameterError(f"block_size must be > 0, got {block_size}")
    bx = np.floor((np.asarray(x) - np.min(x)) / block_size).astype(np.int64)
    by = np.floor((np.asarray(y) - np.min(y)) / block_size).astype(np.int64)
    return by * (bx.max() + 1) + bx

"""Hydrological terrain factors: D8 upslope area and the topographic wetness index.

``twi = ln(a / tan β)`` with ``a`` the D8 specific catchment area (upslope area divided by
the effective cell width ``sqrt(dx*dy)``) after priority-flood sink filling, and ``tan β``
(Horn slope) floored at ``min_tan``. Cell sizes are true metres on projected and geographic
grids. Flow routing is global, so these run in memory (Numba kernels in ``_flow``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from geohazard.landslide import raster as rst
from geohazard.landslide.checks import raster_label, require_data
from geohazard.landslide.terrain_kernels import UNITS, GridGeometry, _col, terrain_numpy

__all__ = ["flow_accumulation", "twi"]


def twi(dem: xr.DataArray, *, fill: bool = True, min_tan: float = 1e-3) -> xr.DataArray:
    """Topographic wetness index ``ln(a / tan β)`` from D8 flow accumulation.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS (loaded into memory: flow routing is global).
    fill
        Fill sinks first (priority flood with a tiny gradient) so that flow crosses pits.
    min_tan
        Floor on ``tan β`` (flat cells would give infinity).

    Returns
    -------
    xarray.DataArray
        TWI; NaN where the DEM is NaN.
    """
    require_data(dem, f"DEM {raster_label(dem)}")
    geom = GridGeometry.from_raster(dem)
    area, dyc, dxc = _upslope_area(dem, geom, fill)
    width = np.sqrt(dyc * dxc)[:, None]
    tan_b = np.tan(np.radians(terrain_numpy(dem.values, geom, "slope_deg")))
    out = np.log((area / width) / np.maximum(tan_b, min_tan))
    out[np.isnan(dem.values)] = np.nan
    return rst.like(dem, out, name="twi", units=UNITS["twi"])


def flow_accumulation(dem: xr.DataArray, *, fill: bool = True) -> xr.DataArray:
    """D8 upslope contributing area in m² (each cell counts itself).

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS.
    fill
        Fill sinks first.

    Returns
    -------
    xarray.DataArray
    """
    area, _, _ = _upslope_area(dem, GridGeometry.from_raster(dem), fill)
    return rst.like(dem, area, name="upslope_area", units="m2")


def _upslope_area(dem: xr.DataArray, geom: GridGeometry, fill: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D8 upslope area in m² (incl. the cell) and the per-row cell sizes ``dy``, ``dx``."""
    from geohazard.landslide import _flow

    z = np.asarray(dem.values, dtype=np.float64)
    if fill:
        z = _flow.priority_flood(z)
    dy, dx = geom.rows(geom.y)
    dyc, dxc = _col(dy, z.shape[0])[:, 0].copy(), _col(dx, z.shape[0])[:, 0].copy()
    return _flow.d8_accumulation(z, dyc, dxc), dyc, dxc

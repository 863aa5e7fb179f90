"""Synthetic terrain, faults and landslides drawn from a known logistic model.

Used by the tests (the fit must recover the generating coefficients) and by the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from geohazard.landslide import raster as rst
from geohazard.rng import RNGLike, as_generator

__all__ = ["SyntheticCase", "synthetic_case", "synthetic_dem"]

TRUE_MODEL = {"intercept": -7.0, "slope_deg": 0.14, "fault_km": -0.6, "lith=1": 1.2}


@dataclass(frozen=True)
class SyntheticCase:
    """A synthetic study area.

    Attributes
    ----------
    dem
        Elevation (m), projected grid.
    factors
        ``slope_deg``, ``fault_km`` (distance to a synthetic thrust, km) and ``lith``
        (0/1 classes) rasters.
    probability
        True landslide probability per cell.
    landslide
        Boolean landslide cells drawn from ``probability``.
    coefficients
        The generating model: intercept and one coefficient per design column.
    faults
        The fault GeoDataFrame.
    """

    dem: xr.DataArray
    factors: dict[str, xr.DataArray]
    probability: xr.DataArray
    landslide: xr.DataArray
    coefficients: dict[str, float]
    faults: Any


def synthetic_dem(n: int = 200, res: float = 30.0, relief: float = 150.0,
                  corr_cells: float = 8.0, rng: RNGLike = None) -> xr.DataArray:
    """Smooth random terrain: Gaussian-filtered noise plus a ridge, UTM zone 45N grid.

    Parameters
    ----------
    n
        Cells per side.
    res
        Cell size in metres.
    relief
        Standard deviation scale of the elevations (m).
    corr_cells
        Smoothing length in cells.
    rng
        Generator or seed.

    Returns
    -------
    xarray.DataArray
    """
    from scipy import ndimage

    gen = as_generator(rng)
    z = ndimage.gaussian_filter(gen.normal(size=(n, n)), corr_cells, mode="reflect")
    z = relief * z / z.std()
    ridge = np.linspace(0, 3.0 * relief, n)[None, :] * np.ones((n, 1))
    x = 400_000.0 + res * (np.arange(n) + 0.5)
    y = 3_500_000.0 - res * (np.arange(n) + 0.5)
    return rst.from_array(2000.0 + z + ridge, x, y, "EPSG:32645", name="dem", units="m")


def synthetic_case(n: int = 200, res: float = 30.0, rng: RNGLike = None,
                   coefficients: dict[str, float] | None = None) -> SyntheticCase:
    """Draw landslides from a known logistic model on synthetic terrain.

    ``logit p = b0 + b1 slope_deg + b2 fault_km + b3 [lith == 1]`` with the defaults in
    :data:`TRUE_MODEL`; ``fault_km`` is the distance to a north-dipping thrust crossing
    the area east-west, ``lith`` is 1 north of a sinuous contact.

    Parameters
    ----------
    n, res
        Grid size (cells per side) and cell size (m).
    rng
        Generator or seed.
    coefficients
        Override :data:`TRUE_MODEL`.

    Returns
    -------
    SyntheticCase
    """
    import geopandas as gpd
    from shapely.geometry import LineString

    from geohazard.landslide import faults as flt
    from geohazard.landslide import terrain

    gen = as_generator(rng)
    coef = dict(TRUE_MODEL if coefficients is None else coefficients)
    dem = synthetic_dem(n, res, rng=gen)
    slope = terrain.slope_deg(dem)
    x0, x1 = float(dem.x[0]), float(dem.x[-1])
    ymid = float(dem.y.mean())
    trace = LineString([(x0 - 1000, ymid - 300), (x1 + 1000, ymid + 300)])
    fl = flt.normalise_faults(gpd.GeoDataFrame(
        {"slip_type": ["Thrust"], "average_dip": ["30"], "dip_dir": ["N"]},
        geometry=[trace], crs=dem.rio.crs))
    ff = flt.fault_factors(fl, dem)
    fault_km = rst.like(dem, ff.distance_m.values / 1000.0, name="fault_km", units="km")
    X, Y = np.meshgrid(dem.x.values, dem.y.values)
    contact = ymid + 0.25 * n * res + 0.05 * n * res * np.sin(X / (0.2 * n * res))
    lith = rst.like(dem, (Y > contact).astype(np.float64), name="lith")
    eta = (coef["intercept"] + coef["slope_deg"] * slope.values
           + coef["fault_km"] * fault_km.values + coef["lith=1"] * lith.values)
    p = 1.0 / (1.0 + np.exp(-eta))
    slides = gen.random(p.shape) < p
    return SyntheticCase(
        dem=dem, factors={"slope_deg": slope, "fault_km": fault_km, "lith": lith},
        probability=rst.like(dem, p, name="probability"),
        landslide=rst.like(dem, slides, name="landslide"),
        coefficients=coef, faults=fl)

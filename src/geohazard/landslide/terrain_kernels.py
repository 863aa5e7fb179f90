"""Terrain kernels on NumPy blocks: grid geometry, derivatives, padding and windows.

The conventions of every product are stated in :mod:`geohazard.landslide.terrain`, which
wraps these kernels for rasters (in memory, Dask, windowed GeoTIFFs); ``GridGeometry``,
``terrain_numpy``, ``LOCAL_PRODUCTS`` and ``UNITS`` are importable from there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import raster as rst

LOCAL_PRODUCTS = ("slope_deg", "aspect_deg", "curvature", "profile_curvature",
                  "plan_curvature", "relief")
UNITS = {"slope_deg": "degree", "aspect_deg": "degree", "curvature": "1/m",
         "profile_curvature": "1/m", "plan_curvature": "1/m", "relief": "m",
         "twi": "ln(m)"}

__all__ = ["LOCAL_PRODUCTS", "UNITS", "GridGeometry", "terrain_numpy"]


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class GridGeometry:
    """Cell geometry of a grid: how to get metre cell sizes for any band of rows.

    Parameters
    ----------
    y
        Row-centre coordinates, shape ``(ny,)`` (degrees on a geographic grid).
    res_x, res_y
        Absolute cell sizes in CRS units.
    geographic
        True for a lat/lon grid.
    unit_m
        Metres per CRS unit (projected grids).
    north_up
        True when ``y`` decreases with the row index.
    a, e2
        Ellipsoid semi-major axis and eccentricity squared (geographic grids).
    """

    y: np.ndarray
    res_x: float
    res_y: float
    geographic: bool
    unit_m: float = 1.0
    north_up: bool = True
    a: float = 6378137.0
    e2: float = 0.0066943799901413165

    @classmethod
    def from_raster(cls, da: xr.DataArray) -> GridGeometry:
        """Build from a raster with a CRS."""
        crs = da.rio.crs
        if crs is None:
            raise RasterError(f"DEM {da.name!r} has no CRS; cell sizes are unknown")
        rx, ry = da.rio.resolution()
        y = np.asarray(da.y.values, dtype=np.float64)
        north_up = bool(y.size < 2 or y[1] < y[0])
        if crs.is_geographic:
            a, e2 = rst._ellipsoid(crs)
            return cls(y, abs(rx), abs(ry), True, 1.0, north_up, a, e2)
        return cls(y, abs(rx), abs(ry), False, rst._linear_unit_factor(crs), north_up)

    def rows(self, y_rows: np.ndarray) -> tuple[Any, Any]:
        """Cell sizes ``(dy, dx)`` in metres for rows at ``y_rows``: floats or ``(n, 1)``."""
        if self.geographic:
            return rst.geographic_cell_size(y_rows, self.res_y, self.res_x, self.a, self.e2)
        return self.res_y * self.unit_m, self.res_x * self.unit_m


# --------------------------------------------------------------------------- kernels
# Each kernel takes a block padded by ``halo`` cells on every side, the metre cell sizes of
# its padded rows (floats or (nyp, 1) arrays) and returns the unpadded interior.


def _col(v: Any, n: int) -> np.ndarray:
    """Broadcast a float or (n, 1) array of per-row sizes to shape (n, 1)."""
    return np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1, 1), (n, 1))


def _horn_gradient(z: np.ndarray, dy: Any, dx: Any, sgn: float) -> tuple[np.ndarray, np.ndarray]:
    """Horn's east and north gradients of the interior of a 1-padded block."""
    nyp = z.shape[0]
    dyc, dxc = _col(dy, nyp), _col(dx, nyp)
    # east-west differences per row, each divided by its own row's 2*dx
    ew = (z[:, 2:] - z[:, :-2]) / (2.0 * dxc)  # (nyp, nx)
    dzdx = (ew[:-2] + 2.0 * ew[1:-1] + ew[2:]) / 4.0
    ns = z[:-2, :] - z[2:, :]  # row above minus row below, (ny, nxp)
    dist = dyc[:-2] / 2.0 + dyc[1:-1] + dyc[2:] / 2.0  # centre-to-centre, (ny, 1)
    dzdy = sgn * (ns[:, :-2] + 2.0 * ns[:, 1:-1] + ns[:, 2:]) / (4.0 * dist)
    return dzdx, dzdy


def _k_slope(z: np.ndarray, dy: Any, dx: Any, sgn: float, **_: Any) -> np.ndarray:
    gx, gy = _horn_gradient(z, dy, dx, sgn)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def _k_aspect(z: np.ndarray, dy: Any, dx: Any, sgn: float, **_: Any) -> np.ndarray:
    gx, gy = _horn_gradient(z, dy, dx, sgn)
    asp = np.degrees(np.arctan2(-gx, -gy)) % 360.0
    flat = np.hypot(gx, gy) <= 1e-12
    return np.where(flat, np.nan, asp)


def _k_curvature(z: np.ndarray, dy: Any, dx: Any, sgn: float, **_: Any) -> np.ndarray:
    nyp = z.shape[0]
    dyc, dxc = _col(dy, nyp), _col(dx, nyp)
    zc = z[1:-1, 1:-1]
    zxx = (z[1:-1, 2:] - 2.0 * zc + z[1:-1, :-2]) / dxc[1:-1] ** 2
    up = (dyc[:-2] + dyc[1:-1]) / 2.0  # distance to the row above
    dn = (dyc[2:] + dyc[1:-1]) / 2.0
    # second derivative on an uneven three-point stencil
    zyy = 2.0 * (z[:-2, 1:-1] * dn - zc * (up + dn) + z[2:, 1:-1] * up) / (up * dn * (up + dn))
    return -(zxx + zyy)


def _second_derivatives(z: np.ndarray, dy: Any, dx: Any, sgn: float) -> tuple[np.ndarray, ...]:
    """Central-difference p=z_x, q=z_y (north), r=z_xx, t=z_yy, s=z_xy of a 1-padded block."""
    nyp = z.shape[0]
    dyc, dxc = _col(dy, nyp), _col(dx, nyp)
    ddx, ddy = dxc[1:-1], dyc[1:-1]
    c = z[1:-1, 1:-1]
    n, s_, e, w = z[:-2, 1:-1], z[2:, 1:-1], z[1:-1, 2:], z[1:-1, :-2]
    p = (e - w) / (2.0 * ddx)
    q = sgn * (n - s_) / (2.0 * ddy)
    r = (e - 2.0 * c + w) / ddx**2
    t = (n - 2.0 * c + s_) / ddy**2
    xy = sgn * (z[:-2, 2:] - z[:-2, :-2] - z[2:, 2:] + z[2:, :-2]) / (4.0 * ddx * ddy)
    return p, q, r, t, xy


def _k_profile(z: np.ndarray, dy: Any, dx: Any, sgn: float, **_: Any) -> np.ndarray:
    p, q, r, t, s = _second_derivatives(z, dy, dx, sgn)
    g2 = p * p + q * q
    with np.errstate(divide="ignore", invalid="ignore"):
        k = -(p * p * r + 2.0 * p * q * s + q * q * t) / (g2 * (1.0 + g2) ** 1.5)
    return np.where(g2 > 1e-24, k, np.nan)


def _k_plan(z: np.ndarray, dy: Any, dx: Any, sgn: float, **_: Any) -> np.ndarray:
    p, q, r, t, s = _second_derivatives(z, dy, dx, sgn)
    g2 = p * p + q * q
    with np.errstate(divide="ignore", invalid="ignore"):
        k = -(q * q * r - 2.0 * p * q * s + p * p * t) / g2**1.5
    return np.where(g2 > 1e-24, k, np.nan)


def _k_relief(z: np.ndarray, halo: int, **_: Any) -> np.ndarray:
    from scipy import ndimage

    size = 2 * halo + 1
    hi = ndimage.maximum_filter(np.where(np.isnan(z), -np.inf, z), size=size, mode="nearest")
    lo = ndimage.minimum_filter(np.where(np.isnan(z), np.inf, z), size=size, mode="nearest")
    out = (hi - lo)[halo:-halo, halo:-halo]
    out = np.where(np.isfinite(out), out, np.nan)
    return np.where(np.isnan(z[halo:-halo, halo:-halo]), np.nan, out)


_KERNELS: dict[str, tuple[Callable[..., np.ndarray], str]] = {
    "slope_deg": (_k_slope, "odd"),
    "aspect_deg": (_k_aspect, "odd"),
    "curvature": (_k_curvature, "odd"),
    "profile_curvature": (_k_profile, "odd"),
    "plan_curvature": (_k_plan, "odd"),
    "relief": (_k_relief, "edge"),
}


def _halo(product: str, radius: int) -> int:
    return radius if product == "relief" else 1


def _pad(a: np.ndarray, widths: tuple[tuple[int, int], ...], mode: str) -> np.ndarray:
    if not any(w for pair in widths for w in pair):
        return a
    if mode == "odd":
        return np.pad(a, widths, mode="reflect", reflect_type="odd")
    return np.pad(a, widths, mode="edge")


def _window(
    read: Callable[[int, int, int, int], np.ndarray], shape: tuple[int, ...],
    r0: int, r1: int, c0: int, c1: int, h: int, mode: str,
) -> tuple[np.ndarray, slice]:
    """Read rows r0:r1, cols c0:c1 with an h-cell halo, padding beyond the raster edges."""
    ny, nx = shape
    a0, a1, b0, b1 = max(r0 - h, 0), min(r1 + h, ny), max(c0 - h, 0), min(c1 + h, nx)
    block = np.asarray(read(a0, a1, b0, b1), dtype=np.float64)
    widths = ((a0 - (r0 - h), (r1 + h) - a1), (b0 - (c0 - h), (c1 + h) - b1))
    return _pad(block, widths, mode), slice(r0 - h, r1 + h)


def _padded_rows(y: np.ndarray, rows: slice) -> np.ndarray:
    """Row coordinates for a row slice that may run past the grid (linear extrapolation)."""
    n = y.size
    step = (y[-1] - y[0]) / (n - 1) if n > 1 else 0.0
    idx = np.arange(rows.start, rows.stop)
    inside = (idx >= 0) & (idx < n)
    out = y[0] + step * idx.astype(np.float64)
    out[inside] = y[idx[inside]]
    return out


def _run_block(product: str, geom: GridGeometry, read: Callable[..., np.ndarray],
               shape: tuple[int, ...], win: tuple[int, int, int, int],
               radius: int) -> np.ndarray:
    kernel, mode = _KERNELS[product]
    h = _halo(product, radius)
    r0, r1, c0, c1 = win
    if min(shape) < 2:
        raise RasterError(f"DEM of shape {shape} is too small for {product}")
    zp, rows = _window(read, shape, r0, r1, c0, c1, h, mode)
    dy, dx = geom.rows(_padded_rows(geom.y, rows))
    out = kernel(zp, dy=dy, dx=dx, sgn=1.0 if geom.north_up else -1.0, halo=h)
    out[np.isnan(zp[h:-h, h:-h])] = np.nan
    return out


# --------------------------------------------------------------------------- in memory


def terrain_numpy(z: np.ndarray, geom: GridGeometry, product: str, radius: int = 3
                  ) -> np.ndarray:
    """Compute one local product on a whole in-memory array (the plain NumPy baseline).

    Parameters
    ----------
    z
        Elevations in metres, shape ``(ny, nx)``, NaN for nodata.
    geom
        Grid geometry (:meth:`GridGeometry.from_raster`).
    product
        One of :data:`LOCAL_PRODUCTS`.
    radius
        Window radius in cells for ``relief``.

    Returns
    -------
    numpy.ndarray
        Shape ``(ny, nx)``.
    """
    _check_product(product)
    z = np.asarray(z, dtype=np.float64)

    def read(a0: int, a1: int, b0: int, b1: int) -> np.ndarray:
        return z[a0:a1, b0:b1]

    return _run_block(product, geom, read, z.shape, (0, z.shape[0], 0, z.shape[1]), radius)


def _check_product(product: str) -> None:
    if product not in _KERNELS:
        raise ParameterError(f"unknown terrain product {product!r}; choose from {LOCAL_PRODUCTS}")

"""Terrain factors from a DEM with true cell sizes on projected and geographic grids.

Conventions (stated once):

- ``slope_deg``: steepest slope in degrees, Horn (1981) 3x3 finite differences. On a
  geographic grid each row uses its own east-west cell size ``N(φ)cos(φ)dλ`` and the
  north-south distance between row centres, so a plane has the same slope everywhere.
- ``aspect_deg``: azimuth of steepest *descent* (the direction a slope faces), degrees
  clockwise from north in ``[0, 360)``; NaN where the surface is flat.
- ``curvature``: ``-(z_xx + z_yy)`` in 1/m (positive on convex-up ridges, negative in
  hollows), central differences.
- ``profile_curvature`` and ``plan_curvature`` (Zevenbergen & Thorne 1987 / Moore et al.
  1991 forms, 1/m, convex positive): with ``p, q`` the east and north gradient and ``r, t,
  s`` the second derivatives ``z_xx, z_yy, z_xy``, profile ``= -(p²r + 2pqs + q²t) /
  ((p²+q²)(1+p²+q²)^(3/2))`` (curvature along the fall line) and plan ``= -(q²r - 2pqs +
  p²t) / (p²+q²)^(3/2)`` (curvature of the contour: 1/ρ on a cone of any steepness at
  distance ρ from its apex); NaN where flat.
- ``relief``: max - min of elevation within a square window of ``2*radius+1`` cells.
- ``twi`` (in :mod:`geohazard.landslide.hydrology`): topographic wetness index; flow
  routing is global, so it is computed in memory only.

Edges are handled by linear extrapolation (odd reflection) for derivatives, so planes keep
their exact slope at the border; relief uses the cells available.

All local products can be computed window by window (:func:`terrain_geotiff`), reading and
writing GeoTIFF tiles with :mod:`rasterio` so that a 10^8-cell DEM runs in bounded memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide.checks import (
    check_param,
    raster_label,
    read_failure,
    remove_new_dirs,
    require_data,
)

log = logging.getLogger(__name__)

LOCAL_PRODUCTS = ("slope_deg", "aspect_deg", "curvature", "profile_curvature",
                  "plan_curvature", "relief")
UNITS = {"slope_deg": "degree", "aspect_deg": "degree", "curvature": "1/m",
         "profile_curvature": "1/m", "plan_curvature": "1/m", "relief": "m",
         "twi": "ln(m)"}

__all__ = [
    "LOCAL_PRODUCTS",
    "GridGeometry",
    "aspect_deg",
    "curvature",
    "local_relief",
    "plan_curvature",
    "profile_curvature",
    "slope_deg",
    "terrain_geotiff",
    "terrain_numpy",
]


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


def _local(dem: xr.DataArray, product: str, radius: int = 3) -> xr.DataArray:
    if dem.ndim != 2:
        raise RasterError(f"DEM must be 2-D, got dims {dem.dims}")
    _check_product(product)
    geom = GridGeometry.from_raster(dem)
    if dem.chunks is not None:  # Dask-backed: a lazy graph, one block (+ halo) at a time
        out = _lazy(dem.data, geom, product, radius)
    else:
        require_data(dem, f"DEM {raster_label(dem)}")
        out = terrain_numpy(dem.values, geom, product, radius)
    return rst.like(dem, out, name=product, units=UNITS[product])


def _pad_dask(x: Any, h: int, mode: str) -> Any:
    """Pad a 2-D Dask array by h cells: odd reflection (linear extrapolation) or edge."""
    import dask.array as dsa

    def take(a: Any, sl: slice, ax: int) -> Any:
        return a[sl, :] if ax == 0 else a[:, sl]

    for axis in (0, 1):
        n = x.shape[axis]
        first, last = take(x, slice(0, 1), axis), take(x, slice(n - 1, n), axis)
        if mode == "odd":
            lo = 2 * first - take(x, slice(h, 0, -1), axis)
            back = slice(n - 2, n - 2 - h, -1) if n - 2 - h >= 0 else slice(n - 2, None, -1)
            hi = 2 * last - take(x, back, axis)
        else:
            lo = dsa.concatenate([first] * h, axis=axis)
            hi = dsa.concatenate([last] * h, axis=axis)
        x = dsa.concatenate([lo, x, hi], axis=axis)
    return x


def _lazy(z: Any, geom: GridGeometry, product: str, radius: int) -> Any:
    """Lazy Dask version of a local product: pad, overlap by the halo, run the kernel."""
    import dask.array as dsa

    kernel, mode = _KERNELS[product]
    h = _halo(product, radius)
    if min(z.shape) <= h:
        raise RasterError(f"DEM of shape {z.shape} is too small for {product}")
    chunks = z.chunks
    # pad in float64 (as the windowed path does) so edge cells match it bit for bit
    zp = _pad_dask(z.astype(np.float64), h, mode)
    # fold the pad cells into the first and last chunk of each axis
    zp = zp.rechunk(tuple((c[0] + h, *c[1:-1], c[-1] + h) if len(c) > 1 else (c[0] + 2 * h,)
                          for c in chunks))
    yp = _padded_rows(geom.y, slice(-h, z.shape[0] + h))
    # row coordinates as zero-copy broadcast blocks aligned with zp's chunks
    ygrid = dsa.broadcast_to(dsa.from_array(yp[:, None], chunks=(zp.chunks[0], 1)),
                             zp.shape, chunks=zp.chunks)
    sgn = 1.0 if geom.north_up else -1.0

    def block(zb: np.ndarray, yb: np.ndarray) -> np.ndarray:
        zb = zb.astype(np.float64)
        dy, dx = geom.rows(yb[:, 0])
        out = kernel(zb, dy=dy, dx=dx, sgn=sgn, halo=h)
        out[np.isnan(zb[h:-h, h:-h])] = np.nan
        return out.astype(np.float32)

    return dsa.map_overlap(block, zp, ygrid, depth=h, boundary="none", trim=False,
                           chunks=chunks, dtype=np.float32, meta=np.empty((0, 0), np.float32))


def slope_deg(dem: xr.DataArray) -> xr.DataArray:
    """Slope in degrees (Horn 1981) with true metre cell sizes.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS (projected or geographic). A Dask-backed DEM
        is processed window by window.

    Returns
    -------
    xarray.DataArray
        Slope in degrees on the DEM's grid.
    """
    return _local(dem, "slope_deg")


def aspect_deg(dem: xr.DataArray) -> xr.DataArray:
    """Aspect: azimuth of steepest descent, degrees clockwise from north; NaN where flat.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS.

    Returns
    -------
    xarray.DataArray
    """
    return _local(dem, "aspect_deg")


def curvature(dem: xr.DataArray) -> xr.DataArray:
    """Curvature ``-(z_xx + z_yy)`` in 1/m: positive on convex ridges, negative in hollows.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS.

    Returns
    -------
    xarray.DataArray
    """
    return _local(dem, "curvature")


def profile_curvature(dem: xr.DataArray) -> xr.DataArray:
    """Profile curvature (along the fall line, 1/m, convex positive); NaN where flat.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS.

    Returns
    -------
    xarray.DataArray
    """
    return _local(dem, "profile_curvature")


def plan_curvature(dem: xr.DataArray) -> xr.DataArray:
    """Plan (contour) curvature in 1/m, positive on noses, negative in hollows.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS.

    Returns
    -------
    xarray.DataArray
    """
    return _local(dem, "plan_curvature")


def local_relief(dem: xr.DataArray, radius: int = 3) -> xr.DataArray:
    """Local relief: max - min elevation in a ``(2*radius+1)``-cell square window.

    Parameters
    ----------
    dem
        Elevation raster with a CRS.
    radius
        Half-width of the window in cells (>= 1).

    Returns
    -------
    xarray.DataArray
        Relief in the DEM's units (m).
    """
    check_param("radius", radius)
    return _local(dem, "relief", radius)


# --------------------------------------------------------------------------- windowed files


def iter_windows(shape: tuple[int, ...], tile: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(r0, r1, c0, c1)`` tiles of at most ``tile x tile`` cells covering ``shape``."""
    check_param("tile", tile)
    ny, nx = shape
    for r0 in range(0, ny, tile):
        for c0 in range(0, nx, tile):
            yield r0, min(r0 + tile, ny), c0, min(c0 + tile, nx)


def terrain_geotiff(
    dem_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    products: tuple[str, ...] = ("slope_deg", "aspect_deg"),
    *,
    tile: int = 1024,
    radius: int = 3,
    crs: Any = None,
    compress: str = "deflate",
    cache_mb: int = 128,
    progress: bool = False,
) -> dict[str, Path]:
    """Compute local terrain products file to file, one window at a time.

    Memory is bounded by one ``(tile + 2*halo)^2`` block per product, whatever the DEM's
    size. Outputs are tiled float32 GeoTIFFs ``<out_dir>/<product>.tif``, written atomically.

    Parameters
    ----------
    dem_path
        DEM (any GDAL raster) in metres.
    out_dir
        Output folder.
    products
        Subset of :data:`LOCAL_PRODUCTS` (TWI needs global flow routing: use
        :func:`geohazard.landslide.hydrology.twi`).
    tile
        Window size in cells (a multiple of 16 keeps GeoTIFF tiles aligned).
    radius
        Relief window radius in cells.
    crs
        CRS to assume when the DEM file has none.
    compress
        GeoTIFF compression of the outputs (``"deflate"``, ``"lzw"`` or ``"none"``).
    cache_mb
        GDAL block cache in MiB (GDAL's default, 5 % of RAM, would grow with the DEM).
    progress
        Show a rich progress bar.

    Returns
    -------
    dict
        Product name to output path.
    """
    import rasterio

    if not products:
        raise ParameterError(f"no terrain product asked for; choose from {LOCAL_PRODUCTS}")
    for p in products:
        if p == "twi":
            raise ParameterError("twi needs global flow routing; use hydrology.twi() in memory")
        _check_product(p)
    check_param("tile", tile)
    check_param("radius", radius)
    dem_path = Path(dem_path)
    probe = rst.read_raster(dem_path, chunks=tile, crs=crs)
    geom = GridGeometry.from_raster(probe)
    with rasterio.Env(GDAL_CACHEMAX=int(cache_mb) * 2**20), rasterio.open(dem_path) as src:
        profile = _out_profile(src.profile, probe, tile, compress)
        read = _DemReader(src, dem_path)
        with remove_new_dirs(out_dir):
            paths = _write_products(read, src.shape, geom, products, Path(out_dir), profile,
                                    tile, radius, progress)
    return paths


class _DemReader:
    """Window reader of an open DEM: NaN for nodata, read errors name the file.

    ``valid`` turns True once a window holding a finite cell was read.
    """

    def __init__(self, src: Any, dem_path: Path) -> None:
        self.src, self.where, self.valid = src, str(dem_path), False
        self.nodata = src.nodata

    def __call__(self, a0: int, a1: int, b0: int, b1: int) -> np.ndarray:
        import rasterio

        w = rasterio.windows.Window(b0, a0, b1 - b0, a1 - a0)
        try:
            block = self.src.read(1, window=w, masked=True).astype(np.float64)
        except Exception as exc:  # rasterio's RasterioIOError on a truncated file
            raise RasterError(f"cannot read DEM {self.where} (rows {a0}-{a1}, columns "
                              f"{b0}-{b1}): {read_failure(exc)}") from exc
        out = block.filled(np.nan) if self.nodata is not None or np.ma.is_masked(block) \
            else np.asarray(block)
        self.valid = self.valid or bool(np.isfinite(out).any())
        return out


def _out_profile(profile: dict[str, Any], probe: xr.DataArray, tile: int,
                 compress: str) -> dict[str, Any]:
    out = {k: v for k, v in profile.items() if k not in ("compress", "predictor")}
    bs = max(16, (min(tile, 512) // 16) * 16)
    out.update(driver="GTiff", dtype="float32", count=1, nodata=np.nan, tiled=True,
               blockxsize=bs, blockysize=bs, crs=probe.rio.crs,
               transform=probe.rio.transform(), BIGTIFF="IF_SAFER")
    if compress.lower() != "none":
        out["compress"] = compress
    return out


def _tile_reader(read: Callable[[int, int, int, int], np.ndarray], shape: tuple[int, int],
                 win: tuple[int, int, int, int], h: int) -> Callable[..., np.ndarray]:
    """Read a tile plus an h-cell halo once; serve the products' sub-windows from it."""
    ny, nx = shape
    a0, a1 = max(win[0] - h, 0), min(win[1] + h, ny)
    b0, b1 = max(win[2] - h, 0), min(win[3] + h, nx)
    block = read(a0, a1, b0, b1)

    def sub(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        return block[r0 - a0:r1 - a0, c0 - b0:c1 - b0]

    return sub


def _write_products(read: Callable[..., np.ndarray], shape: tuple[int, int],
                    geom: GridGeometry, products: tuple[str, ...], out_dir: Path,
                    profile: dict[str, Any], tile: int, radius: int,
                    progress: bool) -> dict[str, Path]:
    import contextlib

    import rasterio
    from rich.progress import Progress

    from geohazard.io_utils import atomic_path

    out_dir.mkdir(parents=True, exist_ok=True)
    wins = list(iter_windows(shape, tile))
    hmax = max(_halo(p, radius) for p in products)
    paths = {p: out_dir / f"{p}.tif" for p in products}
    with contextlib.ExitStack() as stack:
        dsts = {}
        for p in products:
            tmp = stack.enter_context(atomic_path(paths[p], suffix=".tif"))
            dsts[p] = stack.enter_context(rasterio.open(tmp, "w", **profile))
        bar = stack.enter_context(Progress(disable=not progress, transient=True))
        task = bar.add_task("terrain windows", total=len(wins))
        for win in wins:
            r0, r1, c0, c1 = win
            w = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
            cached = _tile_reader(read, shape, win, hmax)
            for p, dst in dsts.items():
                block = _run_block(p, geom, cached, shape, win, radius)
                dst.write(block.astype(np.float32), 1, window=w)
            bar.advance(task)
        if isinstance(read, _DemReader) and not read.valid:  # atomic_path drops the files
            raise RasterError(f"DEM {read.where}: every cell is nodata "
                              "(no elevation to work with)")
        for dst in dsts.values():
            dst.close()  # flush before atomic_path renames
    return paths

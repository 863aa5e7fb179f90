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
from geohazard.landslide.terrain_kernels import (
    _KERNELS,
    LOCAL_PRODUCTS,
    UNITS,
    GridGeometry,
    _check_product,
    _halo,
    _padded_rows,
    _run_block,
    terrain_numpy,
)

log = logging.getLogger(__name__)


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

    _check_file_products(products, tile, radius)
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


def _check_file_products(products: tuple[str, ...], tile: int, radius: int) -> None:
    """Refuse an empty or unknown product list (TWI included) and bad window settings."""
    if not products:
        raise ParameterError(f"no terrain product asked for; choose from {LOCAL_PRODUCTS}")
    for p in products:
        if p == "twi":
            raise ParameterError("twi needs global flow routing; use hydrology.twi() in memory")
        _check_product(p)
    check_param("tile", tile)
    check_param("radius", radius)


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

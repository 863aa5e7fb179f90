"""Landslide inventories (polygons or points) to rasters and cell tables.

An inventory is a :class:`geopandas.GeoDataFrame` of landslide polygons (mapped extents)
or points (scarps or centroids). On a reference grid it becomes an
:class:`xarray.Dataset` with

``count``
    Number of landslides whose *representative point* (a point inside each polygon, or the
    point itself) falls in the cell: what number densities count.
``fraction``
    Fraction of each cell covered by landslide polygons (0..1), estimated on a
    ``supersample`` times finer grid; for point inventories ``count > 0``.
``mask``
    Landslide cells: ``fraction >= 0.5`` (the cell centre rule when ``supersample=1``) or,
    with ``all_touched``, every cell a polygon touches; ``count > 0`` for points.
``area_m2``
    True cell areas (m², per row on geographic grids), for area statistics.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import DataFileNotFoundError, ParameterError, RasterError
from geohazard.landslide import raster as rst

log = logging.getLogger(__name__)

__all__ = ["cell_area_m2", "inventory_rasters", "read_inventory"]


def read_inventory(path: str | os.PathLike[str], *, layer: str | None = None,
                   crs: Any = None) -> Any:
    """Read a landslide inventory (shapefile, GeoJSON, GeoPackage) of polygons or points.

    Parameters
    ----------
    path
        Vector file.
    layer
        Layer name for multi-layer files.
    crs
        CRS of a file that has none (never assumed otherwise). It also replaces the
        lon/lat CRS GDAL gives a GeoJSON without ``crs`` member when the coordinates
        cannot be longitudes and latitudes.

    Returns
    -------
    geopandas.GeoDataFrame
        Non-empty polygon or point features with a CRS, index reset.

    Raises
    ------
    RasterError
        No CRS, coordinates outside the CRS's range, mixed or unsupported geometry types,
        or no features.
    """
    import geopandas as gpd

    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"inventory not found: {p}")
    try:
        gdf = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except Exception as exc:
        raise RasterError(f"cannot read inventory {p}: {exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf.columns:
        raise RasterError(f"inventory {p} has no geometry: give landslide polygons or points "
                          "in a vector file (GeoJSON, shapefile or GeoPackage)")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)
    if len(gdf) == 0:
        raise RasterError(f"inventory {p} holds no features")
    gdf = _assign_crs(gdf, p, crs)
    _kind(gdf, str(p))
    gdf.attrs["source"] = str(p)
    return gdf


def _assign_crs(gdf: Any, p: Path, crs: Any) -> Any:
    """Give the inventory its CRS; refuse to guess one."""
    if gdf.crs is None:
        if crs is None:
            raise RasterError(f"inventory {p} has no CRS (missing .prj?); pass crs= to give "
                              "the CRS of its coordinates (never assumed)")
        return gdf.set_crs(crs)
    if gdf.crs.is_geographic:
        x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
        if min(x0, y0) < -360 or x1 > 360 or max(abs(y0), abs(y1)) > 90:
            if crs is not None and not _is_geographic(crs):
                log.warning("inventory %s: coordinates are not lon/lat; using crs %s", p, crs)
                return gdf.set_crs(crs, allow_override=True)
            raise RasterError(
                f"inventory {p}: coordinates ({x0:.6g}..{x1:.6g}, {y0:.6g}..{y1:.6g}) are not "
                f"longitude/latitude, but its CRS is {gdf.crs.to_string()} (a GeoJSON without "
                "'crs' is read as lon/lat); pass crs= to give the CRS of its coordinates")
    return gdf


def _is_geographic(crs: Any) -> bool:
    from pyproj import CRS

    try:
        return bool(CRS.from_user_input(crs).is_geographic)
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise RasterError(f"crs {crs!r} is not a CRS pyproj knows: {exc}") from exc


def _kind(gdf: Any, what: str) -> str:
    kinds = set(gdf.geom_type)
    if kinds <= {"Polygon", "MultiPolygon"}:
        return "polygon"
    if kinds <= {"Point", "MultiPoint"}:
        return "point"
    raise RasterError(f"inventory {what}: geometry types {sorted(kinds)}; need polygons or points")


def cell_area_m2(ref: xr.DataArray) -> np.ndarray:
    """True cell areas in m², shape ``(ny, nx)`` (varies by row on geographic grids)."""
    dy, dx = rst.cell_size_m(ref)
    return np.broadcast_to(np.asarray(dy) * np.asarray(dx), ref.shape).astype(np.float64)


def inventory_rasters(
    inv: Any, ref: xr.DataArray, *, supersample: int = 4, all_touched: bool = False
) -> xr.Dataset:
    """Rasterise an inventory on the grid of ``ref``.

    Parameters
    ----------
    inv
        GeoDataFrame of polygons or points (any CRS; reprojected to the grid's).
    ref
        Reference raster.
    supersample
        Polygon coverage is estimated on a grid ``supersample`` times finer (1..16).
    all_touched
        Mark every cell a polygon touches in ``mask`` (else cells at least half covered).

    Returns
    -------
    xarray.Dataset
        ``count`` (int32), ``fraction`` (float32), ``mask`` (bool) and ``area_m2``.
    """
    if not 1 <= supersample <= 16:
        raise ParameterError(f"supersample must be in 1..16, got {supersample}")
    if ref.rio.crs is None:
        raise RasterError(f"reference grid {ref.name!r} has no CRS")
    kind = _kind(inv, "")
    gdf = inv.to_crs(ref.rio.crs) if inv.crs != ref.rio.crs else inv
    transform = ref.rio.transform()
    count = _point_counts(gdf, ref, transform)
    if kind == "point":
        fraction = (count > 0).astype(np.float32)
        mask = count > 0
    else:
        fraction = _coverage(gdf, ref.shape, transform, supersample)
        mask = _touched(gdf, ref.shape, transform) if all_touched else fraction >= 0.5
    ds = xr.Dataset(
        {"count": (("y", "x"), count), "fraction": (("y", "x"), fraction),
         "mask": (("y", "x"), mask), "area_m2": (("y", "x"), cell_area_m2(ref))},
        coords={"y": ref.y, "x": ref.x},
    )
    n_out = int(len(gdf) - count.sum())
    _check_on_grid(len(gdf), n_out, inv, ref)
    ds.attrs["n_landslides"] = len(gdf)
    ds.attrs["n_outside_grid"] = n_out
    ds.attrs["kind"] = kind
    return ds.rio.write_crs(ref.rio.crs)


def _check_on_grid(n: int, n_out: int, inv: Any, ref: xr.DataArray) -> None:
    """Refuse an inventory entirely off the grid; warn when part of it is."""
    from geohazard.landslide.checks import raster_label

    where = inv.attrs.get("source", "the inventory") if hasattr(inv, "attrs") else "inventory"
    if n_out >= n:
        raise RasterError(
            f"{where}: none of its {n} landslides lies on the grid of {raster_label(ref)} "
            f"({ref.rio.crs}); check the inventory's CRS ({inv.crs}) and extent")
    if n_out > 0:
        log.warning("%s: %d of %d landslides lie outside the grid of %s and are left out",
                    where, n_out, n, raster_label(ref))


def _point_counts(gdf: Any, ref: xr.DataArray, transform: Any) -> np.ndarray:
    from rasterio.transform import rowcol

    pts = gdf.geometry.representative_point()
    rows, cols = rowcol(transform, pts.x.to_numpy(), pts.y.to_numpy())
    rows, cols = np.asarray(rows), np.asarray(cols)
    ny, nx = ref.shape
    ok = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    count = np.zeros(ref.shape, dtype=np.int32)
    np.add.at(count, (rows[ok], cols[ok]), 1)
    return count


def _coverage(gdf: Any, shape: tuple[int, ...], transform: Any, k: int) -> np.ndarray:
    from affine import Affine
    from rasterio import features

    fine = transform @ Affine.scale(1.0 / k, 1.0 / k)
    burn = features.rasterize(((g, 1) for g in gdf.geometry), out_shape=(shape[0] * k,
                              shape[1] * k), transform=fine, fill=0, dtype="uint8")
    frac = burn.reshape(shape[0], k, shape[1], k).mean(axis=(1, 3))
    return frac.astype(np.float32)


def _touched(gdf: Any, shape: tuple[int, ...], transform: Any) -> np.ndarray:
    from rasterio import features

    burn = features.rasterize(((g, 1) for g in gdf.geometry), out_shape=shape,
                              transform=transform, fill=0, dtype="uint8", all_touched=True)
    return burn.astype(bool)

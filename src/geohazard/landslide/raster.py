"""Raster I/O on :class:`xarray.DataArray` with rioxarray CRS.

Every raster in :mod:`geohazard.landslide` is a 2-D ``DataArray`` with dims ``("y", "x")``,
a CRS (``da.rio.crs``), float values where nodata became NaN, and ``attrs["units"]``
when the units are known. These helpers are shared by all landslide modules:

- :func:`read_raster` reads any GDAL raster (GeoTIFF, GMT ``.grd``, ...), checks its CRS,
  and turns nodata into NaN; ``chunks`` gives a Dask-backed (windowed) array.
- :func:`align_to` reprojects / resamples a raster onto a reference grid.
- :func:`write_geotiff` writes a GeoTIFF atomically (temp file + rename).
- :func:`cell_size_m` gives true cell sizes in metres for projected *and* geographic grids.
- :func:`from_array` and :func:`like` wrap NumPy arrays as georeferenced rasters.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import DataFileNotFoundError, ParameterError, RasterError
from geohazard.io_utils import atomic_path

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
CellSize = float | np.ndarray

__all__ = [
    "align_to",
    "cell_size_m",
    "check_same_grid",
    "from_array",
    "is_geographic",
    "like",
    "rasterize",
    "read_preview",
    "read_raster",
    "write_geotiff",
    "write_geotiffs",
]


def _rio() -> Any:
    """Import rioxarray lazily (registers the ``.rio`` accessor)."""
    try:
        import rioxarray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "geohazard.landslide needs the 'landslide' extra: pip install geohazard[landslide]"
        ) from exc
    return rioxarray


def read_raster(
    path: PathLike,
    name: str | None = None,
    *,
    crs: Any = None,
    band: int = 1,
    chunks: int | tuple[int, int] | bool | None = None,
    units: str | None = None,
) -> xr.DataArray:
    """Read one band of any GDAL raster as a float ``DataArray`` with NaN for nodata.

    Parameters
    ----------
    path
        Raster file (any format GDAL reads: GeoTIFF, GMT/netCDF ``.grd``, ASCII grid ...).
    name
        Name of the returned array (defaults to the file stem).
    crs
        CRS to assign when the file has none (e.g. ``"EPSG:4326"``). A file that has a
        CRS keeps it; a file without one and no ``crs`` given raises :class:`RasterError`.
    band
        1-based band number.
    chunks
        Dask chunk size(s) for windowed processing (``None`` reads into memory).
    units
        Units stored in ``attrs["units"]`` (kept from the file when not given).

    Returns
    -------
    xarray.DataArray
        Dims ``("y", "x")``, float32/float64 values, nodata as NaN, CRS attached.

    Raises
    ------
    DataFileNotFoundError
        When ``path`` does not exist.
    RasterError
        When the file cannot be read, the band is missing or the CRS is unknown.
    """
    rioxarray = _rio()
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"raster not found: {p}")
    da = _open_gdal(p, rioxarray, _open_kwargs(chunks))
    if da is None:  # netCDF-3 grid (GMT .grd) that GDAL reads without its coordinates
        da = _open_netcdf_grid(p, chunks)
    da = _one_band(da, p, band, load=chunks is None)
    if da.rio.crs is None:
        if crs is None:
            raise RasterError(f"{p} has no CRS; pass crs= (e.g. 'EPSG:4326') to assign one")
        da = da.rio.write_crs(crs)
    if not np.issubdtype(da.dtype, np.floating):
        da = da.astype(np.float64)
    da.name = name if name is not None else p.stem
    if units is not None:
        da.attrs["units"] = units
    da.attrs["source"] = str(p)
    return da


def _open_kwargs(chunks: int | tuple[int, int] | bool | None) -> dict[str, Any]:
    """Options of rioxarray.open_rasterio: NaN for nodata, Dask chunks when asked (checked)."""
    kwargs: dict[str, Any] = {"mask_and_scale": True}
    if isinstance(chunks, int) and not isinstance(chunks, bool) and chunks < 1:
        raise ParameterError(f"chunks must be >= 1 cell, got {chunks}")
    if chunks is not None:
        kwargs["chunks"] = {"x": chunks, "y": chunks} if isinstance(chunks, int) else chunks
    return kwargs


def _one_band(da: xr.DataArray, p: Path, band: int, load: bool) -> xr.DataArray:
    """Select 1-based ``band``; with ``load``, read it now so a corrupt file is named here."""
    if "band" in da.dims:
        nb = da.sizes["band"]
        if not 1 <= band <= nb:
            raise RasterError(f"{p}: band {band} requested but the file has {nb} band(s)")
        da = da.isel(band=band - 1, drop=True)
    if load:
        try:
            da = da.load()
        except Exception as exc:  # rasterio raises RasterioIOError and friends (truncated)
            from geohazard.landslide.checks import read_failure

            raise RasterError(f"cannot read raster {p}: {read_failure(exc)}") from exc
    return da


def _open_gdal(p: Path, rioxarray: Any, kwargs: dict[str, Any]) -> xr.DataArray | None:
    """Open with GDAL; return None for a netCDF grid whose georeferencing GDAL missed."""
    import warnings

    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NotGeoreferencedWarning)
        try:
            da = rioxarray.open_rasterio(p, **kwargs)
        except Exception as exc:  # rasterio raises RasterioIOError and friends
            raise RasterError(f"cannot read raster {p}: {exc}") from exc
    if isinstance(da, list):
        raise RasterError(f"{p} holds several subdatasets; pass one of them")
    not_geo = any(issubclass(w.category, NotGeoreferencedWarning) for w in caught)
    if not_geo and p.read_bytes()[:3] == b"CDF":
        return None
    if not_geo:
        raise RasterError(f"{p} has no georeferencing (no geotransform)")
    return da


def _open_netcdf_grid(p: Path, chunks: Any) -> xr.DataArray:
    """Read a classic netCDF grid (GMT ``.grd``) with 1-D x/y (or lon/lat) coordinates."""
    try:
        ds = xr.open_dataset(p, engine="scipy", mask_and_scale=True)
    except Exception as exc:
        raise RasterError(f"cannot read netCDF grid {p}: {exc}") from exc
    grids = [v for v in ds.data_vars.values() if v.ndim == 2]
    if len(grids) != 1:
        raise RasterError(f"{p}: expected one 2-D variable, found {[g.name for g in grids]}")
    da = grids[0]
    ren = {d: ("x" if d in ("lon", "longitude") else "y") for d in da.dims
           if d in ("lon", "longitude", "lat", "latitude")}
    da = da.rename(ren)
    if set(da.dims) != {"x", "y"}:
        raise RasterError(f"{p}: grid dims {da.dims} are not x/y or lon/lat")
    da = da.transpose("y", "x").load()
    if da.y.size > 1 and da.y.values[1] > da.y.values[0]:
        da = da.isel(y=slice(None, None, -1))  # north-up like GDAL rasters
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y")
    for key in ("_FillValue", "scale_factor", "add_offset", "actual_range"):
        da.attrs.pop(key, None)
    if chunks is not None:
        da = da.chunk(chunks if not isinstance(chunks, int) else {"x": chunks, "y": chunks})
    return da


def from_array(
    values: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    crs: Any,
    name: str | None = None,
    units: str | None = None,
) -> xr.DataArray:
    """Wrap a 2-D array as a georeferenced raster.

    Parameters
    ----------
    values
        Array of shape ``(ny, nx)``.
    x, y
        Cell-centre coordinates, lengths ``nx`` and ``ny``, evenly spaced.
    crs
        Anything :mod:`rasterio` accepts as a CRS (``"EPSG:32610"``, WKT, ...).
    name, units
        Array name and ``attrs["units"]``.

    Returns
    -------
    xarray.DataArray
    """
    _rio()
    values = np.asarray(values)
    if values.ndim != 2 or values.shape != (len(y), len(x)):
        raise RasterError(
            f"values of shape {values.shape} do not match y ({len(y)}) and x ({len(x)})"
        )
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": np.asarray(y), "x": np.asarray(x)})
    da = da.rio.write_crs(crs)
    da.name = name
    if units is not None:
        da.attrs["units"] = units
    return da


def like(ref: xr.DataArray, values: Any, name: str | None = None,
         units: str | None = None) -> xr.DataArray:
    """Return ``values`` (NumPy or Dask, shape of ``ref``) on the grid and CRS of ``ref``."""
    if tuple(np.shape(values)) != ref.shape:
        raise RasterError(f"values of shape {np.shape(values)} do not match grid {ref.shape}")
    da = xr.DataArray(values, dims=ref.dims, coords={d: ref.coords[d] for d in ref.dims})
    if "spatial_ref" in ref.coords:
        da = da.assign_coords(spatial_ref=ref.coords["spatial_ref"])
    da = da.rio.write_crs(ref.rio.crs)
    da.name = name
    if units is not None:
        da.attrs["units"] = units
    return da


def is_geographic(da: xr.DataArray) -> bool:
    """Return True when the raster's CRS is geographic (degrees)."""
    crs = da.rio.crs
    if crs is None:
        raise RasterError(f"raster {da.name!r} has no CRS")
    return bool(crs.is_geographic)


def check_same_grid(a: xr.DataArray, b: xr.DataArray, what: str = "rasters") -> None:
    """Raise :class:`RasterError` unless ``a`` and ``b`` share CRS, shape and transform."""
    if a.rio.crs != b.rio.crs:
        raise RasterError(f"{what}: CRS differ ({a.name}: {a.rio.crs}, {b.name}: {b.rio.crs})")
    if a.shape != b.shape:
        raise RasterError(f"{what}: shapes differ ({a.name}: {a.shape}, {b.name}: {b.shape})")
    ta, tb = a.rio.transform(), b.rio.transform()
    if not np.allclose(tuple(ta)[:6], tuple(tb)[:6], rtol=0, atol=1e-9 * max(1.0, abs(ta.a))):
        raise RasterError(f"{what}: transforms differ ({a.name}: {ta}, {b.name}: {tb})")


def align_to(da: xr.DataArray, ref: xr.DataArray, resampling: str = "bilinear") -> xr.DataArray:
    """Reproject and resample ``da`` onto the grid of ``ref`` (CRS, transform and shape).

    Parameters
    ----------
    da
        Raster to align (must have a CRS).
    ref
        Reference grid.
    resampling
        A :class:`rasterio.enums.Resampling` name: ``"bilinear"`` for continuous fields,
        ``"nearest"`` or ``"mode"`` for classes (lithology, land cover).

    Returns
    -------
    xarray.DataArray
        Values on ``ref``'s grid; cells outside ``da`` are NaN. Returns ``da`` unchanged
        when it is already on that grid.
    """
    from rasterio.enums import Resampling

    if da.rio.crs is None or ref.rio.crs is None:
        raise RasterError(f"align_to: {da.name!r} and {ref.name!r} both need a CRS")
    try:
        method = Resampling[resampling]
    except KeyError as exc:
        raise RasterError(f"unknown resampling {resampling!r}") from exc
    try:
        check_same_grid(da, ref)
        return da
    except RasterError:
        pass
    src = da if np.issubdtype(da.dtype, np.floating) else da.astype(np.float64)
    src = src.rio.write_nodata(np.nan, encoded=False)
    src.encoding = {}
    out = src.rio.reproject_match(ref, resampling=method)
    out = out.assign_coords(x=ref.x.values, y=ref.y.values)
    if not bool(np.isfinite(out.values).any()) and bool(np.isfinite(src.values).any()):
        from geohazard.landslide.checks import raster_label

        raise RasterError(
            f"{raster_label(da)} ({da.rio.crs}) does not overlap the grid of "
            f"{raster_label(ref)} ({ref.rio.crs}): no cell left after reprojection")
    out.name = da.name
    out.attrs.update({k: v for k, v in da.attrs.items() if k in ("units", "source")})
    return out


def write_geotiff(
    da: xr.DataArray, path: PathLike, *, compress: str = "deflate", nodata: float | None = None
) -> Path:
    """Write a 2-D raster to a GeoTIFF atomically.

    Parameters
    ----------
    da
        Raster with a CRS. Boolean arrays are written as ``uint8``; float arrays keep NaN
        as nodata. Dask-backed arrays are computed and written chunk by chunk.
    path
        Destination; the parent folder is created.
    compress
        GDAL compression (``"deflate"``, ``"lzw"``, ``"none"``).
    nodata
        Nodata value for non-float arrays (float arrays use NaN).

    Returns
    -------
    pathlib.Path
    """
    _rio()
    if da.ndim != 2:
        raise RasterError(f"write_geotiff expects a 2-D raster, got dims {da.dims}")
    if da.rio.crs is None:
        raise RasterError(f"raster {da.name!r} has no CRS; cannot write {path}")
    out = da.copy(deep=False)
    out.encoding = {}
    out.attrs = {k: v for k, v in da.attrs.items() if k not in ("_FillValue", "missing_value")}
    if out.dtype == bool:
        out = out.astype(np.uint8)
    if np.issubdtype(out.dtype, np.floating):
        out = out.rio.write_nodata(np.nan, encoded=False)
    elif nodata is not None:
        out = out.rio.write_nodata(nodata, encoded=False)
    opts: dict[str, Any] = {"driver": "GTiff", "tiled": True}
    if compress.lower() != "none":
        opts["compress"] = compress.upper()
    if out.chunks is not None:  # dask.array.store, chunk by chunk, one writer at a time
        import threading

        opts["lock"] = threading.Lock()
    with atomic_path(path, suffix=".tif") as tmp:
        out.rio.to_raster(tmp, **opts)
    log.debug("wrote %s", path)
    return Path(path)


def write_geotiffs(layers: dict[str, xr.DataArray], folder: PathLike) -> dict[str, Path]:
    """Write several rasters to ``folder/<name>.tif``: all of them, or none.

    Each file is written atomically; when one fails, the files already written by this call
    (that did not exist before) and the folders it created are removed.

    Parameters
    ----------
    layers
        File stem to raster.
    folder
        Output folder (created).

    Returns
    -------
    dict
        File stem to path.
    """
    from geohazard.landslide.checks import remove_new_dirs

    folder = Path(folder)
    paths = {name: folder / f"{name}.tif" for name in layers}
    existed = {name for name, p in paths.items() if p.exists()}
    done: list[str] = []
    with remove_new_dirs(folder):
        try:
            for name, da in layers.items():
                write_geotiff(da, paths[name])
                done.append(name)
        except BaseException:
            for name in done:
                if name not in existed:
                    paths[name].unlink(missing_ok=True)
            raise
    return paths


def rasterize(gdf: Any, ref: xr.DataArray, column: str, *, all_touched: bool = False
              ) -> xr.DataArray:
    """Burn polygon classes (lithology, land cover) onto the grid of ``ref``.

    Parameters
    ----------
    gdf
        GeoDataFrame of polygons with a CRS (reprojected to the grid's).
    ref
        Reference raster.
    column
        Class column: numbers are burnt as they are; text classes get codes ``0..k-1``
        in sorted order, listed in ``attrs["classes"]``.
    all_touched
        Burn every cell a polygon touches (else cells whose centre is inside).

    Returns
    -------
    xarray.DataArray
        Float class codes, NaN outside every polygon. Later polygons win on overlaps.
    """
    from pandas.api.types import is_numeric_dtype as pd_is_numeric
    from rasterio import features

    if column not in gdf.columns:
        raise RasterError(f"polygon layer has no column {column!r}; columns: {list(gdf.columns)}")
    if gdf.crs is None or ref.rio.crs is None:
        raise RasterError("rasterize needs a CRS on both the polygons and the grid")
    g = gdf.to_crs(ref.rio.crs) if gdf.crs != ref.rio.crs else gdf
    vals = g[column]
    classes: list[str] | None = None
    if not pd_is_numeric(vals):
        classes = sorted(vals.astype(str).unique())
        vals = vals.astype(str).map({c: i for i, c in enumerate(classes)})
    burnt = features.rasterize(
        ((geom, float(v)) for geom, v in zip(g.geometry, vals, strict=True) if np.isfinite(v)),
        out_shape=ref.shape, transform=ref.rio.transform(), fill=np.nan, dtype="float64",
        all_touched=all_touched)
    out = like(ref, burnt, name=column)
    if classes is not None:
        out.attrs["classes"] = classes
    return out


# --------------------------------------------------------------------------- cell sizes


def _ellipsoid(crs: Any) -> tuple[float, float]:
    """Return (semi-major axis in m, first eccentricity squared) of a CRS's ellipsoid."""
    from pyproj import CRS

    ell = CRS.from_user_input(crs.to_wkt()).ellipsoid
    if ell is None:  # pragma: no cover - every geographic CRS has one
        return 6378137.0, 0.0066943799901413165
    a = float(ell.semi_major_metre)
    inv_f = float(ell.inverse_flattening)
    f = 0.0 if inv_f == 0 else 1.0 / inv_f
    return a, f * (2.0 - f)


def geographic_cell_size(
    lat_deg: np.ndarray, dlat_deg: float, dlon_deg: float,
    a: float = 6378137.0, e2: float = 0.0066943799901413165,
) -> tuple[np.ndarray, np.ndarray]:
    """Cell sizes in metres of a lat/lon grid from the ellipsoid's radii of curvature.

    ``dy = M(lat) * dlat`` with the meridional radius ``M = a(1-e²)/(1-e² sin²φ)^(3/2)``
    and ``dx = N(lat) cos(lat) * dlon`` with the prime-vertical radius
    ``N = a/(1-e² sin²φ)^(1/2)`` (defaults: WGS84).

    Parameters
    ----------
    lat_deg
        Latitudes of the rows, degrees, shape ``(ny,)``.
    dlat_deg, dlon_deg
        Cell sizes in degrees (absolute values are used).
    a, e2
        Ellipsoid semi-major axis (m) and first eccentricity squared.

    Returns
    -------
    tuple of numpy.ndarray
        ``(dy, dx)`` in metres, each of shape ``(ny, 1)``.
    """
    phi = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    w = 1.0 - e2 * np.sin(phi) ** 2
    m = a * (1.0 - e2) / w**1.5
    n = a / np.sqrt(w)
    dy = m * np.deg2rad(abs(dlat_deg))
    dx = n * np.cos(phi) * np.deg2rad(abs(dlon_deg))
    return dy[:, None], dx[:, None]


def cell_size_m(da: xr.DataArray) -> tuple[CellSize, CellSize]:
    """True cell sizes in metres of a raster's grid.

    Parameters
    ----------
    da
        Raster with a CRS.

    Returns
    -------
    tuple
        ``(dy, dx)``: floats for a projected grid (resolution times the CRS's linear unit
        in metres, so US-foot grids are handled), arrays of shape ``(ny, 1)`` (one value per
        row, broadcastable against ``(ny, nx)``) for a geographic grid.
    """
    crs = da.rio.crs
    if crs is None:
        raise RasterError(f"raster {da.name!r} has no CRS; cell sizes are unknown")
    rx, ry = da.rio.resolution()
    if crs.is_geographic:
        a, e2 = _ellipsoid(crs)
        return geographic_cell_size(da.y.values, ry, rx, a, e2)
    factor = _linear_unit_factor(crs)
    return abs(ry) * factor, abs(rx) * factor


def _linear_unit_factor(crs: Any) -> float:
    """Metres per CRS linear unit of a projected CRS."""
    from pyproj import CRS

    axes = CRS.from_user_input(crs.to_wkt()).axis_info
    for ax in axes:
        if ax.unit_conversion_factor:
            return float(ax.unit_conversion_factor)
    return 1.0


def read_preview(path: PathLike, max_side: int = 800, name: str | None = None
                 ) -> xr.DataArray:
    """Read a raster decimated to at most ``max_side`` cells a side (for figures).

    Parameters
    ----------
    path
        Any GDAL raster with a CRS.
    max_side
        Largest number of rows or columns returned (GDAL averages overviews on the fly).
    name
        Name of the array (default: the file stem).

    Returns
    -------
    xarray.DataArray
        Decimated raster, NaN for nodata, on a coarser grid covering the same extent.
    """
    import rasterio
    from rasterio.enums import Resampling

    p = Path(path)
    with rasterio.open(p) as src:
        k = max(1, int(np.ceil(max(src.height, src.width) / max_side)))
        shape = (max(1, src.height // k), max(1, src.width // k))
        v = src.read(1, out_shape=shape, masked=True, resampling=Resampling.average)
        t = src.transform * src.transform.scale(src.width / shape[1], src.height / shape[0])
        crs = src.crs
    x = t.c + t.a * (np.arange(shape[1]) + 0.5)
    y = t.f + t.e * (np.arange(shape[0]) + 0.5)
    return from_array(v.astype(np.float64).filled(np.nan), x, y, crs, name or p.stem)

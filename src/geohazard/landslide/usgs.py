r"""USGS global earthquake-triggered landslide model (Nowicki Jessee et al., 2018).

The model is a logistic regression on ShakeMap PGV and global susceptibility layers,

.. math::

    X = b_0 + b_1 \ln PGV + b_2 S + b_3 L + b_4 CTI + b_5 LC + b_6 S \ln PGV,
    \qquad P = 1 / (1 + e^{-X}),

with :math:`S` the slope in degrees, :math:`L` and :math:`LC` the lithology (GLiM) and
land-cover (GlobCover) coefficients (already substituted in the operational input
rasters, hence :math:`b_3 = b_5 = 1`) and :math:`CTI` the compound topographic index.
Coefficients (Nowicki Jessee et al. 2018, JGR Earth Surface 123:1835-1859, Table 3, as
used in the USGS ``groundfailure`` configuration ``jessee_2018.ini``): ``b0 = -6.30``,
``b1 = 1.65``, ``b2 = 0.06``, ``b4 = 0.03``, ``b6 = 0.01``. PGV is clipped to
[0, 211] cm/s and CTI to [0, 19] (the ranges of the calibration data).

Operational changes described by Allstadt et al. (2022, Earthquake Spectra 38(1):5-36)
and the USGS Ground Failure background page:

* relative hazard ``P`` is converted to areal coverage (proportion of each cell
  affected) with ``exp(-7.592 + 5.237 P - 3.042 P^2 + 4.035 P^3)`` (maximum 0.256);
* the "unconsolidated sediments" lithology coefficient -3.22 is replaced by -1.36
  ("mixed sedimentary rocks");
* cells with slope at or below a minimum (2 degrees in ``jessee_2018.ini``, which
  reproduces the USGS output used in the tests; the web page quotes 5 degrees) are set
  to zero;
* aggregate statistics use cells with coverage >= 0.002 and PGA >= 0.1 g, and the
  hazard alert level bins the aggregate area at 1, 10 and 100 km^2 (green, yellow,
  orange, red); population exposure bins are 100, 1 000 and 10 000 people.

Everything runs on the grid of the slope raster, cut to the ShakeMap extent. ShakeMap
ground motions and CTI are resampled bilinearly, lithology and land cover by nearest
neighbour (as in the USGS implementation). :func:`run_jessee2018` computes either in
memory or window by window (bounded memory, output streamed to a GeoTIFF).
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import InputError, ParameterError, RasterError
from geohazard.landslide import usgs_model
from geohazard.landslide.checks import (
    check_param,
    check_slope_values,
    read_failure,
    remove_new_dirs,
)
from geohazard.landslide.shakemap import ShakeMapGrid, read_shakemap_grid
from geohazard.landslide.usgs_model import *  # noqa: F403 - the model's names are this module's
from geohazard.landslide.usgs_model import (
    COEFFICIENT_MAX,
    JesseeCoefficients,
    aggregate_area_km2,
    alert_level,
    cell_area_km2,
    jessee_probability,
    slope_to_degrees,
)

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

__all__ = ["JesseeResult", "run_jessee2018", *usgs_model.__all__]

# --------------------------------------------------------------------------- full model run


@dataclass(frozen=True)
class JesseeResult:
    """Result of :func:`run_jessee2018` (frozen).

    Attributes
    ----------
    coverage
        Areal coverage raster (in-memory runs) or None when streamed to ``out``.
    stats
        ``hagg_km2``, ``alert``, ``max``, ``n_cells``, thresholds and grid description.
    out
        GeoTIFF written, if any.
    dataset
        In-memory runs: ``coverage``, ``pga_g`` and ``pgv_cms`` (the possibly amplified
        motions used) as an :class:`xarray.Dataset` with ``units`` and ``long_name`` on
        every variable and the CRS; None when streamed.
    """

    coverage: xr.DataArray | None
    stats: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    dataset: xr.Dataset | None = None


@dataclass(frozen=True)
class _Layers:
    """Paths and units of the susceptibility inputs."""

    lithology: Path
    landcover: Path
    slope: Path
    cti: Path
    slope_units: str = "gradient"
    amplification: Path | None = None  # topographic factor on PGA and PGV (issue 15)


def _base_window(slope_path: Path, sm: ShakeMapGrid) -> tuple[Any, Any, int, int]:
    """Window of the slope grid whose cells touch the ShakeMap point extent."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(slope_path) as src:
        t, h, w = src.transform, src.height, src.width
        if src.crs is not None and not src.crs.is_geographic:
            raise RasterError(f"{slope_path}: the slope grid defines the output grid and must "
                              f"be geographic (lon/lat), not {src.crs}")
    if abs(t.b) > 0 or abs(t.d) > 0:
        raise RasterError(f"{slope_path}: rotated grids are not supported")
    lon0, lat0, lon1, lat1 = sm.bounds
    eps = 1e-6  # cells whose centres lie within half a cell of the ShakeMap points
    c0 = max(int(np.ceil((lon0 - t.c) / t.a - 1.0 - eps)), 0)
    c1 = min(int(np.floor((lon1 - t.c) / t.a + eps)), w - 1)
    r0 = max(int(np.ceil((lat1 - t.f) / t.e - 1.0 - eps)), 0)
    r1 = min(int(np.floor((lat0 - t.f) / t.e + eps)), h - 1)
    if c1 < c0 or r1 < r0:
        raise RasterError(f"{slope_path} does not overlap the ShakeMap extent {sm.bounds}")
    win = Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1)
    return win, rasterio.windows.transform(win, t), int(win.height), int(win.width)


def _warp(source: Any, transform: Any, shape: tuple[int, int], method: str,
          src_transform: Any = None) -> np.ndarray:
    """Resample ``source`` (open dataset band or array) onto a lat/lon block grid."""
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    out = np.full(shape, np.nan, dtype=np.float64)
    kw: dict[str, Any] = {"src_crs": "EPSG:4326", "src_nodata": np.nan}
    if src_transform is not None:
        kw["src_transform"] = src_transform
    else:  # an open band: its own CRS (USGS inputs carry none: lon/lat WGS84 assumed)
        if source.ds.crs is not None:
            kw["src_crs"] = source.ds.crs
        if source.ds.nodata is not None:
            kw["src_nodata"] = source.ds.nodata
    try:
        reproject(source, out, dst_transform=transform, dst_crs="EPSG:4326",
                  dst_nodata=np.nan, resampling=Resampling[method], **kw)
    except Exception as exc:  # rasterio's WarpOperationError on a truncated or corrupt file
        name = "ShakeMap grid" if src_transform is not None else source.ds.name
        raise RasterError(f"cannot read {name}: {read_failure(exc)}") from exc
    return out


def _shake_transform(sm: ShakeMapGrid) -> Any:
    from rasterio.transform import from_origin

    dlon, dlat = sm.spacing
    return from_origin(sm.lon[0] - dlon / 2, sm.lat[0] + dlat / 2, dlon, dlat)


def _compute_block(sm: ShakeMapGrid, srcs: dict[str, Any], layers: _Layers, transform: Any,
                   shape: tuple[int, int], coeffs: JesseeCoefficients) -> dict[str, np.ndarray]:
    """Coverage and PGA for one block of the output grid."""
    st = _shake_transform(sm)
    pgv = _warp(sm.fields["PGV"].astype(np.float64), transform, shape, "bilinear", st)
    pga = _warp(sm.fields["PGA"].astype(np.float64), transform, shape, "bilinear", st) / 100.0
    slope = slope_to_degrees(_warp(srcs["slope"], transform, shape, "bilinear"),
                             layers.slope_units)
    rock = _warp(srcs["lithology"], transform, shape, "nearest")
    lc = _warp(srcs["landcover"], transform, shape, "nearest")
    cti = _warp(srcs["cti"], transform, shape, "bilinear")
    if "amplification" in srcs:  # topographic amplification of the ShakeMap motions
        amp = _warp(srcs["amplification"], transform, shape, "bilinear")
        amp = np.where(np.isfinite(amp), amp, 1.0)
        pgv, pga = pgv * amp, pga * amp
    cov = jessee_probability(pgv, slope, rock, cti, lc, coeffs)
    counts = {k: int(np.isfinite(v).sum()) for k, v in
              (("shakemap", pgv), ("slope", slope), ("lithology", rock), ("landcover", lc),
               ("cti", cti))}
    return {"coverage": cov, "pga_g": pga, "pgv_cms": pgv, "counts": counts}


def _open_sources(layers: _Layers, stack: Any) -> dict[str, Any]:
    import rasterio

    srcs: dict[str, Any] = {}
    keys = ("lithology", "landcover", "slope", "cti")
    for key in keys + (("amplification",) if layers.amplification is not None else ()):
        path = getattr(layers, key)
        if not Path(path).exists():
            from geohazard.exceptions import DataFileNotFoundError

            raise DataFileNotFoundError(f"{key} raster not found: {path}")
        try:
            ds = stack.enter_context(rasterio.open(path))
        except Exception as exc:  # rasterio raises RasterioIOError and friends
            raise RasterError(f"cannot read {key} raster {path}: {exc}") from exc
        srcs[key] = rasterio.band(ds, 1)
    return srcs


def run_jessee2018(
    shakemap: PathLike | ShakeMapGrid, lithology: PathLike, landcover: PathLike,
    slope: PathLike, cti: PathLike, *, slope_units: str = "gradient",
    coeffs: JesseeCoefficients | None = None, out: PathLike | None = None,
    block_rows: int | None = None, pga_threshold_g: float = 0.1,
    prob_threshold: float = 0.002, progress: Any = None, gdal_cache_mb: int = 128,
    amplification: PathLike | None = None, client: Any = None,
) -> JesseeResult:
    """Run the Nowicki Jessee et al. (2018) model with the USGS operational changes.

    Parameters
    ----------
    shakemap
        ShakeMap ``grid.xml`` path or parsed grid (needs PGA and PGV).
    lithology, landcover
        Rasters of GLiM lithology and GlobCover land-cover *coefficients*.
    slope
        Slope raster; it defines the output grid (cut to the ShakeMap extent).
    cti
        Compound topographic index raster (GeoTIFF or GMT grid that GDAL reads).
    slope_units
        Units of ``slope`` (see :func:`slope_to_degrees`).
    coeffs
        Model coefficients and operational settings.
    out
        GeoTIFF to write the areal coverage to (atomically).
    block_rows
        Rows per window. ``None`` computes the whole grid in memory; an integer streams
        windows of that many rows to ``out`` (required) in bounded memory.
    pga_threshold_g, prob_threshold
        Thresholds of the aggregate statistics (:func:`aggregate_area_km2`).
    progress
        Optional callable ``progress(done_rows, total_rows)``.
    amplification
        Topographic amplification raster (``topo_amplification.tif`` of
        :mod:`geohazard.landslide.amplification`): PGA and PGV are multiplied by it on the
        output grid (cells it does not cover keep factor 1).
    gdal_cache_mb
        GDAL block cache for windowed runs (GDAL's default is 5 % of the machine's RAM,
        which would dominate the memory of a windowed run).
    client
        A :class:`distributed.Client` for a windowed run: each block of ``block_rows``
        rows is a task whose worker reads the inputs from their paths
        (:func:`geohazard.landslide.scale.run_usgs_on_cluster`); equal to the serial
        windowed run bit for bit.

    Returns
    -------
    JesseeResult
    """
    c = coeffs or JesseeCoefficients()
    out_path = _check_run(slope_units, pga_threshold_g, prob_threshold, block_rows, out)
    sm = shakemap if isinstance(shakemap, ShakeMapGrid) else read_shakemap_grid(shakemap)
    for key in ("PGA", "PGV"):
        if key not in sm.fields:
            raise InputError(f"ShakeMap grid lacks the {key} field")
    layers = _Layers(Path(lithology), Path(landcover), Path(slope), Path(cti), slope_units,
                     Path(amplification) if amplification is not None else None)
    return _run(sm, layers, c, out_path, block_rows, pga_threshold_g, prob_threshold,
                progress, gdal_cache_mb, client)


def _check_run(slope_units: str, pga_threshold_g: float, prob_threshold: float,
               block_rows: int | None, out: PathLike | None) -> Path | None:
    """Refuse bad settings before anything is read; the output path."""
    slope_to_degrees(np.zeros(1), slope_units)  # validate units early
    check_param("pga_threshold_g", pga_threshold_g)
    check_param("prob_threshold", prob_threshold)
    if block_rows is not None:
        check_param("block_rows", block_rows)
    out_path = Path(out) if out is not None else None
    if block_rows is not None and out_path is None:
        raise ParameterError("block_rows (windowed run) needs an output path `out`")
    return out_path


def _run(sm: ShakeMapGrid, layers: _Layers, c: JesseeCoefficients, out_path: Path | None,
         block_rows: int | None, pga_t: float, prob_t: float, progress: Any,
         gdal_cache_mb: int, client: Any) -> JesseeResult:
    """In memory, windowed, or row blocks on a Dask cluster."""
    import contextlib

    import rasterio

    win, transform, ny, nx = _base_window(layers.slope, sm)
    with contextlib.ExitStack() as stack:
        if block_rows is not None:
            stack.enter_context(rasterio.Env(GDAL_CACHEMAX=int(gdal_cache_mb) * 1024 * 1024))
        srcs = _open_sources(layers, stack)
        _check_slope_sample(srcs["slope"], win, layers)
        if out_path is not None:
            stack.enter_context(remove_new_dirs(out_path.parent))
        if block_rows is None:
            res = _compute_block(sm, srcs, layers, transform, (ny, nx), c)
            return _finish_memory(res, transform, ny, nx, out_path, c, pga_t, prob_t, sm,
                                  layers)
        assert out_path is not None  # checked by _check_run
        if client is not None:  # row blocks as tasks on a Dask cluster, written here
            from geohazard.landslide.scale import run_usgs_on_cluster

            return run_usgs_on_cluster(client, sm, layers, transform, (ny, nx), c, out_path,
                                       block_rows, pga_t, prob_t, progress)
        return _run_windowed(sm, srcs, layers, transform, (ny, nx), c, out_path, block_rows,
                             pga_t, prob_t, progress)


def _stats(hagg: float, cmax: float, n: int, transform: Any, shape: tuple[int, int],
           pga_t: float, prob_t: float, sm: ShakeMapGrid) -> dict[str, Any]:
    return {
        "model": "Nowicki Jessee et al. (2018), USGS operational version",
        "hagg_km2": hagg, "alert": alert_level(hagg), "max_coverage": cmax,
        "n_cells": n, "shape": list(shape), "transform": list(transform)[:6],
        "pga_threshold_g": pga_t, "prob_threshold": prob_t,
        "event": sm.event.get("event_description", sm.event.get("event_id", "")),
        "magnitude": sm.magnitude,
    }


def _finish_memory(res: dict[str, Any], transform: Any, ny: int, nx: int,
                   out: PathLike | None, c: JesseeCoefficients, pga_t: float, prob_t: float,
                   sm: ShakeMapGrid, layers: _Layers) -> JesseeResult:
    from geohazard.landslide.raster import from_array, write_geotiff

    x = transform.c + transform.a * (np.arange(nx) + 0.5)
    y = transform.f + transform.e * (np.arange(ny) + 0.5)
    area = cell_area_km2(y, transform.e, transform.a)
    cov = res["coverage"]
    _require_outputs(res["counts"], int(np.isfinite(cov).sum()), layers)
    hagg = aggregate_area_km2(cov, area, res["pga_g"], pga_t, prob_t)
    da = from_array(cov, x, y, "EPSG:4326", name="areal_coverage", units="proportion")
    da.attrs["coefficients"] = str(asdict(c))
    written = write_geotiff(da, out) if out is not None else None
    cmax = float(np.nanmax(cov)) if np.isfinite(cov).any() else float("nan")
    stats = _stats(hagg, cmax, int(np.isfinite(cov).sum()), transform, (ny, nx), pga_t,
                   prob_t, sm)
    return JesseeResult(coverage=da, stats=stats, out=written, dataset=_dataset(da, res))


def _dataset(cov: xr.DataArray, res: dict[str, Any]) -> xr.Dataset:
    from geohazard.landslide.raster import like

    layers = {"coverage": (cov.values, "1", "landslide areal coverage (proportion of cell)"),
              "pga_g": (res["pga_g"], "g", "peak ground acceleration"),
              "pgv_cms": (res["pgv_cms"], "cm/s", "peak ground velocity")}
    return xr.Dataset({n: like(cov, v, n, u).assign_attrs(long_name=ln)
                       for n, (v, u, ln) in layers.items()}).rio.write_crs(cov.rio.crs)


def _run_windowed(sm: ShakeMapGrid, srcs: dict[str, Any], layers: _Layers, transform: Any,
                  shape: tuple[int, int], c: JesseeCoefficients, out: Path, block_rows: int,
                  pga_t: float, prob_t: float, progress: Any) -> JesseeResult:
    """Compute block by block and stream the coverage to a tiled GeoTIFF."""
    import rasterio
    from rasterio.windows import Window

    from geohazard.io_utils import atomic_path

    if block_rows < 1:
        raise ParameterError(f"block_rows must be >= 1, got {block_rows}")
    ny, nx = shape
    profile = {"driver": "GTiff", "height": ny, "width": nx, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": transform, "nodata": np.nan, "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "DEFLATE"}
    hagg, cmax, n = 0.0, -np.inf, 0
    counts: dict[str, int] = {}
    with atomic_path(out, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for r0 in range(0, ny, block_rows):
            h = min(block_rows, ny - r0)
            bt = rasterio.windows.transform(Window(0, r0, nx, h), transform)
            res = _compute_block(sm, srcs, layers, bt, (h, nx), c)
            cov = res["coverage"]
            y = bt.f + bt.e * (np.arange(h) + 0.5)
            hagg += aggregate_area_km2(cov, cell_area_km2(y, bt.e, bt.a), res["pga_g"],
                                       pga_t, prob_t)
            if np.isfinite(cov).any():
                cmax = max(cmax, float(np.nanmax(cov)))
            n += int(np.isfinite(cov).sum())
            for k, v in res["counts"].items():
                counts[k] = counts.get(k, 0) + v
            dst.write(cov.astype(np.float32), 1, window=Window(0, r0, nx, h))
            if progress is not None:
                progress(r0 + h, ny)
        _require_outputs(counts, n, layers)  # inside: a refused run leaves no file
    stats = _stats(hagg, cmax if n else float("nan"), n, transform, shape, pga_t, prob_t, sm)
    return JesseeResult(coverage=None, stats=stats, out=out)


def _check_slope_sample(band: Any, win: Any, layers: _Layers, max_side: int = 512) -> None:
    """Refuse a slope layer whose values do not fit ``slope_units`` (or that has none).

    Reads the window decimated to at most ``max_side`` cells a side (bounded memory). Also
    refuses lithology or land-cover layers holding class codes instead of coefficients.
    """
    check_slope_values(_sample(band.ds, win, max_side, layers.slope), layers.slope_units,
                       f"slope raster {layers.slope}")
    for key in ("lithology", "landcover"):
        path = getattr(layers, key)
        with _rasterio_open(path) as ds:
            v = _sample(ds, None, max_side, path)
        big = np.abs(v[np.isfinite(v)])
        if big.size and float(big.max()) > COEFFICIENT_MAX:
            raise RasterError(
                f"{key} raster {path}: values up to {float(big.max()):g} look like class "
                f"codes; the model needs the {key} coefficients (|value| <= "
                f"{COEFFICIENT_MAX:g}), as in the USGS operational inputs")


def _rasterio_open(path: Path) -> Any:
    """Open a raster with rasterio; a one-line error naming the file when it cannot be."""
    import rasterio

    try:
        return rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError and friends
        raise RasterError(f"cannot read raster {path}: {read_failure(exc)}") from exc


def _sample(ds: Any, win: Any, max_side: int, path: Path) -> np.ndarray:
    """Band 1 (of window ``win``) decimated to at most ``max_side`` cells a side, NaN nodata."""
    h, w = (int(win.height), int(win.width)) if win is not None else (ds.height, ds.width)
    try:
        v = ds.read(1, window=win, out_shape=(min(h, max_side), min(w, max_side)),
                    masked=True)
    except Exception as exc:  # rasterio raises RasterioIOError and friends
        raise RasterError(f"cannot read raster {path}: {read_failure(exc)}") from exc
    return np.ma.filled(v.astype(np.float64), np.nan)


def _require_outputs(counts: dict[str, int], n_out: int, layers: _Layers) -> None:
    """Refuse a run in which no cell has every input: it would report alert green, 0 km2."""
    if n_out > 0:
        return
    empty = [k for k, v in counts.items() if v == 0]
    paths = {"slope": layers.slope, "lithology": layers.lithology,
             "landcover": layers.landcover, "cti": layers.cti, "shakemap": "ShakeMap grid"}
    what = ", ".join(str(paths[k]) if k == "shakemap" else f"{k} raster {paths[k]}"
                     for k in empty) if empty else (
        "the inputs together (their valid cells do not overlap)")
    raise RasterError(f"no cell of the ShakeMap area has every model input: no data in {what}")

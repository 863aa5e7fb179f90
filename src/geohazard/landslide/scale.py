"""Landslide rasters on a Dask distributed cluster: tasks read their own cells, the client writes.

Two routes, both writing tiled float32 GeoTIFFs atomically on the client as blocks
finish (at most ``max_in_flight`` at a time, so the client holds a few blocks whatever
the raster's size, and a block recomputed after a worker died is written once):

* :func:`terrain_on_cluster`: one task per DEM tile carrying the file's path and the
  tile's window; the worker reads the tile plus its halo and runs every product with
  the windowed serial path's code, so the outputs equal
  :func:`~geohazard.landslide.terrain.terrain_geotiff` bit for bit.  The input must be
  at the same path on every worker.
* :func:`run_usgs_on_cluster` (``run_jessee2018(..., client=)``): one task per block of
  output rows; the worker opens the inputs from their paths and warps its block; the
  client adds the blocks' aggregates in row order, so the result equals the windowed run.
* :func:`fault_factors_on_cluster`: one task per band of rows carrying the reference
  raster's path, the band's first row and the settings; the client prepares the fault
  segments near the grid once (small: they grow with the faults, not the grid) and sends
  them to every worker once; each worker opens the grid lazily, classifies its band's
  cells with the serial path's code and returns every layer, so the outputs equal
  :func:`~geohazard.landslide.faults.fault_factors_geotiff` bit for bit.
* :func:`write_on_cluster`: any Dask-backed rasters, e.g. lazy rioxarray chunks
  (:func:`~geohazard.landslide.raster.read_raster` with ``chunks``) through the lazy
  terrain functions or the USGS model; the graph holds paths and windows, never cells.
  Each block is computed on its own (neighbouring reads are repeated for halos).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide.checks import check_param, remove_new_dirs

log = logging.getLogger(__name__)

__all__ = ["fault_factors_on_cluster", "fault_rows_task", "run_usgs_on_cluster",
           "terrain_on_cluster", "terrain_tile_task", "usgs_rows_task", "write_on_cluster"]


def terrain_on_cluster(
    dem_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    client: Any,
    products: tuple[str, ...] = ("slope_deg", "aspect_deg"),
    *,
    tile: int = 1024,
    radius: int = 3,
    crs: Any = None,
    compress: str = "deflate",
    max_in_flight: int | None = None,
) -> dict[str, Path]:
    """Local terrain products of a DEM file computed on a cluster, one task per tile.

    Each task carries the DEM's path, its tile window and the settings; the worker reads
    the tile plus its halo itself and runs every product on it with the code of the
    windowed serial path (:func:`~geohazard.landslide.terrain.terrain_geotiff`), so the
    outputs equal it bit for bit.  The client writes the tiles as they finish.

    Parameters
    ----------
    dem_path
        DEM (any GDAL raster) in metres, readable at this path by every worker.
    out_dir
        Output folder: ``<out_dir>/<product>.tif``.
    client
        A :class:`distributed.Client` (:func:`geohazard.distributed.get_client`).
    products
        Subset of :data:`~geohazard.landslide.terrain.LOCAL_PRODUCTS`.
    tile, radius, crs, compress
        As in :func:`~geohazard.landslide.terrain.terrain_geotiff`; one task per tile.
    max_in_flight
        Tiles computed at a time (default: twice the cluster's threads).

    Returns
    -------
    dict
        Product name to output path.

    Raises
    ------
    RasterError
        Every cell of the DEM is nodata (no file is left behind).
    """
    from geohazard.distributed import map_unordered
    from geohazard.landslide import terrain as ter

    geom, profile, shape = _tile_setup(dem_path, products, tile, radius, crs, compress)
    wins = list(ter.iter_windows(shape, tile))
    out = Path(out_dir)
    paths = {p: out / f"{p}.tif" for p in products}
    # absolute: workers started in another folder find the file on a shared file system
    tasks = map_unordered(client, terrain_tile_task, wins, str(Path(dem_path).absolute()), shape,
                          client.scatter(geom, broadcast=True, hash=False), products, radius,
                          max_in_flight=max_in_flight)
    with remove_new_dirs(out):
        _write_tiles(tasks, paths, profile, dem_path)
    return paths


def _tile_setup(dem_path: Any, products: tuple[str, ...], tile: int, radius: int, crs: Any,
                compress: str) -> tuple[Any, dict[str, Any], tuple[int, int]]:
    """Checked settings; the DEM's grid geometry, output profile and shape."""
    import rasterio

    from geohazard.landslide import terrain as ter

    _check_products(products)
    check_param("tile", tile)
    check_param("radius", radius)
    probe = rst.read_raster(dem_path, chunks=tile, crs=crs)
    geom = ter.GridGeometry.from_raster(probe)
    with rasterio.open(dem_path) as src:
        return geom, ter._out_profile(src.profile, probe, tile, compress), src.shape


def _write_tiles(tasks: Any, paths: dict[str, Path], profile: dict[str, Any],
                 dem_path: Any) -> None:
    """Write finished tiles ``(win, blocks, any_data)`` to one atomic GeoTIFF per product."""
    import rasterio

    from geohazard.io_utils import atomic_path

    valid = False
    with contextlib.ExitStack() as stack:
        next(iter(paths.values())).parent.mkdir(parents=True, exist_ok=True)
        dsts = {}
        for p, path in paths.items():
            tmp = stack.enter_context(atomic_path(path, suffix=".tif"))
            dsts[p] = stack.enter_context(rasterio.open(tmp, "w", **profile))
        for _, (win, blocks, any_data) in tasks:
            r0, r1, c0, c1 = win
            window = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
            for p, block in zip(paths, blocks, strict=True):
                dsts[p].write(block, 1, window=window)
            valid = valid or any_data
        if not valid:  # atomic_path drops the files
            raise RasterError(f"DEM {dem_path}: every cell is nodata (no elevation to work "
                              "with)")
        for dst in dsts.values():
            dst.close()  # flush before atomic_path renames


def _check_products(products: tuple[str, ...]) -> None:
    from geohazard.landslide import terrain as ter

    if not products:
        raise ParameterError(f"no terrain product asked for; choose from "
                             f"{ter.LOCAL_PRODUCTS}")
    for p in products:
        if p not in ter.LOCAL_PRODUCTS:
            raise ParameterError(f"terrain product {p!r} cannot run in tiles; choose from "
                                 f"{ter.LOCAL_PRODUCTS}")


def terrain_tile_task(win: tuple[int, int, int, int], dem_path: str, shape: tuple[int, int],
                      geom: Any, products: tuple[str, ...], radius: int
                      ) -> tuple[tuple[int, int, int, int], list[np.ndarray], bool]:
    """One cluster task: every product of one DEM tile, read here with its halo.

    Returns
    -------
    tuple
        The window ``(r0, r1, c0, c1)``, one float32 block per product, and whether
        the tile (with its halo) held a finite elevation.
    """
    import rasterio

    from geohazard.landslide import terrain as ter
    from geohazard.landslide import terrain_kernels as tk

    hmax = max(tk._halo(p, radius) for p in products)
    with rasterio.open(dem_path) as src:
        read = ter._DemReader(src, Path(dem_path))
        cached = ter._tile_reader(read, shape, win, hmax)
        blocks = [tk._run_block(p, geom, cached, shape, win, radius).astype(np.float32)
                  for p in products]
    return win, blocks, read.valid


# --------------------------------------------------------------------------- fault factors
def fault_factors_on_cluster(
    faults: Any,
    ref_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    client: Any,
    *,
    crs: Any = None,
    rows: int = 256,
    search_radius_m: float = 200_000.0,
    vertical_dip_deg: float = 80.0,
    min_sin: float = 0.26,
    right_hand_rule: bool = False,
    max_in_flight: int | None = None,
    progress: bool = False,
) -> dict[str, Path]:
    """Fault factors of a reference grid computed on a cluster, one task per band of rows.

    The client reads nothing of the grid but its coordinates, and prepares the fault
    segments near it once (as the serial path does); they go to every worker once.  Each
    task carries the grid's path, its band's first row and the settings; the worker
    opens the grid lazily and classifies the band's cells with the serial path's code.
    The client writes the bands as they finish, so the GeoTIFFs equal
    :func:`~geohazard.landslide.faults.fault_factors_geotiff` with the same grid bit
    for bit, whatever the band size.

    Parameters
    ----------
    faults
        GeoDataFrame from :func:`~geohazard.landslide.faults.read_faults`.
    ref_path
        Raster defining the output grid (only its grid is used), readable at this path by
        every worker.
    out_dir
        Output folder: the layers of
        :func:`~geohazard.landslide.faults.fault_factors_geotiff`.
    client
        A :class:`distributed.Client` (:func:`geohazard.distributed.get_client`).
    crs
        CRS of a reference raster that has none.
    rows
        Rows per band (one task each).
    search_radius_m, vertical_dip_deg, min_sin, right_hand_rule
        As in :func:`~geohazard.landslide.faults.fault_factors`.
    max_in_flight
        Bands computed at a time (default: twice the cluster's threads).
    progress
        Show a rich progress bar.

    Returns
    -------
    dict
        Layer name to path.
    """
    from geohazard.distributed import map_unordered
    from geohazard.landslide import faults as flt

    check_param("block_rows", rows)
    ref = rst.read_raster(ref_path, crs=crs, chunks=2048)  # lazy: only the grid is used
    prep = flt._prepare(faults, ref, search_radius_m, vertical_dip_deg, min_sin,
                        right_hand_rule)
    starts = list(range(0, ref.shape[0], int(rows)))
    shared = client.scatter(prep, broadcast=True, hash=False)
    tasks = map_unordered(client, fault_rows_task, starts, str(Path(ref_path).absolute()),
                          crs, int(rows), shared, max_in_flight=max_in_flight)
    out = Path(out_dir)
    with remove_new_dirs(out):
        return flt._write_fault_bands((band for _, band in tasks), ref, out, progress)


def fault_rows_task(r0: int, ref_path: str, crs: Any, rows: int, prep: Any
                    ) -> tuple[int, dict[str, np.ndarray]]:
    """One cluster task: every fault-factor layer of grid rows ``r0:r0 + rows``.

    The worker opens the reference grid lazily from its path (no cell is read: only the
    band's coordinates are used) and runs the serial path's classification.

    Returns
    -------
    tuple
        ``r0`` and the band's layers (name to array in the layer's GeoTIFF dtype).
    """
    from geohazard.landslide import faults as flt

    ref = rst.read_raster(ref_path, crs=crs, chunks=2048)
    return r0, flt._fault_band(prep, ref.isel(y=slice(r0, r0 + rows)))


def write_on_cluster(layers: dict[str, xr.DataArray], folder: str | os.PathLike[str],
                     client: Any, *, compress: str = "deflate",
                     max_in_flight: int | None = None) -> dict[str, Path]:
    """Compute Dask-backed rasters on ``client`` block by block; write them here.

    All layers share one grid and chunking.  Each file is written atomically; when one
    fails, the files and folders this call created are removed.

    Returns
    -------
    dict
        Layer name to GeoTIFF path.
    """
    from geohazard.io_utils import atomic_path

    first = next(iter(layers.values()))
    for name, da in layers.items():
        if da.chunks is None:
            raise RasterError(f"layer {name!r} is not Dask-backed; use write_geotiffs")
        rst.check_same_grid(first, da, f"layers {next(iter(layers))!r} and {name!r}")
    folder = Path(folder)
    paths = {name: folder / f"{name}.tif" for name in layers}
    profile = _profile(first, compress)
    with remove_new_dirs(folder), contextlib.ExitStack() as stack:
        folder.mkdir(parents=True, exist_ok=True)
        dsts = {}
        import rasterio

        for name in layers:
            tmp = stack.enter_context(atomic_path(paths[name], suffix=".tif"))
            dsts[name] = stack.enter_context(rasterio.open(tmp, "w", **profile))
        for name, window, block in _blocks(layers, client, max_in_flight):
            dsts[name].write(np.asarray(block, dtype=np.float32), 1, window=window)
        for dst in dsts.values():
            dst.close()  # flush before atomic_path renames
    return paths


def _profile(ref: xr.DataArray, compress: str) -> dict[str, Any]:
    ny, nx = ref.shape
    side = max(16, (min(max(ref.chunks[0]), max(ref.chunks[1]), 512) // 16) * 16)
    out: dict[str, Any] = {
        "driver": "GTiff", "dtype": "float32", "count": 1, "nodata": np.nan,
        "width": nx, "height": ny, "crs": ref.rio.crs, "transform": ref.rio.transform(),
        "tiled": True, "blockxsize": side, "blockysize": side, "BIGTIFF": "IF_SAFER"}
    if compress.lower() != "none":
        out["compress"] = compress
    return out


def _blocks(layers: dict[str, xr.DataArray], client: Any, max_in_flight: int | None
            ) -> Iterator[tuple[str, Any, np.ndarray]]:
    """``(layer, window, block)`` as blocks finish on the cluster, a few in flight."""
    import rasterio
    from distributed import as_completed

    if max_in_flight is None:
        max_in_flight = 2 * max(1, sum(client.nthreads().values()))
    todo = []
    for name, da in layers.items():
        rows = np.cumsum((0, *da.chunks[0]))
        cols = np.cumsum((0, *da.chunks[1]))
        delayed = da.data.to_delayed()
        for i in range(len(rows) - 1):
            for j in range(len(cols) - 1):
                win = rasterio.windows.Window(int(cols[j]), int(rows[i]),
                                              int(cols[j + 1] - cols[j]),
                                              int(rows[i + 1] - rows[i]))
                todo.append((name, win, delayed[i, j]))
    queue = iter(todo)
    meta: dict[str, tuple[str, Any]] = {}

    def submit() -> Any:
        name, win, task = next(queue)
        fut = client.compute(task)
        meta[fut.key] = (name, win)
        return fut

    first = []
    for _ in range(max(1, int(max_in_flight))):
        with contextlib.suppress(StopIteration):
            first.append(submit())
    pending = as_completed(first, loop=client.loop)
    for fut in pending:
        block = fut.result()
        name, win = meta.pop(fut.key)
        fut.release()
        with contextlib.suppress(StopIteration):
            pending.add(submit())
        yield name, win, block


# --------------------------------------------------------------------------- USGS model
def usgs_rows_task(rows: tuple[int, int], sm: Any, layers: Any, transform: Any, nx: int,
                   coeffs: Any, pga_t: float, prob_t: float) -> dict[str, Any]:
    """One cluster task: the USGS (Jessee 2018) model on output rows ``rows[0]:rows[1]``.

    The worker opens the input rasters from their paths (``layers``) and warps its own
    block, with the windowed serial path's code.

    Returns
    -------
    dict
        ``coverage`` (float32 block) and the block's aggregates: ``hagg_km2``, ``max``,
        ``n`` and the finite-cell ``counts`` of each input.
    """
    import rasterio
    from rasterio.windows import Window

    from geohazard.landslide import usgs

    r0, h = rows
    bt = rasterio.windows.transform(Window(0, r0, nx, h), transform)
    with contextlib.ExitStack() as stack:
        srcs = usgs._open_sources(layers, stack)
        res = usgs._compute_block(sm, srcs, layers, bt, (h, nx), coeffs)
    cov = res["coverage"]
    y = bt.f + bt.e * (np.arange(h) + 0.5)
    finite = np.isfinite(cov)
    return {"coverage": cov.astype(np.float32), "counts": res["counts"],
            "hagg_km2": usgs.aggregate_area_km2(cov, usgs.cell_area_km2(y, bt.e, bt.a),
                                                res["pga_g"], pga_t, prob_t),
            "max": float(np.nanmax(cov)) if finite.any() else -np.inf, "n": int(finite.sum())}


def run_usgs_on_cluster(client: Any, sm: Any, layers: Any, transform: Any,
                        shape: tuple[int, int], coeffs: Any, out: Path, block_rows: int,
                        pga_t: float, prob_t: float, progress: Any = None) -> Any:
    """The windowed USGS run with its row blocks as cluster tasks; equal to it bit for bit.

    Called by :func:`geohazard.landslide.usgs.run_jessee2018` with ``client``.  The
    ShakeMap grid is sent to every worker once; the client writes the coverage GeoTIFF
    and adds the blocks' aggregates in row order, as the serial run does.
    """
    import rasterio
    from rasterio.windows import Window

    from geohazard.distributed import map_unordered
    from geohazard.io_utils import atomic_path
    from geohazard.landslide import usgs

    ny, nx = shape
    profile = {"driver": "GTiff", "height": ny, "width": nx, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": transform, "nodata": np.nan, "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "DEFLATE"}
    blocks = [(r0, min(block_rows, ny - r0)) for r0 in range(0, ny, block_rows)]
    shared_sm = client.scatter(sm, broadcast=True, hash=False)
    parts: dict[int, dict[str, Any]] = {}
    rows_done = 0
    with atomic_path(out, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for i, res in map_unordered(client, usgs_rows_task, blocks, shared_sm, layers,
                                    transform, nx, coeffs, pga_t, prob_t):
            r0, h = blocks[i]
            dst.write(res.pop("coverage"), 1, window=Window(0, r0, nx, h))
            parts[i] = res
            rows_done += h
            if progress is not None:
                progress(rows_done, ny)
        hagg, cmax, n = 0.0, -np.inf, 0
        counts: dict[str, int] = {}
        for i in range(len(blocks)):  # in row order: the same float sums as the serial run
            hagg += parts[i]["hagg_km2"]
            cmax = max(cmax, parts[i]["max"])
            n += parts[i]["n"]
            for k, v in parts[i]["counts"].items():
                counts[k] = counts.get(k, 0) + v
        usgs._require_outputs(counts, n, layers)  # inside: a refused run leaves no file
    stats = usgs._stats(hagg, cmax if n else float("nan"), n, transform, shape, pga_t, prob_t,
                        sm)
    return usgs.JesseeResult(coverage=None, stats=stats, out=out)

"""Landslide rasters on a Dask distributed cluster: lazy rioxarray chunks, client-side writes.

The DEM is opened lazily (:func:`~geohazard.landslide.raster.read_raster` with
``chunks``): the task graph holds the file's path and each chunk's window, never cells,
so every worker reads its own chunks (the input must be at the same path on every
worker).  The local terrain products are the lazy :mod:`~geohazard.landslide.terrain`
graphs (one chunk plus its halo per task).  Finished blocks come back to the client as
they complete, at most ``max_in_flight`` at a time, and the client alone writes them
into tiled float32 GeoTIFFs (written atomically), so memory on the client is a few
blocks whatever the raster's size, and a block recomputed after a worker died is
written once.  The numbers equal :func:`~geohazard.landslide.terrain.terrain_geotiff`
(the windowed serial path) bit for bit.
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

__all__ = ["terrain_on_cluster", "write_on_cluster"]


def terrain_on_cluster(
    dem_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    client: Any,
    products: tuple[str, ...] = ("slope_deg", "aspect_deg"),
    *,
    chunk: int = 1024,
    radius: int = 3,
    crs: Any = None,
    compress: str = "deflate",
    max_in_flight: int | None = None,
) -> dict[str, Path]:
    """Local terrain products of a DEM file computed on a cluster, written here.

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
    chunk
        Chunk side in cells (one task per chunk and product; a multiple of 16).
    radius
        Relief window radius in cells.
    crs
        CRS to assume when the DEM file has none.
    compress
        GeoTIFF compression of the outputs.
    max_in_flight
        Blocks computed at a time (default: twice the cluster's threads).

    Returns
    -------
    dict
        Product name to output path.
    """
    from geohazard.landslide import terrain as ter

    if not products:
        raise ParameterError(f"no terrain product asked for; choose from "
                             f"{ter.LOCAL_PRODUCTS}")
    for p in products:
        if p not in ter.LOCAL_PRODUCTS:
            raise ParameterError(f"terrain product {p!r} cannot run in chunks; choose from "
                                 f"{ter.LOCAL_PRODUCTS}")
    check_param("tile", chunk)
    check_param("radius", radius)
    dem = rst.read_raster(dem_path, chunks=chunk, crs=crs)
    layers = {p: ter._local(dem, p, radius) for p in products}
    return write_on_cluster(layers, out_dir, client, compress=compress,
                            max_in_flight=max_in_flight)


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

"""Terrain throughput: windowed file-to-file processing against plain in-memory NumPy.

A synthetic DEM of ``--size`` x ``--size`` cells (smooth hills, UTM grid, 30 m cells) is
written window by window to a tiled GeoTIFF (never held whole in memory). Then, in one
process, on the same machine:

(a) ``windowed``: :func:`geohazard.landslide.terrain.terrain_geotiff` reads the DEM and
    writes every product tile by tile (bounded memory);
(c) ``dask`` (with ``--dask``): the lazy path, ``read_raster(chunks=tile)`` then each
    product (``map_overlap`` graph) streamed to a GeoTIFF by ``write_geotiff``;
(b) ``numpy``: the plain in-memory baseline reads the whole DEM into a NumPy array and
    applies the same kernels to it at once (:func:`terrain_numpy`), results kept in memory.

Each method runs in a fresh subprocess; for each: wall-clock seconds, cells per second
(DEM cells x products / s) and the process's max RSS. The two results are compared cell by
cell (max abs difference). Outputs are uncompressed by default (``--compress deflate`` to
include compression). The machine's load average is recorded: on a shared machine the
timings are noisy. ``--skip-numpy`` runs only (a),
e.g. for the 10^8-cell case where the baseline would need several GB.

Example::

    nice -n 10 python benchmarks/bench_landslide_terrain.py --size 4000 \
        --out benchmarks/results/landslide_terrain_4000.json
    nice -n 10 python benchmarks/bench_landslide_terrain.py --size 10000 --skip-numpy \
        --out benchmarks/results/landslide_terrain_1e8.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from geohazard.io_utils import write_json_atomic
from geohazard.landslide import raster as rst
from geohazard.landslide import terrain as ter

PRODUCTS = ("slope_deg", "aspect_deg", "curvature", "relief")


def make_dem(path: Path, n: int, res: float = 30.0, block: int = 1024) -> None:
    """Write an n x n smooth synthetic DEM window by window."""
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="float32",
                   crs="EPSG:32645", transform=from_origin(400_000.0, 3_600_000.0, res, res),
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate",
                   BIGTIFF="IF_SAFER", nodata=np.nan)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, n, block):
            r1 = min(n, r0 + block)
            y = (np.arange(r0, r1) * res)[:, None]
            x = (np.arange(n) * res)[None, :]
            z = (800 * np.sin(x / 3100.0) * np.cos(y / 2300.0) + 300 * np.sin(x / 700.0 + y / 900.0)
                 + 0.05 * x + 2000.0)
            dst.write(z.astype(np.float32)[None], window=Window(0, r0, n, r1 - r0))


def rss_mb() -> float:
    """Peak resident memory of this process in MB.

    ``VmHWM`` resets at exec (``ru_maxrss`` would carry the parent's peak over into the
    worker); falls back to ``ru_maxrss`` where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(method: str, dem: Path, out: Path, tile: int, compress: str) -> dict:
    """Run one method in this (fresh) process; return seconds and max RSS."""
    base = rss_mb()
    t0 = time.perf_counter()
    if method == "windowed":
        ter.terrain_geotiff(dem, out, PRODUCTS, tile=tile, compress=compress)
    elif method == "dask":
        lazy = rst.read_raster(dem, chunks=tile)
        for p in PRODUCTS:
            rst.write_geotiff(ter._local(lazy, p), out / f"dask_{p}.tif", compress=compress)
    else:
        da = rst.read_raster(dem)
        z = np.asarray(da.values, dtype=np.float64)
        geom = ter.GridGeometry.from_raster(da)
        arrays = {p: ter.terrain_numpy(z, geom, p).astype(np.float32) for p in PRODUCTS}
        secs = time.perf_counter() - t0
        np.savez(out / "numpy.npz", **arrays)  # for the comparison, outside the timing
        return {"seconds": secs, "max_rss_mb": rss_mb(), "rss_at_start_mb": base}
    return {"seconds": time.perf_counter() - t0, "max_rss_mb": rss_mb(),
            "rss_at_start_mb": base}


def spawn(method: str, dem: Path, out: Path, tile: int, compress: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--dem", str(dem),
           "--workdir", str(out), "--tile", str(tile), "--compress", compress]
    env = dict(os.environ, GDAL_CACHEMAX="128")  # same GDAL block cache (MiB) for all
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4000, help="DEM side in cells")
    ap.add_argument("--tile", type=int, default=1024, help="window side in cells")
    ap.add_argument("--compress", default="none", help="GeoTIFF compression of outputs")
    ap.add_argument("--skip-numpy", action="store_true", help="no in-memory baseline")
    ap.add_argument("--dask", action="store_true", help="also the lazy Dask path")
    ap.add_argument("--workdir", type=Path, default=None, help="where the DEM is written")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--dem", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/landslide_terrain.json"))
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.dem, args.workdir, args.tile, args.compress)))
        return
    n = args.size
    cells = n * n
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        dem = Path(tmp) / "dem.tif"
        t0 = time.perf_counter()
        make_dem(dem, n)
        res: dict = {"benchmark": "landslide_terrain", "size": n, "cells": cells,
                     "products": list(PRODUCTS), "tile": args.tile, "compress": args.compress,
                     "dem_write_s": time.perf_counter() - t0, "machine": platform.platform(),
                     "cpu_count": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]}
        print(f"DEM {n}x{n} = {cells:.3g} cells written in {res['dem_write_s']:.1f} s")
        w = spawn("windowed", dem, Path(tmp), args.tile, args.compress)
        w["cells_per_s"] = cells * len(PRODUCTS) / w["seconds"]
        res["windowed"] = w
        print(f"windowed : {w['seconds']:8.2f} s  {w['cells_per_s']:.3g} cells/s  "
              f"max RSS {w['max_rss_mb']:.0f} MB")
        write_json_atomic(args.out, res)
        if args.dask:
            d = spawn("dask", dem, Path(tmp), args.tile, args.compress)
            d["cells_per_s"] = cells * len(PRODUCTS) / d["seconds"]
            res["dask"] = d
            print(f"dask     : {d['seconds']:8.2f} s  {d['cells_per_s']:.3g} cells/s  "
                  f"max RSS {d['max_rss_mb']:.0f} MB")
            write_json_atomic(args.out, res)
        if not args.skip_numpy:
            b = spawn("numpy", dem, Path(tmp), args.tile, args.compress)
            b["cells_per_s"] = cells * len(PRODUCTS) / b["seconds"]
            res["numpy"] = b
            arrays = np.load(Path(tmp) / "numpy.npz")
            res["max_abs_diff"] = {
                p: float(np.nanmax(np.abs(rst.read_raster(Path(tmp) / f"{p}.tif").values
                                          - arrays[p]))) for p in PRODUCTS}
            res["speed_ratio_windowed_over_numpy"] = w["cells_per_s"] / b["cells_per_s"]
            res["rss_ratio_numpy_over_windowed"] = b["max_rss_mb"] / w["max_rss_mb"]
            print(f"numpy    : {b['seconds']:8.2f} s  {b['cells_per_s']:.3g} cells/s  "
                  f"max RSS {b['max_rss_mb']:.0f} MB")
            print(f"max |windowed - numpy|: {res['max_abs_diff']}")
        res["load_avg_1min_end"] = os.getloadavg()[0]
    write_json_atomic(args.out, res)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""USGS global landslide model: windowed (bounded memory) against in-memory, cells per second.

Synthetic inputs at the operational 7.5 arc-second resolution (slope gradient, GLiM and
GlobCover coefficient rasters, a 30 arc-second CTI grid and a ShakeMap ``grid.xml`` at
0.025 degrees) are written once under ``benchmarks/_work/landslide_usgs/<cells>``
(tiled, compressed GeoTIFFs written window by window). Then
:func:`geohazard.landslide.usgs.run_jessee2018` runs

* ``memory``: the whole grid resampled and computed at once in NumPy arrays
  (the plain in-memory implementation, the baseline), and
* ``windowed``: blocks of ``--block-rows`` rows, each input read through GDAL windows
  and the output streamed to a GeoTIFF,

each in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own.
Both runs must give the same aggregate area. ``--skip-memory`` runs only the windowed
mode (for grids whose in-memory run would not fit, e.g. 10^8 cells).

Example::

    nice -n 10 .venv/bin/python benchmarks/bench_landslide_usgs.py --cells 4e6 \
        --out benchmarks/results/landslide_usgs.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RES = 1.0 / 480.0  # 7.5 arc-seconds
LITH = np.array([-1.87, -0.66, -0.78, -1.88, -1.61, -1.05, -0.95, -1.36, -1.92, -3.22])
LAND = np.array([0.91, 0.88, 0.78, 0.68, 0.30, 1.77, 1.71, -1.26, 1.50, 1.13])


def _shape(cells: float) -> tuple[int, int]:
    nx = int(round(np.sqrt(cells * 1.5)))
    return max(int(round(cells / nx)), 8), max(nx, 8)


def _write_blocks(path: Path, ny: int, nx: int, res: float, fill) -> None:  # noqa: ANN001
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    prof = {"driver": "GTiff", "height": ny, "width": nx, "count": 1, "dtype": "float32",
            "crs": "EPSG:4326", "transform": from_origin(100.0, 35.0, res, res),
            "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "DEFLATE",
            "nodata": np.nan}
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **prof) as dst:
        for r0 in range(0, ny, 512):
            h = min(512, ny - r0)
            rows, cols = np.mgrid[r0:r0 + h, 0:nx]
            dst.write(fill(rows, cols).astype(np.float32), 1, window=Window(0, r0, nx, h))
    tmp.replace(path)


def _shakemap(path: Path, ny: int, nx: int) -> None:
    lon0, lat1 = 100.0, 35.0
    lon1, lat0 = lon0 + nx * RES, lat1 - ny * RES
    d = 0.025
    lons = np.arange(lon0 - d, lon1 + 2 * d, d)
    lats = np.arange(lat1 + d, lat0 - 2 * d, -d)
    lo, la = np.meshgrid(lons, lats)
    r = np.hypot((lo - (lon0 + lon1) / 2) * 90, (la - (lat0 + lat1) / 2) * 111) + 5.0
    pgv = 400.0 / r**0.9
    pga = 250.0 / r**0.9
    rows = "\n".join(f"{a:.4f} {b:.4f} {c:.4g} {v:.4g}"
                     for a, b, c, v in zip(lo.ravel(), la.ravel(), pga.ravel(), pgv.ravel(),
                                           strict=True))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<shakemap_grid '
        'xmlns="http://earthquake.usgs.gov/eqcenter/shakemap">\n'
        '<event event_id="bench" magnitude="7.5" event_description="synthetic" />\n'
        f'<grid_specification lon_min="{lons[0]:.4f}" lat_min="{lats[-1]:.4f}" '
        f'lon_max="{lons[-1]:.4f}" lat_max="{lats[0]:.4f}" nominal_lon_spacing="{d}" '
        f'nominal_lat_spacing="{d}" nlon="{lons.size}" nlat="{lats.size}"/>\n'
        '<grid_field index="1" name="LON" units="dd" />\n'
        '<grid_field index="2" name="LAT" units="dd" />\n'
        '<grid_field index="3" name="PGA" units="pctg" />\n'
        '<grid_field index="4" name="PGV" units="cms" />\n'
        f"<grid_data>\n{rows}\n</grid_data>\n</shakemap_grid>\n")


def make_inputs(work: Path, cells: float) -> dict[str, str]:
    """Write the synthetic inputs (once) and return their paths."""
    ny, nx = _shape(cells)
    work.mkdir(parents=True, exist_ok=True)
    paths = {k: work / f"{k}.tif" for k in ("slope", "lithology", "landcover", "cti")}
    paths["shakemap"] = work / "grid.xml"
    if not paths["slope"].exists():
        _write_blocks(paths["slope"], ny, nx, RES, lambda r, c: 0.35 * (
            1 + np.sin(r / 37.0) * np.cos(c / 53.0)) * (1 + 0.3 * np.sin((r * c) % 97)))
    if not paths["lithology"].exists():
        _write_blocks(paths["lithology"], ny, nx, RES,
                      lambda r, c: LITH[((r // 64) * 7 + (c // 64) * 3) % LITH.size])
    if not paths["landcover"].exists():
        _write_blocks(paths["landcover"], ny, nx, RES,
                      lambda r, c: LAND[((r // 40) * 5 + (c // 48)) % LAND.size])
    if not paths["cti"].exists():
        _write_blocks(paths["cti"], -(-ny // 4), -(-nx // 4), 4 * RES,
                      lambda r, c: 6.0 + 4.0 * np.sin(r / 11.0) * np.sin(c / 13.0))
    if not paths["shakemap"].exists():
        _shakemap(paths["shakemap"], ny, nx)
    return {k: str(v) for k, v in paths.items()}


def _one(mode: str, paths: dict[str, str], block_rows: int, out: str) -> dict:
    from geohazard.landslide.raster import _rio
    from geohazard.landslide.usgs import run_jessee2018

    _rio()  # import rioxarray/dask before timing: both modes time computation and I/O only
    t0 = time.perf_counter()
    res = run_jessee2018(paths["shakemap"], paths["lithology"], paths["landcover"],
                         paths["slope"], paths["cti"], out=out,
                         block_rows=block_rows if mode == "windowed" else None)
    wall = time.perf_counter() - t0
    ny, nx = res.stats["shape"]
    return {"mode": mode, "cells": ny * nx, "wall_s": wall, "cells_per_s": ny * nx / wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "hagg_km2": res.stats["hagg_km2"], "block_rows": block_rows if mode == "windowed"
            else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=float, default=4e6)
    ap.add_argument("--block-rows", type=int, default=256)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/landslide_usgs.json")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATHS_JSON"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    work = ROOT / "benchmarks/_work/landslide_usgs" / f"{int(a.cells)}"
    if a.child:
        res = _one(a.child[0], json.loads(a.child[1]), a.block_rows,
                   str(work / f"out_{a.child[0]}.tif"))
        print(json.dumps(res))
        return
    t0 = time.perf_counter()
    paths = make_inputs(work, a.cells)
    print(f"inputs ready in {time.perf_counter() - t0:.1f} s under {work}")
    results = {}
    for mode in (["windowed"] if a.skip_memory else ["memory", "windowed"]):
        cmd = [sys.executable, __file__, "--cells", str(a.cells), "--block-rows",
               str(a.block_rows), "--child", mode, json.dumps(paths)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[mode]
        print(f"{mode:9s} cells={r['cells']:>11,d} wall={r['wall_s']:8.2f} s "
              f"cells/s={r['cells_per_s']:12,.0f} peak RSS={r['peak_rss_mb']:8.1f} MB "
              f"Hagg={r['hagg_km2']:.3f} km2")
    if "memory" in results:
        w, m = results["windowed"], results["memory"]
        results["speed_ratio_windowed_over_memory"] = w["cells_per_s"] / m["cells_per_s"]
        results["memory_ratio_windowed_over_memory"] = w["peak_rss_mb"] / m["peak_rss_mb"]
        results["hagg_rel_diff"] = abs(w["hagg_km2"] - m["hagg_km2"]) / max(m["hagg_km2"], 1e-12)
    results["machine"] = {"platform": platform.platform(), "python": platform.python_version()}
    from geohazard.io_utils import write_json_atomic

    write_json_atomic(a.out, results)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()

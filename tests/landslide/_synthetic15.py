"""Synthetic DEMs and landslides of known mode and geometry (issue 15 tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CRS = "EPSG:32610"
ORIGIN = (500_000.0, 4_200_000.0)


def write_dem(path: Path, z: np.ndarray, res: float) -> Path:
    """Write a north-up UTM GeoTIFF whose column j is x = j*res, row i is y = -i*res."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0],
                       count=1, dtype="float32", crs=CRS,
                       transform=from_origin(*ORIGIN, res, res)) as dst:
        dst.write(z.astype(np.float32), 1)
    return path


def _box(x0: float, x1: float, y0: float, y1: float):  # noqa: ANN202
    from shapely.geometry import box

    return box(ORIGIN[0] + x0, ORIGIN[1] - y1, ORIGIN[0] + x1, ORIGIN[1] - y0)


def mode_case(mode: str, tmp: Path) -> tuple[Path, object]:
    """A DEM file and a one-polygon GeoDataFrame whose mode is ``mode``.

    Local coordinates: x east (m), y south (m) from the grid's north-west corner.
    """
    import geopandas as gpd

    res = 10.0
    n = 400
    xx = np.arange(n) * res + res / 2
    X = np.broadcast_to(xx, (n, n))
    if mode == "fall":  # 70-degree cliff 1000..1100 m east, 275 m high, flat below
        z = np.clip((X - 1000.0) * np.tan(np.radians(70)), 0, 275) + 100
        geom = _box(940, 1100, 1000, 1080)
    elif mode == "avalanche":  # 35-degree slope to x = 1000 m, then a flat valley floor
        z = np.clip((1000.0 - X) * np.tan(np.radians(35)), 0, None) + 100
        geom = _box(500, 3500, 1500, 1800)
    elif mode == "deformation":  # gentle ridge (16.7 deg) with its crest at x = 2000 m
        z = 600 - 0.3 * np.abs(X - 2000.0)
        geom = _box(2000, 2600, 1500, 2100)
    else:  # slide: small compact scar on a 30-degree planar slope
        z = (4000.0 - X) * np.tan(np.radians(30)) + 100
        geom = _box(2000, 2100, 2000, 2060)
    dem = write_dem(tmp / f"dem_{mode}.tif", z, res)
    return dem, gpd.GeoDataFrame({"true_mode": [mode]}, geometry=[geom], crs=CRS)

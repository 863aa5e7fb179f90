"""Vector outputs as GeoPackage with a CRS: landslides with susceptibility, fault traces.

GeoPackage (OGC standard, one SQLite file) is read by QGIS, GDAL/OGR and geopandas with its
CRS; every file is written to a temporary name beside the target and renamed onto it, so a
reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.exceptions import ParameterError, RasterError

__all__ = ["fault_traces_with_side", "landslide_points", "landslides_with_susceptibility",
           "susceptibility_classes", "write_gpkg", "write_susceptibility_gis"]

_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def write_gpkg(gdf: Any, path: str | os.PathLike[str], layer: str | None = None) -> Path:
    """Write a GeoDataFrame to a GeoPackage atomically (temporary file, then rename).

    Parameters
    ----------
    gdf
        GeoDataFrame with a CRS (refused without one: a GIS could not place it).
    path
        Destination ``.gpkg``.
    layer
        Layer name (default: the file's stem).

    Returns
    -------
    pathlib.Path
    """
    from geohazard.io_utils import atomic_path

    if getattr(gdf, "crs", None) is None:
        raise ParameterError(f"{path}: the layer has no CRS; set one (gdf.set_crs) before "
                             "writing a GeoPackage")
    with atomic_path(path, suffix=".gpkg") as tmp:
        tmp.unlink(missing_ok=True)  # the GPKG driver creates the file itself
        gdf.to_file(tmp, driver="GPKG", layer=layer or Path(path).stem)
    return Path(path)


def susceptibility_classes(smap: Any, n_classes: int = 5) -> Any:
    """Quantile classes 1..``n_classes`` of a susceptibility map (0 where it has no value).

    Equal shares of the mapped cells per class (quintiles by default: very low to very
    high), the usual way to compare maps whose probabilities are relative (balanced
    sampling shifts the intercept).

    Returns
    -------
    xarray.DataArray
        ``uint8`` codes on the map's grid; ``attrs["breaks"]`` the class edges.
    """
    v = np.asarray(smap.values, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        raise RasterError("the susceptibility map has no value to classify")
    edges = np.quantile(v[ok], np.linspace(0, 1, n_classes + 1))
    codes = np.zeros(v.shape, np.uint8)
    codes[ok] = np.clip(np.searchsorted(edges[1:-1], v[ok], side="right") + 1, 1, n_classes)
    out = smap.copy(data=codes)
    out.attrs = {"units": "1", "long_name": "susceptibility class",
                 "breaks": [float(e) for e in edges]}
    return out.rename("susceptibility_class")


def write_susceptibility_gis(out: str | os.PathLike[str], summary: dict[str, Any], smap: Any,
                             landslides: Any = None) -> dict[str, Any]:
    """Quintile classes of a susceptibility map and the landslides with their susceptibility.

    Writes ``susceptibility_class.tif`` (colour table and class names) and, with
    ``landslides`` (a GeoDataFrame with a CRS), ``landslides.gpkg``; adds
    ``susceptibility_class_tif``, ``class_breaks`` and ``landslides_gpkg`` to ``summary``.

    Returns
    -------
    dict
        ``summary``.
    """
    from geohazard.landslide.categorical import SUSCEPTIBILITY_CLASSES, write_class_geotiff

    out = Path(out)
    classes = susceptibility_classes(smap)
    tif = write_class_geotiff(classes, out / "susceptibility_class.tif", SUSCEPTIBILITY_CLASSES)
    summary.update(susceptibility_class_tif=str(tif), class_breaks=classes.attrs["breaks"])
    if landslides is not None:
        gdf = landslides_with_susceptibility(landslides, smap, classes)
        summary["landslides_gpkg"] = str(write_gpkg(gdf, out / "landslides.gpkg",
                                                    layer="landslides"))
    return summary


def landslide_points(mask: Any) -> Any:
    """Landslide cells of a boolean raster as points at the cell centres (a GeoDataFrame)."""
    import geopandas as gpd

    yy, xx = np.nonzero(np.asarray(mask.values).astype(bool))
    x, y = np.asarray(mask.x)[xx], np.asarray(mask.y)[yy]
    return gpd.GeoDataFrame({"row": yy, "col": xx}, geometry=gpd.points_from_xy(x, y),
                            crs=mask.rio.crs)


def landslides_with_susceptibility(inventory: Any, smap: Any, classes: Any = None,
                                   class_names: dict[int, str] | None = None) -> Any:
    """Each landslide with the susceptibility of its cells and its susceptibility class.

    Parameters
    ----------
    inventory
        GeoDataFrame of landslide polygons or points with a CRS.
    smap
        Susceptibility raster (probability, 0-1) with a CRS.
    classes
        Class codes on the map's grid (default :func:`susceptibility_classes`).
    class_names
        Code -> name (default: very low ... very high).

    Returns
    -------
    geopandas.GeoDataFrame
        The inventory (in its own CRS) with ``susceptibility`` (mean over the cells whose
        centre falls inside a polygon; the cell under the point, or under the polygon's
        representative point when it covers no centre), ``susceptibility_max``,
        ``susceptibility_class`` (code) and ``susceptibility_class_name``.
    """
    from geohazard.landslide.categorical import SUSCEPTIBILITY_CLASSES

    if inventory.crs is None or smap.rio.crs is None:
        raise ParameterError("landslides and the susceptibility map both need a CRS")
    classes = susceptibility_classes(smap) if classes is None else classes
    names = class_names or SUSCEPTIBILITY_CLASSES.names
    g = inventory.to_crs(smap.rio.crs)
    mean, peak, code = _zonal(g, smap, classes)
    out = inventory.copy()
    out["susceptibility"], out["susceptibility_max"] = mean, peak
    out["susceptibility_class"] = code
    out["susceptibility_class_name"] = [names.get(int(c), "no data") for c in code]
    return out


def _zonal(g: Any, smap: Any, classes: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per feature: mean and max of the map over its cells, and the class of the mean."""
    from rasterio import features

    v = np.asarray(smap.values, dtype=np.float64)
    ids = np.full(v.shape, -1, np.int64)
    polys = [(geom, i) for i, geom in enumerate(g.geometry)
             if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon")]
    if polys:
        ids = features.rasterize(polys, out_shape=v.shape, transform=smap.rio.transform(),
                                 fill=-1, dtype="int64")
    n = len(g)
    ok = (ids >= 0) & np.isfinite(v)
    cnt = np.bincount(ids[ok], minlength=n).astype(float)
    tot = np.bincount(ids[ok], weights=v[ok], minlength=n)
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, ids[ok], v[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, tot / cnt, np.nan)
    peak = np.where(cnt > 0, peak, np.nan)
    pts = g.geometry.representative_point()
    at = _sample(smap, pts.x.to_numpy(), pts.y.to_numpy())
    mean = np.where(cnt > 0, mean, at)
    peak = np.where(cnt > 0, peak, at)
    edges = np.asarray(classes.attrs.get("breaks", []), dtype=float)
    if edges.size >= 2:
        code = np.where(np.isfinite(mean), np.clip(
            np.searchsorted(edges[1:-1], np.nan_to_num(mean), side="right") + 1, 1,
            edges.size - 1), 0)
    else:
        code = _sample(classes, pts.x.to_numpy(), pts.y.to_numpy())
        code = np.where(np.isfinite(code), code, 0)
    return mean, peak, code.astype(np.uint8)


def _sample(da: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values of ``da`` at points (NaN off the grid)."""
    from rasterio.transform import rowcol

    rows, cols = rowcol(da.rio.transform(), x, y)
    rows, cols = np.asarray(rows), np.asarray(cols)
    ny, nx = da.shape
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    out = np.full(x.shape, np.nan)
    vals = np.asarray(da.values, dtype=np.float64)
    out[inside] = vals[rows[inside], cols[inside]]
    return out


def fault_traces_with_side(faults: Any, vertical_dip_deg: float = 80.0,
                           right_hand_rule: bool = False) -> Any:
    """Fault traces with the side that the +1 side code of :func:`fault_factors` marks.

    Parameters
    ----------
    faults
        GeoDataFrame from :func:`geohazard.landslide.faults.read_faults`.
    vertical_dip_deg
        Strike-slip faults at least this steep have no hanging wall.
    right_hand_rule
        As in :func:`fault_factors`: dipping reverse and normal faults without a dip
        direction get ``side_kind`` ``"hanging_wall_right_of_trace"``.

    Returns
    -------
    geopandas.GeoDataFrame
        The traces with ``side_kind`` (``"hanging_wall"``, ``"active_side"`` or
        ``"unknown"``), ``side_azimuth_deg`` (the direction of that side from the trace,
        clockwise from north; NaN when unknown) and ``side_direction`` (compass point).
    """
    from geohazard.landslide.faults import side_azimuth

    az = side_azimuth(faults, vertical_dip_deg)
    act = (faults["active_azimuth_deg"].to_numpy(dtype=float)
           if "active_azimuth_deg" in faults.columns else np.full(len(faults), np.nan))
    kind = np.where(~np.isfinite(az), "unknown",
                    np.where(np.isfinite(act), "active_side", "hanging_wall"))
    if right_hand_rule:
        dip = faults["dip_deg"].to_numpy(dtype=float)
        rh = (~np.isfinite(az) & (dip < 89.5)
              & faults["mechanism"].isin(["reverse", "normal"]).to_numpy())
        kind = np.where(rh, "hanging_wall_right_of_trace", kind)
    out = faults.copy()
    out["side_kind"] = kind
    out["side_azimuth_deg"] = az
    out["side_direction"] = [_COMPASS[int(((a % 360) + 22.5) // 45) % 8] if np.isfinite(a)
                             else "" for a in az]
    return out

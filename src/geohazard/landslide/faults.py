"""Fault factors: distance to fault, hanging wall / footwall and strike-slip active side.

Faults are read from GeoJSON, shapefile or GeoPackage (zipped files too) into a
:class:`geopandas.GeoDataFrame` with normalised columns:

``mechanism``
    ``"reverse"`` (reverse and thrust), ``"normal"``, ``"strike_slip"`` or ``"unknown"``:
    the *first* kinematic word of the slip type (GEM ``"Dextral-reverse"`` is strike-slip
    with a reverse component), or the rake when no slip type is given.
``sense``
    ``"dextral"``, ``"sinistral"`` or ``None``.
``dip_deg``
    Preferred dip (GEM ``"(pref,min,max)"`` strings parsed; mean of min/max when only
    those are given); 90 for ``"VERTICAL"``.
``dip_azimuth_deg``
    Dip direction as an azimuth (numbers or 16-point compass letters).
``hw_azimuth_deg``
    Azimuth pointing to the hanging wall: the dip direction, else (normal faults) the
    downthrown side, else (reverse faults) opposite the downthrown side; NaN when unknown.

Side classification (:func:`fault_factors`). For each cell the nearest trace segment is
found (GEOS STRtree); the cell's side of the trace is the sign of the cross product with
that segment (with the two segments' summed normals where the nearest point is a shared
vertex). A trace's hanging-wall side is fixed once per trace, from its overall strike
(first to last vertex) and ``hw_azimuth_deg``, so the compass-precision dip directions of
real databases classify curved traces consistently. Codes in ``side``:

- ``+1`` hanging wall of a dip-slip fault, or active side of a strike-slip fault;
- ``-1`` footwall / passive side;
- ``0`` unknown: (sub)vertical fault, no dip or downthrown direction, a dip direction
  nearly parallel to the trace, or a strike-slip fault without a rule that applies.

Strike-slip active side, where the data allow, in this order: a column ``active_azimuth_deg``
given by the user (e.g. from a study of the event); else a dipping (< ``vertical_dip_deg``)
strike-slip fault's hanging wall, the side that lies above the rupture plane at depth.

Distances are in metres: on a projected grid in the grid's CRS; on a geographic grid in
a local azimuthal equidistant projection centred on the grid (distance error < 0.1 % within
~250 km of the centre).
"""


from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide.categorical import (
    FAULT_SIDE_CLASSES,
    fault_side_codes,
    style_band,
    write_pam,
)
from geohazard.landslide.checks import check_param, remove_new_dirs
from geohazard.landslide.fault_reading import (
    MECHANISMS,
    normalise_faults,
    parse_azimuth,
    parse_dip,
    parse_mechanism,
    read_faults,
)

log = logging.getLogger(__name__)

HANGING_WALL, FOOTWALL, UNKNOWN = 1, -1, 0

__all__ = [
    "FOOTWALL",
    "HANGING_WALL",
    "MECHANISMS",
    "UNKNOWN",
    "fault_factors",
    "fault_factors_geotiff",
    "normalise_faults",
    "parse_azimuth",
    "parse_dip",
    "parse_mechanism",
    "read_faults",
    "side_azimuth",
    "side_labels",
]


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Segments:
    """Trace segments in metres: endpoints, owning fault and neighbour links."""

    a: np.ndarray  # (S, 2)
    b: np.ndarray  # (S, 2)
    fault: np.ndarray  # (S,) row of the fault table
    prev: np.ndarray  # (S,) index of the previous segment on the same part, -1 if none
    next: np.ndarray  # (S,)
    hw_side: np.ndarray  # (S,) +1 hanging wall left of the part's direction, -1 right, 0 ?


def _part_hw_side(coords: np.ndarray, azimuth: float, min_sin: float) -> int:
    """+1 if the side at ``azimuth`` is left of the part's overall direction, -1 right."""
    if math.isnan(azimuth):
        return 0
    strike = coords[-1] - coords[0]
    norm = float(np.hypot(*strike))
    if norm == 0.0:
        return 0
    left = np.array([-strike[1], strike[0]]) / norm  # (east, north)
    d = np.array([math.sin(math.radians(azimuth)), math.cos(math.radians(azimuth))])
    c = float(left @ d)
    if abs(c) < min_sin:
        return 0
    return 1 if c > 0 else -1


def _build_segments(geoms: list[Any], side_az: np.ndarray, min_sin: float,
                    right_hand: np.ndarray) -> _Segments:
    import shapely

    a, b, fault, prev, nxt, side = [], [], [], [], [], []
    s = 0
    for i, geom in enumerate(geoms):
        for part in shapely.get_parts(geom):
            xy = np.asarray(shapely.get_coordinates(part))
            keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
            xy = xy[keep]
            k = len(xy) - 1
            if k < 1:
                continue
            a.append(xy[:-1])
            b.append(xy[1:])
            fault.append(np.full(k, i))
            idx = np.arange(s, s + k)
            prev.append(np.where(idx > s, idx - 1, -1))
            nxt.append(np.where(idx < s + k - 1, idx + 1, -1))
            hw = -1 if right_hand[i] else _part_hw_side(xy, float(side_az[i]), min_sin)
            side.append(np.full(k, hw))
            s += k
    if s == 0:
        raise RasterError("no fault trace with two distinct vertices near the grid")
    cat = np.concatenate
    return _Segments(cat(a), cat(b), cat(fault), cat(prev), cat(nxt), cat(side))


def _left_normal(seg: _Segments, idx: np.ndarray) -> np.ndarray:
    d = seg.b[idx] - seg.a[idx]
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _side_of(seg: _Segments, idx: np.ndarray, p: np.ndarray) -> np.ndarray:
    """+1 where p is left of its nearest segment, -1 right, 0 on the trace."""
    a, b = seg.a[idx], seg.b[idx]
    ab = b - a
    t = np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab)
    n = _left_normal(seg, idx)
    at_start = (t <= 0) & (seg.prev[idx] >= 0)
    at_end = (t >= 1) & (seg.next[idx] >= 0)
    if at_start.any():
        n[at_start] += _left_normal(seg, seg.prev[idx][at_start])
    if at_end.any():
        n[at_end] += _left_normal(seg, seg.next[idx][at_end])
    q = a + np.clip(t, 0.0, 1.0)[:, None] * ab
    return np.sign(np.einsum("ij,ij->i", p - q, n)).astype(np.int8)


# --------------------------------------------------------------------------- factors


def _metric_crs(ref: xr.DataArray) -> Any:
    from pyproj import CRS

    crs = ref.rio.crs
    if crs is None:
        raise RasterError(f"reference grid {ref.name!r} has no CRS")
    if not crs.is_geographic:
        return CRS.from_user_input(crs.to_wkt())
    left, bottom, right, top = ref.rio.bounds()
    lon0, lat0 = (left + right) / 2.0, (bottom + top) / 2.0
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")


def _near_faults(faults: Any, ref: xr.DataArray, search_m: float) -> Any:
    """Faults whose traces come within about ``search_m`` of the grid (in the faults' CRS).

    The padded grid box is transformed into the faults' CRS before filtering, so a global
    database is never projected as a whole into a local CRS.
    """
    from rasterio.warp import transform_bounds
    from shapely.geometry import box

    left, bottom, right, top = ref.rio.bounds()
    if ref.rio.crs.is_geographic:
        lat = max(abs(bottom), abs(top))
        pad_y = search_m / 110_574.0
        pad_x = min(180.0, search_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01)))
        padded = (max(left - pad_x, -180.0), max(bottom - pad_y, -90.0),
                  min(right + pad_x, 180.0), min(top + pad_y, 90.0))
    else:
        padded = (left - search_m, bottom - search_m, right + search_m, top + search_m)
    if faults.crs != ref.rio.crs:
        padded = transform_bounds(ref.rio.crs, faults.crs, *padded, densify_pts=21)
    return faults[faults.intersects(box(*padded))]


def fault_factors(
    faults: Any, ref: xr.DataArray, *, search_radius_m: float = 200_000.0,
    vertical_dip_deg: float = 80.0, min_sin: float = 0.26, right_hand_rule: bool = False,
    chunk: int = 1_000_000,
) -> xr.Dataset:
    """Distance to the nearest fault and the cell's side of it, on the grid of ``ref``.

    Parameters
    ----------
    faults
        GeoDataFrame from :func:`read_faults` (or :func:`normalise_faults`).
    ref
        Reference raster (any CRS); only its grid is used.
    search_radius_m
        Faults farther than this from the grid's bounding box are ignored (speed).
    vertical_dip_deg
        Strike-slip faults dipping at least this steeply get no active side from their dip.
    min_sin
        Sides are unknown when the hanging-wall azimuth is within ``asin(min_sin)`` of the
        trace's overall strike (default 15 degrees).
    right_hand_rule
        Trust the Aki-Richards digitisation convention (the fault dips to the right of
        the trace direction) for dip-slip faults that have a non-vertical dip but no dip
        or downthrown direction. Off by default: many databases do not follow it.
    chunk
        Cells per batch (bounds memory on large grids).

    Returns
    -------
    xarray.Dataset
        ``distance_m`` (float32, m), ``side`` (int8: +1 hanging wall / active, -1
        footwall / passive, 0 unknown), ``signed_distance_m`` (distance times side: positive
        on the hanging wall, NaN where the side is unknown; one factor that carries the
        hanging-wall effect), ``fault_index`` (int32 row of ``faults`` of the nearest
        trace) and ``mechanism`` (int8 index into :data:`MECHANISMS`).
    """
    prep = _prepare(faults, ref, search_radius_m, vertical_dip_deg, min_sin, right_hand_rule)
    return _classify(prep, ref, chunk)


@dataclass(frozen=True)
class _Prepared:
    """Faults near a grid, their segments in metres and a spatial index.

    Small (it grows with the fault vertices near the grid, not with the grid) and
    picklable: a cluster run sends it to every worker once.
    """

    rows: np.ndarray  # (F,) row labels of the near faults in the fault table
    seg: _Segments
    tree: Any
    metric: Any
    mech_codes: np.ndarray  # (F,) index into MECHANISMS


def _prepare(faults: Any, ref: xr.DataArray, search_radius_m: float,
             vertical_dip_deg: float, min_sin: float, right_hand_rule: bool) -> _Prepared:
    import shapely

    check_param("search_radius_m", search_radius_m)
    for col in ("mechanism", "hw_azimuth_deg", "dip_deg"):
        if col not in faults.columns:
            raise ParameterError(f"faults lack column {col!r}; read them with read_faults()")
    if len(faults) == 0:
        raise RasterError("the fault file holds no fault trace")
    near = _near_faults(faults, ref, search_radius_m)
    if len(near) == 0:
        raise RasterError(f"no fault within {search_radius_m:g} m of the grid")
    metric = _metric_crs(ref)
    geoms = list(near.to_crs(metric).geometry)
    side_az = side_azimuth(near, vertical_dip_deg)
    dip = near["dip_deg"].to_numpy(dtype=float)
    rh = (right_hand_rule & np.isnan(side_az) & (dip < 89.5)
          & near["mechanism"].isin(["reverse", "normal"]).to_numpy())
    seg = _build_segments(geoms, side_az, min_sin, rh)
    tree = shapely.STRtree(shapely.linestrings(np.stack([seg.a, seg.b], axis=1)))
    mech = near["mechanism"].map({m: i for i, m in enumerate(MECHANISMS)}).to_numpy()
    return _Prepared(near.index.to_numpy(), seg, tree, metric, mech.astype(np.int8))


def _classify(prep: _Prepared, ref: xr.DataArray, chunk: int) -> xr.Dataset:
    """Distance, side, fault and mechanism of every cell of ``ref`` (any band of rows)."""
    import shapely

    seg = prep.seg
    px, py = _cell_centres_metric(ref, prep.metric)
    n = px.size
    dist = np.empty(n, np.float32)
    side = np.empty(n, np.int8)
    which = np.empty(n, np.int32)
    for s0 in range(0, n, chunk):
        p = np.stack([px[s0:s0 + chunk], py[s0:s0 + chunk]], axis=1)
        (_, j), d = prep.tree.query_nearest(shapely.points(p), return_distance=True,
                                            all_matches=False)
        dist[s0:s0 + chunk] = d
        side[s0:s0 + chunk] = _side_of(seg, j, p) * seg.hw_side[j]
        which[s0:s0 + chunk] = seg.fault[j]
    rows = prep.rows[which]
    shape = ref.shape
    coords = {"y": ref.y, "x": ref.x}
    ds = xr.Dataset({
        "distance_m": (("y", "x"), dist.reshape(shape), {"units": "m"}),
        "signed_distance_m": (("y", "x"), np.where(side != 0, dist * side, np.nan)
                              .astype(np.float32).reshape(shape), {"units": "m"}),
        "side": (("y", "x"), side.reshape(shape)),
        "fault_index": (("y", "x"), rows.astype(np.int32).reshape(shape)),
        "mechanism": (("y", "x"), prep.mech_codes[which].reshape(shape)),
    }, coords=coords)
    ds.attrs["side_codes"] = "+1 hanging wall/active, -1 footwall/passive, 0 unknown"
    ds.attrs["mechanisms"] = ",".join(MECHANISMS)
    return ds.rio.write_crs(ref.rio.crs)




def fault_factors_geotiff(
    faults: Any, ref: xr.DataArray, out_dir: str | os.PathLike[str], *,
    rows: int = 256, search_radius_m: float = 200_000.0, vertical_dip_deg: float = 80.0,
    min_sin: float = 0.26, right_hand_rule: bool = False, progress: bool = False,
) -> dict[str, Path]:
    """:func:`fault_factors` written band by band to GeoTIFFs (bounded memory).

    Parameters
    ----------
    faults
        GeoDataFrame from :func:`read_faults`.
    ref
        Reference grid (only its coordinates and CRS are used; a lazy raster is fine).
    out_dir
        Output folder: ``distance_m.tif``, ``signed_distance_m.tif``, ``side.tif`` (codes
        -1 / 0 / +1) and ``side_class.tif`` (the same as classes 1 / 2 / 3 with a colour
        table and class names, see :mod:`geohazard.landslide.categorical`).
    rows
        Rows per band.
    search_radius_m, vertical_dip_deg, min_sin, right_hand_rule
        As in :func:`fault_factors`.
    progress
        Show a rich progress bar.

    Returns
    -------
    dict
        Layer name to path.
    """
    check_param("block_rows", rows)
    prep = _prepare(faults, ref, search_radius_m, vertical_dip_deg, min_sin, right_hand_rule)
    out = Path(out_dir)
    with remove_new_dirs(out):
        return _write_fault_layers(prep, ref, out, rows, progress)


#: Output layers of :func:`fault_factors_geotiff`: name to (GeoTIFF dtype, nodata).
_FAULT_LAYERS = {"distance_m": ("float32", np.nan), "signed_distance_m": ("float32", np.nan),
                "side": ("int8", -128), "side_class": ("uint8", 0)}


def _fault_band(prep: _Prepared, band: xr.DataArray) -> dict[str, np.ndarray]:
    """Every output layer of the cells of ``band`` (a band of rows of the reference grid).

    Returns
    -------
    dict
        Layer name (``distance_m``, ``signed_distance_m``, ``side``, ``side_class``) to
        a ``(rows, nx)`` array in the layer's GeoTIFF dtype.
    """
    ds = _classify(prep, band, 1_000_000)
    out = {k: ds[k].values.astype(_FAULT_LAYERS[k][0])
           for k in _FAULT_LAYERS if k != "side_class"}
    out["side_class"] = fault_side_codes(ds["side"].values).astype(np.uint8)
    return out


def _write_fault_layers(prep: _Prepared, ref: xr.DataArray, out: Path, rows: int,
                        progress: bool) -> dict[str, Path]:
    """Write the layers band by band, here."""
    ny = ref.shape[0]
    bands = ((r0, _fault_band(prep, ref.isel(y=slice(r0, r0 + rows))))
             for r0 in range(0, ny, rows))
    return _write_fault_bands(bands, ref, out, progress)


def _write_fault_bands(bands: Any, ref: xr.DataArray, out: Path, progress: bool = False
                      ) -> dict[str, Path]:
    """Write ``(first_row, _fault_band(...))`` pairs, in any order, to one GeoTIFF per layer.

    Each file is written atomically (none is left when a band fails); the caller removes
    folders it made (:func:`~geohazard.landslide.checks.remove_new_dirs`).
    """
    import contextlib

    import rasterio
    from rich.progress import Progress

    from geohazard.io_utils import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    ny, nx = ref.shape
    base = dict(driver="GTiff", width=nx, height=ny, count=1, crs=ref.rio.crs,
                transform=ref.rio.transform(), tiled=True, blockxsize=256, blockysize=256,
                compress="deflate", BIGTIFF="IF_SAFER")
    paths = {k: out / f"{k}.tif" for k in _FAULT_LAYERS}
    with contextlib.ExitStack() as stack:
        dst = {k: stack.enter_context(rasterio.open(
            stack.enter_context(atomic_path(paths[k], suffix=".tif")), "w",
            dtype=dt, nodata=nd, **base)) for k, (dt, nd) in _FAULT_LAYERS.items()}
        bar = stack.enter_context(Progress(disable=not progress, transient=True))
        task = bar.add_task("fault factors", total=ny)
        for r0, band in bands:
            h = band["side"].shape[0]
            win = rasterio.windows.Window(0, r0, nx, h)
            for k, d in dst.items():
                d.write(band[k], 1, window=win)
            bar.advance(task, h)
        style_band(dst["side_class"], FAULT_SIDE_CLASSES)
        for d in dst.values():
            d.close()
    write_pam(paths["side_class"], FAULT_SIDE_CLASSES)
    return paths


def side_azimuth(near: Any, vertical_dip_deg: float = 80.0) -> np.ndarray:
    """Azimuth of the +1 side per fault: hanging wall, or active side for strike-slip.

    NaN where the side is unknown (a subvertical strike-slip fault without an
    ``active_azimuth_deg``, no dip or downthrown direction).
    """
    mech = near["mechanism"].to_numpy()
    hw = near["hw_azimuth_deg"].to_numpy(dtype=float)
    dip = near["dip_deg"].to_numpy(dtype=float)
    act = (near["active_azimuth_deg"].to_numpy(dtype=float)
           if "active_azimuth_deg" in near.columns else np.full(len(near), np.nan))
    ss = mech == "strike_slip"
    out = np.where(ss, np.nan, hw)
    dipping_ss = ss & np.isfinite(dip) & (dip < vertical_dip_deg)
    out = np.where(dipping_ss, hw, out)
    out = np.where(np.isfinite(act), act, out)
    return np.where(mech == "unknown", np.where(np.isfinite(act), act, hw), out)


def _cell_centres_metric(ref: xr.DataArray, metric: Any) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.meshgrid(np.asarray(ref.x, float), np.asarray(ref.y, float))
    if ref.rio.crs.is_geographic:
        from pyproj import Transformer

        tr = Transformer.from_crs(ref.rio.crs, metric, always_xy=True)
        X, Y = tr.transform(X, Y)
    return np.ravel(X), np.ravel(Y)


def side_labels(side: np.ndarray) -> np.ndarray:
    """Map side codes to ``"hanging_wall"``, ``"footwall"`` and ``"unknown"`` strings."""
    lut = {1: "hanging_wall", -1: "footwall", 0: "unknown"}
    return np.vectorize(lambda v: lut[int(v)])(np.asarray(side))


"""Fiber geometry: tap-test tables, channel positions, and a GeoPackage of the channels.

A channel is the index along the fiber axis of the file; its position along the fiber
(``distance_m``) comes from the file's distance coordinate, from a supplied channel
spacing, or from a geometry (tap-test) table, which may also give map coordinates
(longitude/latitude or projected x/y).  :func:`write_geopackage` writes the channels
(and any per-channel results joined to them) as a GeoPackage point layer with its CRS,
which QGIS and GDAL open directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import DASError, DataFileNotFoundError

__all__ = ["channel_table", "read_geometry", "write_geopackage"]

_GEOM_ALIASES = {
    "channel": ("channel", "chan", "channel_number", "ch", "channel_id"),
    "distance_m": ("distance_m", "distance", "dist", "fiber_distance", "optical_distance"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "x": ("x", "easting", "utm_x", "x_m"),
    "y": ("y", "northing", "utm_y", "y_m"),
    "z": ("z", "elevation", "depth", "z_m"),
}


def _match_columns(columns: list[str], overrides: dict[str, str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    lower = {c.strip().lower(): c for c in columns}
    for key, aliases in _GEOM_ALIASES.items():
        if overrides and key in overrides:
            if overrides[key] not in columns:
                raise DASError(f"geometry column '{overrides[key]}' not found in {columns}")
            found[key] = overrides[key]
            continue
        for alias in aliases:
            if alias in lower:
                found[key] = lower[alias]
                break
    return found


def read_geometry(path: str | Path, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a fiber geometry (tap-test) CSV.

    Recognised columns (case-insensitive, aliases allowed, or named in ``columns``):
    ``channel`` (required), ``distance_m``, ``latitude``/``longitude``, ``x``/``y``/``z``.
    A second header line of units (as in the PoroTomo/Brady file) is skipped.  When no
    distance is given, it is the cumulative 3-D path length through the x/y/z points.

    Returns
    -------
    pandas.DataFrame
        Indexed by integer ``channel``, sorted, with standard column names.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: geometry file not found")
    df = pd.read_csv(p, skipinitialspace=True)
    if len(df) and not _is_number(df.iloc[0, 0]):
        df = df.iloc[1:].reset_index(drop=True)  # units row
    cols = _match_columns(list(df.columns), columns)
    if "channel" not in cols:
        raise DASError(f"{p}: no channel column (looked for {_GEOM_ALIASES['channel']})")
    out = pd.DataFrame({k: pd.to_numeric(df[c], errors="coerce") for k, c in cols.items()})
    bad = out["channel"].isna()
    if bad.any():
        raise DASError(f"{p}: non-numeric channel in row {int(np.flatnonzero(bad)[0]) + 2}")
    out["channel"] = out["channel"].astype(np.int64)
    out = out.drop_duplicates("channel").sort_values("channel").set_index("channel")
    if "distance_m" not in out and {"x", "y"} <= set(out.columns):
        xyz = out[[c for c in ("x", "y", "z") if c in out]].to_numpy(float)
        seg = np.r_[0.0, np.linalg.norm(np.diff(xyz, axis=0), axis=1)]
        out["distance_m"] = np.cumsum(np.nan_to_num(seg))
    return out


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def channel_table(
    n_channel: int,
    distance: tuple[float, ...] | np.ndarray | None = None,
    spacing_m: float | None = None,
    geometry: pd.DataFrame | None = None,
    channel_offset: int = 0,
) -> pd.DataFrame:
    """Position of each channel: ``channel``, ``distance_m`` and any geometry columns.

    Parameters
    ----------
    n_channel
        Number of channels in the data.
    distance
        Distance coordinate from the file, if it has one.
    spacing_m
        Channel spacing to use when the file has no distance coordinate.
    geometry
        Table from :func:`read_geometry`; row ``channel + channel_offset`` gives the
        position of data channel ``channel``.  Its ``distance_m`` wins over the others.
    channel_offset
        Geometry channel number of data channel 0.
    """
    ch = np.arange(n_channel)
    if distance is not None:
        dist = np.asarray(distance, dtype=float)
    elif spacing_m is not None:
        dist = ch * float(spacing_m)
    else:
        dist = ch.astype(float)
    table = pd.DataFrame({"channel": ch, "distance_m": dist})
    if geometry is not None:
        geo = geometry.reindex(ch + channel_offset)
        matched = int(geo.notna().any(axis=1).sum())
        if matched == 0:
            raise DASError(
                f"geometry covers channels {geometry.index.min()}..{geometry.index.max()}, "
                f"none of data channels {channel_offset}..{channel_offset + n_channel - 1}"
            )
        for col in geo.columns:
            vals = geo[col].to_numpy(float)
            if col == "distance_m":
                table["distance_m"] = np.where(np.isnan(vals), dist, vals)
            else:
                table[col] = vals
        table.attrs["geometry_matched"] = matched
    return table


# ---------------------------------------------------------------- GeoPackage
def _coordinate_columns(table: pd.DataFrame) -> tuple[str, str, bool] | None:
    """``(x column, y column, geographic)`` of a table, or None when it has no map position."""
    if {"longitude", "latitude"} <= set(table.columns):
        return "longitude", "latitude", True
    if {"x", "y"} <= set(table.columns):
        return "x", "y", False
    return None


def has_coordinates(channels: pd.DataFrame) -> bool:
    """True when the channels have map coordinates (longitude/latitude or x/y)."""
    cols = _coordinate_columns(channels)
    return cols is not None and bool(channels[list(cols[:2])].notna().all(axis=1).any())


def channel_points(table: pd.DataFrame, crs: Any = None) -> Any:
    """A ``geopandas.GeoDataFrame`` of points from a table with map coordinates.

    Parameters
    ----------
    table
        Channels (or sources) with ``longitude``/``latitude`` or projected ``x``/``y``.
    crs
        CRS of the coordinates (``"EPSG:32611"``); longitude/latitude default to
        ``EPSG:4326``, projected x/y have no default.

    Raises
    ------
    DASError
        No coordinates, or projected coordinates without a CRS.
    """
    try:
        import geopandas as gpd
    except ImportError:
        raise DASError("a GeoPackage of the channels needs geopandas: pip install "
                       "'geohazard[landslide]' (or geopandas)") from None
    cols = _coordinate_columns(table)
    if cols is None:
        raise DASError("the channels have no map coordinates (longitude/latitude or x/y in "
                       "the geometry table): nothing to place on a map")
    xc, yc, geographic = cols
    if crs is None and not geographic:
        raise DASError(f"the channel coordinates are projected ({xc}/{yc}): give their CRS "
                       "(crs, e.g. 'EPSG:32611' for UTM zone 11N)")
    rows = table.loc[table[[xc, yc]].notna().all(axis=1)]
    geometry = gpd.points_from_xy(rows[xc].to_numpy(float), rows[yc].to_numpy(float))
    return gpd.GeoDataFrame(rows.reset_index(drop=rows.index.name is None), geometry=geometry,
                            crs=crs if crs is not None else "EPSG:4326")


def write_geopackage(channels: pd.DataFrame, path: str | Path, crs: Any = None,
                     sources: pd.DataFrame | None = None) -> Path:
    """Write the channels (and noise sources) as GeoPackage point layers with their CRS.

    Written atomically (a temporary file beside ``path``, then renamed), so a reader
    never sees half a file.

    Parameters
    ----------
    channels
        Channel table (:func:`channel_table`), optionally with per-channel results
        (wind slope...) joined as columns; layer ``channels``.
    path
        Destination ``.gpkg``.
    crs
        CRS of the coordinates; longitude/latitude default to ``EPSG:4326``.
    sources
        Optional noise sources with the same coordinate columns; layer ``sources``.

    Returns
    -------
    pathlib.Path
    """
    from geohazard.io_utils import atomic_path

    layers = {"channels": channel_points(channels, crs)}
    if sources is not None and not sources.empty and _coordinate_columns(sources):
        layers["sources"] = channel_points(sources, crs)
    with atomic_path(path, suffix=".gpkg") as tmp:
        tmp.unlink(missing_ok=True)  # the GPKG driver creates the file itself
        for name, gdf in layers.items():
            gdf.to_file(tmp, driver="GPKG", layer=name)
    return Path(path)

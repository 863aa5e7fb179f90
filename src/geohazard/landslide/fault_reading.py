"""Fault reading: GeoJSON, shapefile or GeoPackage traces into normalised columns.

Faults are read (zipped files too) into a :class:`geopandas.GeoDataFrame` with normalised
columns (``mechanism``, ``sense``, ``dip_deg``, ``dip_azimuth_deg``, ``hw_azimuth_deg``);
see :mod:`geohazard.landslide.faults` for their meaning and for the side classification.
All names here are importable from :mod:`geohazard.landslide.faults` too.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import DataFileNotFoundError, RasterError

log = logging.getLogger(__name__)

MECHANISMS = ("reverse", "normal", "strike_slip", "unknown")
_COMPASS = {name: 22.5 * i for i, name in enumerate(
    "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split())}
_KEYWORDS = (("thrust", "reverse"), ("reverse", "reverse"), ("normal", "normal"),
             ("dextral", "strike_slip"), ("sinistral", "strike_slip"),
             ("strike", "strike_slip"), ("right-lateral", "strike_slip"),
             ("left-lateral", "strike_slip"))

__all__ = ["MECHANISMS", "normalise_faults", "parse_azimuth", "parse_dip", "parse_mechanism",
           "read_faults"]


# --------------------------------------------------------------------------- parsing


def parse_azimuth(value: Any) -> float:
    """Parse a direction: a number in degrees or a 16-point compass name; NaN if unknown.

    Parameters
    ----------
    value
        ``270``, ``"270"``, ``"SW"``, ``"VERTICAL"``, ``None`` ...

    Returns
    -------
    float
        Azimuth in ``[0, 360)`` degrees clockwise from north, or NaN.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip().upper()
    if text in _COMPASS:
        return _COMPASS[text]
    try:
        return float(text) % 360.0
    except ValueError:
        return math.nan


def parse_dip(value: Any) -> float:
    """Parse a dip in degrees: a number, ``"VERTICAL"`` or a GEM ``"(pref,min,max)"`` string.

    Parameters
    ----------
    value
        Raw field value.

    Returns
    -------
    float
        Preferred dip; the mean of min and max when only those are given; NaN if unknown.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip()
    if text.upper() == "VERTICAL":
        return 90.0
    parts = [p.strip() for p in text.strip("()[] ").split(",")]
    nums = []
    for p in parts:
        try:
            nums.append(float(p) if p else math.nan)
        except ValueError:
            nums.append(math.nan)
    if not nums:
        return math.nan
    if not math.isnan(nums[0]):
        return nums[0]
    rest = [v for v in nums[1:] if not math.isnan(v)]
    return float(np.mean(rest)) if rest else math.nan


def parse_mechanism(slip_type: Any, rake: Any = None) -> tuple[str, str | None]:
    """Classify a fault from its slip-type text (first kinematic word wins) or its rake.

    Parameters
    ----------
    slip_type
        Free text such as ``"Reverse"``, ``"Dextral-Normal"``, ``"Strike-slip thrust"``.
    rake
        Rake in degrees (Aki-Richards), used when the text says nothing.

    Returns
    -------
    tuple
        ``(mechanism, sense)`` with mechanism in :data:`MECHANISMS` and sense
        ``"dextral"``, ``"sinistral"`` or ``None``.
    """
    text = "" if slip_type is None or (isinstance(slip_type, float)) else str(slip_type)
    low = text.lower()
    hits = [(low.find(k), mech) for k, mech in _KEYWORDS if k in low]
    sense = "dextral" if ("dextral" in low or "right-lateral" in low) else (
        "sinistral" if ("sinistral" in low or "left-lateral" in low) else None)
    if hits:
        return min(hits)[1], sense
    r = parse_dip(rake)  # same number parsing
    if math.isnan(r):
        return "unknown", None
    r = (r + 180.0) % 360.0 - 180.0
    if 45.0 <= r <= 135.0:
        return "reverse", None
    if -135.0 <= r <= -45.0:
        return "normal", None
    return "strike_slip", ("sinistral" if abs(r) < 45.0 else "dextral")


def _hw_azimuth(mech: str, dip: float, dip_az: float, down_az: float) -> float:
    if not math.isnan(dip) and dip >= 89.5:
        return math.nan
    if not math.isnan(dip_az):
        return dip_az
    if math.isnan(down_az):
        return math.nan
    if mech == "normal":
        return down_az
    if mech == "reverse":
        return (down_az + 180.0) % 360.0
    return math.nan


def normalise_faults(gdf: Any, columns: dict[str, str] | None = None) -> Any:
    """Add the normalised columns (see module docstring) to a fault GeoDataFrame.

    Parameters
    ----------
    gdf
        Fault traces (LineString / MultiLineString) with a CRS.
    columns
        Map from our names (``slip_type``, ``dip``, ``dip_dir``, ``rake``,
        ``downthrown_dir``, ``active_azimuth_deg``) to the file's column names. Defaults fit
        the GEM Global Active Faults database.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``mechanism``, ``sense``, ``dip_deg``, ``dip_azimuth_deg``,
        ``hw_azimuth_deg`` and ``active_azimuth_deg``.
    """
    cols = {"slip_type": "slip_type", "dip": "average_dip", "dip_dir": "dip_dir",
            "rake": "average_rake", "downthrown_dir": "downthrown_side_dir",
            "active_azimuth_deg": "active_azimuth_deg"}
    cols.update(columns or {})
    if gdf.crs is None:
        raise RasterError("fault file has no CRS")
    out = gdf.copy()
    n = len(out)

    def get(key: str) -> pd.Series:
        name = cols[key]
        return out[name] if name in out.columns else pd.Series([None] * n, index=out.index)

    mech = [parse_mechanism(s, r) for s, r in zip(get("slip_type"), get("rake"), strict=True)]
    out["mechanism"] = [m for m, _ in mech]
    out["sense"] = [s for _, s in mech]
    out["dip_deg"] = [parse_dip(v) for v in get("dip")]
    out["dip_azimuth_deg"] = [parse_azimuth(v) for v in get("dip_dir")]
    vertical = get("dip_dir").astype(str).str.upper().str.strip() == "VERTICAL"
    out.loc[vertical.to_numpy() & out["dip_deg"].isna().to_numpy(), "dip_deg"] = 90.0
    down = [parse_azimuth(v) for v in get("downthrown_dir")]
    out["hw_azimuth_deg"] = [
        _hw_azimuth(m, d, a, dn) for m, d, a, dn in
        zip(out["mechanism"], out["dip_deg"], out["dip_azimuth_deg"], down, strict=True)]
    out["active_azimuth_deg"] = [parse_azimuth(v) for v in get("active_azimuth_deg")]
    return out


def read_faults(path: str | os.PathLike[str], *, layer: str | None = None,
                columns: dict[str, str] | None = None) -> Any:
    """Read fault traces from GeoJSON, shapefile or GeoPackage (``.zip`` archives too).

    Parameters
    ----------
    path
        Fault file.
    layer
        Layer name for multi-layer files (GeoPackage).
    columns
        Column name map passed to :func:`normalise_faults`.

    Returns
    -------
    geopandas.GeoDataFrame
        Line features only, with the normalised columns.
    """
    import geopandas as gpd

    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"fault file not found: {p}")
    try:
        gdf = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except Exception as exc:
        raise RasterError(f"cannot read fault file {p}: {exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf.columns:
        raise RasterError(f"fault file {p} has no geometry: give fault traces as lines in a "
                          "vector file (GeoJSON, shapefile or GeoPackage)")
    if gdf.crs is None:
        raise RasterError(f"fault file {p} has no CRS")
    kinds = set(gdf.geom_type.dropna())
    bad = kinds - {"LineString", "MultiLineString"}
    if bad:
        raise RasterError(f"fault file {p} holds {sorted(bad)}; fault traces must be lines")
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)
    return normalise_faults(gdf, columns)

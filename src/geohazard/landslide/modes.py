r"""Landslide modes from a polygon inventory and a DEM (issue 15, "modes").

Each mapped landslide is assigned one of four modes of the updated Varnes classification
(Hungr, Leroueil & Picarelli 2014, Landslides 11:167-194), grouped as in the Tibetan
Plateau review: **fall** (detachment from a steep face, then free fall, bouncing and
rolling), **slide** (movement on a rupture surface), **avalanche** (rock or debris
avalanche: extremely rapid flow-like runout, much longer than a sliding block would travel)
and **deformation** (slope deformation without a fully developed rupture surface; deep-seated
gravitational slope deformation, sagging).

Hungr et al. define the types by material and mechanism, which a map cannot see; the rules
below use only what a polygon and a DEM measure (:func:`polygon_metrics`):

- ``source_slope_deg``: mean slope of the upper third (by elevation) of the polygon;
- ``h_m`` (height drop, crown to lowest cell), ``l_m`` (horizontal distance from the
  crown, the highest cell, to the farthest cell: the toe of the runout) and ``h_over_l``
  (the Fahrböschung, Heim 1932, as ``tan``);
- ``area_m2``, ``elongation`` (long / short side of the minimum rotated rectangle),
  ``volume_m3`` from area-volume scaling (Larsen, Montgomery & Korup 2010, Nature Geosci.
  3:247-251, all landslides: ``V = 0.146 A^1.332``, i.e. ``log10 alpha = -0.836``);
- ``scheidegger_h_over_l``: the mobility expected for that volume, Scheidegger (1973, Rock
  Mech. 5:231-236): ``log10(H/L) = 0.62419 - 0.15666 log10 V``;
- ``crown_position``: relative elevation of the crown in the surrounding relief (0 valley
  floor, 1 ridge top), with ``slope_position`` lower / middle / upper.

Rules, applied in order (:class:`ModeRules`; every threshold and its source is in
:data:`RULE_SOURCES`):

1. **fall**: ``source_slope_deg >= 45`` and ``h_over_l >= 0.6``;
2. **avalanche**: ``h_over_l < 0.6``, ``volume_m3 >= 1e5`` and ``elongation >= 3``;
3. **deformation**: ``area_m2 >= 1e5``, ``crown_position >= 0.8``, ``elongation <= 2.5``
   and ``mean_slope_deg < 25``;
4. **slide**: everything else (the commonest type; Hungr et al. 2014).

When a user has labels, :func:`mode_cross_validation` trains a scikit-learn random forest
on the same metrics with spatially blocked cross-validation.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import InputError, ParameterError, RasterError
from geohazard.landslide.checks import check_param
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

__all__ = [
    "FEATURES",
    "MODES",
    "RULE_SOURCES",
    "ModeCV",
    "ModeRules",
    "ModesResult",
    "classify_modes",
    "mode_cross_validation",
    "polygon_metrics",
    "run_modes",
]

MODES = ("fall", "slide", "avalanche", "deformation")
FEATURES = ("source_slope_deg", "mean_slope_deg", "h_m", "l_m", "h_over_l", "area_m2",
            "elongation", "volume_m3", "crown_position")
#: Larsen et al. (2010) area-volume scaling, all landslides: V = alpha * A**gamma (m, m^3).
LARSEN2010_ALPHA = 10 ** -0.836
LARSEN2010_GAMMA = 1.332

#: Source of every threshold of :class:`ModeRules`.
RULE_SOURCES: dict[str, str] = {
    "fall_source_slope_deg": (
        "45 deg: rock-fall source areas are the cells steeper than the break in the slope "
        "distribution, about 45-55 deg in alpine terrain (Loye, Jaboyedoff & Pedrazzini 2009, "
        "NHESS 9:1643-1653); falls need a near-vertical to steep face (Hungr et al. 2014)"),
    "mobility_h_over_l": (
        "0.6 (Fahrboeschung ~31 deg): a block sliding or rolling with a normal friction angle "
        "stops above this line; avalanches travel 'excessively' below it (Heim 1932; Hsu "
        "1975, GSA Bull. 86:129-140)"),
    "avalanche_volume_m3": (
        "1e5 m3: below about this volume H/L follows ordinary friction; the decline of H/L "
        "with volume sets in above it (Scheidegger 1973; Corominas 1996, Can. Geotech. J. "
        "33:260-271). Project choice of the round value"),
    "avalanche_elongation": (
        "3: long-runout tongue (length >= 3 widths); project choice following the runout "
        "geometry of rock/debris avalanches in Hungr et al. (2014)"),
    "deformation_area_m2": (
        "1e5 m2 (0.1 km2): deep-seated gravitational slope deformations involve whole "
        "slopes, hundreds of metres across (Agliardi, Crosta & Zanchi 2001, Eng. Geol. "
        "59:83-102)"),
    "deformation_crown_position": (
        "0.8: DSGSD reach the ridge crest (double ridges, scarps near the divide; Agliardi "
        "et al. 2001)"),
    "deformation_elongation": "2.5: compact, slope-wide outline (project choice)",
    "deformation_mean_slope_deg": (
        "25 deg: slope deformation without detachment on moderate slopes (project choice; "
        "Hungr et al. 2014 'slope deformation' types)"),
}


@dataclass(frozen=True)
class ModeRules:
    """Thresholds of :func:`classify_modes` (see :data:`RULE_SOURCES`)."""

    fall_source_slope_deg: float = 45.0
    mobility_h_over_l: float = 0.6
    avalanche_volume_m3: float = 1e5
    avalanche_elongation: float = 3.0
    deformation_area_m2: float = 1e5
    deformation_crown_position: float = 0.8
    deformation_elongation: float = 2.5
    deformation_mean_slope_deg: float = 25.0


def classify_modes(metrics: pd.DataFrame, rules: ModeRules = ModeRules()) -> pd.DataFrame:
    """Mode and the rule that set it, for each row of :func:`polygon_metrics`.

    Parameters
    ----------
    metrics
        Table with the :data:`FEATURES` columns.
    rules
        Thresholds.

    Returns
    -------
    pandas.DataFrame
        ``mode`` and ``mode_rule`` (text of the rule that fired).
    """
    missing = [c for c in FEATURES if c not in metrics.columns]
    if missing:
        raise InputError(f"metrics table lacks {missing}")
    m, r = metrics, rules
    fall = (m.source_slope_deg >= r.fall_source_slope_deg) & \
        (m.h_over_l >= r.mobility_h_over_l)
    aval = (m.h_over_l < r.mobility_h_over_l) & (m.volume_m3 >= r.avalanche_volume_m3) & \
        (m.elongation >= r.avalanche_elongation)
    deform = (m.area_m2 >= r.deformation_area_m2) & \
        (m.crown_position >= r.deformation_crown_position) & \
        (m.elongation <= r.deformation_elongation) & \
        (m.mean_slope_deg < r.deformation_mean_slope_deg)
    mode = np.select([fall, aval, deform], ["fall", "avalanche", "deformation"], "slide")
    why = np.select(
        [fall, aval, deform],
        [f"source slope >= {r.fall_source_slope_deg:g} deg and H/L >= "
         f"{r.mobility_h_over_l:g}",
         f"H/L < {r.mobility_h_over_l:g}, V >= {r.avalanche_volume_m3:g} m3, elongation >= "
         f"{r.avalanche_elongation:g}",
         f"area >= {r.deformation_area_m2:g} m2 reaching the crest, compact, mean slope < "
         f"{r.deformation_mean_slope_deg:g} deg"],
        "default (none of the other rules)")
    bad = ~np.isfinite(m[list(FEATURES)].to_numpy(dtype=float)).all(axis=1)
    mode = np.where(bad, "unclassified", mode)
    why = np.where(bad, "metrics missing (polygon off the DEM or on nodata)", why)
    return pd.DataFrame({"mode": mode, "mode_rule": why}, index=metrics.index)


# --------------------------------------------------------------------------- metrics


def _metric_crs(gdf: Any, dem_crs: Any) -> Any:
    """A metric CRS for areas and lengths: the DEM's if projected, else local UTM."""
    from pyproj import CRS

    crs = CRS.from_user_input(dem_crs)
    if not crs.is_geographic:
        return crs
    return gdf.to_crs(crs).estimate_utm_crs()


def _shape_metrics(geom: Any) -> tuple[float, float, float]:
    """Area (m2), long side (m) and elongation of a polygon in a metric CRS."""
    rect = geom.minimum_rotated_rectangle
    xs, ys = np.asarray(rect.exterior.coords.xy)
    sides = np.hypot(np.diff(xs), np.diff(ys))[:2]
    long_, short = float(np.max(sides)), float(np.min(sides))
    return float(geom.area), long_, long_ / short if short > 0 else float("inf")


def _window_for(src: Any, geom: Any, buffer_m: float, unit_per_m: float) -> Any:
    from rasterio.windows import Window, from_bounds

    x0, y0, x1, y1 = geom.buffer(buffer_m * unit_per_m).bounds
    w = from_bounds(x0, y0, x1, y1, src.transform).round_offsets().round_lengths()
    full = Window(0, 0, src.width, src.height)
    try:
        return w.intersection(full)
    except Exception:  # rasterio's WindowError: no overlap
        return None


def _dem_metrics(src: Any, geom: Any, buffer_m: float, unit_per_m: float) -> dict[str, float]:
    """Elevation-based metrics of one polygon (in the DEM's CRS) from a DEM window."""
    from rasterio.features import geometry_mask

    from geohazard.landslide import raster as rst
    from geohazard.landslide import terrain as ter

    nan = {k: float("nan") for k in ("source_slope_deg", "mean_slope_deg", "h_m", "l_m",
                                     "crown_position")}
    win = _window_for(src, geom, buffer_m, unit_per_m)
    if win is None or win.width < 3 or win.height < 3:
        return nan
    z = src.read(1, window=win, masked=True).astype(np.float64).filled(np.nan)
    t = src.window_transform(win)
    inside = ~geometry_mask([geom], z.shape, t, all_touched=True) & np.isfinite(z)
    if inside.sum() < 2:
        return nan
    xs = t.c + t.a * (np.arange(z.shape[1]) + 0.5)
    ys = t.f + t.e * (np.arange(z.shape[0]) + 0.5)
    dem = rst.from_array(z, xs, ys, src.crs)
    slope = ter.terrain_numpy(z, ter.GridGeometry.from_raster(dem), "slope_deg")
    zin = z[inside]
    top = inside & (z >= np.nanmin(zin) + (2.0 / 3.0) * np.ptp(zin))
    r_hi, c_hi = np.unravel_index(np.nanargmax(np.where(inside, z, -np.inf)), z.shape)
    rr, cc = np.nonzero(inside)
    l_m = float(np.max(_distance_m(src.crs, (xs[c_hi], ys[r_hi]), (xs[cc], ys[rr]),
                                   unit_per_m)))
    relief = np.nanmax(z) - np.nanmin(z)
    return {"source_slope_deg": float(np.nanmean(slope[top])),
            "mean_slope_deg": float(np.nanmean(slope[inside])),
            "h_m": float(np.ptp(zin)), "l_m": l_m,
            "crown_position": float((zin.max() - np.nanmin(z)) / relief) if relief > 0
            else 0.0}


def _distance_m(crs: Any, a: tuple[float, float], b: tuple[Any, Any],
                unit_per_m: float) -> np.ndarray:
    """Horizontal distances (m) from point ``a`` to points ``b`` (arrays) in ``crs``."""
    bx, by = np.asarray(b[0], dtype=float), np.asarray(b[1], dtype=float)
    if crs.is_geographic:
        from pyproj import Geod

        ax, ay = np.full_like(bx, a[0]), np.full_like(by, a[1])
        return np.asarray(Geod(ellps="WGS84").inv(ax, ay, bx, by)[2])
    return np.hypot(bx - a[0], by - a[1]) / unit_per_m


def polygon_metrics(inventory: Any, dem_path: PathLike, *, buffer_m: float = 300.0
                    ) -> pd.DataFrame:
    """Measure each landslide polygon on a DEM, reading one small window per polygon.

    Parameters
    ----------
    inventory
        GeoDataFrame of landslide polygons (any CRS).
    dem_path
        DEM in metres (any GDAL raster). Only windows around the polygons are read, so
        memory is bounded by the largest polygon and its buffer.
    buffer_m
        Margin around each polygon for its slope position (local relief).

    Returns
    -------
    pandas.DataFrame
        The :data:`FEATURES` columns plus ``length_m``, ``fahrboschung_deg``,
        ``scheidegger_h_over_l``, ``mobility_vs_scheidegger`` (log10 of H/L over the curve's
        value) and ``slope_position``, one row per polygon (index of ``inventory``).
    """
    import rasterio

    kinds = set(inventory.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(f"landslide modes need polygons; the inventory has {sorted(kinds)}")
    check_param("search_radius_m", buffer_m, "buffer_m")
    with rasterio.open(dem_path) as src:
        if src.crs is None:
            raise RasterError(f"DEM {dem_path} has no CRS")
        metric = _metric_crs(inventory, src.crs)
        unit_per_m = 1.0 / src.crs.linear_units_factor[1] if not src.crs.is_geographic \
            else 1.0 / 111_320.0
        in_dem = inventory.to_crs(src.crs).geometry
        in_m = inventory.to_crs(metric).geometry
        rows = []
        for g_dem, g_m in zip(in_dem, in_m, strict=True):
            area, long_, elong = _shape_metrics(g_m)
            row = {"area_m2": area, "length_m": long_, "elongation": elong}
            row.update(_dem_metrics(src, g_dem, buffer_m, unit_per_m))
            rows.append(row)
    return _derived(pd.DataFrame(rows, index=inventory.index))


def _derived(df: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        df["h_over_l"] = df.h_m / df.l_m
        df["fahrboschung_deg"] = np.degrees(np.arctan(df.h_over_l))
        df["volume_m3"] = LARSEN2010_ALPHA * df.area_m2**LARSEN2010_GAMMA
        df["scheidegger_h_over_l"] = 10 ** (0.62419 - 0.15666 * np.log10(df.volume_m3))
        # < 0: more mobile than Scheidegger's curve for that volume
        df["mobility_vs_scheidegger"] = np.log10(df.h_over_l / df.scheidegger_h_over_l)
    df["slope_position"] = np.select([df.crown_position >= 0.8, df.crown_position >= 0.4],
                                     ["upper", "middle"], "lower")
    df.loc[df.crown_position.isna(), "slope_position"] = "unknown"
    return df


# --------------------------------------------------------------------------- classifier


@dataclass(frozen=True)
class ModeCV:
    """Blocked cross-validation of a mode classifier (frozen).

    Attributes
    ----------
    accuracy_folds
        Held-out accuracy per fold.
    confusion
        Rows: true mode, columns: predicted (counts over all held-out folds).
    labels
        Mode names of the confusion matrix.
    rule_accuracy
        Accuracy of the documented rules on the same labels.
    """

    accuracy_folds: tuple[float, ...]
    confusion: tuple[tuple[int, ...], ...]
    labels: tuple[str, ...]
    rule_accuracy: float

    @property
    def accuracy_mean(self) -> float:
        """Mean held-out accuracy."""
        return float(np.mean(self.accuracy_folds))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {**asdict(self), "accuracy_mean": self.accuracy_mean}


def mode_cross_validation(metrics: pd.DataFrame, labels: Any, x: Any, y: Any, *,
                          block_size: float, n_folds: int = 5, n_estimators: int = 200,
                          rng: RNGLike = None) -> ModeCV:
    """Random forest on the mode metrics, validated with spatially blocked folds.

    Parameters
    ----------
    metrics
        :func:`polygon_metrics` table.
    labels
        True mode of each row (any strings).
    x, y
        Polygon centroids (CRS units) for the spatial blocks.
    block_size
        Block side, CRS units.
    n_folds, n_estimators
        Folds and trees.
    rng
        Generator or seed (forest and block-to-fold assignment).

    Returns
    -------
    ModeCV
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import confusion_matrix

    from geohazard.landslide.susceptibility import spatial_blocks

    for name, v in (("block_size", block_size), ("n_folds", n_folds),
                    ("n_estimators", n_estimators)):
        check_param(name, v)
    lab = np.asarray(labels, dtype=str)
    X = metrics[list(FEATURES)].to_numpy(dtype=float)
    ok = np.isfinite(X).all(axis=1)
    X, lab = X[ok], lab[ok]
    blocks = spatial_blocks(np.asarray(x)[ok], np.asarray(y)[ok], block_size)
    uniq = np.unique(blocks)
    if not 2 <= n_folds <= uniq.size:
        raise ParameterError(f"n_folds={n_folds} needs 2..{uniq.size} (number of blocks)")
    gen = as_generator(rng)
    fold_of = dict(zip(uniq, gen.permutation(uniq.size) % n_folds, strict=True))
    fold = np.array([fold_of[b] for b in blocks])
    pred = np.empty_like(lab)
    acc = []
    for k in range(n_folds):
        test = fold == k
        clf = RandomForestClassifier(n_estimators=n_estimators,
                                     random_state=int(gen.integers(2**31)))
        clf.fit(X[~test], lab[~test])
        pred[test] = clf.predict(X[test])
        acc.append(float(np.mean(pred[test] == lab[test])))
    names = tuple(sorted(set(lab)))
    rules = classify_modes(metrics[ok])["mode"].to_numpy()
    cm = confusion_matrix(lab, pred, labels=list(names))
    return ModeCV(tuple(acc), tuple(tuple(int(v) for v in r) for r in cm), names,
                  float(np.mean(rules == lab)))


# --------------------------------------------------------------------------- whole run


@dataclass(frozen=True)
class ModesResult:
    """Modes of an inventory (frozen).

    Attributes
    ----------
    table
        GeoDataFrame: the inventory's columns, the metrics, ``mode`` and ``mode_rule``.
    summary
        Count and area (km2) per mode.
    cv
        Classifier cross-validation when labels were given.
    """

    table: Any
    summary: pd.DataFrame
    cv: ModeCV | None = None
    rules: dict[str, float] = field(default_factory=dict)


def run_modes(inventory: Any, dem_path: PathLike, *, rules: ModeRules = ModeRules(),
              label_col: str | None = None, block_size: float | None = None,
              n_folds: int = 5, rng: RNGLike = None) -> ModesResult:
    """Metrics, rule-based modes and (with labels) a cross-validated classifier.

    Parameters
    ----------
    inventory
        GeoDataFrame of landslide polygons.
    dem_path
        DEM in metres.
    rules
        Thresholds.
    label_col
        Column of known modes to train and validate a classifier on.
    block_size
        Block side for the blocked folds (CRS units; default: a fifth of the extent).
    n_folds
        Folds.
    rng
        Generator or seed.

    Returns
    -------
    ModesResult
    """
    if label_col is not None and label_col not in inventory.columns:
        raise InputError(f"inventory has no column {label_col!r} (--label-col); columns: "
                         f"{[c for c in inventory.columns if c != 'geometry']}")
    metrics = polygon_metrics(inventory, dem_path)
    modes = classify_modes(metrics, rules)
    table = inventory.join(metrics.drop(columns=[c for c in metrics if c in inventory]))
    table = table.join(modes)
    area = table.groupby("mode")["area_m2"].agg(["count", "sum"])
    summary = pd.DataFrame({"mode": area.index, "count": area["count"].astype(int),
                            "area_km2": area["sum"] / 1e6}).reset_index(drop=True)
    cv = None
    if label_col is not None:
        c = inventory.geometry.centroid
        size = block_size or max(np.ptp(c.x), np.ptp(c.y)) / 5.0 or 1.0
        cv = mode_cross_validation(metrics, inventory[label_col].astype(str), c.x, c.y,
                                   block_size=size, n_folds=n_folds, rng=rng)
    return ModesResult(table, summary, cv, asdict(rules))

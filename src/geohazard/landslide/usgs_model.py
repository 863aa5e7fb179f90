"""The Nowicki Jessee et al. (2018) model's equations, coverage, aggregation and alert levels.

Cell-by-cell and table formulas of :mod:`geohazard.landslide.usgs` (see it for the model,
its coefficients and the operational changes); the full raster run is
:func:`geohazard.landslide.usgs.run_jessee2018`. Every name is importable from
:mod:`geohazard.landslide.usgs` too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from geohazard.exceptions import ParameterError

log = logging.getLogger(__name__)

__all__ = [
    "ALERT_COLOURS",
    "AUTHALIC_RADIUS_KM",
    "COEFFICIENT_MAX",
    "SLOPE_UNITS",
    "JesseeCoefficients",
    "aggregate_area_km2",
    "alert_level",
    "areal_coverage",
    "cell_area_km2",
    "jessee_logit",
    "jessee_probability",
    "population_alert_level",
    "population_exposure",
    "slope_to_degrees",
]

ALERT_COLOURS = ("green", "yellow", "orange", "red")
#: Units a slope layer may be given in (see :func:`slope_to_degrees`).
SLOPE_UNITS = ("gradient", "degrees", "percent", "degrees*100")
#: Largest plausible |coefficient| of the lithology and land-cover layers (the published
#: ones lie within -3.3..2.4; class codes of GLiM and GlobCover run to 16 and 230).
COEFFICIENT_MAX = 10.0
#: Authalic radius of the WGS84 ellipsoid in km (equal-area cell areas).
AUTHALIC_RADIUS_KM = 6371.0072


@dataclass(frozen=True)
class JesseeCoefficients:
    """Coefficients and operational settings of the Nowicki Jessee et al. (2018) model.

    Defaults follow the published model and the USGS operational configuration
    (``groundfailure`` ``jessee_2018.ini``; Allstadt et al. 2022).
    """

    b0: float = -6.30
    b_ln_pgv: float = 1.65
    b_slope: float = 0.06
    b_rock: float = 1.0
    b_cti: float = 0.03
    b_landcover: float = 1.0
    b_ln_pgv_slope: float = 0.01
    pgv_clip: tuple[float, float] = (0.0, 211.0)
    cti_clip: tuple[float, float] = (0.0, 19.0)
    coverage_poly: tuple[float, float, float, float] = (-7.592, 5.237, -3.042, 4.035)
    unconsolidated_coef: float = -3.22
    unconsolidated_replacement: float | None = -1.36
    slope_min_deg: float = 2.0
    slope_max_deg: float = 90.0


def slope_to_degrees(slope: np.ndarray, units: str) -> np.ndarray:
    """Convert a slope layer to degrees.

    Parameters
    ----------
    slope
        Slope values.
    units
        ``"degrees"``, ``"gradient"`` (rise over run, as the USGS ``global_grad.tif``),
        ``"percent"`` or ``"degrees*100"``.

    Returns
    -------
    numpy.ndarray
    """
    s = np.asarray(slope, dtype=np.float64)
    if units == "degrees":
        return s
    if units == "gradient":
        return np.degrees(np.arctan(s))
    if units == "percent":
        return np.degrees(np.arctan(s / 100.0))
    if units == "degrees*100":
        return s / 100.0
    raise ParameterError(
        f"slope units {units!r} unknown; use degrees, gradient, percent or degrees*100"
    )


def jessee_logit(
    pgv_cms: np.ndarray, slope_deg: np.ndarray, rock_coef: np.ndarray, cti: np.ndarray,
    landcover_coef: np.ndarray, coeffs: JesseeCoefficients | None = None,
) -> np.ndarray:
    """Linear predictor ``X`` of the model (inputs broadcast together).

    Parameters
    ----------
    pgv_cms
        Peak ground velocity, cm/s (clipped to ``coeffs.pgv_clip``).
    slope_deg
        Slope in degrees.
    rock_coef
        Lithology coefficient per cell (the unconsolidated-sediment value is replaced
        when ``coeffs.unconsolidated_replacement`` is set).
    cti
        Compound topographic index (clipped to ``coeffs.cti_clip``).
    landcover_coef
        Land-cover coefficient per cell.
    coeffs
        Model coefficients (defaults: :class:`JesseeCoefficients`).

    Returns
    -------
    numpy.ndarray
    """
    c = coeffs or JesseeCoefficients()
    pgv = np.clip(np.asarray(pgv_cms, dtype=np.float64), *c.pgv_clip)
    with np.errstate(divide="ignore"):
        lnpgv = np.log(pgv)
    rock = np.asarray(rock_coef, dtype=np.float64)
    if c.unconsolidated_replacement is not None:
        rock = np.where(rock <= c.unconsolidated_coef + 0.01, c.unconsolidated_replacement, rock)
    s = np.asarray(slope_deg, dtype=np.float64)
    return (c.b0 + c.b_ln_pgv * lnpgv + c.b_slope * s + c.b_rock * rock
            + c.b_cti * np.clip(np.asarray(cti, dtype=np.float64), *c.cti_clip)
            + c.b_landcover * np.asarray(landcover_coef, dtype=np.float64)
            + c.b_ln_pgv_slope * lnpgv * s)


def areal_coverage(p: np.ndarray, coeffs: JesseeCoefficients | None = None) -> np.ndarray:
    """Convert relative hazard ``P`` to areal coverage (Nowicki Jessee et al. 2018).

    Parameters
    ----------
    p
        Relative hazard (logistic output) in [0, 1].
    coeffs
        Supplies ``coverage_poly`` ``(a0, a1, a2, a3)``: ``exp(a0 + a1 P + a2 P^2 + a3 P^3)``.

    Returns
    -------
    numpy.ndarray
        Proportion of the cell area affected, at most 0.256 with the default polynomial.
    """
    a0, a1, a2, a3 = (coeffs or JesseeCoefficients()).coverage_poly
    p = np.asarray(p, dtype=np.float64)
    return np.exp(a0 + a1 * p + a2 * p**2 + a3 * p**3)


def jessee_probability(
    pgv_cms: np.ndarray, slope_deg: np.ndarray, rock_coef: np.ndarray, cti: np.ndarray,
    landcover_coef: np.ndarray, coeffs: JesseeCoefficients | None = None,
    coverage: bool = True,
) -> np.ndarray:
    """Landslide areal coverage (or relative hazard) per cell.

    Parameters
    ----------
    pgv_cms, slope_deg, rock_coef, cti, landcover_coef, coeffs
        As for :func:`jessee_logit`.
    coverage
        Return areal coverage (operational output) instead of relative hazard.

    Returns
    -------
    numpy.ndarray
        Values are zero where the slope is outside ``(slope_min_deg, slope_max_deg]``
        and NaN where any input is NaN.
    """
    c = coeffs or JesseeCoefficients()
    x = jessee_logit(pgv_cms, slope_deg, rock_coef, cti, landcover_coef, c)
    p = 1.0 / (1.0 + np.exp(-x))
    if coverage:
        p = areal_coverage(p, c)
    s = np.asarray(slope_deg, dtype=np.float64)
    keep = (s > c.slope_min_deg) & (s <= c.slope_max_deg)
    return np.where(keep | np.isnan(p), p, 0.0)


def cell_area_km2(lat_deg: np.ndarray, dlat_deg: float, dlon_deg: float) -> np.ndarray:
    """Equal-area (authalic sphere) area in km^2 of lat/lon cells centred at ``lat_deg``.

    Parameters
    ----------
    lat_deg
        Row-centre latitudes, shape ``(ny,)``.
    dlat_deg, dlon_deg
        Cell size in degrees.

    Returns
    -------
    numpy.ndarray
        Shape ``(ny, 1)``, broadcastable against ``(ny, nx)``.
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    h = abs(dlat_deg) / 2.0
    band = np.sin(np.radians(lat + h)) - np.sin(np.radians(lat - h))
    return (AUTHALIC_RADIUS_KM**2 * np.radians(abs(dlon_deg)) * band)[:, None]


def aggregate_area_km2(
    coverage: np.ndarray, area_km2: np.ndarray, pga_g: np.ndarray | None = None,
    pga_threshold_g: float = 0.1, prob_threshold: float = 0.002,
) -> float:
    """Aggregate landslide area ``H_tot = sum(P_ij A_ij)`` over qualifying cells.

    Parameters
    ----------
    coverage
        Areal coverage per cell.
    area_km2
        Cell areas (broadcastable to ``coverage``).
    pga_g
        PGA in g per cell; cells below ``pga_threshold_g`` are left out (None: no filter).
    pga_threshold_g
        Ground-motion threshold (USGS operational value 0.1 g).
    prob_threshold
        Cells with coverage below this are left out (USGS operational value 0.002).

    Returns
    -------
    float
        Area in km^2.
    """
    cov = np.asarray(coverage, dtype=np.float64)
    ok = _qualifying(cov, pga_g, pga_threshold_g, prob_threshold)
    return float(np.sum(np.where(ok, cov * area_km2, 0.0)))


def _qualifying(cov: np.ndarray, pga_g: np.ndarray | None, pga_threshold_g: float,
                prob_threshold: float) -> np.ndarray:
    """Cells that count in the operational totals: coverage and PGA above their thresholds."""
    ok = np.isfinite(cov) & (cov >= prob_threshold)
    if pga_g is not None:
        ok &= np.asarray(pga_g) >= pga_threshold_g
    return ok


def population_exposure(
    coverage: np.ndarray, population: np.ndarray, pga_g: np.ndarray | None = None,
    pga_threshold_g: float = 0.1, prob_threshold: float = 0.002,
) -> float:
    """Population exposure ``sum(P_ij L_ij)`` over qualifying cells (Allstadt et al. 2022).

    Parameters
    ----------
    coverage
        Areal coverage per cell.
    population
        People per cell on the same grid (e.g. LandScan; NaN counts as 0).
    pga_g, pga_threshold_g, prob_threshold
        As for :func:`aggregate_area_km2`.

    Returns
    -------
    float
    """
    cov = np.asarray(coverage, dtype=np.float64)
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64))
    if np.any(pop < 0):
        raise ParameterError("population counts must be non-negative")
    ok = _qualifying(cov, pga_g, pga_threshold_g, prob_threshold)
    return float(np.sum(np.where(ok, cov * pop, 0.0)))


def _bin_alert(value: float, edges: tuple[float, float, float]) -> str:
    if not np.isfinite(value) or value < 0:
        raise ParameterError(f"alert statistic must be a finite non-negative number, got {value}")
    return ALERT_COLOURS[int(np.searchsorted(np.asarray(edges), value, side="right"))]


def alert_level(hagg_km2: float, edges: tuple[float, float, float] = (1.0, 10.0, 100.0)) -> str:
    """Landslide hazard alert level from the aggregate area (Allstadt et al. 2022).

    Parameters
    ----------
    hagg_km2
        Aggregate landslide area in km^2.
    edges
        Bin edges between green/yellow, yellow/orange and orange/red.

    Returns
    -------
    str
        ``"green"`` (< 1 km^2), ``"yellow"`` (1-10), ``"orange"`` (10-100) or ``"red"``.
    """
    return _bin_alert(hagg_km2, edges)


def population_alert_level(
    exposed: float, edges: tuple[float, float, float] = (100.0, 1000.0, 10000.0)
) -> str:
    """Landslide population-exposure alert level (Allstadt et al. 2022).

    Parameters
    ----------
    exposed
        Population exposure ``sum(P_ij * population_ij)``.
    edges
        Bin edges (people).

    Returns
    -------
    str
    """
    return _bin_alert(exposed, edges)

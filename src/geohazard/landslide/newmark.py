"""Newmark sliding-block analysis: infinite-slope stability, displacement regressions, maps.

Conventions: accelerations in g, PGV in cm/s, displacements in cm, slope in degrees,
unit weights in kN/m^3, cohesion in kPa, thickness in m.

Provenance of every coefficient (checked 2026-11-25)
----------------------------------------------------
No paper PDF was readable in this project; each coefficient was checked against the
equation as printed in independent public implementations or in published worked
examples, named below. "Verified" means at least one such source prints the same
number; "unverified" means none was found.

* Infinite slope (Jibson et al. 2000, Eng. Geol. 58:271-289, after Newmark 1965):
  ``FS = c'/(gamma t sin a) + tan(phi')/tan(a) - m gamma_w tan(phi')/(gamma tan(a))``.
  The dry terms are verified against USGS groundfailure ``gfail/godt.py`` (function
  ``godt2008``). The saturation term is unverified: no source read confirms its sign
  (an older OpenSRA module prints ``+``, which would make pore pressure raise FS); it is
  kept with ``-`` because pore pressure lowers the effective normal stress.
  ``a_c = (FS - 1) sin(a)``: verified (OpenQuake ``openquake/sep/landslide/
  displacement.py::critical_accel``; groundfailure ``godt.py``; OpenSRA cites it as
  Jibson 2007 eq. 1).
* Jibson (2007), Eng. Geol. 91:209-218, eq. 6: ``log10 Dn = 0.215 + log10[(1 - r)^2.341
  r^-1.438]``, sigma 0.510 (log10); eq. 7: ``log10 Dn = -2.710 + log10[(1 - r)^2.335
  r^-1.478] + 0.424 M``, sigma 0.454, ``r = ac/amax``. All seven numbers verified:
  OpenQuake ``jibson_2007_model_a/_b`` (coefficients; eq. 7 recommended for M 5.3-7.6),
  groundfailure ``godt.py::NMdisp`` (coefficients and both sigmas), OpenSRA
  ``bzheng10/OpenSRA_dev`` ``src/edp/landslide.py::Jibson2007`` (coefficients and sigmas,
  "eq. 6"/"eq. 7"), ``mgrubisic/SeismicHazard`` ``platform_psda/psda_J07M.m`` (eq. 7).
* Saygili & Rathje (2008), J. Geotech. Geoenviron. Eng. 134(6):790-803, ``ln D = a1 +
  a2 r + a3 r^2 + a4 r^3 + a5 r^4 + a6 ln(PGA) + ...``, ``r = ky/PGA``:

  - PGA-only model (5.52, -4.43, -20.39, 42.61, -28.74, 0.72; sigma 1.13): verified
    against one source only, OpenSRA's landslide module (``saygili_2008``), which cites
    Saygili (2008) PhD dissertation, Univ. of Texas, Table 4.2.
  - PGA-PGV model (-1.56, -4.58, -20.84, 44.75, -30.50, -0.64, + 1.55 ln PGV; sigma
    0.405 + 0.524 r): verified (OpenQuake ``saygili_rathje_2008``, "eq. 6";
    groundfailure ``NMdisp('RS_PGA_PGV')`` with sigma; pyGEEMs ``calc_disp_rs08``, which
    rounds sigma to 0.41 + 0.52 r; OpenSRA, dissertation Tables 4.3-4.4).
  - PGA-M model (4.89, -4.85, -19.64, 42.49, -29.06, 0.72, + 0.89 (M - 6); sigma
    0.732 + 0.789 r - 0.539 r^2): the coefficients are verified (OpenQuake
    ``rathje_saygili_2009``, "eq. 8"; groundfailure ``RS_PGA_M``; pyGEEMs;
    ``psda_RS09M.m``; OpenSRA) but the model belongs to **Rathje & Saygili (2009)**,
    Bull. N.Z. Soc. Earthq. Eng. 42(1):18-27 (and Saygili 2008 dissertation), not to the
    2008 journal paper. Sigma intercept 0.732 as in groundfailure and ``psda_RS09M.m``
    (OpenSRA prints 0.73, pyGEEMs 0.73 + 0.79 r - 0.54 r^2).
  - Published worked examples (Rathje et al. 2014, as tabulated in pyGEEMs
    ``tests/test_slope_disp.py``): ky 0.1 g, PGA 0.54 g, M 6.75 -> 43 cm; PGA 0.54 g,
    PGV 42 cm/s -> 29 cm; PGA 0.88 g, M 6.75 -> 113 cm; PGV 71 cm/s -> 81 cm.
* Bray & Travasarou (2007), J. Geotech. Geoenviron. Eng. 133(4):381-392, median
  "non-zero" displacement: ``ln D = -1.10 - 2.83 ln ky - 0.333 (ln ky)^2 + 0.566 ln ky
  ln Sa + 3.04 ln Sa - 0.244 (ln Sa)^2 + 1.50 Ts + 0.278 (M - 7)``, sigma 0.66, with the
  constant -0.22 instead of -1.10 when ``Ts < 0.05 s``. All coefficients verified
  (``psda_BT2007M.m``; groundfailure ``BT_PGA_M`` for Ts = 0; pyGEEMs
  ``calc_disp_bt07``, which omits the magnitude term). Both pyGEEMs and ``psda_BT2007M.m``
  keep ``+1.50 Ts`` for ``Ts < 0.05 s``, so it is kept here too (an earlier version of
  this module dropped it). The equation number is unverified (pyGEEMs says eq. 4,
  groundfailure eq. 6 for Ts = 0). ``P(D = 0) = 1 - Phi(-1.76 - 3.22 ln ky - 0.484 Ts
  ln ky + 3.52 ln Sa)`` with "zero" meaning < 1 cm: verified (pyGEEMs
  ``calc_prob_disp_bt07``, ``psda_BT2007M.m`` with ``y0 = 1``), and it reproduces the
  paper's Table 1 values of P(D = 0) (0.85, 0.1, 0.0) as tabulated in pyGEEMs' tests.
* Probability of failure, Jibson et al. (2000) eq. 5: ``P(f) = 0.335 [1 - exp(-0.048
  Dn^1.565)]`` (Dn in cm; Oat Mountain quadrangle, 1994 Northridge): verified (OpenQuake
  ``openquake/sep/landslide/probability.py::jibson_etal_2000_probability``, "eq. 5").
* Godt et al. (2008) coverage table (0, 0.01, 0.10, 0.30, 0.50, 0.70, 0.90, 0.99), slope
  minimum 0.01 degrees, and t = 2.4 m, gamma = 15.7 kN/m^3, 5 cm, FS >= 1.01,
  a_c >= 0.05 g: verified against groundfailure ``gfail/godt.py`` and
  ``defaultconfigfiles/models/godt_2008.ini``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.stats import norm

from geohazard.exceptions import ParameterError
from geohazard.landslide.checks import check_param, check_slope_values, raster_label

__all__ = [
    "DISPLACEMENT_MODELS",
    "NewmarkMaps",
    "bray_travasarou_2007",
    "bray_travasarou_2007_p_zero",
    "critical_acceleration",
    "factor_of_safety",
    "godt2008_coverage",
    "jibson_2000_probability",
    "jibson_2007",
    "newmark_maps",
    "saygili_rathje_2008",
]

GAMMA_WATER = 9.81  # kN/m^3


def factor_of_safety(
    slope_deg: Any, cohesion_kpa: Any, friction_deg: Any, thickness_m: Any = 2.4,
    unit_weight: Any = 15.7, saturation: Any = 0.0, gamma_w: float = GAMMA_WATER,
) -> np.ndarray:
    """Static factor of safety of an infinite slope (Jibson et al. 2000, eq. 1).

    Parameters
    ----------
    slope_deg
        Slope angle in degrees (0 < slope < 90; flat cells give ``inf``).
    cohesion_kpa
        Effective cohesion c' in kPa.
    friction_deg
        Effective friction angle phi' in degrees.
    thickness_m
        Slope-normal thickness of the failure slab ``t`` in m (Godt et al. 2008: 2.4).
    unit_weight
        Material unit weight gamma in kN/m^3 (Godt et al. 2008: 15.7).
    saturation
        Proportion ``m`` of the slab thickness that is saturated (0-1).
    gamma_w
        Unit weight of water in kN/m^3.

    Returns
    -------
    numpy.ndarray
    """
    for key, value in (("friction_deg", friction_deg), ("cohesion_kpa", cohesion_kpa),
                       ("thickness_m", thickness_m), ("unit_weight", unit_weight),
                       ("saturation", saturation)):
        check_param(key, value)
    a = np.radians(np.asarray(slope_deg, dtype=np.float64))
    phi = np.tan(np.radians(np.asarray(friction_deg, dtype=np.float64)))
    m = np.asarray(saturation, dtype=np.float64)
    gt = np.asarray(unit_weight, dtype=np.float64) * np.asarray(thickness_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        fs = (np.asarray(cohesion_kpa, dtype=np.float64) / (gt * np.sin(a))
              + phi / np.tan(a)
              - m * gamma_w * phi / (np.asarray(unit_weight, dtype=np.float64) * np.tan(a)))
    return np.where(a <= 0, np.inf, fs)


def critical_acceleration(fs: Any, slope_deg: Any) -> np.ndarray:
    """Critical (yield) acceleration in g: ``a_c = (FS - 1) sin(alpha)`` (Newmark 1965).

    Parameters
    ----------
    fs
        Static factor of safety.
    slope_deg
        Slope angle in degrees (thrust angle of the sliding block).

    Returns
    -------
    numpy.ndarray
        Critical acceleration in g; 0 where ``FS <= 1`` (statically unstable) and ``inf``
        on flat ground.
    """
    fs = np.asarray(fs, dtype=np.float64)
    s = np.sin(np.radians(np.asarray(slope_deg, dtype=np.float64)))
    with np.errstate(invalid="ignore"):
        ac = np.where(np.isinf(fs), np.inf, (fs - 1.0) * s)
    return np.where(np.isnan(fs), np.nan, np.maximum(ac, 0.0))


def _ratio(ac: Any, amax: Any) -> np.ndarray:
    ac = np.asarray(ac, dtype=np.float64)
    amax = np.asarray(amax, dtype=np.float64)
    if np.any(ac < 0) or np.any(amax < 0):
        raise ParameterError("accelerations (ac, amax) must be non-negative")
    with np.errstate(divide="ignore", invalid="ignore"):
        return ac / amax


def jibson_2007(ac: Any, amax: Any, magnitude: float | None = None) -> np.ndarray:
    """Median Newmark displacement in cm from Jibson (2007) eq. 6 or eq. 7.

    Parameters
    ----------
    ac
        Critical acceleration in g.
    amax
        Peak ground acceleration in g.
    magnitude
        Moment magnitude; when given, eq. 7 (ratio and magnitude) is used (fitted to
        M 5.3-7.6 records; OpenQuake warns outside that range).

    Returns
    -------
    numpy.ndarray
        Displacement in cm; 0 where ``ac >= amax`` (no sliding). Log10 standard
        deviations: 0.510 (eq. 6), 0.454 (eq. 7).
    """
    if magnitude is not None:
        check_param("magnitude", magnitude)
    r = _ratio(ac, amax)
    slides = (r > 0) & (r < 1)
    rr = np.where(slides, r, 0.5)
    if magnitude is None:
        logd = 0.215 + 2.341 * np.log10(1 - rr) - 1.438 * np.log10(rr)
    else:
        logd = -2.710 + 2.335 * np.log10(1 - rr) - 1.478 * np.log10(rr) + 0.424 * magnitude
    d = np.where(slides, 10.0**logd, 0.0)
    return np.where(np.isnan(r), np.nan, np.where(r <= 0, np.inf, d))


_SR08 = {
    "pga": (5.52, -4.43, -20.39, 42.61, -28.74, 0.72),
    "pga_m": (4.89, -4.85, -19.64, 42.49, -29.06, 0.72),
    "pga_pgv": (-1.56, -4.58, -20.84, 44.75, -30.50, -0.64),
}


def saygili_rathje_2008(
    ky: Any, pga: Any, *, pgv_cms: Any = None, magnitude: float | None = None,
    return_sigma: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Median sliding displacement in cm from Saygili & Rathje (2008) and Rathje & Saygili (2009).

    The model is picked from the inputs: PGA only (Saygili & Rathje 2008), PGA and
    magnitude (Rathje & Saygili 2009, Bull. NZSEE 42(1):18-27) or PGA and PGV (Saygili &
    Rathje 2008). Coefficient provenance: see the module docstring.

    Parameters
    ----------
    ky
        Yield (critical) acceleration in g.
    pga
        Peak ground acceleration in g.
    pgv_cms
        Peak ground velocity in cm/s (PGA-PGV vector model).
    magnitude
        Moment magnitude (PGA-M model of Rathje & Saygili 2009). Give at most one of
        ``pgv_cms`` and ``magnitude``.
    return_sigma
        Also return the standard deviation of ``ln D``.

    Returns
    -------
    numpy.ndarray or tuple
        Displacement in cm (0 where ``ky >= PGA``), and sigma of ``ln D`` if asked.
    """
    if pgv_cms is not None and magnitude is not None:
        raise ParameterError("give either pgv_cms or magnitude to saygili_rathje_2008, not both")
    if magnitude is not None:
        check_param("magnitude", magnitude)
    r = _ratio(ky, pga)
    slides = (r > 0) & (r < 1)
    rr = np.where(slides, r, 0.5)
    key = "pga_pgv" if pgv_cms is not None else ("pga_m" if magnitude is not None else "pga")
    a1, a2, a3, a4, a5, a6 = _SR08[key]
    pga_ = np.where(slides, np.asarray(pga, dtype=np.float64), 1.0)
    lnd = a1 + a2 * rr + a3 * rr**2 + a4 * rr**3 + a5 * rr**4 + a6 * np.log(pga_)
    if key == "pga_pgv":
        lnd = lnd + 1.55 * np.log(np.asarray(pgv_cms, dtype=np.float64))
        sigma = 0.405 + 0.524 * r
    elif key == "pga_m":
        lnd = lnd + 0.89 * (float(magnitude) - 6.0)  # type: ignore[arg-type]
        sigma = 0.732 + 0.789 * r - 0.539 * r**2
    else:
        sigma = np.full_like(r, 1.13)
    d = np.where(slides, np.exp(lnd), 0.0)
    d = np.where(np.isnan(r), np.nan, np.where(r <= 0, np.inf, d))
    return (d, sigma) if return_sigma else d


def _bt07_args(ky: Any, sa: Any, ts: float) -> tuple[np.ndarray, np.ndarray]:
    ky = np.asarray(ky, dtype=np.float64)
    sa = np.asarray(sa, dtype=np.float64)
    if np.any(ky <= 0) or np.any(sa <= 0):
        raise ParameterError("Bray & Travasarou (2007) needs ky > 0 and Sa(1.5 Ts) > 0 (in g)")
    if ts < 0:
        raise ParameterError(f"fundamental period Ts must be >= 0 s, got {ts}")
    return np.log(ky), np.log(sa)


def bray_travasarou_2007(ky: Any, sa_g: Any, magnitude: float, ts: float = 0.0) -> np.ndarray:
    """Median "non-zero" seismic displacement in cm, Bray & Travasarou (2007).

    The constant is -0.22 for ``Ts < 0.05 s`` and -1.10 otherwise; the ``1.50 Ts`` term is
    kept in both cases (as in pyGEEMs and ``psda_BT2007M.m``; see the module docstring).

    Parameters
    ----------
    ky
        Yield coefficient in g (> 0).
    sa_g
        Spectral acceleration at the degraded period ``1.5 Ts`` in g (PGA when Ts = 0).
    magnitude
        Moment magnitude.
    ts
        Initial fundamental period of the sliding mass in s (``4 H / Vs``); 0 for a rigid
        block.

    Returns
    -------
    numpy.ndarray
        Median displacement in cm given that it is non-zero (sigma of ln D: 0.66).
    """
    check_param("magnitude", magnitude)
    lk, ls = _bt07_args(ky, sa_g, ts)
    const = -0.22 if ts < 0.05 else -1.10
    lnd = (const - 2.83 * lk - 0.333 * lk**2 + 0.566 * lk * ls + 3.04 * ls - 0.244 * ls**2
           + 1.50 * ts + 0.278 * (magnitude - 7.0))
    return np.exp(lnd)


def bray_travasarou_2007_p_zero(ky: Any, sa_g: Any, ts: float = 0.0) -> np.ndarray:
    """Probability of negligible ("zero", < 1 cm) displacement, Bray & Travasarou (2007).

    Parameters
    ----------
    ky, sa_g, ts
        As for :func:`bray_travasarou_2007`.

    Returns
    -------
    numpy.ndarray
    """
    lk, ls = _bt07_args(ky, sa_g, ts)
    return 1.0 - norm.cdf(-1.76 - 3.22 * lk - 0.484 * ts * lk + 3.52 * ls)


def jibson_2000_probability(dn_cm: Any) -> np.ndarray:
    """Probability of slope failure from Newmark displacement (Jibson et al. 2000, eq. 5).

    Parameters
    ----------
    dn_cm
        Newmark displacement in cm (>= 0; ``inf`` gives the asymptote 0.335).

    Returns
    -------
    numpy.ndarray
    """
    d = np.asarray(dn_cm, dtype=np.float64)
    if np.any(d < 0):
        raise ParameterError("Newmark displacement must be >= 0 cm")
    return 0.335 * (1.0 - np.exp(-0.048 * d**1.565))


def _bt07_mixture_median(ac: np.ndarray, pga: np.ndarray, magnitude: float) -> np.ndarray:
    """Median of the Bray & Travasarou mixture (zero with P0, lognormal otherwise).

    ``P(D <= d) = P0 + (1 - P0) Phi((ln d - mu) / 0.66) = 0.5`` gives
    ``ln d = mu + 0.66 Phi^-1((0.5 - P0) / (1 - P0))`` when ``P0 < 0.5``, else 0.
    """
    ok = np.isfinite(ac) & (ac > 0) & (pga > 0)
    k, a = np.where(ok, ac, 0.1), np.where(ok, pga, 0.1)
    mu = np.log(bray_travasarou_2007(k, a, magnitude))
    p0 = bray_travasarou_2007_p_zero(k, a)
    q = np.clip((0.5 - p0) / np.maximum(1.0 - p0, 1e-300), 1e-12, 1 - 1e-12)
    med = np.where(p0 < 0.5, np.exp(mu + 0.66 * norm.ppf(q)), 0.0)
    out = np.where(ok, med, np.where(ac == 0, np.inf, 0.0))
    return np.where(np.isnan(ac) | np.isnan(pga), np.nan, out)


#: Areal coverage of Godt et al. (2008) for 0..7 slope quantiles with Dn >= threshold.
GODT2008_COVERAGE = (0.0, 0.01, 0.10, 0.30, 0.50, 0.70, 0.90, 0.99)


def godt2008_coverage(
    pga_g: Any, slope_quantiles_deg: Any, cohesion_kpa: Any, friction_deg: Any, *,
    thickness_m: float = 2.4, unit_weight: float = 15.7, dn_threshold_cm: float = 5.0,
    fs_min: float = 1.01, ac_min_g: float = 0.05, slope_min_deg: float = 0.01,
    magnitude: float | None = None,
) -> np.ndarray:
    """Landslide areal coverage of Godt et al. (2008), the USGS Newmark-based global model.

    For each of seven slope quantiles of a cell (minimum, 10th, 30th, 50th, 70th, 90th
    percentile, maximum of the fine-scale slopes inside it) a dry infinite slope gives FS
    (floored at ``fs_min``) and ``a_c`` (floored at ``ac_min_g``), and Jibson (2007) eq. 6
    the displacement. The number of quantiles reaching ``dn_threshold_cm`` maps to
    coverage 0, 0.01, 0.10, 0.30, 0.50, 0.70, 0.90, 0.99; cells whose maximum slope is
    at most ``slope_min_deg`` get 0. Parameters as in the USGS configuration
    ``godt_2008.ini`` (t = 2.4 m, gamma = 15.7 kN/m^3, 5 cm, FS >= 1.01, a_c >= 0.05 g).
    With ``magnitude`` Jibson (2007) eq. 7 is used instead: USGS groundfailure
    (``gfail/godt.py``) documents eq. 6 (``J_PGA``) as its default but falls back to
    eq. 7 (``J_PGA_M``) when the configuration names no ``displmodel``, as the shipped
    ``godt_2008.ini`` does.

    Parameters
    ----------
    pga_g
        PGA in g, shape ``S``.
    slope_quantiles_deg
        Slopes in degrees, shape ``(7, *S)`` ordered from minimum to maximum.
    cohesion_kpa, friction_deg
        Strength, broadcastable to ``S``.
    thickness_m, unit_weight, dn_threshold_cm, fs_min, ac_min_g, slope_min_deg
        Model settings.
    magnitude
        Moment magnitude; selects Jibson (2007) eq. 7.

    Returns
    -------
    numpy.ndarray
        Areal coverage, shape ``S``.
    """
    q = np.asarray(slope_quantiles_deg, dtype=np.float64)
    if q.shape[0] != 7:
        raise ParameterError(f"need 7 slope quantiles on the first axis, got {q.shape[0]}")
    q = np.where(q == 0, 1e-8, q)
    fs = np.maximum(factor_of_safety(q, cohesion_kpa, friction_deg, thickness_m, unit_weight),
                    fs_min)
    ac = np.maximum((fs - 1.0) * np.sin(np.radians(q)), ac_min_g)
    dn = jibson_2007(ac, np.broadcast_to(np.asarray(pga_g, dtype=np.float64), q.shape),
                     magnitude)
    count = np.sum(np.nan_to_num(dn) >= dn_threshold_cm, axis=0)
    cov = np.asarray(GODT2008_COVERAGE)[count]
    return np.where(q[-1] <= slope_min_deg, 0.0, cov)


# --------------------------------------------------------------------------- maps


#: Variables of :func:`newmark_maps`: name -> (units, long_name).
NEWMARK_VARIABLES = {
    "fs": ("1", "static factor of safety (infinite slope)"),
    "ac_g": ("g", "critical (yield) acceleration"),
    "dn_cm": ("cm", "Newmark displacement"),
    "p_failure": ("1", "probability of slope failure (Jibson et al. 2000)"),
    "pga_g": ("g", "peak ground acceleration"),
    "pgv_cms": ("cm/s", "peak ground velocity"),
}


@dataclass(frozen=True)
class NewmarkMaps:
    """Deprecated: :func:`newmark_maps` returns an :class:`xarray.Dataset` now.

    Kept for code that built or received these maps; build one with
    :meth:`from_dataset`. Creating one warns with :class:`DeprecationWarning`.
    """

    factor_of_safety: xr.DataArray
    critical_acceleration_g: xr.DataArray
    displacement_cm: xr.DataArray
    probability: xr.DataArray

    def __post_init__(self) -> None:
        import warnings

        warnings.warn("NewmarkMaps is deprecated: newmark_maps() returns an xarray.Dataset "
                      "(variables fs, ac_g, dn_cm, p_failure with units)",
                      DeprecationWarning, stacklevel=3)

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> NewmarkMaps:
        """The old dataclass view of a :func:`newmark_maps` Dataset (deprecated)."""
        return cls(ds["fs"], ds["ac_g"], ds["dn_cm"], ds["p_failure"])

    def to_dataset(self) -> xr.Dataset:
        """All layers in one :class:`xarray.Dataset`."""
        return xr.Dataset({"fs": self.factor_of_safety, "ac_g": self.critical_acceleration_g,
                           "dn_cm": self.displacement_cm, "p_failure": self.probability})


def newmark_dataset(ref: xr.DataArray, layers: dict[str, Any],
                    variables: dict[str, tuple[str, str]] | None = None,
                    **attrs: Any) -> xr.Dataset:
    """Arrays on the grid of ``ref`` as a Dataset with ``units`` and ``long_name`` on each.

    Parameters
    ----------
    ref
        Raster defining the grid and CRS (written with ``rio.write_crs``).
    layers
        Variable name -> array of ``ref``'s shape (or a DataArray on its grid).
    variables
        Name -> (units, long_name); default :data:`NEWMARK_VARIABLES`.
    **attrs
        Dataset attributes (e.g. the displacement model).
    """
    from geohazard.landslide.raster import like

    meta = {**NEWMARK_VARIABLES, **(variables or {})}
    data = {}
    for name, values in layers.items():
        units, long_name = meta[name]
        da = like(ref, _values(values), name, units)
        da.attrs["long_name"] = long_name
        data[name] = da
    ds = xr.Dataset(data, attrs=attrs)
    return ds.rio.write_crs(ref.rio.crs)


_MODELS = ("jibson2007", "jibson2007_m", "saygili_rathje2008", "saygili_rathje2008_pgv",
           "bray_travasarou2007")
#: Displacement models of :func:`newmark_maps`.
DISPLACEMENT_MODELS = _MODELS


def _displacement(model: str, ac: np.ndarray, pga: np.ndarray, pgv: np.ndarray | None,
                  magnitude: float | None) -> np.ndarray:
    if model == "jibson2007":
        return jibson_2007(ac, pga)
    if model in ("jibson2007_m", "bray_travasarou2007") and magnitude is None:
        raise ParameterError(f"model {model!r} needs the earthquake magnitude")
    if model == "jibson2007_m":
        return jibson_2007(ac, pga, magnitude)
    if model == "saygili_rathje2008":
        return np.asarray(saygili_rathje_2008(ac, pga, magnitude=magnitude))
    if model == "saygili_rathje2008_pgv":
        if pgv is None:
            raise ParameterError("model 'saygili_rathje2008_pgv' needs a PGV raster")
        return np.asarray(saygili_rathje_2008(ac, pga, pgv_cms=pgv))
    if model == "bray_travasarou2007":
        return _bt07_mixture_median(ac, pga, float(magnitude))  # type: ignore[arg-type]
    raise ParameterError(f"unknown displacement model {model!r}; choose from {_MODELS}")


def _values(v: Any) -> Any:
    return v.values if isinstance(v, xr.DataArray) else v


def newmark_maps(
    slope_deg: xr.DataArray, pga_g: xr.DataArray, *, cohesion_kpa: Any = 10.0,
    friction_deg: Any = 30.0, thickness_m: float = 2.4, unit_weight: float = 15.7,
    saturation: float = 0.0, model: str = "jibson2007", magnitude: float | None = None,
    pgv_cms: xr.DataArray | None = None,
) -> xr.Dataset:
    """Factor of safety, critical acceleration, displacement and failure probability maps.

    Parameters
    ----------
    slope_deg
        Slope raster in degrees; defines the grid.
    pga_g
        PGA raster in g on the same grid (align it first with
        :func:`geohazard.landslide.raster.align_to`).
    cohesion_kpa, friction_deg
        Strength: scalars or rasters on the same grid.
    thickness_m, unit_weight, saturation
        Slab properties (defaults of Godt et al. 2008: 2.4 m, 15.7 kN/m^3, dry).
    model
        ``"jibson2007"`` (eq. 6), ``"jibson2007_m"`` (eq. 7), ``"saygili_rathje2008"``
        (PGA, or PGA-M with ``magnitude``), ``"saygili_rathje2008_pgv"`` or
        ``"bray_travasarou2007"`` (rigid block, ``Ts = 0`` so ``Sa = PGA``; the map shows
        the median of the mixture of "zero" and lognormal displacement).
    magnitude
        Moment magnitude where the model needs it.
    pgv_cms
        PGV raster for the PGA-PGV model.

    Returns
    -------
    xarray.Dataset
        Variables ``fs`` (1), ``ac_g`` (g), ``dn_cm`` (cm) and ``p_failure`` (1, from
        :func:`jibson_2000_probability`), each with ``units`` and ``long_name``; the grid
        and CRS of ``slope_deg``; attribute ``model``.
    """
    from geohazard.landslide.raster import check_same_grid

    check_same_grid(slope_deg, pga_g, "slope and PGA")
    if magnitude is not None:
        check_param("magnitude", magnitude)
    check_slope_values(slope_deg.values, "degrees", f"slope {raster_label(slope_deg)}",
                       "the slope must be in degrees")
    check_param("pga_g", pga_g.values, f"PGA {raster_label(pga_g)}")
    fs = factor_of_safety(slope_deg.values, _values(cohesion_kpa), _values(friction_deg),
                          thickness_m,
                          unit_weight, saturation)
    ac = critical_acceleration(fs, slope_deg.values)
    pga = np.asarray(pga_g.values, dtype=np.float64)
    dn = _displacement(model, ac, pga, None if pgv_cms is None else pgv_cms.values, magnitude)
    pf = jibson_2000_probability(np.where(np.isnan(dn), 0.0, dn))
    pf = np.where(np.isnan(dn), np.nan, pf)
    return newmark_dataset(slope_deg, {"fs": fs, "ac_g": ac, "dn_cm": dn, "p_failure": pf},
                           model=model)

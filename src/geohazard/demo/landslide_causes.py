"""Issue 15's landslide chain for ``geohazard demo``: causes, modes, long-term evolution.

Runs after the susceptibility part of the landslide step, on its synthetic terrain
(``dem.tif`` and ``slope_deg.tif`` in the step's folder), in a few seconds:

1. **Causes.** Topographic amplification (frequency-scaled curvature, Vs = 800 m/s,
   f = 2 Hz) and Vs30 from slope (Wald & Allen 2007); scenario PGA/PGV of a Mw 6.5 thrust on
   the synthetic fault (ASK14 with that Vs30, on a coarse grid, resampled); the PGA then
   amplified; Newmark displacement (Jibson 2007) with and without amplification.
2. **Modes.** Eight synthetic landslides of known geometry (two per mode) on four
   synthetic slopes (cliff, long slope onto a valley floor, gentle ridge, planar slope),
   classified by the rules of :mod:`geohazard.landslide.modes`.
3. **Evolution.** A synthetic post-seismic activity series (background 10, excess
   ``200 exp(-t / 3 yr)``, 8% lognormal noise) through :func:`~geohazard.landslide.
   evolution.fit_evolution`: decay and recovery times against the truth.

Its random draws come from their own generator (``[seed, 15]``), so the figures of the
susceptibility part are those of before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run_chain"]

VS_MPS, FREQ_HZ = 800.0, 2.0
MAGNITUDE, DIP, RAKE = 6.5, 30.0, 90.0
TRUE_TAU_YEARS, BACKGROUND, EXCESS, NOISE = 3.0, 10.0, 200.0, 0.08
RECOVERY_FRACTION = 0.1
MODE_PANEL_M = 4000.0
MODE_RES_M = 10.0


def _crest_valley(dem: Any, amp: np.ndarray) -> tuple[float, float]:
    """Mean amplification on the crests and in the valleys (7x7 local maxima / minima)."""
    from scipy import ndimage

    z = np.asarray(dem.values, dtype=float)
    inner = np.zeros(z.shape, bool)
    inner[5:-5, 5:-5] = True
    crest = (z == ndimage.maximum_filter(z, 7)) & inner
    valley = (z == ndimage.minimum_filter(z, 7)) & inner
    return float(np.nanmean(amp[crest])), float(np.nanmean(amp[valley]))


def _finite_median(a: np.ndarray) -> float:
    """Median over finite cells (statically unstable cells have infinite displacement)."""
    return float(np.median(a[np.isfinite(a)]))


def _rupture(dem: Any) -> Any:
    """The synthetic thrust (east-west across the area, dipping north) in lon/lat."""
    from pyproj import Transformer

    from geohazard.landslide.groundmotion import Rupture

    x0, x1 = float(dem.x.min()), float(dem.x.max())
    ymid = float(dem.y.mean())
    tr = Transformer.from_crs(dem.rio.crs, "EPSG:4326", always_xy=True)
    # the trace runs west to east: a dip to the right of it would be south, so reverse it
    pts = [tr.transform(x, y) for x, y in ((x1 + 1000, ymid + 300), (x0 - 1000, ymid - 300))]
    return Rupture(MAGNITUDE, tuple(pts), DIP, RAKE, ztor=1.0)


def _causes(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from geohazard.landslide import raster as rst
    from geohazard.workflows.landslide import hazard_job

    dem = rst.read_raster(folder / "dem.tif", name="dem", units="m")
    run = hazard_job(folder / "dem.tif", folder / "slope_deg.tif", _rupture(dem),
                     folder / "amplification", vs_mps=VS_MPS, freq_hz=FREQ_HZ, coarsen=10,
                     gmpe="ASK14", cohesion_kpa=10.0, friction_deg=30.0, model="jibson2007")
    ds, st = run.dataset, run.figures["amplification_stats"]
    crest, valley = _crest_valley(ds["dem"], ds["amplification"].values)
    dn0, dn1 = ds["dn_cm"].values, ds["dn_cm_amplified"].values
    pga, pga_amp = ds["pga_g"].values, ds["pga_amplified_g"].values
    out = {"vs_mps": VS_MPS, "freq_hz": FREQ_HZ, "wavelength_m": st["wavelength_m"],
           "crest_amplification": crest, "valley_amplification": valley,
           "amplification_min": st["amplification_min"],
           "amplification_max": st["amplification_max"],
           "share_amplified": st["share_amplified"], "vs30_mean": st["vs30_mean"],
           "vs30_min": st["vs30_min"], "vs30_max": st["vs30_max"],
           "relation_verified": bool(st["relation"]["verified"]),
           "scenario_magnitude": MAGNITUDE, "pga_median_g": float(np.nanmedian(pga)),
           "pga_amplified_median_g": float(np.nanmedian(pga_amp)),
           "pga_amplified_max_g": float(np.nanmax(pga_amp)),
           "newmark_median_cm": _finite_median(dn0),
           "newmark_amplified_median_cm": _finite_median(dn1),
           "share_statically_unstable": float(np.mean(np.isinf(dn0))),
           "share_dn_over_5cm": float(np.nanmean(dn0 > 5.0)),
           "share_dn_over_5cm_amplified": float(np.nanmean(dn1 > 5.0)),
           "probability_mean": float(np.nanmean(ds["p_failure"].values)),
           "probability_amplified_mean": float(np.nanmean(ds["p_failure_amplified"].values))}
    amp = ds["amplification"].rename("topo_amplification")
    return out, {"stats": st, "amp": amp, "hazard": ds}


# --------------------------------------------------------------------------- modes

#: Per mode: profile z(x) of its panel and two boxes (x0, x1, y0, y1) in panel metres.
_MODE_BOXES = {
    "fall": ((940, 1100, 1000, 1080), (940, 1100, 2000, 2080)),
    "avalanche": ((500, 3500, 1000, 1300), (500, 3500, 2200, 2500)),
    "deformation": ((2000, 2600, 900, 1500), (2000, 2600, 2300, 2900)),
    "slide": ((2000, 2100, 1500, 1560), (2500, 2600, 2500, 2560)),
}


def _profile(mode: str, x: np.ndarray) -> np.ndarray:
    if mode == "fall":  # 70-degree cliff 275 m high, flat below and above
        return np.clip((x - 1000.0) * np.tan(np.radians(70)), 0, 275) + 100
    if mode == "avalanche":  # 35-degree slope onto a flat valley floor at x = 1000 m
        return np.clip((1000.0 - x) * np.tan(np.radians(35)), 0, None) + 100
    if mode == "deformation":  # gentle ridge (16.7 deg), crest at x = 2000 m
        return 600 - 0.3 * np.abs(x - 2000.0)
    return (4000.0 - x) * np.tan(np.radians(30)) + 100  # slide: planar 30-degree slope


def _mode_case(folder: Path) -> tuple[Path, Any]:
    """Four panels stacked north to south, one per mode, and two polygons in each."""
    import geopandas as gpd
    from shapely.geometry import box

    from geohazard.landslide import raster as rst

    n = int(MODE_PANEL_M / MODE_RES_M)
    x = (np.arange(n) + 0.5) * MODE_RES_M
    x0, y0 = 500_000.0, 4_200_000.0
    rows, geoms, truth = [], [], []
    for k, mode in enumerate(_MODE_BOXES):
        rows.append(np.broadcast_to(_profile(mode, x), (n, n)))
        for a, b, c, d in _MODE_BOXES[mode]:
            top = y0 - k * MODE_PANEL_M
            geoms.append(box(x0 + a, top - d, x0 + b, top - c))
            truth.append(mode)
    z = np.vstack(rows)
    yy = y0 - (np.arange(z.shape[0]) + 0.5) * MODE_RES_M
    dem = rst.from_array(z, x0 + x, yy, "EPSG:32610", name="dem", units="m")
    path = rst.write_geotiff(dem, folder / "modes_dem.tif")
    return Path(path), gpd.GeoDataFrame({"true_mode": truth}, geometry=geoms, crs="EPSG:32610")


def _modes(folder: Path) -> tuple[dict[str, Any], Any]:
    from geohazard.landslide.modes import MODES
    from geohazard.workflows.landslide import modes_job

    dem, inv = _mode_case(folder)
    _, res = modes_job(inv, dem, None, report=False)
    got = res.table["mode"].astype(str)
    counts = {m: int((got == m).sum()) for m in MODES}
    true_counts = {m: int((inv["true_mode"] == m).sum()) for m in MODES}
    correct = int((got.to_numpy() == inv["true_mode"].to_numpy()).sum())
    return {"n_landslides": len(inv), "counts": counts, "true_counts": true_counts,
            "correct": correct, "accuracy": correct / len(inv)}, res


# --------------------------------------------------------------------------- evolution


def _evolution(gen: np.random.Generator) -> tuple[dict[str, Any], Any, Any]:
    import pandas as pd

    from geohazard.workflows.landslide import evolution_job

    event = pd.Timestamp("2008-05-12", tz="UTC")
    yrs = np.arange(-5.0, 25.0, 0.25)
    truth = np.where(yrs < 0, BACKGROUND,
                     BACKGROUND + EXCESS * np.exp(-np.clip(yrs, 0, None) / TRUE_TAU_YEARS))
    series = pd.DataFrame({"time": event + pd.to_timedelta(yrs * 365.25, unit="D"),
                           "value": truth * gen.lognormal(0.0, NOISE, yrs.size)})
    d, res, published = evolution_job(series, None, event_date=event,
                                      recovery_fraction=RECOVERY_FRACTION, n_boot=100,
                                      rng=gen, report=False)
    # excess back within 10% of the background: tau ln(EXCESS / (f * BACKGROUND))
    true_rec = TRUE_TAU_YEARS * float(np.log(EXCESS / (RECOVERY_FRACTION * BACKGROUND)))
    dec, rec = d["decay_time_years"], d["recovery_time_years"]
    out = {"true_decay_time_years": TRUE_TAU_YEARS, "decay_time_years": dec["value"],
           "decay_time_std_years": dec["std"],
           "decay_time_rel_error": abs(dec["value"] - TRUE_TAU_YEARS) / TRUE_TAU_YEARS,
           "true_recovery_time_years": true_rec, "recovery_time_years": rec["value"],
           "recovery_time_std_years": rec["std"],
           "recovery_time_rel_error": abs(rec["value"] - true_rec) / true_rec,
           "best_model": d["best_model"], "background": d["background"],
           "n_observations": int(yrs.size)}
    return out, res, published


def run_chain(out_dir: Path, seed: int = 0, report: Any = None) -> dict[str, Any]:
    """Causes, modes and evolution on synthetic inputs; optional report sections.

    Parameters
    ----------
    out_dir
        The landslide step's folder (holds ``dem.tif`` and ``slope_deg.tif``).
    seed
        Seed (the chain draws from ``numpy.random.default_rng([seed, 15])``).
    report
        An :class:`~geohazard.report._html.HtmlReport` to add one section per theme to.

    Returns
    -------
    dict
        ``causes``, ``modes`` and ``evolution`` figures (JSON-ready).
    """
    folder = Path(out_dir)
    gen = np.random.default_rng([seed, 15])
    causes, cobj = _causes(folder)
    modes, mres = _modes(folder)
    evolution, eres, published = _evolution(gen)
    if report is not None:
        from geohazard.report import landslide_themes as th

        th.causes_section(report, cobj["stats"], cobj["amp"])
        report.key_values({"crest / valley amplification (mean)":
                           f"{causes['crest_amplification']:.3f} / "
                           f"{causes['valley_amplification']:.3f}",
                           "median PGA (g), plain / amplified":
                           f"{causes['pga_median_g']:.3f} / "
                           f"{causes['pga_amplified_median_g']:.3f}",
                           "median Newmark displacement (cm), plain / amplified":
                           f"{causes['newmark_median_cm']:.3f} / "
                           f"{causes['newmark_amplified_median_cm']:.3f}",
                           "share of cells with Dn > 5 cm, plain / amplified":
                           f"{causes['share_dn_over_5cm']:.4f} / "
                           f"{causes['share_dn_over_5cm_amplified']:.4f}"})
        th.modes_section(report, mres)
        report.key_values({"synthetic landslides classified right":
                           f"{modes['correct']} of {modes['n_landslides']}"})
        th.evolution_section(report, eres, published)
        report.key_values({"true decay time (yr)": TRUE_TAU_YEARS,
                           "true recovery time (yr)": evolution["true_recovery_time_years"]})
    return {"causes": causes, "modes": modes, "evolution": evolution}

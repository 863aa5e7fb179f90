"""Landslide jobs, written once for the CLI and the demo.

* :func:`susceptibility_job`: fit, validate on spatial blocks, map, GeoPackage, report.
* :func:`newmark_job`, :func:`scenario_job`, :func:`usgs_job`: the hazard commands
  (``geohazard landslide newmark``, ``scenario``, ``usgs-global``).
* :func:`hazard_job`: amplification, scenario shaking and Newmark with and without the
  amplification, on one DEM (the demo's chain); an :class:`xarray.Dataset` with units.
* :func:`amplification_job`, :func:`pga_relation_job`, :func:`modes_job`,
  :func:`evolution_job`: the causes commands (issue 15).

Each job reads, computes with :mod:`geohazard.landslide`, writes its files (atomically) and
returns its figures; the CLI parses flags and renders, the demo adds its truths. Hazard
results are :class:`xarray.Dataset` objects with ``units`` and ``long_name`` on every
variable and the CRS written with rioxarray.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.exceptions import InputError

__all__ = ["HazardRun", "amplification_job", "evolution_job", "ground_motion_inputs",
           "hazard_job", "modes_job", "newmark_job", "pga_relation_job", "scenario_job",
           "susceptibility_job", "usgs_job"]

Progress = Callable[[int, int], Any] | None


@dataclass(frozen=True)
class HazardRun:
    """A hazard job's result (frozen).

    Attributes
    ----------
    dataset
        Rasters on one grid, ``units`` and ``long_name`` on every variable, CRS written.
    figures
        JSON-ready figures (what ``--json`` writes).
    paths
        Files written (name -> path).
    """

    dataset: Any
    figures: dict[str, Any]
    paths: dict[str, Path] = field(default_factory=dict)


def susceptibility_job(factors: Mapping[str, Any], landslide: Any, out_dir: str | Path, *,
                       report: bool = True, landslides: Any = None,
                       **settings: Any) -> dict[str, Any]:
    """Fit a susceptibility model, validate it on spatial blocks, map it, write the report.

    Parameters
    ----------
    factors
        Factor rasters on one grid (name -> raster).
    landslide
        Boolean landslide cells on that grid.
    out_dir
        Output folder: ``susceptibility.tif``, ``susceptibility_class.tif`` (quintile
        classes with a colour table and class names), tables, ``summary.json``, figures,
        ``report.html`` and, with ``landslides``, ``landslides.gpkg``.
    report
        Draw the figures and the HTML report.
    landslides
        The inventory (GeoDataFrame of polygons or points with a CRS): written to
        ``landslides.gpkg`` with each landslide's susceptibility and class
        (:func:`geohazard.landslide.vector.landslides_with_susceptibility`).
    **settings
        Passed on to :func:`geohazard.landslide.pipeline.run_susceptibility` (``method``,
        ``categorical``, ``balance``, ``block_size``, ``n_folds``, ``n_estimators``,
        ``inventory``, ``rng``).

    Returns
    -------
    dict
        The run's summary (``susceptibility_class_tif``, ``class_breaks`` and
        ``landslides_gpkg`` added).
    """
    from geohazard.landslide.pipeline import run_susceptibility
    from geohazard.landslide.vector import write_susceptibility_gis
    from geohazard.report.landslide_susceptibility import write_report

    def render(out: Path, summary: dict[str, Any], smap: Any, *rest: Any) -> Path | None:
        write_susceptibility_gis(out, summary, smap, landslides)  # before the report
        return write_report(out, summary, smap, *rest) if report else None

    return run_susceptibility(factors, landslide, out_dir, render=render, **settings)


# --------------------------------------------------------------------------- hazard


def ground_motion_inputs(grid: Any, shakemap: Path | None, pga: Path | None,
                         magnitude: float | None) -> tuple[Any, Any, float | None]:
    """PGA (g), PGV (cm/s or None) and magnitude on ``grid`` from a ShakeMap or a PGA raster.

    Exactly one of ``shakemap`` and ``pga`` is given; the magnitude defaults to the
    ShakeMap's event.
    """
    from geohazard.landslide.checks import check_param
    from geohazard.landslide.raster import align_to, read_raster
    from geohazard.landslide.shakemap import read_shakemap_grid

    if (shakemap is None) == (pga is None):
        raise InputError("give exactly one of --shakemap and --pga")
    if shakemap is not None:
        sm = read_shakemap_grid(shakemap)
        pga_da = align_to(sm.layer("pga"), grid) / 100.0  # %g -> g
        pgv_da = align_to(sm.layer("pgv"), grid) if "PGV" in sm.fields else None
        if magnitude is None:  # the event's; NaN when the grid has none
            magnitude = sm.magnitude if sm.magnitude == sm.magnitude else None
            if magnitude is not None:
                check_param("magnitude", magnitude, f"the magnitude of ShakeMap {shakemap}")
        return pga_da, pgv_da, magnitude
    pga_da = align_to(read_raster(pga, crs="EPSG:4326", units="g"), grid)  # type: ignore[arg-type]
    return pga_da, None, magnitude


def _amplified(da: Any, folder: Path | None) -> Any:
    if folder is None or da is None:
        return da
    from geohazard.landslide.amplification import apply_amplification, load_amplification

    amp, _ = load_amplification(folder)
    return apply_amplification(da, amp)


def _with_input(ds: Any, name: str, da: Any) -> Any:
    """``ds`` with input raster ``da`` added as variable ``name`` (units, long_name)."""
    from geohazard.landslide.newmark import NEWMARK_VARIABLES

    units, long_name = NEWMARK_VARIABLES[name]
    ds[name] = da.assign_attrs(units=units, long_name=long_name)
    return ds


def newmark_job(slope: Path, out: Path, *, shakemap: Path | None = None,
                pga: Path | None = None, magnitude: float | None = None,
                amplification: Path | None = None, **strength: Any) -> HazardRun:
    """Infinite-slope Newmark analysis from a slope raster and a ShakeMap or PGA raster.

    Parameters
    ----------
    slope
        Slope raster in degrees (defines the grid).
    out
        Output folder: ``fs.tif``, ``ac_g.tif``, ``dn_cm.tif``, ``p_failure.tif``.
    shakemap, pga
        Exactly one: a ShakeMap ``grid.xml`` (PGA, PGV, magnitude) or a PGA raster in g.
    magnitude
        Mw (default: the ShakeMap's).
    amplification
        Folder of :func:`amplification_job`: PGA and PGV are multiplied by its factor.
    **strength
        Passed on to :func:`geohazard.landslide.newmark.newmark_maps` (``cohesion_kpa``,
        ``friction_deg``, ``thickness_m``, ``unit_weight``, ``saturation``, ``model``).

    Returns
    -------
    HazardRun
        Dataset with ``fs``, ``ac_g``, ``dn_cm``, ``p_failure`` and the ``pga_g`` used.
    """
    from geohazard.landslide.newmark import newmark_maps
    from geohazard.landslide.raster import read_raster, write_geotiffs

    if (shakemap is None) == (pga is None):
        raise InputError("give exactly one of --shakemap and --pga")
    s = read_raster(slope, crs="EPSG:4326", units="degrees")
    pga_da, pgv_da, mag = ground_motion_inputs(s, shakemap, pga, magnitude)
    pga_da, pgv_da = _amplified(pga_da, amplification), _amplified(pgv_da, amplification)
    ds = newmark_maps(s, pga_da, magnitude=mag, pgv_cms=pgv_da, **strength)
    paths = write_geotiffs({str(n): ds[n].where(np.isfinite(ds[n])) for n in ds.data_vars},
                           out)
    ds = _with_input(ds, "pga_g", pga_da)
    dn = ds["dn_cm"].values
    figures: dict[str, Any] = {
        "model": ds.attrs["model"], "cells": int(np.isfinite(dn).sum()),
        "unstable_static": int(np.sum(ds["fs"].values <= 1.0)),
        "dn_ge_5cm": int(np.sum(dn >= 5.0)),
        "mean_p_failure": float(np.nanmean(ds["p_failure"].values)),
        "amplified": amplification is not None, "max_pga_g": float(np.nanmax(pga_da.values)),
        "out": str(out),
    }
    return HazardRun(ds, figures, paths)


def _scenario_site(g: Any, vs30: Path | None, slope: Path | None,
                   amplification: Path | None) -> tuple[Any, Any]:
    """Vs30 raster or slope gradient (m/m) on grid ``g`` for the site term."""
    from geohazard.landslide.raster import align_to, read_raster

    if vs30 is None and amplification is not None:  # the folder's Vs30 (site term)
        vs30 = amplification / "vs30.tif"
    vs = align_to(read_raster(vs30, crs="EPSG:4326"), g) if vs30 is not None else None
    sl = align_to(read_raster(slope, crs="EPSG:4326"), g) if slope is not None else None
    if vs is None and sl is None:
        from geohazard.landslide.terrain import slope_deg  # the grid is then the DEM

        sdeg = slope_deg(g)
        sl = sdeg.copy(data=np.tan(np.radians(sdeg.values)))
    return vs, sl


def scenario_job(rupture: Any, grid: Path, out: Path, *, vs30: Path | None = None,
                 slope: Path | None = None, gmpe: str = "ASK14",
                 amplification: Path | None = None, progress: Progress = None) -> HazardRun:
    """Scenario PGA and PGV rasters from a finite rupture (NGA-West2 model from pygmm).

    Parameters
    ----------
    rupture
        :class:`~geohazard.landslide.groundmotion.Rupture`.
    grid
        Raster defining the output grid (the DEM when neither ``vs30`` nor ``slope``).
    out
        Output folder: ``pga_g``, ``pgv_cms``, ``vs30``, ``rrup``, ``rjb``, ``rx`` GeoTIFFs
        (and the unamplified PGA and PGV with ``amplification``).
    vs30, slope
        Vs30 raster (m/s) or slope gradient (m/m) for Vs30 from slope; default: the
        amplification folder's Vs30, else the slope of ``grid``.
    gmpe
        ASK14, BSSA14, CB14 or CY14.
    amplification
        Folder of :func:`amplification_job`.
    progress
        ``progress(done, total)`` over cells.

    Returns
    -------
    HazardRun
    """
    from geohazard.landslide.amplification import load_amplification
    from geohazard.landslide.groundmotion import scenario_shaking
    from geohazard.landslide.raster import read_raster, write_geotiffs

    g = read_raster(grid, crs="EPSG:4326")
    if amplification is not None:
        load_amplification(amplification)
    vs, sl = _scenario_site(g, vs30, slope, amplification)
    ds = scenario_shaking(rupture, g, vs30=vs, slope_mm=sl, gmpe=gmpe, progress=progress)
    names = ["pga_g", "pgv_cms", "vs30", "rrup", "rjb", "rx"]
    figures = {"gmpe": gmpe.upper(), "mechanism": rupture.mechanism,
               "width_km": rupture.down_dip_width, "amplified": amplification is not None,
               "max_pga_g_unamplified": float(ds.pga_g.max()),
               "max_pgv_cms_unamplified": float(ds.pgv_cms.max())}
    if amplification is not None:
        for n in ("pga_g", "pgv_cms"):
            ds[f"{n}_unamplified"] = ds[n].copy()
            ds[n] = _amplified(ds[n], amplification)
            ds[n].attrs["long_name"] += ", topographically amplified"
        names += ["pga_g_unamplified", "pgv_cms_unamplified"]
    paths = write_geotiffs({n: ds[n] for n in names}, out)
    figures.update({"max_pga_g": float(ds.pga_g.max()), "max_pgv_cms": float(ds.pgv_cms.max()),
                    "cells": int(g.size), "out": str(out)})
    return HazardRun(ds, figures, paths)


def usgs_job(shakemap: Path, lithology: Path, landcover: Path, slope: Path, cti: Path,
             out: Path, *, amplification: Path | None = None, scheduler: str | None = None,
             engine: str = "serial", block_rows: int | None = None,
             **options: Any) -> HazardRun:
    """USGS global landslide model (Nowicki Jessee et al. 2018) to an areal-coverage GeoTIFF.

    ``options`` go to :func:`geohazard.landslide.usgs.run_jessee2018` (``slope_units``,
    ``pga_threshold_g``, ``progress``). With a Dask ``scheduler`` (or ``engine="dask"``)
    the run goes in blocks of ``block_rows`` (default 256) rows on its workers.

    Returns
    -------
    HazardRun
        Figures: the run's statistics and ``out``; the Dataset (coverage, PGA, PGV with
        units) of an in-memory run, None for a windowed one.
    """
    from geohazard.distributed import open_client
    from geohazard.landslide.amplification import FILES, load_amplification
    from geohazard.landslide.usgs import run_jessee2018

    amp_file = None
    if amplification is not None:
        load_amplification(amplification)
        amp_file = amplification / FILES["amplification"]
    with open_client(scheduler, engine) as client:
        res = run_jessee2018(shakemap, lithology, landcover, slope, cti, out=out,
                             block_rows=block_rows or (256 if client is not None else None),
                             amplification=amp_file, client=client, **options)
    return HazardRun(res.dataset, {**res.stats, "out": str(out)}, {"coverage": Path(out)})


def hazard_job(dem: Path, slope: Path, rupture: Any, out: Path, *, vs_mps: float = 800.0,
               freq_hz: float = 2.0, coarsen: int = 10, gmpe: str = "ASK14",
               **strength: Any) -> HazardRun:
    """Amplification, scenario shaking and Newmark, with and without the amplification.

    The amplification (frequency-scaled curvature) and Vs30 from slope are written under
    ``out``; scenario PGA is computed on a grid ``coarsen`` times coarser (Vs30 averaged),
    resampled bilinearly onto the DEM (cells outside filled with the median), amplified,
    and both PGAs go through :func:`~geohazard.landslide.newmark.newmark_maps`.

    Parameters
    ----------
    dem, slope
        DEM (m) and slope (degrees) GeoTIFFs on one grid.
    rupture
        :class:`~geohazard.landslide.groundmotion.Rupture`.
    out
        Folder of the amplification rasters.
    vs_mps, freq_hz, coarsen, gmpe
        Shear-wave velocity of the relief and frequency of the amplification; coarsening
        factor of the shaking grid; ground-motion model.
    **strength
        Passed on to :func:`~geohazard.landslide.newmark.newmark_maps`.

    Returns
    -------
    HazardRun
        Dataset: ``dem``, ``amplification``, ``vs30``, ``pga_g``, ``pga_amplified_g`` and
        ``fs``, ``ac_g``, ``dn_cm``, ``p_failure`` with their ``*_amplified`` twins;
        figures: the amplification statistics (``amplification_stats``).
    """
    from geohazard.landslide import raster as rst
    from geohazard.landslide.amplification import amplification_geotiff, apply_amplification
    from geohazard.landslide.groundmotion import scenario_shaking
    from geohazard.landslide.newmark import NEWMARK_VARIABLES, newmark_maps

    res = amplification_geotiff(dem, out, vs_mps, freq_hz)
    dem_da = rst.read_raster(dem, name="dem", units="m")
    amp = rst.read_raster(res.paths["amplification"], name="topo_amplification", units="1")
    vs30 = rst.read_raster(res.paths["vs30"], name="vs30", units="m/s")
    s = rst.read_raster(slope, name="slope_deg", units="degrees")
    coarse = dem_da.coarsen(x=coarsen, y=coarsen, boundary="trim").mean()
    coarse = coarse.rio.write_crs(dem_da.rio.crs)
    shake = scenario_shaking(rupture, coarse, vs30=rst.align_to(vs30, coarse, "average"),
                             gmpe=gmpe)
    pga = rst.align_to(shake["pga_g"], dem_da, "bilinear")
    pga = pga.where(np.isfinite(pga), float(np.nanmedian(shake["pga_g"].values)))
    pga_amp = apply_amplification(pga, amp)
    plain, ampl = (newmark_maps(s, p, **strength) for p in (pga, pga_amp))
    ds = plain.copy()
    for name in list(ampl.data_vars):
        units, long_name = NEWMARK_VARIABLES[str(name)]
        ds[f"{name}_amplified"] = ampl[name].assign_attrs(
            units=units, long_name=f"{long_name}, amplified shaking")
    inputs = {"dem": dem_da, "amplification": amp, "vs30": vs30, "pga_g": pga,
              "pga_amplified_g": pga_amp}
    for name, da in inputs.items():
        units, long_name = _HAZARD_INPUTS[name]
        ds[name] = da.assign_attrs(units=units, long_name=long_name)
    return HazardRun(ds, {"amplification_stats": res.stats}, dict(res.paths))


#: Inputs kept in :func:`hazard_job`'s Dataset: name -> (units, long_name).
_HAZARD_INPUTS = {"dem": ("m", "elevation"),
                  "amplification": ("1", "topographic amplification factor"),
                  "vs30": ("m/s", "time-averaged shear-wave velocity to 30 m"),
                  "pga_g": ("g", "peak ground acceleration"),
                  "pga_amplified_g": ("g", "peak ground acceleration, amplified")}


# --------------------------------------------------------------------------- causes


def amplification_job(dem: Path, out: Path, vs_mps: float = 800.0, freq_hz: float = 5.0, *,
                      vs30: Path | None = None, tectonic: str = "active", tile: int = 1024,
                      report: bool = True, progress: Progress = None) -> dict[str, Any]:
    """Topographic amplification and Vs30 rasters from a DEM, and the causes report.

    Returns
    -------
    dict
        The statistics with ``relation_verified``, ``relation_gain`` and ``out``.
    """
    from geohazard.landslide.amplification import amplification_geotiff
    from geohazard.landslide.raster import read_preview

    res = amplification_geotiff(dem, out, vs_mps, freq_hz, vs30_path=vs30, tectonic=tectonic,
                                tile=tile, progress=progress)
    if report:
        from geohazard.report.landslide_themes import write_causes_report

        write_causes_report(out, res.stats, read_preview(res.paths["amplification"]))
    figures = {k: v for k, v in res.stats.items() if k != "relation"}
    figures.update(relation_verified=res.stats["relation"]["verified"],
                   relation_gain=res.stats["relation"]["gain"], out=str(out))
    return figures


def _pga_grid(grid: Path | None, pga: Path | None, shakemap: Path | None) -> Any:
    from geohazard.exceptions import ParameterError
    from geohazard.landslide.raster import read_raster

    if grid is not None:
        return read_raster(grid, crs="EPSG:4326")
    if pga is not None:
        return read_raster(pga, crs="EPSG:4326", units="g")
    if shakemap is not None:
        from geohazard.landslide.shakemap import read_shakemap_grid

        return read_shakemap_grid(shakemap).layer("pga")
    raise ParameterError("give exactly one of --shakemap and --pga")


def pga_relation_job(inventory: Path, out: Path, *, shakemap: Path | None = None,
                     pga: Path | None = None, grid: Path | None = None,
                     amplification: Path | None = None) -> dict[str, Any]:
    """Landslide density and frequency ratio by PGA class: CSV tables and a figure.

    Returns
    -------
    dict
        The relation's figures (Spearman correlations, tables) and ``out``.
    """
    from geohazard.io_utils import atomic_path, ensure_dir
    from geohazard.landslide.amplification import load_amplification
    from geohazard.landslide.checks import remove_new_dirs
    from geohazard.landslide.inventory import inventory_rasters, read_inventory
    from geohazard.landslide.shaking_relation import pga_landslide_relation

    ref = _pga_grid(grid, pga, shakemap)
    pga_da, _, _ = ground_motion_inputs(ref, shakemap, pga, None)
    amp = load_amplification(amplification)[0] if amplification is not None else None
    inv = inventory_rasters(read_inventory(inventory), ref)
    rel = pga_landslide_relation(pga_da, inv, amplification=amp)
    with remove_new_dirs(out):
        ensure_dir(out)
        for name, t in rel.tables.items():
            with atomic_path(out / f"pga_classes_{name.split()[0]}.csv", suffix=".csv") as tmp:
                t.to_csv(tmp, index=False)
        _pga_figure(rel, out)
    return {**rel.to_dict(), "out": str(out)}


def _pga_figure(rel: Any, out: Path) -> None:
    import matplotlib.pyplot as plt

    from geohazard.plotting.landslide_causes import plot_pga_relation
    from geohazard.report.landslide_themes import save_figure

    fig, ax = plt.subplots(figsize=(8, 4))
    plot_pga_relation(rel.tables, ax=ax)
    save_figure(fig, out / "pga_relation.png")
    plt.close(fig)


def modes_job(inventory: Any, dem: Path, out: Path | None, *, label_col: str | None = None,
              n_folds: int = 5, rng: Any = None, report: bool = True) -> tuple[dict, Any]:
    """Classify landslides as fall, slide, avalanche or deformation (Hungr et al. 2014).

    Parameters
    ----------
    inventory
        Landslide polygons: a path (any vector format) or a GeoDataFrame.
    dem
        DEM GeoTIFF, metres.
    out
        Output folder (``modes.gpkg``, ``modes.tif`` with a colour table and class names,
        ``modes_summary.csv``, report), or None to write nothing.
    label_col, n_folds, rng
        As in :func:`geohazard.landslide.modes.run_modes`.
    report
        Write the modes report.

    Returns
    -------
    tuple
        ``(figures, ModesResult)``.
    """
    from geohazard.exceptions import DataFileNotFoundError
    from geohazard.landslide.inventory import read_inventory
    from geohazard.landslide.modes import run_modes

    if not Path(dem).exists():
        raise DataFileNotFoundError(f"DEM not found: {dem}")
    inv = read_inventory(inventory) if isinstance(inventory, str | Path) else inventory
    res = run_modes(inv, dem, label_col=label_col, n_folds=n_folds, rng=rng)
    if out is not None:
        _write_modes(Path(out), res, dem, report)
    counts = {r.mode: {"count": int(r.count), "area_km2": float(r.area_km2)}
              for r in res.summary.itertuples()}
    figures: dict[str, Any] = {"n_landslides": len(res.table), "modes": counts,
                               "rules": res.rules, "out": str(out)}
    if res.cv is not None:
        figures["classifier"] = res.cv.to_dict()
    return figures, res


def _write_modes(out: Path, res: Any, dem: Path, report: bool) -> None:
    from geohazard.io_utils import atomic_path, ensure_dir
    from geohazard.landslide.checks import remove_new_dirs
    from geohazard.landslide.vector import write_gpkg

    with remove_new_dirs(out):
        ensure_dir(out)
        write_gpkg(res.table, out / "modes.gpkg", layer="modes")
        _modes_raster(res.table, dem, out / "modes.tif")
        with atomic_path(out / "modes_summary.csv", suffix=".csv") as tmp:
            res.summary.to_csv(tmp, index=False)
        if report:
            from geohazard.report.landslide_themes import write_modes_report

            write_modes_report(out, res)


def _modes_raster(table: Any, dem: Path, path: Path) -> None:
    """Modes rasterised on the DEM grid, with a colour table and class names."""
    from geohazard.landslide.categorical import MODE_CLASSES, write_class_geotiff
    from geohazard.landslide.raster import rasterize, read_raster

    ref = read_raster(dem, units="m")
    codes = {name: c for c, (name, _) in MODE_CLASSES.classes.items()}
    gdf = table.assign(_code=table["mode"].astype(str).map(codes).fillna(0).astype("uint8"))
    write_class_geotiff(rasterize(gdf.to_crs(ref.rio.crs), ref, "_code"), path, MODE_CLASSES)


def evolution_job(source: Sequence[Path] | Any, out: Path | None, *, event_date: Any = None,
                  time_col: str | None = None, value_col: str | None = None,
                  background: float | None = None, recovery_fraction: float = 0.1,
                  n_boot: int = 200, rng: Any = None,
                  report: bool = True) -> tuple[dict[str, Any], Any, Any]:
    """Fit exponential and power-law decay of landslide activity back to the background.

    Parameters
    ----------
    source
        Activity files (CSV tables or multi-temporal inventories), or a table with
        ``time`` and ``value`` columns.
    out
        Output folder (``evolution.csv``, report), or None to write nothing.
    event_date
        Earthquake date (:class:`pandas.Timestamp`).
    time_col, value_col
        Columns of the files.
    background, recovery_fraction, n_boot, rng
        As in :func:`geohazard.landslide.evolution.fit_evolution`.
    report
        Write the evolution report.

    Returns
    -------
    tuple
        ``(figures, EvolutionResult, published recovery times)``.
    """
    import pandas as pd

    from geohazard.landslide.evolution import fit_evolution, read_activities
    from geohazard.landslide.recovery import published_recovery_times

    series = source if isinstance(source, pd.DataFrame) else read_activities(
        source, time_col, value_col)
    res = fit_evolution(series, event_date, background=background,
                        recovery_fraction=recovery_fraction, n_boot=n_boot, rng=rng)
    published = published_recovery_times()
    if out is not None:
        _write_evolution(Path(out), res, published, report)
    d = res.to_dict()
    d["published"] = published.to_dict(orient="records")
    d["out"] = str(out)
    return d, res, published


def _write_evolution(out: Path, res: Any, published: Any, report: bool) -> None:
    from geohazard.io_utils import atomic_path, ensure_dir
    from geohazard.landslide.checks import remove_new_dirs

    table = res.series.copy()
    for name, fit in res.fits.items():
        fitted = fit.predict(table["years"].clip(lower=0).to_numpy())
        table[f"fit_{name}"] = np.where(table["post"], fitted, np.nan)
    table["time"] = table["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    with remove_new_dirs(out):
        ensure_dir(out)
        with atomic_path(out / "evolution.csv", suffix=".csv") as tmp:
            table.to_csv(tmp, index=False)
        if report:
            from geohazard.report.landslide_themes import write_evolution_report

            write_evolution_report(out, res, published)

"""``geohazard landslide`` commands of issue 15: amplification, pga-relation, modes, evolution.

Attached to the ``landslide`` app by :func:`geohazard.cli._landslide_hazard.register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table
from geohazard.cli._landslide_hazard import (
    AmpOpt,
    _amp_file,
    _ground_motion_inputs,
    _progress,
    check_choice,
    check_flag,
    cli_terms,
)
from geohazard.exceptions import ParameterError
from geohazard.io_utils import ensure_dir

ReportOpt = Annotated[bool, typer.Option("--report/--no-report", help="Write report.html "
                                         "and the figure.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]


def amplification(
    dem: Annotated[Path, typer.Argument(help="DEM raster (any GDAL format), metres.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    vs30: Annotated[Path | None, typer.Option("--vs30", help="Vs30 raster (m/s) instead of "
                                              "Vs30 from slope.")] = None,
    vs: Annotated[float, typer.Option("--vs", help="Shear-wave velocity of the relief, "
                                      "m/s.")] = 800.0,
    freq: Annotated[float, typer.Option("--freq", help="Frequency of interest, Hz.")] = 5.0,
    tectonic: Annotated[str, typer.Option("--tectonic", help="active or stable (Wald & "
                                          "Allen 2007 Vs30 table).")] = "active",
    tile: Annotated[int, typer.Option("--tile", help="Window size in cells.")] = 1024,
    report: ReportOpt = True,
    json_out: JsonOpt = None,
) -> None:
    """Topographic amplification (frequency-scaled curvature) and Vs30 rasters from a DEM."""
    from geohazard.landslide.amplification import amplification_geotiff
    from geohazard.landslide.raster import read_preview

    check_flag("vs_mps", vs, "--vs")
    check_flag("freq_hz", freq, "--freq")
    check_flag("tile", tile, "--tile")
    check_choice(tectonic, ("active", "stable"), "--tectonic")
    with _progress("amplification") as bar, cli_terms({"tile": "--tile"}):
        task = bar.add_task("windows", total=None)
        res = amplification_geotiff(dem, out, vs, freq, vs30_path=vs30, tectonic=tectonic,
                                    tile=tile,
                                    progress=lambda d, t: bar.update(task, completed=d,
                                                                     total=t))
    if report:
        from geohazard.report.landslide_themes import write_causes_report

        write_causes_report(out, res.stats, read_preview(res.paths["amplification"]))
    figures = {k: v for k, v in res.stats.items() if k != "relation"}
    figures.update(relation_verified=res.stats["relation"]["verified"],
                   relation_gain=res.stats["relation"]["gain"], out=str(out))
    console.print(kv_table("Shaking amplification", figures))
    emit_json(json_out, figures)


def pga_relation(
    inventory: Annotated[Path, typer.Option("--inventory", help="Landslide polygons/points.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (CSV tables, figure).")],
    shakemap: Annotated[Path | None, typer.Option("--shakemap", help="ShakeMap grid.xml.")
                        ] = None,
    pga: Annotated[Path | None, typer.Option("--pga", help="PGA raster in g.")] = None,
    grid: Annotated[Path | None, typer.Option("--grid", help="Raster defining the grid "
                                              "(default: the PGA's).")] = None,
    amplification: AmpOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Landslide density and frequency ratio by PGA class, with and without amplification."""
    from geohazard.io_utils import atomic_path
    from geohazard.landslide.amplification import load_amplification
    from geohazard.landslide.checks import remove_new_dirs
    from geohazard.landslide.inventory import inventory_rasters, read_inventory
    from geohazard.landslide.raster import read_raster
    from geohazard.landslide.shaking_relation import pga_landslide_relation

    ref = read_raster(grid, crs="EPSG:4326") if grid is not None else None
    if ref is None and pga is not None:
        ref = read_raster(pga, crs="EPSG:4326", units="g")
    if ref is None and shakemap is not None:
        from geohazard.landslide.shakemap import read_shakemap_grid

        ref = read_shakemap_grid(shakemap).layer("pga")
    if ref is None:
        raise ParameterError("give exactly one of --shakemap and --pga")
    pga_da, _, _ = _ground_motion_inputs(ref, shakemap, pga, None)
    amp = None
    if amplification is not None:
        _amp_file(amplification)
        amp, _ = load_amplification(amplification)
    inv = inventory_rasters(read_inventory(inventory), ref)
    rel = pga_landslide_relation(pga_da, inv, amplification=amp)
    with remove_new_dirs(out):
        ensure_dir(out)
        for name, t in rel.tables.items():
            with atomic_path(out / f"pga_classes_{name.split()[0]}.csv", suffix=".csv") as tmp:
                t.to_csv(tmp, index=False)
        _pga_figure(rel, out)
    d = rel.to_dict()
    console.print(kv_table("PGA-landslide relation", {f"spearman ({k})": v for k, v in
                                                      d["spearman"].items()}))
    emit_json(json_out, {**d, "out": str(out)})


def _pga_figure(rel: Any, out: Path) -> None:
    import matplotlib.pyplot as plt

    from geohazard.plotting.landslide_causes import plot_pga_relation
    from geohazard.report.landslide_themes import save_figure

    fig, ax = plt.subplots(figsize=(8, 4))
    plot_pga_relation(rel.tables, ax=ax)
    save_figure(fig, out / "pga_relation.png")
    plt.close(fig)


def modes(
    inventory: Annotated[Path, typer.Option("--inventory", help="Landslide polygons (any "
                                            "vector format).")],
    dem: Annotated[Path, typer.Option("--dem", help="DEM raster, metres.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    label_col: Annotated[str | None, typer.Option("--label-col", help="Column of known modes "
                                                  "to train a classifier on.")] = None,
    folds: Annotated[int, typer.Option("--folds", help="Blocked CV folds.")] = 5,
    seed: SeedOpt = 0,
    report: ReportOpt = True,
    json_out: JsonOpt = None,
) -> None:
    """Classify landslides as fall, slide, avalanche or deformation (Hungr et al. 2014)."""
    from geohazard.io_utils import atomic_path
    from geohazard.landslide.checks import remove_new_dirs
    from geohazard.landslide.inventory import read_inventory
    from geohazard.landslide.modes import run_modes

    check_flag("n_folds", folds, "--folds")
    check_flag("seed", seed, "--seed")
    if not dem.exists():
        from geohazard.exceptions import DataFileNotFoundError

        raise DataFileNotFoundError(f"DEM not found: {dem}")
    with cli_terms({"n_folds": "--folds"}):
        res = run_modes(read_inventory(inventory), dem, label_col=label_col, n_folds=folds,
                        rng=seed)
    with remove_new_dirs(out):
        ensure_dir(out)
        with atomic_path(out / "modes.gpkg", suffix=".gpkg") as tmp:
            res.table.to_file(tmp, driver="GPKG", layer="modes")
        with atomic_path(out / "modes_summary.csv", suffix=".csv") as tmp:
            res.summary.to_csv(tmp, index=False)
        if report:
            from geohazard.report.landslide_themes import write_modes_report

            write_modes_report(out, res)
    counts = {r.mode: {"count": int(r.count), "area_km2": float(r.area_km2)}
              for r in res.summary.itertuples()}
    figures: dict[str, Any] = {"n_landslides": len(res.table), "modes": counts,
                               "rules": res.rules, "out": str(out)}
    if res.cv is not None:
        figures["classifier"] = res.cv.to_dict()
    console.print(kv_table("Landslide modes", {k: v["count"] for k, v in counts.items()}))
    emit_json(json_out, figures)


def evolution(
    files: Annotated[list[Path], typer.Argument(
        help="Activity table (CSV) or multi-temporal inventory (vector file with a "
        "date/year column); several files (one inventory per date) are merged.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    time_col: Annotated[str | None, typer.Option("--time-col", help="Date or year column.")
                        ] = None,
    value_col: Annotated[str | None, typer.Option("--value-col", help="Activity column "
                                                  "(count, area_km2, ...).")] = None,
    event_date: Annotated[str | None, typer.Option("--event-date", help="Earthquake date, "
                                                   "e.g. 2005-10-08.")] = None,
    background: Annotated[float | None, typer.Option("--background", help="Known background "
                                                     "activity (default: pre-event mean).")
                          ] = None,
    recovery_fraction: Annotated[float, typer.Option("--recovery-fraction", help="Recovered "
                                                     "when the excess is this fraction of the "
                                                     "background.")] = 0.1,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap refits.")] = 200,
    seed: SeedOpt = 0,
    report: ReportOpt = True,
    json_out: JsonOpt = None,
) -> None:
    """Fit exponential and power-law decay of landslide activity back to the background."""
    from geohazard.landslide.evolution import fit_evolution, read_activities
    from geohazard.landslide.recovery import published_recovery_times

    for name, value, flag in (("recovery_fraction", recovery_fraction, "--recovery-fraction"),
                              ("n_boot", n_boot, "--n-boot"), ("seed", seed, "--seed"),
                              ("background", background, "--background")):
        check_flag(name, value, flag)
    ev = _event_date(event_date)
    series = read_activities(files, time_col, value_col)
    with console.status("fitting decay (bootstrap)"):
        res = fit_evolution(series, ev, background=background,
                            recovery_fraction=recovery_fraction, n_boot=n_boot, rng=seed)
    published = published_recovery_times()
    _write_evolution(out, res, published, report)
    d = res.to_dict()
    d["published"] = published.to_dict(orient="records")
    d["out"] = str(out)
    console.print(kv_table("Landslide activity decay", {
        "best model": d["best_model"],
        "decay time (yr)": d["decay_time_years"]["value"],
        "± (yr)": d["decay_time_years"]["std"],
        "recovery time (yr)": d["recovery_time_years"]["value"],
        "± (yr) ": d["recovery_time_years"]["std"]}))
    emit_json(json_out, d)


def _event_date(text: str | None) -> Any:
    if text is None:
        return None
    import pandas as pd

    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"--event-date must be a date such as 2005-10-08, got "
                             f"{text!r}") from exc


def _write_evolution(out: Path, res: Any, published: Any, report: bool) -> None:
    import numpy as np

    from geohazard.io_utils import atomic_path
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

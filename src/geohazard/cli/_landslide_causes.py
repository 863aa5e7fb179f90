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
    _progress,
    check_choice,
    check_flag,
    cli_terms,
)
from geohazard.exceptions import ParameterError

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
    from geohazard.workflows.landslide import amplification_job

    check_flag("vs_mps", vs, "--vs")
    check_flag("freq_hz", freq, "--freq")
    check_flag("tile", tile, "--tile")
    check_choice(tectonic, ("active", "stable"), "--tectonic")
    with _progress("amplification") as bar, cli_terms({"tile": "--tile"}):
        task = bar.add_task("windows", total=None)
        figures = amplification_job(dem, out, vs, freq, vs30=vs30, tectonic=tectonic,
                                    tile=tile, report=report,
                                    progress=lambda d, t: bar.update(task, completed=d,
                                                                     total=t))
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
    from geohazard.workflows.landslide import pga_relation_job

    with cli_terms({"amplification": "--amplification"}):
        d = pga_relation_job(inventory, out, shakemap=shakemap, pga=pga, grid=grid,
                             amplification=amplification)
    console.print(kv_table("PGA-landslide relation", {f"spearman ({k})": v for k, v in
                                                      d["spearman"].items()}))
    emit_json(json_out, d)


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
    from geohazard.workflows.landslide import modes_job

    check_flag("n_folds", folds, "--folds")
    check_flag("seed", seed, "--seed")
    with cli_terms({"n_folds": "--folds"}):
        figures, _ = modes_job(inventory, dem, out, label_col=label_col, n_folds=folds,
                               rng=seed, report=report)
    console.print(kv_table("Landslide modes", {k: v["count"] for k, v in
                                               figures["modes"].items()}))
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
    from geohazard.workflows.landslide import evolution_job

    for name, value, flag in (("recovery_fraction", recovery_fraction, "--recovery-fraction"),
                              ("n_boot", n_boot, "--n-boot"), ("seed", seed, "--seed"),
                              ("background", background, "--background")):
        check_flag(name, value, flag)
    ev = _event_date(event_date)
    with console.status("fitting decay (bootstrap)"):
        d, _, _ = evolution_job(files, out, event_date=ev, time_col=time_col,
                                value_col=value_col, background=background,
                                recovery_fraction=recovery_fraction, n_boot=n_boot, rng=seed,
                                report=report)
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

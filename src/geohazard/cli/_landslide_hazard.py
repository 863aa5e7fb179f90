"""``geohazard landslide`` hazard commands: ``newmark``, ``usgs-global``, ``scenario``, ``scaling``.

Kept apart from the susceptibility commands; :func:`register` attaches them to the
``landslide`` Typer app defined in :mod:`geohazard.cli.landslide`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table
from geohazard.exceptions import GeohazardError, ParameterError


@contextlib.contextmanager
def cli_terms(flags: dict[str, str]) -> Iterator[None]:
    """Reword library errors in CLI terms: ``friction_deg`` becomes ``--friction``.

    ``flags`` maps a library argument name (or ``"crs="``) to its flag. Only whole names are
    replaced (not inside file names or paths); the error keeps its type.
    """
    try:
        yield
    except GeohazardError as exc:
        msg = str(exc)
        new = msg
        for name, flag in flags.items():
            new = re.sub(rf"(?<![\w/.\-]){re.escape(name)}(?![\w/\-]|\.\w)", flag, new)
        if new == msg:
            raise
        try:
            renamed = type(exc)(new)
        except TypeError:  # an exception type with another signature: keep it as it is
            raise exc from None
        raise renamed from exc


def check_flag(name: str, value: Any, flag: str) -> Any:
    """Check a flag's value against the physical range of library parameter ``name``."""
    from geohazard.landslide.checks import check_param

    if value is not None:
        check_param(name, value, flag)
    return value


def check_choice(value: str, choices: tuple[str, ...], flag: str) -> str:
    """Refuse a value that is not one of ``choices``, naming the flag."""
    if value not in choices:
        raise ParameterError(f"{flag} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _progress(title: str):  # noqa: ANN202
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(title), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeRemainingColumn(), console=console, transient=True)


AmpOpt = Annotated[Path | None, typer.Option(
    "--amplification", help="Folder written by `geohazard landslide amplification`: "
    "PGA and PGV are multiplied by its topographic factor.")]


_USGS_FLAGS = {"slope_units": "--slope-units", "block_rows": "--block-rows",
               "pga_threshold_g": "--pga-threshold"}


def usgs_global(
    shakemap: Annotated[Path, typer.Option("--shakemap", help="ShakeMap grid.xml.")],
    lithology: Annotated[Path, typer.Option("--lithology", help="GLiM coefficient raster.")],
    landcover: Annotated[Path, typer.Option("--landcover", help="GlobCover coefficients.")],
    slope: Annotated[Path, typer.Option("--slope", help="Slope raster (defines the grid).")],
    cti: Annotated[Path, typer.Option("--cti", help="Compound topographic index grid.")],
    out: Annotated[Path, typer.Option("--out", help="Areal coverage GeoTIFF to write.")],
    slope_units: Annotated[str, typer.Option(
        "--slope-units", help="gradient, degrees, percent or degrees*100.")] = "gradient",
    block_rows: Annotated[int | None, typer.Option(
        "--block-rows", help="Rows per window (bounded memory); default: in memory.")] = None,
    pga_threshold: Annotated[float, typer.Option(
        "--pga-threshold", help="PGA threshold (g) of the aggregate statistics.")] = 0.1,
    amplification: AmpOpt = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="serial or dask (a local cluster of worker processes).")] = "serial",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786): blocks of "
        "--block-rows rows (default 256) run as tasks on its workers, which read the "
        "inputs at the same paths.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """USGS global landslide model (Nowicki Jessee et al. 2018, operational version)."""
    from geohazard.distributed import check_scheduler
    from geohazard.landslide.usgs import SLOPE_UNITS
    from geohazard.workflows.landslide import usgs_job

    check_choice(slope_units, SLOPE_UNITS, "--slope-units")
    check_choice(engine, ("serial", "dask"), "--engine")
    try:
        check_scheduler(scheduler)
    except ParameterError as exc:
        raise ParameterError(f"--scheduler: {exc}") from None
    check_flag("block_rows", block_rows, "--block-rows")
    check_flag("pga_threshold_g", pga_threshold, "--pga-threshold")
    with _progress("Nowicki Jessee 2018") as bar, cli_terms(_USGS_FLAGS):
        task = bar.add_task("rows", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with cli_terms({"amplification": "--amplification"}):
            run = usgs_job(shakemap, lithology, landcover, slope, cti, out,
                           amplification=amplification, scheduler=scheduler, engine=engine,
                           block_rows=block_rows, slope_units=slope_units,
                           pga_threshold_g=pga_threshold, progress=tick)
    stats = run.figures
    rows = {k: stats[k] for k in ("event", "magnitude", "hagg_km2", "alert",
                                  "max_coverage", "n_cells")}
    console.print(kv_table("USGS global landslide model", {**rows, "out": str(out)}))
    emit_json(json_out, stats)


_NEWMARK_FLAGS = {"cohesion_kpa": "--cohesion", "friction_deg": "--friction",
                  "thickness_m": "--thickness", "unit_weight": "--unit-weight",
                  "saturation": "--saturation", "model": "--model",
                  "the earthquake magnitude": "the earthquake magnitude (--magnitude)"}


def newmark(
    slope: Annotated[Path, typer.Option("--slope", help="Slope raster in degrees.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the GeoTIFFs.")],
    shakemap: Annotated[Path | None, typer.Option("--shakemap", help="ShakeMap grid.xml "
                                                  "(PGA, PGV, magnitude).")] = None,
    pga: Annotated[Path | None, typer.Option("--pga", help="PGA raster in g.")] = None,
    cohesion: Annotated[float, typer.Option("--cohesion", help="Cohesion, kPa.")] = 10.0,
    friction: Annotated[float, typer.Option("--friction", help="Friction angle, deg.")] = 30.0,
    thickness: Annotated[float, typer.Option("--thickness", help="Slab thickness, m.")] = 2.4,
    unit_weight: Annotated[float, typer.Option("--unit-weight", help="kN/m^3.")] = 15.7,
    saturation: Annotated[float, typer.Option("--saturation", help="Saturated "
                                              "proportion m (0-1).")] = 0.0,
    model: Annotated[str, typer.Option("--model", help="jibson2007, jibson2007_m, "
                                       "saygili_rathje2008, saygili_rathje2008_pgv, "
                                       "bray_travasarou2007.")] = "jibson2007",
    magnitude: Annotated[float | None, typer.Option("--magnitude", help="Mw (default: "
                                                    "from the ShakeMap).")] = None,
    amplification: AmpOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Infinite-slope Newmark analysis: FS, critical acceleration, displacement, P(failure)."""
    from geohazard.landslide.newmark import DISPLACEMENT_MODELS
    from geohazard.workflows.landslide import newmark_job

    check_choice(model, DISPLACEMENT_MODELS, "--model")
    for name, value, flag in (("cohesion_kpa", cohesion, "--cohesion"),
                              ("friction_deg", friction, "--friction"),
                              ("thickness_m", thickness, "--thickness"),
                              ("unit_weight", unit_weight, "--unit-weight"),
                              ("saturation", saturation, "--saturation"),
                              ("magnitude", magnitude, "--magnitude")):
        check_flag(name, value, flag)
    with cli_terms({**_NEWMARK_FLAGS, "amplification": "--amplification"}):
        run = newmark_job(slope, out, shakemap=shakemap, pga=pga, magnitude=magnitude,
                          amplification=amplification, cohesion_kpa=cohesion,
                          friction_deg=friction, thickness_m=thickness,
                          unit_weight=unit_weight, saturation=saturation, model=model)
    console.print(kv_table("Newmark analysis", run.figures))
    emit_json(json_out, run.figures)


def scenario(
    magnitude: Annotated[float, typer.Option("--magnitude", help="Moment magnitude.")],
    trace: Annotated[str, typer.Option("--trace", help="'lon,lat;lon,lat;...' top edge.")],
    dip: Annotated[float, typer.Option("--dip", help="Dip, degrees, to the right of the "
                                       "trace direction.")],
    grid: Annotated[Path, typer.Option("--grid", help="Raster defining the output grid "
                                       "(e.g. the DEM or slope).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    rake: Annotated[float, typer.Option("--rake", help="Rake, degrees.")] = 90.0,
    ztor: Annotated[float, typer.Option("--ztor", help="Top depth, km.")] = 0.0,
    width: Annotated[float | None, typer.Option("--width", help="Down-dip width, km.")] = None,
    vs30: Annotated[Path | None, typer.Option("--vs30", help="Vs30 raster, m/s.")] = None,
    slope: Annotated[Path | None, typer.Option("--slope", help="Slope gradient (m/m) for "
                                               "Vs30 from slope.")] = None,
    gmpe: Annotated[str, typer.Option("--gmpe", help="ASK14, BSSA14, CB14 or CY14.")] = "ASK14",
    amplification: AmpOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Scenario PGA and PGV rasters from a finite rupture (NGA-West2 model from pygmm)."""
    from geohazard.landslide.groundmotion import GMPES, Rupture, parse_trace
    from geohazard.workflows.landslide import scenario_job

    check_choice(gmpe.upper(), GMPES, "--gmpe")
    for name, value, flag in (("magnitude", magnitude, "--magnitude"), ("dip", dip, "--dip"),
                              ("rake", rake, "--rake"), ("ztor", ztor, "--ztor"),
                              ("width", width, "--width")):
        check_flag(name, value, flag)
    with cli_terms({"trace": "--trace", "ztor": "--ztor"}):
        rup = Rupture(magnitude, tuple(parse_trace(trace)), dip, rake, ztor, width)
    with _progress(f"{gmpe} scenario") as bar, \
            cli_terms({"amplification": "--amplification"}):
        task = bar.add_task("cells", total=None)
        run = scenario_job(rup, grid, out, vs30=vs30, slope=slope, gmpe=gmpe,
                           amplification=amplification,
                           progress=lambda d, t: bar.update(task, completed=d, total=t))
    console.print(kv_table("Scenario shaking", run.figures))
    emit_json(json_out, run.figures)


def scaling(
    events: Annotated[Path | None, typer.Option("--events", help="Event CSV (mw, "
                                                "n_landslides, area_km2, volume_km3); "
                                                "default: the reviewed Tibetan events.")] = None,
    magnitude: Annotated[float | None, typer.Option("--magnitude", help="Also predict "
                                                    "for this Mw.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Fit log10 N, area and volume = a*M + b and compare with literature relations."""
    from geohazard.landslide.scaling import (
        LITERATURE,
        fit_event_table,
        load_events,
        load_reviewed_events,
    )

    check_flag("magnitude", magnitude, "--magnitude")
    df = load_reviewed_events() if events is None else load_events(events)
    fits = fit_event_table(df)
    out: dict[str, Any] = {"n_events": len(df), "fits": {}, "literature": {}}
    for q, f in fits.items():
        if f is None:
            console.print(f"[yellow]{q}: fewer than 3 events with values; not fitted[/]")
            continue
        row = f.to_dict()
        if magnitude is not None:
            pr = f.predict(magnitude)
            row.update({"predict_mw": magnitude, "median": float(pr["median"]),
                        "lower95": float(pr["lower"]), "upper95": float(pr["upper"])})
        out["fits"][q] = row
        console.print(kv_table(f"log10 {q} = a M + b", row))
    for key, rel in LITERATURE.items():
        out["literature"][key] = {"slope": rel.slope, "intercept": rel.intercept,
                                  "source": rel.source, "verified": rel.verified}
        if magnitude is not None:
            out["literature"][key]["predict"] = float(rel.predict(magnitude))
    emit_json(json_out, out)


def register(app: typer.Typer) -> None:
    """Attach the hazard commands to the ``landslide`` app."""
    from geohazard.cli import _landslide_causes as causes

    app.command("amplification")(causes.amplification)
    app.command("pga-relation")(causes.pga_relation)
    app.command("modes")(causes.modes)
    app.command("evolution")(causes.evolution)
    app.command("usgs-global")(usgs_global)
    app.command("newmark")(newmark)
    app.command("scenario")(scenario)
    app.command("scaling")(scaling)

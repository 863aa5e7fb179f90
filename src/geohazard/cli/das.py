"""``geohazard das``: storm-noise analysis of DAS files and synthetic storms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table

app = typer.Typer(help="DAS storm noise: band energy, weather relations, sources.",
                  no_args_is_help=True)

SeedOpt = Annotated[int | None, typer.Option("--seed",
                                             help="Random seed >= 0 (reproducible runs).")]
# AnalysisConfig key -> the flag that sets it (errors name the flag the user typed)
_FLAGS = {"window_s": "--window", "bands": "--bands", "spacing_m": "--spacing",
          "robust": "--robust", "event_gap_s": "--event-gap", "engine": "--engine",
          "db": "--db", "channel_offset": "--channel-offset", "n_workers": "--workers",
          "fft_workers": "--fft-threads", "live": "--live", "skip_unknown": "--skip-unknown",
          "scheduler": "--scheduler"}
_CONFIG_KEY = re.compile(r"config key '([A-Za-z_]+)[^']*': (.*)")


def _load_config(config: Path | None, flags: dict[str, Any]):  # noqa: ANN202
    """:class:`AnalysisConfig` from ``--config`` and flags; errors name the flag."""
    from geohazard.das.pipeline import AnalysisConfig
    from geohazard.exceptions import InputError, ParameterError

    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return AnalysisConfig.load(config, **given)
    except InputError as exc:
        m = _CONFIG_KEY.search(str(exc))
        if m and m.group(1) in given and m.group(1) in _FLAGS:
            value = given[m.group(1)]
            shown = value if not isinstance(value, float) else f"{value:g}"
            raise ParameterError(f"{_FLAGS[m.group(1)]} {shown}: {m.group(2)}") from None
        raise


def _check_json(path: Path | None) -> None:
    """Refuse a ``--json`` path that cannot be written, before any work is done."""
    from geohazard.exceptions import ParameterError

    if path is None:
        return
    if path.is_dir():
        raise ParameterError(f"--json {path}: is a directory; give a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(f"--json {path}: {parent} is a file, not a directory")
            break


def _progress(title: str):  # noqa: ANN202
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(title), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeRemainingColumn(), console=console, transient=True)


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="DAS file or directory (any DASCore format).")],
    weather: Annotated[Path, typer.Option("--weather", help="Weather file (CSV, ASOS "
                                          "one-minute DSI-6405 or ISD-Lite).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (resumable).")],
    geometry: Annotated[Path | None, typer.Option("--geometry", help="Geometry CSV.")] = None,
    precip: Annotated[Path | None, typer.Option(
        "--asos-precip", help="ASOS DSI-6406 precipitation file beside --weather.")] = None,
    weather_format: Annotated[str, typer.Option("--weather-format",
                                                help="auto, csv, asos or isd.")] = "auto",
    config: Annotated[Path | None, typer.Option("--config", help="YAML/TOML settings.")] = None,
    window: Annotated[float | None, typer.Option("--window", help="Window length, s.")] = None,
    bands: Annotated[str | None, typer.Option("--bands", help="e.g. 0.5-8,2-8,8-125")] = None,
    spacing: Annotated[float | None, typer.Option("--spacing", help="Channel spacing, m, "
                                                  "for files without one.")] = None,
    robust: Annotated[bool | None, typer.Option("--robust/--ols", help="Huber fits.")] = None,
    event_gap: Annotated[float | None, typer.Option("--event-gap", help="Dry time "
                                                    "separating storm events, s.")] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="serial or dask (a local "
                                               "cluster of --workers processes).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786): chunks of files run "
        "as tasks on its workers, which read the files at the same paths.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes of the "
                                                "local cluster with --engine dask.")] = None,
    fft_threads: Annotated[int | None, typer.Option("--fft-threads",
                                                    help="Threads per window (channel blocks in "
                                                         "parallel).")] = None,
    db: Annotated[bool | None, typer.Option("--db/--no-db", help="Also write energy in "
                                            "dB.")] = None,
    live: Annotated[bool | None, typer.Option(
        "--live/--final", help="Data still arriving: leave an incomplete last window for "
        "the next run.")] = None,
    channel_offset: Annotated[int | None, typer.Option(
        "--channel-offset", help="Geometry channel number of data channel 0.")] = None,
    time_col: Annotated[str | None, typer.Option("--time-col", help="CSV time column.")] = None,
    wind_col: Annotated[str | None, typer.Option("--wind-col", help="CSV wind column.")] = None,
    gust_col: Annotated[str | None, typer.Option("--gust-col", help="CSV gust column.")] = None,
    precip_col: Annotated[str | None, typer.Option("--precip-col",
                                                   help="CSV precipitation column.")] = None,
    wind_units: Annotated[str | None, typer.Option("--wind-units",
                                                   help="m/s, knots, mph, km/h.")] = None,
    precip_units: Annotated[str | None, typer.Option(
        "--precip-units", help="Unit of the CSV precipitation column: accumulation per row "
        "(mm, in) or rate (mm/h, in/h). Needed when the column name does not state it "
        "(precip_mm, rain_mm_per_h); never guessed.")] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="Zone of naive CSV times.")] = "UTC",
    skip_unknown: Annotated[bool | None, typer.Option(
        "--skip-unknown/--strict", help="Leave out (with a warning) files in the directory "
        "that are not readable DAS data; by default they are an error.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Band energy, wind and rain relations and noise sources along the fiber.

    Every input (DAS files, weather, geometry, settings) is checked before the first
    file is written; an interrupted run resumes from its energy store.
    """
    from geohazard.das.energy import parse_bands
    from geohazard.das.weather import WeatherColumns, parse_precip_units, read_weather
    from geohazard.workflows.das import analyze_storm

    _check_json(json_out)
    cfg = _load_config(config, {
        "window_s": window, "bands": parse_bands(bands) if bands is not None else None,
        "spacing_m": spacing, "robust": robust, "event_gap_s": event_gap, "engine": engine,
        "db": db, "channel_offset": channel_offset, "n_workers": workers,
        "fft_workers": fft_threads, "live": live, "skip_unknown": skip_unknown,
        "scheduler": scheduler})
    if precip_units is not None:
        parse_precip_units(precip_units)
    columns = WeatherColumns(time=time_col, wind=wind_col, gust=gust_col, precip=precip_col,
                             wind_units=wind_units, precip_units=precip_units,
                             timezone=timezone)
    wx: Path | object = weather
    if precip is not None:  # ASOS page 1 (wind) + page 2 (precipitation)
        wx = read_weather(weather, "asos", precip_path=precip)
    with _progress("band energy") as bar:
        task = bar.add_task("energy", total=None)
        res = analyze_storm(path, wx, out, geometry, cfg, weather_format=weather_format,
                            weather_columns=columns,
                            progress=lambda d, t: bar.update(task, completed=d, total=t))
    s = res.summary
    console.print(kv_table("DAS storm noise", {
        "files": s["n_files"], "channels": s["n_channels"], "windows": s["n_windows"],
        "band energy (x real time)": s["energy_x_realtime"], "classes": s["window_classes"],
        "pole channels": s["pole_channels"], "drain channels": s["drain_channels"],
        "events": len(s["events"]), "report": s.get("report", "-")}))
    emit_json(json_out, s)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    preset: Annotated[str, typer.Option("--preset", help="test, demo or paper.")] = "test",
    seed: SeedOpt = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace a simulation with other settings in --out.")] = False,
    json_out: JsonOpt = None,
) -> None:
    """Synthetic storms: FORESEE-layout HDF5 files, weather CSV and truth JSON."""
    from geohazard.das.synthetic import preset as make_preset
    from geohazard.das.synthetic import simulate_storms

    _check_json(json_out)
    cfg = make_preset(preset)
    with _progress("simulating") as bar:
        task = bar.add_task("sim", total=None)
        res = simulate_storms(out, cfg, rng=seed, overwrite=overwrite,
                              progress=lambda d, t: bar.update(task, completed=d, total=t))
    summary = {"files": len(res.files), "das_dir": str(out / "das"),
               "weather_csv": str(res.weather_csv), "truth_json": str(res.truth_json),
               "window_s": cfg.window_s, "pole_centres": [p.center for p in cfg.poles],
               "drain_centres": [d.center for d in cfg.drains],
               "geometry_csv": str(res.geometry_csv),
               "analyze": f"geohazard das analyze {out / 'das'} --weather {res.weather_csv} "
                          f"--geometry {res.geometry_csv} --out {out / 'analysis'} "
                          f"--window {cfg.window_s:g} "
                          f"--event-gap {cfg.dry_gap * cfg.window_s / 2:g}"}
    console.print(kv_table("synthetic storms", summary))
    emit_json(json_out, summary)

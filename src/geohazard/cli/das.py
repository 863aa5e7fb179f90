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
          "scheduler": "--scheduler", "crs": "--crs"}
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


# options of ``das analyze``, one line each in its signature
WeatherOpt = Annotated[Path, typer.Option("--weather", help="Weather file (CSV, ASOS one-minute "
                                          "DSI-6405 or ISD-Lite).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output directory (resumable).")]
GeometryOpt = Annotated[Path | None, typer.Option("--geometry", help="Geometry CSV.")]
PrecipOpt = Annotated[Path | None, typer.Option(
    "--asos-precip", help="ASOS DSI-6406 precipitation file beside --weather.")]
FormatOpt = Annotated[str, typer.Option("--weather-format", help="auto, csv, asos or isd.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="YAML/TOML settings.")]
WindowOpt = Annotated[float | None, typer.Option("--window", help="Window length, s.")]
BandsOpt = Annotated[str | None, typer.Option("--bands", help="e.g. 0.5-8,2-8,8-125")]
SpacingOpt = Annotated[float | None, typer.Option(
    "--spacing", help="Channel spacing, m, for files without one.")]
RobustOpt = Annotated[bool | None, typer.Option("--robust/--ols", help="Huber fits.")]
GapOpt = Annotated[float | None, typer.Option(
    "--event-gap", help="Dry time separating storm events, s.")]
EngineOpt = Annotated[str | None, typer.Option(
    "--engine", help="serial or dask (a local cluster of --workers processes).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address (tcp://host:8786): chunks of files run "
    "as tasks on its workers, which read the files at the same paths.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Worker processes of the local cluster with --engine dask.")]
ThreadsOpt = Annotated[int | None, typer.Option(
    "--fft-threads", help="Threads per window (channel blocks in parallel).")]
DbOpt = Annotated[bool | None, typer.Option("--db/--no-db", help="Also write energy in dB.")]
LiveOpt = Annotated[bool | None, typer.Option(
    "--live/--final", help="Data still arriving: leave an incomplete last window for the "
    "next run.")]
OffsetOpt = Annotated[int | None, typer.Option(
    "--channel-offset", help="Geometry channel number of data channel 0.")]
CrsOpt = Annotated[str | None, typer.Option(
    "--crs", help="CRS of projected x/y geometry, e.g. EPSG:32611 (for channels.gpkg; "
    "longitude/latitude are EPSG:4326).")]
TimeColOpt = Annotated[str | None, typer.Option("--time-col", help="CSV time column.")]
WindColOpt = Annotated[str | None, typer.Option("--wind-col", help="CSV wind column.")]
GustColOpt = Annotated[str | None, typer.Option("--gust-col", help="CSV gust column.")]
PrecipColOpt = Annotated[str | None, typer.Option("--precip-col",
                                                  help="CSV precipitation column.")]
WindUnitsOpt = Annotated[str | None, typer.Option("--wind-units",
                                                  help="m/s, knots, mph, km/h.")]
PrecipUnitsOpt = Annotated[str | None, typer.Option(
    "--precip-units", help="Unit of the CSV precipitation column: accumulation per row "
    "(mm, in) or rate (mm/h, in/h). Needed when the column name does not state it "
    "(precip_mm, rain_mm_per_h); never guessed.")]
TimezoneOpt = Annotated[str, typer.Option("--timezone", help="Zone of naive CSV times.")]
SkipOpt = Annotated[bool | None, typer.Option(
    "--skip-unknown/--strict", help="Leave out (with a warning) files in the directory "
    "that are not readable DAS data; by default they are an error.")]


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="DAS file or directory (any DASCore format).")],
    weather: WeatherOpt, out: OutOpt, geometry: GeometryOpt = None, precip: PrecipOpt = None,
    weather_format: FormatOpt = "auto", config: ConfigOpt = None, window: WindowOpt = None,
    bands: BandsOpt = None, spacing: SpacingOpt = None, robust: RobustOpt = None,
    event_gap: GapOpt = None, engine: EngineOpt = None, scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None, fft_threads: ThreadsOpt = None, db: DbOpt = None,
    live: LiveOpt = None, channel_offset: OffsetOpt = None, crs: CrsOpt = None,
    time_col: TimeColOpt = None, wind_col: WindColOpt = None, gust_col: GustColOpt = None,
    precip_col: PrecipColOpt = None, wind_units: WindUnitsOpt = None,
    precip_units: PrecipUnitsOpt = None, timezone: TimezoneOpt = "UTC",
    skip_unknown: SkipOpt = None, json_out: JsonOpt = None,
) -> None:
    """Band energy, wind and rain relations and noise sources along the fiber.

    Every input (DAS files, weather, geometry, settings) is checked before the first
    file is written; an interrupted run resumes from its energy store.
    """
    from geohazard.das.energy import parse_bands
    from geohazard.workflows.das import analyze_storm, summary_rows

    _check_json(json_out)
    cfg = _load_config(config, {
        "window_s": window, "bands": parse_bands(bands) if bands is not None else None,
        "spacing_m": spacing, "robust": robust, "event_gap_s": event_gap, "engine": engine,
        "db": db, "channel_offset": channel_offset, "n_workers": workers,
        "fft_workers": fft_threads, "live": live, "skip_unknown": skip_unknown,
        "scheduler": scheduler, "crs": crs})
    wx, columns = _weather(weather, precip, time_col, wind_col, gust_col, precip_col,
                           wind_units, precip_units, timezone)
    with _progress("band energy") as bar:
        task = bar.add_task("energy", total=None)
        res = analyze_storm(path, wx, out, geometry, cfg, weather_format=weather_format,
                            weather_columns=columns,
                            progress=lambda d, t: bar.update(task, completed=d, total=t))
    console.print(kv_table("DAS storm noise", dict(summary_rows(res.summary))))
    emit_json(json_out, res.summary)


def _weather(weather: Path, precip: Path | None, time_col: str | None, wind_col: str | None,
             gust_col: str | None, precip_col: str | None, wind_units: str | None,
             precip_units: str | None, timezone: str) -> tuple[Any, Any]:
    """The weather source (a path, or ASOS pages read together) and its column settings."""
    from geohazard.das.weather import WeatherColumns, parse_precip_units, read_weather

    if precip_units is not None:
        parse_precip_units(precip_units)
    columns = WeatherColumns(time=time_col, wind=wind_col, gust=gust_col, precip=precip_col,
                             wind_units=wind_units, precip_units=precip_units,
                             timezone=timezone)
    if precip is not None:  # ASOS page 1 (wind) + page 2 (precipitation)
        return read_weather(weather, "asos", precip_path=precip), columns
    return weather, columns


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

"""``geohazard forecast``: issue, backtest and evaluate forecasts; ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import (
    EngineOpt,
    JsonOpt,
    SchedulerOpt,
    check_cluster_flags,
    console,
    emit_json,
    kv_table,
)
from geohazard.cli._forecast_flags import (  # noqa: F401 - re-exported for other commands
    AllowExtrapolationOpt,
    ArchiveOpt,
    CatalogOpt,
    CheckpointOpt,
    CsepOutOpt,
    DaysOpt,
    DhOpt,
    McOpt,
    MetaOpt,
    ModelConfigOpt,
    ModelOpt,
    ParamDrawsOpt,
    ReportOpt,
    SeedOpt,
    SpatialOpt,
    TaperDaysOpt,
    TestsOpt,
    apply_mc,
    check_output_dir,
    check_run_flags,
    forecast_start,
    model_settings,
)
from geohazard.report._format import probability

app = typer.Typer(help="Issue, archive, backtest and evaluate earthquake forecasts.",
                  no_args_is_help=True)


def fit_models(catalog, spec: str, fit_end, seed: int,  # noqa: ANN001
               checkpoint: Path | None = None) -> dict[str, tuple]:
    """Fit every model named in ``spec`` on the history before ``fit_end``, with a spinner."""
    from geohazard.workflows.forecast import fit_models as fit

    return fit(catalog, spec, fit_end, seed=seed, checkpoint=checkpoint, status=console.status)


def covered_observations(catalog, t0: float, t1: float):  # noqa: ANN001, ANN201
    """Event days in ``(t0, t1]``, None when the data do not cover the window."""
    from geohazard.workflows.forecast import covered_observations as covered

    return covered(catalog, t0, t1)


@app.command()
def issue(
    catalog: CatalogOpt,
    start: Annotated[str, typer.Option(help="Forecast start (UTC); all history before it.")],
    model: ModelOpt = "etas",
    days: DaysOpt = 14.0,
    samples: Annotated[int, typer.Option(help="Number of simulations.")] = 10_000,
    seed: SeedOpt = 0,
    checkpoint: CheckpointOpt = None,
    archive: ArchiveOpt = None,
    report: ReportOpt = None,
    mc: McOpt = None,
    spatial: SpatialOpt = False,
    dh: DhOpt = 0.05,
    meta: MetaOpt = None,
    json_out: JsonOpt = None,
    allow_extrapolation: AllowExtrapolationOpt = False,
    config: ModelConfigOpt = None,
    taper_days: TaperDaysOpt = None,
    param_draws: ParamDrawsOpt = None,
    csep_out: CsepOutOpt = None,
) -> None:
    """Simulate continuations after START conditioned on all history, per model."""
    from geohazard.catalog import read_catalog
    from geohazard.workflows.forecast import issue_job

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    dh=dh, outputs={"--archive": archive, "--report": report, "--json": json_out})
    check_output_dir(csep_out, "--csep-out")
    settings = model_settings(config, taper_days, param_draws)
    cat = apply_mc(read_catalog(catalog, sidecar=meta), mc)
    t_start = forecast_start(cat, start, allow_extrapolation)
    # a located run's region: around every event, before the workflow's Mc filter
    run = issue_job(cat, t_start, models=model, days=days, samples=samples, seed=seed,
                    checkpoint=checkpoint, archive=archive, report=report, spatial=spatial,
                    dh=dh, settings=settings, status=console.status, csep_out=csep_out)
    for fc in run.forecasts:
        out = run.summaries[fc.model]
        console.print(kv_table(f"forecast {fc.model}", {
            "window": f"{out['start']} to {out['end']}",
            "expected count": fc.expected_count(),
            **{f"P(M≥{m:g})": probability(p, fc.continuations.n_samples)
               for m, p in fc.prob_at_least_one().items()}}))
    for out in run.summaries.values():
        if "csep_file" in out:
            console.print(f"wrote {out['csep_file']} (pyCSEP catalog forecast)")
    if run.report is not None:
        console.print(f"wrote {report}")
    emit_json(json_out, run.summaries)


@app.command()
def backtest(
    catalog: CatalogOpt,
    model: ModelOpt = "poisson,etas",
    days: DaysOpt = 14.0,
    samples: Annotated[int, typer.Option(help="Simulations per window.")] = 2000,
    start: Annotated[str | None, typer.Option(help="Test start (default: the "
                                              "catalog's test split).")] = None,
    end: Annotated[str | None, typer.Option(help="Test end (default: catalog end).")] = None,
    seed: SeedOpt = 0,
    checkpoint: CheckpointOpt = None,
    archive: ArchiveOpt = None,
    report: ReportOpt = None,
    json_out: JsonOpt = None,
    spatial: SpatialOpt = False,
    dh: DhOpt = 0.05,
    meta: MetaOpt = None,
    config: ModelConfigOpt = None,
    taper_days: TaperDaysOpt = None,
    param_draws: ParamDrawsOpt = None,
    scheduler: SchedulerOpt = None,
    engine: EngineOpt = "serial",
) -> None:
    """Rolling forecasts across the test period, scored against what happened."""
    from rich.progress import Progress

    from geohazard.catalog import read_catalog
    from geohazard.distributed import open_client
    from geohazard.forecast.registry import above_mc
    from geohazard.workflows.forecast import backtest_job

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    dh=dh, outputs={"--archive": archive, "--report": report, "--json": json_out})
    check_cluster_flags(scheduler, engine)
    settings = model_settings(config, taper_days, param_draws)
    cat = read_catalog(catalog, sidecar=meta)
    if spatial:  # the testing region is the box around the events above Mc
        cat = above_mc(cat)
    t0, t1 = _backtest_span(cat, start, end, days)
    with open_client(scheduler, engine) as client, Progress(console=console) as prog:
        task = prog.add_task("windows", total=None)
        _, data = backtest_job(
            cat, t0, t1, models=model, days=days, samples=samples, seed=seed,
            checkpoint=checkpoint, archive=archive, report=report, spatial=spatial, dh=dh,
            settings=settings, status=console.status, client=client,
            progress=lambda done, total: prog.update(task, completed=done, total=total))
    console.print(kv_table("backtest", _backtest_rows(data)))
    if report is not None:
        console.print(f"wrote {report}")
    emit_json(json_out, data)


def _backtest_rows(data: dict) -> dict[str, object]:
    """The backtest's figures as table rows."""
    rows = {f"{k}: {f}": v for k, s in data["summaries"].items() for f, v in s.items()
            if f != "model"}
    rows.update({f"{k} wins": f"{v['wins']}/{v['windows']}"
                 for k, v in data["comparison"].items()})
    rows.update({f"info gain/event {k}": v
                 for k, v in data["information_gain_per_event"].items()})
    rows.update({f"{k} spatial: {f}": v for k, s in data.get("spatial_summaries", {}).items()
                 for f, v in s.items() if f.startswith(("pass_", "mean_"))})
    return rows


def _backtest_span(cat, start: str | None, end: str | None, days: float):  # noqa: ANN001, ANN202
    """Test period ``(t0, t1)``: inside the data, at least one ``--days`` window long."""
    import logging

    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError

    md = cat.metadata
    if start is None and md.test_start is None:
        raise InputError("--start: give a test start, or a catalog with a test split date")
    what = "--start" if start else "the test split start (sidecar 'test_start')"
    t0 = cat.check_covered(start if start else md.test_start, what)
    cover = cat.coverage_end
    t1 = to_utc(end, "--end") if end else cover
    if not t1 > t0:
        raise InputError(f"--end {t1} must be after {what} {t0}")
    if t1 > cover:
        logging.getLogger(__name__).warning(
            "--end %s is after the end of the data (%s): windows after it are not scored",
            t1, cover)
        t1 = cover
    if cat.day_of(t1) - cat.day_of(t0) < days - 1e-9:
        raise InputError(f"--days {days:g}: no window that long fits between {t0} and {t1} "
                         "(the test start and the end of the data or --end)")
    return t0, t1


@app.command()
def run(
    catalog: CatalogOpt,
    archive: Annotated[Path, typer.Option("--archive", help="Forecast archive (SQLite file "
                                                            "or SQLAlchemy URL).")],
    start: Annotated[str, typer.Option(help="First issue time (UTC).")],
    end: Annotated[str | None, typer.Option(help="Last issue time (default: end of data).")
                   ] = None,
    every: Annotated[float, typer.Option(help="Days between issue times.")] = 1.0,
    model: ModelOpt = "etas",
    days: DaysOpt = 14.0,
    samples: Annotated[int, typer.Option(help="Simulations per forecast.")] = 1000,
    fit_end: Annotated[str | None, typer.Option(
        help="Fit the models on history before this time (default: --start).")] = None,
    refit_every: Annotated[float | None, typer.Option(
        help="Refit every this many days from --start on the history before each refit "
             "(operational updating; default: fit once).")] = None,
    mc: McOpt = None,
    seed: SeedOpt = 0,
    checkpoint: CheckpointOpt = None,
    json_out: JsonOpt = None,
    config: ModelConfigOpt = None,
    taper_days: TaperDaysOpt = None,
    param_draws: ParamDrawsOpt = None,
    scheduler: SchedulerOpt = None,
    engine: EngineOpt = "serial",
) -> None:
    """Prospective loop: issue a forecast every --every days into the archive (resumable)."""
    from rich.progress import Progress

    from geohazard.catalog import read_catalog
    from geohazard.distributed import open_client
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.workflows.forecast import prospective_job

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    every=every, refit_every=refit_every,
                    outputs={"--archive": archive, "--json": json_out})
    check_cluster_flags(scheduler, engine)
    _check_refit_here(refit_every, scheduler, engine)
    settings = model_settings(config, taper_days, param_draws)
    cat = apply_mc(read_catalog(catalog), mc)
    t_start, t_last, t_fit = _run_times(cat, start, end, fit_end)
    store = ForecastArchive(archive)  # an existing one is checked now; a new one is created
    #                                   with the first forecast, so bad arguments leave none
    with open_client(scheduler, engine) as client, Progress(console=console) as prog:
        task = prog.add_task("issue times", total=None)
        result = prospective_job(
            cat, store, t_start, t_last, models=model, fit_end=t_fit, refit_every=refit_every,
            every=every, days=days, samples=samples, seed=seed, checkpoint=checkpoint,
            settings=settings, status=console.status, client=client,
            on_refit=lambda name, when: console.print(
                f"refitting {name} on history before {when}"),  # inside the progress
            progress=lambda done, total: prog.update(task, completed=done, total=total))
    console.print(f"issued {len(result.issued)} forecasts, {result.skipped} already archived, "
                  f"{result.issue_times.size} issue times, {result.seconds:.1f} s")
    emit_json(json_out, result.to_dict())


def _check_refit_here(refit_every: float | None, scheduler: str | None, engine: str) -> None:
    """--refit-every runs in this process: refuse it with a cluster."""
    from geohazard.exceptions import InputError

    if refit_every is not None and (scheduler is not None or engine != "serial"):
        raise InputError("--refit-every runs in this process: leave out --scheduler and "
                         "--engine dask")


def _run_times(cat, start: str, end: str | None, fit_end: str | None):  # noqa: ANN001, ANN202
    """``--start``, ``--end`` and ``--fit-end`` as UTC: in order, no fit on future data."""
    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError

    t_start = forecast_start(cat, start)
    t_last = to_utc(end, "--end") if end else None
    if t_last is not None and t_last < t_start:
        raise InputError(f"--end {t_last} is before --start {t_start}")
    t_fit = to_utc(fit_end, "--fit-end") if fit_end else t_start
    if t_fit > t_start:
        raise InputError(f"--fit-end {t_fit} is after --start {t_start}: forecasts would "
                         "use future data")
    return t_start, t_last, t_fit


@app.command()
def evaluate(
    catalog: CatalogOpt,
    archive: Annotated[Path, typer.Option("--archive", help="Forecast archive to evaluate.")],
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    store: Annotated[bool, typer.Option(help="Store new evaluations in the archive.")] = True,
    seed: SeedOpt = 0,
    report: ReportOpt = None,
    json_out: JsonOpt = None,
    tests: TestsOpt = None,
    dh: Annotated[float, typer.Option(
        "--dh", help="With --tests: grid cell size in degrees for located forecasts archived "
        "without their testing region.")] = 0.05,
) -> None:
    """Score every archived forecast whose window the catalog now covers."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.checks import check, check_output
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.archive_csep import parse_tests
    from geohazard.workflows.forecast import csep_tests_job, evaluate_job

    check(seed, "seed", "--seed")
    check(dh, "dh", "--dh")
    check_output(report, "--report")
    check_output(json_out, "--json")
    names = parse_tests(tests, "--tests") if tests is not None else None
    cat = read_catalog(catalog)
    if not Path(archive).exists() and "://" not in str(archive):
        from geohazard.exceptions import DataFileNotFoundError

        raise DataFileNotFoundError(f"--archive {archive}: no such archive")
    arch = ForecastArchive(archive)
    # the pyCSEP tests first: a counts-only forecast is refused before anything is stored
    rerun = csep_tests_job(cat, arch, names, model=model, dh=dh) if names else None
    result = evaluate_job(cat, arch, store=store, seed=seed, model=model,
                          report=report, title=f"prospective record {cat.metadata.name}")
    console.print(f"evaluated {len(result.rows)} archived forecasts ({result.newly_stored} new, "
                  f"{result.pending} waiting for observations)")
    rows = {f"{k}: {f}": v for k, s in result.summaries.items()
            for f, v in s.to_dict().items() if f != "model"}
    if rows:
        console.print(kv_table("prospective record", rows))
    data = result.to_dict()
    if rerun is not None:
        data["csep_tests"] = [r.to_dict() for r in rerun]
        console.print(kv_table("pyCSEP tests of archived forecasts", _csep_rows(data)))
    if report is not None:
        console.print(f"wrote {report}")
    emit_json(json_out, data)


def _csep_rows(data: dict) -> dict[str, object]:
    """One row per archived forecast and test: pyCSEP's quantiles and status."""
    rows: dict[str, object] = {}
    for r in data["csep_tests"]:
        for key, res in r.items():
            if key.endswith("_test"):
                q = ", ".join("-" if v != v else f"{v:.3g}" for v in res["quantile"])
                rows[f"{r['id']} {r['model']} {r['window_start'][:10]} {key}"] = \
                    f"quantiles {q} ({res['status']})"
    return rows or {"archived forecasts covered": 0}


from geohazard.cli._forecast_npp import npp  # noqa: E402  (EarthquakeNPP protocol, issue 16)

app.command("npp")(npp)

"""``geohazard forecast``: issue, backtest and evaluate forecasts; ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table

app = typer.Typer(help="Issue, archive, backtest and evaluate earthquake forecasts.",
                  no_args_is_help=True)

CatalogOpt = Annotated[Path, typer.Option("--catalog", help="Catalog with history.")]
ModelOpt = Annotated[str, typer.Option("--model", "--models",
                                       help="poisson, etas, recast, a comma list, or both.")]
ArchiveOpt = Annotated[Path | None, typer.Option(
    "--archive", help="SQLite file or SQLAlchemy URL of the forecast archive.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")]
DaysOpt = Annotated[float, typer.Option(help="Window length in days.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed.")]
CheckpointOpt = Annotated[Path | None, typer.Option(help="RECAST checkpoint (else trained).")]
McOpt = Annotated[float | None, typer.Option(
    "--mc", help="Magnitude of completeness: keep events above it (default: the sidecar's).")]
SpatialOpt = Annotated[bool, typer.Option(
    "--spatial/--no-spatial", help="Located models and pyCSEP's N, M, S and pseudo-likelihood "
    "tests on a lon/lat grid (needs longitude/latitude columns).")]
DhOpt = Annotated[float, typer.Option("--dh", help="Grid cell size in degrees (--spatial).")]
MetaOpt = Annotated[Path | None, typer.Option(
    "--meta", help="JSON sidecar with Mc and split dates (default: CATALOG.json if present).")]


AllowExtrapolationOpt = Annotated[bool, typer.Option(
    "--allow-extrapolation", help="Issue a forecast that starts after the end of the catalog's "
    "data anyway (warned loudly; the models see no events in between).")]


def fit_models(catalog, spec: str, fit_end, seed: int,  # noqa: ANN001
               checkpoint: Path | None = None) -> dict[str, tuple]:
    """Fit every model named in ``spec`` on the history before ``fit_end``, with a spinner."""
    from geohazard.exceptions import InputError
    from geohazard.forecast.models import fit_model, parse_models

    fitted = {}
    for name in parse_models(spec):
        with console.status(f"fitting {name} on history before {fit_end}"):
            try:
                fitted[name] = fit_model(name, catalog, fit_end, seed=seed,
                                         checkpoint=checkpoint)
            except InputError as exc:
                raise type(exc)(f"fitting {name} on the history before {fit_end}: {exc}"
                                ) from None
    return fitted


def check_run_flags(*, days: float, samples: int, seed: int, model: str,
                    checkpoint: Path | None = None, outputs: dict[str, Path | None] | None = None,
                    **others: float | None) -> None:
    """Validate the flags shared by the forecast commands, by flag name, before any work.

    ``others`` maps a parameter of :data:`geohazard.catalog.checks.RANGES` to its value
    (None: not given); its flag is ``--`` plus the name with dashes. ``outputs`` maps flags
    to output paths, checked writable before anything is computed or written.
    """
    from geohazard.catalog.checks import check, check_output
    from geohazard.exceptions import DataFileNotFoundError
    from geohazard.forecast.models import parse_models

    check(days, "days", "--days")
    check(samples, "samples", "--samples")
    check(seed, "seed", "--seed")
    for key, value in others.items():
        if value is not None:
            check(value, key, "--" + key.replace("_", "-"))
    parse_models(model)
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise DataFileNotFoundError(f"--checkpoint {checkpoint}: no such file")
    for flag, path in (outputs or {}).items():
        check_output(path, flag)


def apply_mc(catalog, mc: float | None):  # noqa: ANN001, ANN201 - Catalog
    """Keep events above ``--mc``, refusing a value the catalog cannot support."""
    from geohazard.catalog.checks import check
    from geohazard.exceptions import InputError

    if mc is None:
        return catalog
    check(mc, "mc", "--mc")
    known = catalog.metadata.mag_completeness
    if known is not None and mc < known:
        raise InputError(f"--mc {mc:g} is below the catalog's magnitude of completeness "
                         f"{known:g} (sidecar 'mag_completeness'): events below it are missing, "
                         "so forecasts would be counted against an incomplete catalog")
    out = catalog.above_completeness(mc)
    if len(out) < 2:
        raise InputError(f"--mc {mc:g} leaves {len(out)} events of {len(catalog)} in "
                         f"catalog '{catalog.metadata.name}'")
    return out


def forecast_start(catalog, start: str, allow_extrapolation: bool = False):  # noqa: ANN001, ANN201
    """``--start`` as UTC, refused after the end of the data unless --allow-extrapolation."""
    from geohazard.forecast.models import check_forecast_start

    return check_forecast_start(catalog, start, what="--start",
                                allow_extrapolation=allow_extrapolation,
                                allow_hint="--allow-extrapolation")


def covered_observations(catalog, t0: float, t1: float) -> np.ndarray | None:  # noqa: ANN001
    """Event days in ``(t0, t1]``, or None when the data do not cover the whole window."""
    if t1 > catalog.day_of(catalog.coverage_end) + 1e-9:
        return None
    obs = _observed(catalog, t0, t1)
    return obs if obs.size else None


def _observed(catalog, t0: float, t1: float) -> np.ndarray:  # noqa: ANN001
    days = catalog.days()
    return days[(days > t0) & (days <= t1)]


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
) -> None:
    """Simulate continuations after START conditioned on all history, per model."""
    from geohazard.catalog import read_catalog
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.forecasting import issue_forecast

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    dh=dh, outputs={"--archive": archive, "--report": report, "--json": json_out})
    cat = apply_mc(read_catalog(catalog, sidecar=meta), mc)
    t_start = forecast_start(cat, start, allow_extrapolation)
    region, feats = _spatial_setup(cat, spatial, dh)
    if region is not None and mc is None and cat.metadata.mag_completeness is not None:
        cat = cat.above_completeness()
    history = cat.to_sequence(t_end=t_start, features=feats)
    store = ForecastArchive(archive) if archive is not None else None
    fitted_models = (_fit_located(cat, model, t_start, seed, checkpoint) if region is not None
                     else fit_models(cat, model, t_start, seed, checkpoint))
    forecasts, out = [], {}
    for name, (fitted, info) in fitted_models.items():
        with console.status(f"simulating {samples} continuations with {name}"):
            fc = issue_forecast(fitted, history, days, samples, name=name, rng=seed, info=info)
        forecasts.append(fc)
        out[name] = fc.summary()
        if region is not None:
            from geohazard.forecast.spatial_eval import top_cells

            out[name]["region"] = region.to_dict()
            out[name]["top_cells"] = top_cells(fc, region)
        if store is not None:
            out[name]["archive_id"] = store.add(fc, catalog=cat.metadata.name)
        console.print(kv_table(f"forecast {name}", {
            "window": f"{out[name]['start']} to {out[name]['end']}",
            "expected count": fc.expected_count(),
            **{f"P(M≥{m:g})": p for m, p in fc.prob_at_least_one().items()}}))
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        t0, t1 = forecasts[0].t_start, forecasts[0].t_end
        observed = covered_observations(cat, t0, t1)
        located = (_observed_locations(cat, t0, t1) if region is not None and observed is not None
                   else None)
        write_forecast_report(report, forecasts, observed_times=observed,
                              region=region, observed_locations=located)
        console.print(f"wrote {report}")
    emit_json(json_out, out)


def _spatial_setup(cat, spatial: bool, dh: float):  # noqa: ANN001, ANN202
    """The testing region and history features of a located run (None, () otherwise)."""
    if not spatial:
        return None, ()
    from geohazard.forecast.spatial_models import LOCATION_FEATURES, catalog_region

    return catalog_region(cat, dh=dh), LOCATION_FEATURES


def _fit_located(cat, spec: str, fit_end, seed: int,  # noqa: ANN001, ANN202
                 checkpoint: Path | None) -> dict[str, tuple]:
    from geohazard.forecast.models import parse_models
    from geohazard.forecast.spatial_models import fit_spatial_model

    fitted = {}
    for name in parse_models(spec):
        with console.status(f"fitting located {name} on history before {fit_end}"):
            fitted[name] = fit_spatial_model(name, cat, fit_end, seed=seed, checkpoint=checkpoint)
    return fitted


def _observed_locations(cat, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    days = cat.days()
    inw = (days > t0) & (days <= t1)
    return np.asarray(cat["longitude"])[inw], np.asarray(cat["latitude"])[inw]


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
) -> None:
    """Rolling forecasts across the test period, scored against what happened."""
    from rich.progress import Progress

    from geohazard.catalog import read_catalog
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.backtest import backtest as run_backtest

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    dh=dh, outputs={"--archive": archive, "--report": report, "--json": json_out})
    cat = read_catalog(catalog, sidecar=meta)
    if spatial:
        cat = cat.above_completeness() if cat.metadata.mag_completeness is not None else cat
    md = cat.metadata
    t0, t1 = _backtest_span(cat, start, end, days)
    if spatial:
        from geohazard.forecast.models import parse_models
        from geohazard.forecast.spatial_models import catalog_region, fit_spatial_models

        region = catalog_region(cat, dh=dh)
        with console.status(f"fitting located models on history before {t0}"):
            models = fit_spatial_models(cat, parse_models(model), t0, seed=seed,
                                        checkpoint=checkpoint)
    else:
        region = None
        models = {k: m for k, (m, _) in fit_models(cat, model, t0, seed, checkpoint).items()}
    edges = np.round(np.arange(md.mag_completeness or 0.0, 9.0, 0.1), 2) if (
        md.mag_completeness is not None) else None
    with Progress(console=console) as prog:
        task = prog.add_task("windows", total=None)
        result = run_backtest(
            cat, models, t0, t1, days=days, n_samples=samples, mag_edges=edges, rng=seed,
            archive=ForecastArchive(archive) if archive is not None else None,
            progress=lambda done, total: prog.update(task, completed=done, total=total),
            region=region)
    data = result.to_dict()
    from geohazard.forecast.evaluation import information_gains

    test_seq = cat.to_sequence(t_end=t1, t_nll_start=t0,
                               features=("longitude", "latitude") if spatial else ())
    scores = {name: m.log_likelihood(test_seq) for name, m in models.items()}
    data["test_scores"] = {k: v.to_dict() for k, v in scores.items()}
    data["information_gain_per_event"] = information_gains(scores)
    rows = {f"{k}: {f}": v for k, s in data["summaries"].items() for f, v in s.items()
            if f != "model"}
    rows.update({f"{k} wins": f"{v['wins']}/{v['windows']}"
                 for k, v in data["comparison"].items()})
    rows.update({f"info gain/event {k}": v
                 for k, v in data["information_gain_per_event"].items()})
    rows.update({f"{k} spatial: {f}": v for k, s in data.get("spatial_summaries", {}).items()
                 for f, v in s.items() if f.startswith(("pass_", "mean_"))})
    console.print(kv_table("backtest", rows))
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        write_forecast_report(report, [], backtest=result, title=f"backtest {md.name}")
        console.print(f"wrote {report}")
    emit_json(json_out, data)


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
    if (t1 - t0) / pd.Timedelta(days=1) < days - 1e-9:
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
) -> None:
    """Prospective loop: issue a forecast every --every days into the archive (resumable)."""
    from rich.progress import Progress

    from geohazard.catalog import read_catalog
    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.prospective import run_prospective

    check_run_flags(days=days, samples=samples, seed=seed, model=model, checkpoint=checkpoint,
                    every=every, refit_every=refit_every,
                    outputs={"--archive": archive, "--json": json_out})
    cat = apply_mc(read_catalog(catalog), mc)
    t_start = forecast_start(cat, start)
    t_last = to_utc(end, "--end") if end else None
    if t_last is not None and t_last < t_start:
        raise InputError(f"--end {t_last} is before --start {t_start}")
    t_fit = to_utc(fit_end, "--fit-end") if fit_end else t_start
    if t_fit > t_start:
        raise InputError(f"--fit-end {t_fit} is after --start {t_start}: forecasts would "
                         "use future data")
    store = ForecastArchive(archive)  # an existing one is checked now; a new one is created
    #                                   with the first forecast, so bad arguments leave none
    if refit_every is not None:
        from geohazard.forecast.models import fit_model, parse_models

        fitted = {name: (None, {}) for name in parse_models(model)}

        def refit(name: str, when):  # noqa: ANN001, ANN202
            console.print(f"refitting {name} on history before {when}")  # inside the progress
            return fit_model(name, cat, when, seed=seed, checkpoint=checkpoint)
    else:
        fitted, refit = fit_models(cat, model, t_fit, seed, checkpoint), None
    with Progress(console=console) as prog:
        task = prog.add_task("issue times", total=None)
        result = run_prospective(
            cat, fitted, store, t_start, t_last,
            every_days=every, days=days, n_samples=samples, seed=seed, refit=refit,
            refit_every_days=refit_every,
            progress=lambda done, total: prog.update(task, completed=done, total=total))
    console.print(f"issued {len(result.issued)} forecasts, {result.skipped} already archived, "
                  f"{result.issue_times.size} issue times, {result.seconds:.1f} s")
    emit_json(json_out, result.to_dict())


@app.command()
def evaluate(
    catalog: CatalogOpt,
    archive: Annotated[Path, typer.Option("--archive", help="Forecast archive to evaluate.")],
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    store: Annotated[bool, typer.Option(help="Store new evaluations in the archive.")] = True,
    seed: SeedOpt = 0,
    report: ReportOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Score every archived forecast whose window the catalog now covers."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.checks import check, check_output
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.prospective import evaluate_archive

    check(seed, "seed", "--seed")
    check_output(report, "--report")
    check_output(json_out, "--json")
    cat = read_catalog(catalog)
    if not Path(archive).exists() and "://" not in str(archive):
        from geohazard.exceptions import DataFileNotFoundError

        raise DataFileNotFoundError(f"--archive {archive}: no such archive")
    result = evaluate_archive(cat, ForecastArchive(archive), store=store, seed=seed, model=model)
    console.print(f"evaluated {len(result.rows)} archived forecasts ({result.newly_stored} new, "
                  f"{result.pending} waiting for observations)")
    rows = {f"{k}: {f}": v for k, s in result.summaries.items()
            for f, v in s.to_dict().items() if f != "model"}
    if rows:
        console.print(kv_table("prospective record", rows))
    if report is not None:
        from geohazard.report.prospective import write_record_report

        write_record_report(report, result, title=f"prospective record {cat.metadata.name}")
        console.print(f"wrote {report}")
    emit_json(json_out, result.to_dict())


from geohazard.cli._forecast_npp import npp  # noqa: E402  (EarthquakeNPP protocol, issue 16)

app.command("npp")(npp)

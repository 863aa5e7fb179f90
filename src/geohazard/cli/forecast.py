"""``geohazard forecast``: issue, backtest and evaluate forecasts; ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
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


def fit_models(catalog, spec: str, fit_end, seed: int,  # noqa: ANN001
               checkpoint: Path | None = None) -> dict[str, tuple]:
    """Fit every model named in ``spec`` on the history before ``fit_end``, with a spinner."""
    from geohazard.forecast.models import fit_model, parse_models

    fitted = {}
    for name in parse_models(spec):
        with console.status(f"fitting {name} on history before {fit_end}"):
            fitted[name] = fit_model(name, catalog, fit_end, seed=seed, checkpoint=checkpoint)
    return fitted


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
) -> None:
    """Simulate continuations after START conditioned on all history, per model."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.core import to_utc
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.forecasting import issue_forecast

    cat = read_catalog(catalog, sidecar=meta)
    if mc is not None:
        cat = cat.above_completeness(mc)
    t_start = to_utc(start, "--start")
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
        observed = _observed(cat, t0, t1)
        located = _observed_locations(cat, t0, t1) if region is not None else None
        write_forecast_report(report, forecasts, observed_times=observed if observed.size else None,
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
    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.backtest import backtest as run_backtest

    cat = read_catalog(catalog, sidecar=meta)
    if spatial:
        cat = cat.above_completeness() if cat.metadata.mag_completeness is not None else cat
    md = cat.metadata
    t0 = to_utc(start) if start else md.test_start
    t1 = to_utc(end) if end else (md.end if md.end is not None else cat.times[-1])
    if t0 is None:
        raise InputError("backtest: give --start or a catalog with a test split date")
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
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.prospective import run_prospective

    cat = read_catalog(catalog)
    if mc is not None:
        cat = cat.above_completeness(mc)
    t_start = to_utc(start, "--start")
    t_fit = to_utc(fit_end, "--fit-end") if fit_end else t_start
    if t_fit > t_start:
        from geohazard.exceptions import InputError

        raise InputError(f"--fit-end {t_fit} is after --start {t_start}: forecasts would "
                         "use future data")
    store = ForecastArchive(archive)
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
            cat, fitted, store, t_start, to_utc(end, "--end") if end else None,
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
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.prospective import evaluate_archive

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

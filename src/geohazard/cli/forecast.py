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
    json_out: JsonOpt = None,
) -> None:
    """Simulate continuations after START conditioned on all history, per model."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.core import to_utc
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.forecasting import issue_forecast

    cat = read_catalog(catalog)
    t_start = to_utc(start, "--start")
    history = cat.to_sequence(t_end=t_start)
    store = ForecastArchive(archive) if archive is not None else None
    forecasts, out = [], {}
    for name, (fitted, info) in fit_models(cat, model, t_start, seed, checkpoint).items():
        with console.status(f"simulating {samples} continuations with {name}"):
            fc = issue_forecast(fitted, history, days, samples, name=name, rng=seed, info=info)
        forecasts.append(fc)
        out[name] = fc.summary()
        if store is not None:
            out[name]["archive_id"] = store.add(fc, catalog=cat.metadata.name)
        console.print(kv_table(f"forecast {name}", {
            "window": f"{out[name]['start']} to {out[name]['end']}",
            "expected count": fc.expected_count(),
            **{f"P(M≥{m:g})": p for m, p in fc.prob_at_least_one().items()}}))
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        observed = _observed(cat, forecasts[0].t_start, forecasts[0].t_end)
        write_forecast_report(report, forecasts, observed_times=observed if observed.size else None)
        console.print(f"wrote {report}")
    emit_json(json_out, out)


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
) -> None:
    """Rolling forecasts across the test period, scored against what happened."""
    from rich.progress import Progress

    from geohazard.catalog import read_catalog
    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.backtest import backtest as run_backtest

    cat = read_catalog(catalog)
    md = cat.metadata
    t0 = to_utc(start) if start else md.test_start
    t1 = to_utc(end) if end else (md.end if md.end is not None else cat.times[-1])
    if t0 is None:
        raise InputError("backtest: give --start or a catalog with a test split date")
    models = {k: m for k, (m, _) in fit_models(cat, model, t0, seed, checkpoint).items()}
    edges = np.round(np.arange(md.mag_completeness or 0.0, 9.0, 0.1), 2) if (
        md.mag_completeness is not None) else None
    with Progress(console=console) as prog:
        task = prog.add_task("windows", total=None)
        result = run_backtest(
            cat, models, t0, t1, days=days, n_samples=samples, mag_edges=edges, rng=seed,
            archive=ForecastArchive(archive) if archive is not None else None,
            progress=lambda done, total: prog.update(task, completed=done, total=total))
    data = result.to_dict()
    from geohazard.forecast.evaluation import information_gains

    test_seq = cat.to_sequence(t_end=t1, t_nll_start=t0)
    scores = {name: m.log_likelihood(test_seq) for name, m in models.items()}
    data["test_scores"] = {k: v.to_dict() for k, v in scores.items()}
    data["information_gain_per_event"] = information_gains(scores)
    rows = {f"{k}: {f}": v for k, s in data["summaries"].items() for f, v in s.items()
            if f != "model"}
    rows.update({f"{k} wins": f"{v['wins']}/{v['windows']}"
                 for k, v in data["comparison"].items()})
    rows.update({f"info gain/event {k}": v
                 for k, v in data["information_gain_per_event"].items()})
    console.print(kv_table("backtest", rows))
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        write_forecast_report(report, [], backtest=result, title=f"backtest {md.name}")
        console.print(f"wrote {report}")
    emit_json(json_out, data)


@app.command()
def evaluate(
    catalog: CatalogOpt,
    archive: Annotated[Path, typer.Option("--archive", help="Forecast archive to evaluate.")],
    json_out: JsonOpt = None,
) -> None:
    """Score every archived forecast whose window the catalog now covers."""
    from geohazard.catalog import read_catalog
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.evaluation import (
        count_log_score,
        exact_match_probability,
        n_test_quantiles,
    )

    cat = read_catalog(catalog)
    store = ForecastArchive(archive)
    last = cat.day_of(cat.metadata.end if cat.metadata.end is not None else cat.times[-1])
    results = []
    for row in store.list():
        if row["t_end_days"] > last + 1e-9:
            continue
        counts = store.counts(row["id"])
        t0 = cat.day_of(pd.Timestamp(row["window_start"]))
        t1 = cat.day_of(pd.Timestamp(row["window_end"]))
        obs = int(_observed(cat, t0, t1).size)
        d1, d2 = n_test_quantiles(counts, obs)
        results.append({"id": row["id"], "model": row["model"], "window_start": row["window_start"],
                        "observed": obs, "expected": row["expected_count"],
                        "log_score": count_log_score(counts, obs),
                        "exact_match": exact_match_probability(counts, obs),
                        "n_test_delta1": d1, "n_test_delta2": d2})
    console.print(f"evaluated {len(results)} archived forecasts")
    for r in results[:20]:
        console.print(f"  #{r['id']} {r['model']:<8} {r['window_start'][:10]} observed "
                      f"{r['observed']:>5} expected {r['expected']:8.1f} log-score "
                      f"{r['log_score']:7.3f}")
    emit_json(json_out, {"evaluations": results})

"""``geohazard report``: self-contained HTML reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import console

app = typer.Typer(help="Self-contained HTML reports.", no_args_is_help=True)


@app.command("forecast")
def forecast_report(
    catalog: Annotated[Path, typer.Option("--catalog", help="Catalog with history.")],
    start: Annotated[str, typer.Option(help="Forecast start (UTC).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    model: Annotated[str, typer.Option("--model", "--models")] = "poisson,etas",
    days: Annotated[float, typer.Option(help="Window length in days.")] = 14.0,
    samples: Annotated[int, typer.Option(help="Simulations.")] = 5000,
    backtest_end: Annotated[str | None, typer.Option(
        help="Also backtest consecutive windows from START to this time.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Forecast from START (fan chart, probabilities) and optionally a backtest."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.core import to_utc
    from geohazard.cli.forecast import fit_models
    from geohazard.forecast.backtest import backtest
    from geohazard.forecast.forecasting import issue_forecast
    from geohazard.report.forecast import write_forecast_report

    cat = read_catalog(catalog)
    t0 = to_utc(start, "--start")
    history = cat.to_sequence(t_end=t0)
    fitted = fit_models(cat, model, t0, seed)
    models = {k: m for k, (m, _) in fitted.items()}
    forecasts = [issue_forecast(m, history, days, samples, name=k, rng=seed, info=info)
                 for k, (m, info) in fitted.items()]
    days_all = cat.days()
    obs = days_all[(days_all > forecasts[0].t_start) & (days_all <= forecasts[0].t_end)]
    result = None
    if backtest_end is not None:
        with console.status("backtesting"):
            result = backtest(cat, models, t0, to_utc(backtest_end, "--backtest-end"),
                              days=days, n_samples=min(samples, 2000), rng=seed)
    write_forecast_report(out, forecasts, observed_times=obs if obs.size else None,
                          backtest=result, title=f"forecast report: {cat.metadata.name}")
    console.print(f"wrote {out}")

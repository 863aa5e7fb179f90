"""``geohazard report``: self-contained HTML reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import console
from geohazard.cli.forecast import (
    AllowExtrapolationOpt,
    check_run_flags,
    covered_observations,
    fit_models,
    forecast_start,
)

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
    allow_extrapolation: AllowExtrapolationOpt = False,
) -> None:
    """Forecast from START (fan chart, probabilities) and optionally a backtest."""
    from geohazard.catalog import read_catalog
    from geohazard.forecast.backtest import backtest
    from geohazard.forecast.forecasting import issue_forecast
    from geohazard.report.forecast import write_forecast_report

    check_run_flags(days=days, samples=samples, seed=seed, model=model, outputs={"--out": out})
    cat = read_catalog(catalog)
    t0 = forecast_start(cat, start, allow_extrapolation)
    t_bt = _backtest_end(cat, t0, backtest_end, days)
    history = cat.to_sequence(t_end=t0)
    fitted = fit_models(cat, model, t0, seed)
    models = {k: m for k, (m, _) in fitted.items()}
    forecasts = [issue_forecast(m, history, days, samples, name=k, rng=seed, info=info)
                 for k, (m, info) in fitted.items()]
    obs = covered_observations(cat, forecasts[0].t_start, forecasts[0].t_end)
    result = None
    if t_bt is not None:
        with console.status("backtesting"):
            result = backtest(cat, models, t0, t_bt, days=days, n_samples=min(samples, 2000),
                              rng=seed)
    write_forecast_report(out, forecasts, observed_times=obs,
                          backtest=result, title=f"forecast report: {cat.metadata.name}")
    console.print(f"wrote {out}")


def _backtest_end(cat, t0, backtest_end: str | None, days: float):  # noqa: ANN001, ANN202
    """``--backtest-end`` as UTC: after START by one window, inside the data (else warned)."""
    import logging

    import pandas as pd

    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError

    if backtest_end is None:
        return None
    t1 = to_utc(backtest_end, "--backtest-end")
    cover = cat.coverage_end
    if t1 > cover:
        logging.getLogger(__name__).warning(
            "--backtest-end %s is after the end of the data (%s): windows after it are not "
            "scored", t1, cover)
        t1 = cover
    if (t1 - t0) / pd.Timedelta(days=1) < days - 1e-9:
        raise InputError(f"--backtest-end {t1}: no --days {days:g} window fits between "
                         f"--start {t0} and it (or the end of the data)")
    return t1

"""``geohazard report``: self-contained HTML reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import console
from geohazard.cli._forecast_flags import (
    AllowExtrapolationOpt,
    ModelConfigOpt,
    ParamDrawsOpt,
    TaperDaysOpt,
    check_run_flags,
    forecast_start,
    model_settings,
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
    config: ModelConfigOpt = None,
    taper_days: TaperDaysOpt = None,
    param_draws: ParamDrawsOpt = None,
) -> None:
    """Forecast from START (fan chart, probabilities) and optionally a backtest."""
    from geohazard.catalog import read_catalog
    from geohazard.workflows.forecast import fit_models, forecast_job

    check_run_flags(days=days, samples=samples, seed=seed, model=model, outputs={"--out": out})
    settings = model_settings(config, taper_days, param_draws)
    cat = read_catalog(catalog)
    t0 = forecast_start(cat, start, allow_extrapolation)
    t_bt = _backtest_end(cat, t0, backtest_end, days)
    fitted = fit_models(cat, model, t0, seed=seed, settings=settings, status=console.status)
    forecast_job(cat, fitted, t0, days=days, samples=samples, seed=seed, backtest_end=t_bt,
                 report=out, title=f"forecast report: {cat.metadata.name}", status=console.status)
    console.print(f"wrote {out}")


def _backtest_end(cat, t0, backtest_end: str | None, days: float):  # noqa: ANN001, ANN202
    """``--backtest-end`` as UTC: after START by one window, inside the data (else warned)."""
    import logging

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
    if cat.day_of(t1) - cat.day_of(t0) < days - 1e-9:
        raise InputError(f"--backtest-end {t1}: no --days {days:g} window fits between "
                         f"--start {t0} and it (or the end of the data)")
    return t1

"""Self-contained HTML report of a forecast and, optionally, a backtest."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from geohazard.forecast.backtest import BacktestResult
from geohazard.forecast.csep_adapter import SpatialRegion
from geohazard.forecast.forecasting import Forecast
from geohazard.plotting import forecast as fplot
from geohazard.report._html import HtmlReport


def _fig(draw: object) -> object:
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    draw(ax)  # type: ignore[operator]
    return fig


def forecast_section(report: HtmlReport, forecast: Forecast,
                     observed_times: np.ndarray | None = None,
                     region: SpatialRegion | None = None,
                     observed_locations: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Summary table and fan chart of one forecast (and its rate map when located)."""
    start, end = forecast.window_utc()
    report.heading(f"Forecast: {forecast.model}")
    rows = {"window": f"{start} to {end}" if start is not None else
            f"day {forecast.t_start:.2f} to {forecast.t_end:.2f}",
            "simulations": forecast.continuations.n_samples,
            "expected number of events": forecast.expected_count()}
    rows.update({f"count quantile {q:g}": v for q, v in forecast.quantiles().items()})
    rows.update({f"P(≥1 event with M ≥ {m:g})": p
                 for m, p in forecast.prob_at_least_one().items()})
    if observed_times is not None:
        rows["observed number of events"] = int(np.asarray(observed_times).size)
    report.key_values(rows)
    fig = _fig(lambda ax: fplot.fan_chart(forecast, observed_times, ax=ax))
    report.figure(fig, f"Fan chart of cumulative counts, {forecast.model}")
    plt.close(fig)  # type: ignore[arg-type]
    if region is not None and forecast.continuations.has_locations:
        from geohazard.forecast.spatial_eval import forecast_map

        lon, lat = observed_locations if observed_locations is not None else (None, None)
        fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
        fplot.spatial_rate_map(forecast_map(forecast, region, lon, lat), ax=ax)
        report.figure(fig, f"Forecast rate density of {forecast.model}"
                      + (" with the observed epicentres" if lon is not None else ""))
        plt.close(fig)


def backtest_section(report: HtmlReport, result: BacktestResult) -> None:
    """Observed against predicted, PIT calibration and the test table."""
    report.heading("Backtest")
    names = list(result.evaluations)
    header = ["model", "windows", "95% coverage", "zero-likelihood misses",
              "mean count log-score", "mean PIT"]
    rows = [[s.model, s.n_windows, s.coverage_95, s.zero_likelihood_misses, s.mean_log_score,
             s.mean_pit] for s in result.summaries.values()]
    report.table(header, rows)
    if len(names) > 1:
        report.table(["comparison", "wins (log-score)", "windows", "info gain / window"],
                     [[k, v["wins"], v["windows"], v["info_gain_per_window"]]
                      for k, v in result.to_dict()["comparison"].items()])
    fig = _fig(lambda ax: fplot.observed_vs_predicted(result.evaluations, result.intervals, ax=ax))
    report.figure(fig, "Observed counts against each model's 95% interval")
    plt.close(fig)  # type: ignore[arg-type]
    pits = {k: [e.pit for e in v] for k, v in result.evaluations.items()}
    fig = _fig(lambda ax: fplot.pit_histogram(pits, ax=ax))
    report.figure(fig, "Calibration: PIT histogram (flat is calibrated)")
    plt.close(fig)  # type: ignore[arg-type]


def spatial_section(report: HtmlReport, result: BacktestResult) -> None:
    """Add the pyCSEP N, M, S and pseudo-likelihood results and a rate map per model."""
    report.heading("Spatial tests (pyCSEP, catalog-based)")
    reg = next(iter(result.spatial_maps.values())).region
    report.paragraph(
        f"Grid {reg.shape[1]} x {reg.shape[0]} cells of {reg.dh:g} degrees over longitude "
        f"{reg.lon_min:g} to {reg.lon_max:g}, latitude {reg.lat_min:g} to {reg.lat_max:g}; "
        "events outside are ignored. Fractions of windows passing at 0.05 (N two-sided; "
        "M, S and pseudo-likelihood one-sided); S and PL quantiles are P(simulated "
        "statistic <= observed).", "note")
    report.table(["model", "windows", "valid (events observed)", "N pass", "M pass", "S pass",
                  "PL pass", "mean S quantile", "mean PL quantile"],
                 [[s.model, s.n_windows, s.n_valid_spatial, s.pass_n, s.pass_m, s.pass_s,
                   s.pass_pl, s.mean_s_quantile, s.mean_pl_quantile]
                  for s in result.spatial_summaries.values()])
    for name, smap in result.spatial_maps.items():
        fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
        fplot.spatial_rate_map(smap, ax=ax)
        report.figure(fig, f"Forecast rate density of {name} with the observed epicentres")
        plt.close(fig)


def write_forecast_report(
    path: str | Path,
    forecasts: list[Forecast],
    *,
    observed_times: np.ndarray | None = None,
    backtest: BacktestResult | None = None,
    title: str = "geohazard forecast",
    region: SpatialRegion | None = None,
    observed_locations: tuple[np.ndarray, np.ndarray] | None = None,
) -> Path:
    """Write the report: one section per forecast, then the backtest if given."""
    report = HtmlReport(title)
    report.paragraph("Forecasts by conditional simulation; counts are events above Mc.",
                     "note")
    for fc in forecasts:
        forecast_section(report, fc, observed_times, region, observed_locations)
    if backtest is not None:
        backtest_section(report, backtest)
        if backtest.spatial:
            spatial_section(report, backtest)
    return report.write(path)

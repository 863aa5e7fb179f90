"""Self-contained HTML report of forecasts and, optionally, a backtest.

The page opens with the headline figures and verdicts in words, then one comparison table
across models (forecast figures and backtest scores side by side), the fan charts, the
backtest figures on a date axis and, for a located backtest, the spatial tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from geohazard.catalog.core import utc_of_days
from geohazard.forecast.backtest import BacktestResult
from geohazard.forecast.forecasting import Forecast
from geohazard.plotting import forecast as fplot
from geohazard.report._format import fmt, magnitude, pit_verdict, probability
from geohazard.report._html import HtmlReport

if TYPE_CHECKING:
    from geohazard.forecast.region import SpatialRegion

__all__ = ["backtest_section", "backtest_verdicts", "combined_verdict", "comparison_section",
           "forecast_section",
           "spatial_section", "write_forecast_report"]


def _figure(report: HtmlReport, draw: Callable[[Any], Any], caption: str,
            size: tuple[float, float] = (8, 4)) -> None:
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    draw(ax)
    report.figure(fig, caption)
    plt.close(fig)


def _mc_text(mc: float | None) -> str:
    return f"magnitude above Mc = {magnitude(mc)}" if mc is not None else "magnitude above Mc"


def _window_text(fc: Forecast) -> str:
    start, end = fc.window_utc()
    if start is None:
        return f"day {fc.t_start:.2f} to {fc.t_end:.2f}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


def forecast_verdict(fc: Forecast, observed: int | None) -> str:
    """One sentence: expected count, its 95% range and, when known, the observed count."""
    q = fc.quantiles((0.025, 0.975))
    text = (f"{fc.model} expects {fc.expected_count():.1f} events ({_mc_text(fc.mag_completeness)}"
            f") in {fc.days:g} days from {_window_text(fc).split(' to ')[0]} "
            f"(95% range {q[0.025]:g} to {q[0.975]:g})")
    return text + (f"; {observed} observed." if observed is not None else ".")


def _tone(s: Any) -> str:
    words = pit_verdict(s.mean_pit)
    if words.startswith("strongly") or s.coverage_95 < 0.8:
        return "warn"
    return "good" if words.startswith("is calibrated") else "info"


def backtest_verdicts(summaries: dict[str, Any], period: str = "in this period",
                      unit: str = "windows") -> list[tuple[str, str]]:
    """(sentence, tone) per model from its mean PIT and 95% coverage.

    A mean PIT under 0.2 (observed counts in the forecasts' lower tail: strong
    over-prediction) or over 0.8 (strong under-prediction), or a 95% coverage under 0.8,
    is a warning.
    """
    return [(f"{s.model} {pit_verdict(s.mean_pit)} {period}: mean PIT {s.mean_pit:.2f}; "
             f"95% coverage {s.coverage_95:.2f} over {s.n_windows} {unit}; mean count "
             f"log-score {s.mean_log_score:.2f} nats.", _tone(s)) for s in summaries.values()]


def combined_verdict(summaries: dict[str, Any], period: str) -> tuple[str, str]:
    """One sentence for all models of a period (a warning when any model's is one)."""
    parts = [f"{s.model} {pit_verdict(s.mean_pit)} (mean PIT {s.mean_pit:.2f}, 95% coverage "
             f"{s.coverage_95:.2f})" for s in summaries.values()]
    tones = [_tone(s) for s in summaries.values()]
    tone = "warn" if "warn" in tones else "good" if set(tones) == {"good"} else "info"
    return f"{period[0].upper()}{period[1:]}: " + "; ".join(parts) + ".", tone


def _forecast_rows(forecasts: Sequence[Forecast], observed: int | None) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["simulations", *[fc.continuations.n_samples for fc in forecasts]],
        ["expected number of events", *[fc.expected_count() for fc in forecasts]],
        ["median (50% range) of the count",
         *[f"{q[0.5]:g} ({q[0.25]:g} to {q[0.75]:g})"
           for q in (fc.quantiles((0.25, 0.5, 0.75)) for fc in forecasts)]],
        ["95% range of the count",
         *[f"{q[0.025]:g} to {q[0.975]:g}"
           for q in (fc.quantiles((0.025, 0.975)) for fc in forecasts)]],
    ]
    probs = [fc.prob_at_least_one() for fc in forecasts]
    for m in probs[0]:
        rows.append([f"P(≥ 1 event with M ≥ {m:g})",
                     *[probability(p.get(m, float("nan")), fc.continuations.n_samples)
                       for p, fc in zip(probs, forecasts, strict=True)]])
    if observed is not None:
        rows.append(["observed number of events", *[observed for _ in forecasts]])
    return rows


def _backtest_rows(result: BacktestResult, names: Sequence[str]) -> list[list[Any]]:
    s = [result.summaries[n] for n in names]
    return [["backtest windows", *[x.n_windows for x in s]],
            ["95% coverage (fraction of windows)", *[x.coverage_95 for x in s]],
            ["zero-likelihood misses (windows)", *[x.zero_likelihood_misses for x in s]],
            ["mean count log-score (nats per window)", *[x.mean_log_score for x in s]],
            ["mean PIT (0.5 if calibrated)", *[x.mean_pit for x in s]],
            ["verdict", *[pit_verdict(x.mean_pit) for x in s]]]


def comparison_section(report: HtmlReport, forecasts: Sequence[Forecast],
                       observed_times: np.ndarray | None = None,
                       backtest: BacktestResult | None = None) -> None:
    """One table across models: the first window's forecast figures and backtest scores."""
    names = [fc.model for fc in forecasts] or list(backtest.summaries if backtest else [])
    if not names:
        return
    report.heading("Model comparison")
    observed = None if observed_times is None else int(np.asarray(observed_times).size)
    rows: list[list[Any]] = []
    if forecasts:
        fc = forecasts[0]
        report.paragraph(f"First forecast window: {_window_text(fc)} ({fc.days:g} days). "
                         f"Counts are events with {_mc_text(fc.mag_completeness)}. "
                         "Probabilities estimated from N simulations are given with their "
                         "resolution: none of N is shown as < 1/N.", "note")
        rows += _forecast_rows(forecasts, observed)
    if backtest is not None and all(n in backtest.summaries for n in names):
        rows += _backtest_rows(backtest, names)
    report.table(["quantity", *names], rows)


def forecast_section(report: HtmlReport, forecast: Forecast,
                     observed_times: np.ndarray | None = None,
                     region: SpatialRegion | None = None,
                     observed_locations: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Fan chart of one forecast (and its rate map when located); figures in the comparison."""
    report.heading(f"Forecast: {forecast.model}")
    _figure(report, lambda ax: fplot.fan_chart(forecast, observed_times, ax=ax),
            f"{forecast.model}: cumulative number of events through the window "
            f"{_window_text(forecast)}; median of {forecast.continuations.n_samples} "
            "simulations with 50, 90 and 95% ranges"
            + ("; observed events as the black step." if observed_times is not None else "."))
    if region is not None and forecast.continuations.has_locations:
        from geohazard.forecast.spatial_eval import forecast_map

        lon, lat = observed_locations if observed_locations is not None else (None, None)
        _figure(report, lambda ax: fplot.spatial_rate_map(
            forecast_map(forecast, region, lon, lat), ax=ax),
            f"Forecast rate density of {forecast.model} (log10 events per day per square "
            "degree)" + (", observed epicentres in red." if lon is not None else "."),
            size=(6.5, 5))


def _window_starts(result: BacktestResult, origin: pd.Timestamp | None) -> Any:
    if origin is None:
        return None
    return utc_of_days(np.asarray(result.windows)[:, 0], origin)


def _pairs(result: BacktestResult) -> list[list[Any]]:
    """One row per pair of models, the one with the non-negative information gain first."""
    rows, seen = [], set()
    for key, v in result.to_dict()["comparison"].items():
        a, b = key.split("_vs_", 1)
        gain = v["info_gain_per_window"]
        if frozenset((a, b)) in seen or (gain is not None and gain < 0):
            continue
        seen.add(frozenset((a, b)))
        rows.append([f"{a} vs {b}", v["wins"], v["windows"], gain])
    return rows


def backtest_section(report: HtmlReport, result: BacktestResult,
                     origin: pd.Timestamp | None = None) -> None:
    """Pairwise comparison, observed against predicted (dates) and PIT calibration.

    ``origin`` is the catalog's time zero: with it the window axis is in dates.
    """
    report.heading("Backtest")
    starts = _window_starts(result, origin)
    w = np.asarray(result.windows)
    span = (f"{starts[0]:%Y-%m-%d} to {utc_of_days(w[-1, 1], origin):%Y-%m-%d}"
            if starts is not None else f"day {w[0, 0]:.1f} to {w[-1, 1]:.1f}")
    report.paragraph(f"{len(w)} consecutive windows of {w[0, 1] - w[0, 0]:g} days, {span}. "
                     "Each window's forecast is scored against its observed count: the count "
                     "log-score (higher is better), whether the count falls in the central "
                     "95% range, and its PIT (the forecast probability of a count at most "
                     "the observed one; mean 0.5 if calibrated, near 0 if the model "
                     "over-predicts).", "note")
    if len(result.evaluations) > 1:
        report.table(["model A vs model B", "windows where A scores higher", "windows",
                      "information gain of A over B (nats per window)"], _pairs(result))
    _figure(report, lambda ax: fplot.observed_vs_predicted(result.evaluations, result.intervals,
                                                           ax=ax, starts=starts),
            "Observed number of events in each backtest window (circles) against each "
            "model's expected count (dash) and 95% range (bar)", size=(9, 4.2))
    pits = {k: [e.pit for e in v] for k, v in result.evaluations.items()}
    _figure(report, lambda ax: fplot.pit_histogram(pits, ax=ax),
            "Calibration: histogram of the backtest windows' PIT values per model; a "
            "calibrated model is flat at 1, a pile-up near 0 means over-prediction")


def spatial_section(report: HtmlReport, result: BacktestResult) -> None:
    """Add the pyCSEP N, M, S and pseudo-likelihood results and a rate map per model."""
    report.heading("Spatial tests (pyCSEP, catalog-based)")
    reg = next(iter(result.spatial_maps.values())).region
    report.paragraph(
        f"Grid {reg.shape[1]} x {reg.shape[0]} cells of {reg.dh:g}° over longitude "
        f"{reg.lon_min:g}° to {reg.lon_max:g}°, latitude {reg.lat_min:g}° to {reg.lat_max:g}°; "
        "events outside are ignored. Fractions of windows passing at 0.05 (N two-sided; "
        "M, S and pseudo-likelihood one-sided); S and PL quantiles are P(simulated "
        "statistic <= observed).", "note")
    report.table(["model", "windows", "valid (events observed)", "N pass (fraction)",
                  "M pass (fraction)", "S pass (fraction)", "PL pass (fraction)",
                  "mean S quantile", "mean PL quantile"],
                 [[s.model, s.n_windows, s.n_valid_spatial, s.pass_n, s.pass_m, s.pass_s,
                   s.pass_pl, s.mean_s_quantile, s.mean_pl_quantile]
                  for s in result.spatial_summaries.values()])
    for name, smap in result.spatial_maps.items():
        _figure(report, lambda ax, smap=smap: fplot.spatial_rate_map(smap, ax=ax),
                f"Mean forecast rate density of {name} over the backtest (log10 events per "
                "day per square degree), observed epicentres in red", size=(6.5, 5))


def _summary(report: HtmlReport, forecasts: list[Forecast], observed_times: np.ndarray | None,
             backtest: BacktestResult | None) -> None:
    observed = None if observed_times is None else int(np.asarray(observed_times).size)
    for fc in forecasts:
        report.summary(forecast_verdict(fc, observed))
    if backtest is not None:
        for text, tone in backtest_verdicts(backtest.summaries):
            report.summary(text, tone)
        best = max(backtest.summaries.values(), key=lambda s: s.mean_log_score)
        if len(backtest.summaries) > 1:
            report.summary(f"Best mean count log-score: {best.model} "
                           f"({fmt(best.mean_log_score, 3)} nats per window).")


def write_forecast_report(
    path: str | Path,
    forecasts: list[Forecast],
    *,
    observed_times: np.ndarray | None = None,
    backtest: BacktestResult | None = None,
    title: str = "geohazard forecast",
    region: SpatialRegion | None = None,
    observed_locations: tuple[np.ndarray, np.ndarray] | None = None,
    origin: pd.Timestamp | None = None,
) -> Path:
    """Write the report: summary, comparison table, one section per forecast, the backtest.

    ``origin`` (the catalog's time zero; default: the forecasts') puts the backtest's
    windows on a date axis.
    """
    if origin is None and forecasts:
        origin = forecasts[0].origin
    report = HtmlReport(title)
    mc = forecasts[0].mag_completeness if forecasts else None
    report.paragraph("Forecasts by conditional simulation: each model continues the "
                     "catalog many times from the window start; counts are events with "
                     f"{_mc_text(mc)}.", "note")
    _summary(report, forecasts, observed_times, backtest)
    comparison_section(report, forecasts, observed_times, backtest)
    for fc in forecasts:
        forecast_section(report, fc, observed_times, region, observed_locations)
    if backtest is not None:
        backtest_section(report, backtest, origin)
        if backtest.spatial:
            spatial_section(report, backtest)
    return report.write(path)

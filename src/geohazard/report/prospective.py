"""Self-contained HTML report of a prospective forecast record."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geohazard.forecast.prospective import ArchiveEvaluation
from geohazard.plotting import forecast as fplot
from geohazard.plotting import prospective as pplot
from geohazard.report._format import pit_verdict
from geohazard.report._html import HtmlReport
from geohazard.report.forecast import _figure, backtest_verdicts

__all__ = ["write_record_report"]


def _period(evaluation: ArchiveEvaluation) -> str:
    starts = pd.to_datetime([r["window_start"] for r in evaluation.rows])
    if starts.empty:
        return "no forecast evaluated yet"
    return f"issued {starts.min():%Y-%m-%d} to {starts.max():%Y-%m-%d}"


def write_record_report(path: str | Path, evaluation: ArchiveEvaluation, *,
                        title: str = "geohazard prospective forecast record") -> Path:
    """Summary in words, one comparison table, timeline, cumulative log-score and PIT."""
    report = HtmlReport(title)
    report.paragraph(
        f"{len(evaluation.rows)} archived forecasts evaluated ({_period(evaluation)}); "
        f"{evaluation.pending} wait for observations. Counts are events above the catalog's "
        "Mc in each forecast window.", "note")
    for text, tone in backtest_verdicts(evaluation.summaries, "over this record",
                                        "forecasts"):
        report.summary(text, tone)
    if evaluation.pending:
        report.summary(f"{evaluation.pending} forecasts wait for observations.")
    report.heading("Model comparison")
    names = list(evaluation.summaries)
    s = [evaluation.summaries[n] for n in names]
    report.table(["quantity", *names], [
        ["forecasts evaluated", *[x.n_windows for x in s]],
        ["95% coverage (fraction of forecasts)", *[x.coverage_95 for x in s]],
        ["zero-likelihood misses (forecasts)", *[x.zero_likelihood_misses for x in s]],
        ["mean count log-score (nats per forecast)", *[x.mean_log_score for x in s]],
        ["mean PIT (0.5 if calibrated)", *[x.mean_pit for x in s]],
        ["verdict", *[pit_verdict(x.mean_pit) for x in s]]])
    if evaluation.rows:
        report.heading("Forecasts against observations")
        _figure(report, lambda ax: pplot.record_timeline(evaluation.rows, ax=ax),
                "Each issued forecast's expected count (dash) and 95% range (bar, one colour "
                "per model) against the observed count (circles), by issue date",
                size=(9, 4.5))
        _figure(report, lambda ax: pplot.cumulative_log_score(evaluation.rows, ax=ax),
                "Cumulative count log-score by issue date (higher is better; the steeper "
                "the fall, the worse the forecasts)")
        report.heading("Calibration")
        pits: dict[str, list[float]] = {}
        for r in evaluation.rows:
            pits.setdefault(r["model"], []).append(r["pit"])
        _figure(report, lambda ax: fplot.pit_histogram(pits, ax=ax),
                "Histogram of the forecasts' PIT values per model; a calibrated model is "
                "flat at 1, a pile-up near 0 means the model over-predicts")
    return report.write(path)

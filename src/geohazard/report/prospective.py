"""Self-contained HTML report of a prospective forecast record."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from geohazard.forecast.prospective import ArchiveEvaluation
from geohazard.plotting import forecast as fplot
from geohazard.plotting import prospective as pplot
from geohazard.report._html import HtmlReport


def _figure(report: HtmlReport, draw: object, caption: str) -> None:
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    draw(ax)  # type: ignore[operator]
    report.figure(fig, caption)
    plt.close(fig)


def write_record_report(path: str | Path, evaluation: ArchiveEvaluation, *,
                        title: str = "geohazard prospective forecast record") -> Path:
    """Summary table, timeline, cumulative log-score and PIT of the evaluated forecasts."""
    report = HtmlReport(title)
    report.paragraph(
        f"{len(evaluation.rows)} archived forecasts evaluated; {evaluation.pending} wait for "
        "observations. Counts are events above Mc in each forecast window.", "note")
    report.heading("Record")
    report.table(["model", "forecasts", "95% coverage", "zero-likelihood misses",
                  "mean count log-score", "mean PIT"],
                 [[s.model, s.n_windows, s.coverage_95, s.zero_likelihood_misses,
                   s.mean_log_score, s.mean_pit] for s in evaluation.summaries.values()])
    if evaluation.rows:
        _figure(report, lambda ax: pplot.record_timeline(evaluation.rows, ax=ax),
                "Each forecast's expected count and 95% interval against the observed count")
        _figure(report, lambda ax: pplot.cumulative_log_score(evaluation.rows, ax=ax),
                "Cumulative count log-score (the steeper, the worse)")
        pits: dict[str, list[float]] = {}
        for r in evaluation.rows:
            pits.setdefault(r["model"], []).append(r["pit"])
        _figure(report, lambda ax: fplot.pit_histogram(pits, ax=ax),
                "Calibration: PIT histogram (flat is calibrated)")
    return report.write(path)

"""DAS storm-noise analysis, written once: compute, then write tables, figures and report.

:func:`geohazard.das.pipeline.analyze` computes and writes tables; the figures and the
report are drawn by :func:`geohazard.report.das.render_analysis`, which this layer hands in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["analyze_storm", "summary_rows"]


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary of an analysis as readable ``(label, text)`` rows (units, no reprs).

    The same rows head the HTML report (:func:`geohazard.report.das.summary_rows`).
    """
    from geohazard.report.das import summary_rows as rows

    return rows(summary)


def analyze_storm(path: str | Path | Any, weather: Any, out_dir: str | Path,
                  geometry_path: str | Path | None = None, cfg: Any = None, *,
                  render: bool = True, **options: Any) -> Any:
    """Band energy, weather alignment, fits and sources; tables, figures and report.

    Parameters
    ----------
    path
        DAS file or folder (any DASCore format), or a DASCore ``Spool`` or ``Patch``.
    weather
        Weather file or an aligned-ready table.
    out_dir
        Output folder.
    geometry_path
        Channel geometry CSV.
    cfg
        :class:`~geohazard.das.pipeline.AnalysisConfig` (default settings when None).
    render
        Draw the figures and report (the config's ``figures`` / ``report`` choose which).
    **options
        Passed on to :func:`geohazard.das.pipeline.analyze` (``weather_format``,
        ``weather_columns``, ``progress``).  With ``render=False`` the tables,
        ``channels.gpkg`` and ``summary.json`` are still written.

    Returns
    -------
    AnalysisResult
        The computed result with its summary.
    """
    from geohazard.das.pipeline import analyze
    from geohazard.report.das import render_analysis

    return analyze(path, weather, out_dir, geometry_path, cfg,
                   render=render_analysis if render else None, **options)

"""Landslide jobs, written once: susceptibility (fit, validate, map, report)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["susceptibility_job"]


def susceptibility_job(factors: Mapping[str, Any], landslide: Any, out_dir: str | Path, *,
                       report: bool = True, **settings: Any) -> dict[str, Any]:
    """Fit a susceptibility model, validate it on spatial blocks, map it, write the report.

    Parameters
    ----------
    factors
        Factor rasters on one grid (name -> raster).
    landslide
        Boolean landslide cells on that grid.
    out_dir
        Output folder (GeoTIFF, tables, ``summary.json``, figures, ``report.html``).
    report
        Draw the figures and the HTML report.
    **settings
        Passed on to :func:`geohazard.landslide.pipeline.run_susceptibility` (``method``,
        ``categorical``, ``balance``, ``block_size``, ``n_folds``, ``n_estimators``,
        ``inventory``, ``rng``).

    Returns
    -------
    dict
        The run's summary.
    """
    from geohazard.landslide.pipeline import run_susceptibility
    from geohazard.report.landslide_susceptibility import write_report

    return run_susceptibility(factors, landslide, out_dir,
                              render=write_report if report else None, **settings)

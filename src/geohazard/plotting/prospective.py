"""Figures of a prospective forecast record (archived forecasts and their evaluations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from geohazard.plotting._style import (
    LINE_STYLES,
    count_intervals,
    date_axis,
    finish_count_axes,
    model_color,
)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    return ax


def _by_model(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["model"], []).append(r)
    return out


def _quantile(rs: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else r[key] for r in rs], float)


def record_timeline(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Expected count and 95% interval of each issued forecast against the observed count.

    Each model has its own colour-blind-safe colour. Up to :data:`DENSE_BARS` bars, the
    intervals are vertical bars set side by side at each issue time (they never overlap or
    blend), with the expected count as a dash; for longer records, each model's interval
    is drawn as two outlines in its colour and line style. The count axis is linear to 1
    and logarithmic above, with plain-number ticks; dates are labelled concisely.

    Parameters
    ----------
    rows
        Evaluated archive rows (``window_start``, ``model``, ``expected``, ``observed``,
        ``q025``, ``q975``), as :func:`geohazard.forecast.prospective.evaluate_archive` gives.
    ax
        Axes to draw on.
    """
    ax = _axes(ax)
    groups = _by_model(rows)
    starts = sorted({pd.Timestamp(r["window_start"]) for r in rows})
    step = (np.median(np.diff(starts)) if len(starts) > 1 else pd.Timedelta(days=1))
    series = {name: (pd.to_datetime([r["window_start"] for r in rs]), _quantile(rs, "q025"),
                     _quantile(rs, "q975"), [r["expected"] for r in rs])
              for name, rs in groups.items()}
    dense, top = count_intervals(ax, series, len(starts), 0.6, step)
    first = next(iter(groups.values()), [])
    if first:
        obs = [r["observed"] for r in first]
        ax.plot(pd.to_datetime([r["window_start"] for r in first]), obs, "ko",
                ms=2.5 if dense else 4, mfc="white", label="observed count")
        top = max(top, float(np.nanmax(np.asarray(obs, float))))
    date_axis(ax)
    ax.set_xlabel("forecast issue date (UTC)")
    ax.set_ylabel("events in the forecast window")
    finish_count_axes(ax, dense, top)
    return ax


def cumulative_log_score(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Cumulative count log-score of each model over the issue times (higher is better)."""
    ax = _axes(ax)
    for i, (name, rs) in enumerate(_by_model(rows).items()):
        t = pd.to_datetime([r["window_start"] for r in rs])
        ax.plot(t, np.cumsum([r["log_score"] for r in rs]), color=model_color(name, i),
                lw=2, ls=LINE_STYLES[i % 4], label=name)
    date_axis(ax)
    ax.set_xlabel("forecast issue date (UTC)")
    ax.set_ylabel("cumulative log-score (nats)")
    ax.grid(color="0.9", lw=0.8)
    ax.legend(fontsize=8)
    return ax

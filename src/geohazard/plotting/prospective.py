"""Figures of a prospective forecast record (archived forecasts and their evaluations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    return ax


def _by_model(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["model"], []).append(r)
    return out


def record_timeline(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Expected count and 95% interval of each issued forecast against the observed count.

    Parameters
    ----------
    rows
        Evaluated archive rows (``window_start``, ``model``, ``expected``, ``observed``,
        ``q025``, ``q975``), as :func:`geohazard.forecast.prospective.evaluate_archive` gives.
    ax
        Axes to draw on.
    """
    ax = _axes(ax)
    for i, (name, rs) in enumerate(_by_model(rows).items()):
        t = pd.to_datetime([r["window_start"] for r in rs])
        lo = np.array([np.nan if r["q025"] is None else r["q025"] for r in rs], float)
        hi = np.array([np.nan if r["q975"] is None else r["q975"] for r in rs], float)
        ax.fill_between(t, lo, hi, step="post", color=f"C{i}", alpha=0.25, label=f"{name} 95%")
        ax.step(t, [r["expected"] for r in rs], where="post", color=f"C{i}", lw=1,
                label=f"{name} expected")
    first = next(iter(_by_model(rows).values()), [])
    if first:
        ax.plot(pd.to_datetime([r["window_start"] for r in first]),
                [r["observed"] for r in first], "k.", ms=4, label="observed")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("forecast issue time (UTC)")
    ax.set_ylabel("events in the window")
    ax.legend(fontsize=8, ncol=2)
    return ax


def cumulative_log_score(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Cumulative count log-score of each model over the issue times (higher is better)."""
    ax = _axes(ax)
    for i, (name, rs) in enumerate(_by_model(rows).items()):
        t = pd.to_datetime([r["window_start"] for r in rs])
        ax.plot(t, np.cumsum([r["log_score"] for r in rs]), color=f"C{i}", label=name)
    ax.set_xlabel("forecast issue time (UTC)")
    ax.set_ylabel("cumulative log-score (nats)")
    ax.legend(fontsize=8)
    return ax

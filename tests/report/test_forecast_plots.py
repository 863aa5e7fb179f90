"""Forecast figures: dates on time axes, readable count ticks, distinct colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from geohazard.plotting.forecast import observed_vs_predicted
from geohazard.plotting.prospective import record_timeline


def _rows(n_days: int = 30):
    start = pd.Timestamp("2008-01-01", tz="UTC")
    rows = []
    for model, scale in (("poisson", 1.0), ("etas", 1.3), ("recast", 0.8)):
        for d in range(n_days):
            rows.append({"model": model, "window_start": str(start + pd.Timedelta(days=d)),
                         "expected": 10 * scale, "observed": 5 + d % 4, "q025": 4 * scale,
                         "q975": 20 * scale, "log_score": -3.0, "pit": 0.1})
    return rows


def _overlaps(labels) -> bool:
    boxes = [t.get_window_extent() for t in labels if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_record_timeline_is_readable():
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    record_timeline(_rows(), ax=ax)
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(ylabels) >= 4 and all("^" not in t and "10^" not in t for t in ylabels)
    xlabels = ax.get_xticklabels()
    assert len([t for t in xlabels if t.get_text()]) >= 3 and not _overlaps(xlabels)
    bands = [c for c in ax.collections if c.get_label().endswith("95% interval")]
    colours = {to_hex(c.get_colors()[0]) for c in bands}
    assert len(bands) == 3 and len(colours) == 3
    # side by side: no two models' bars share an x position
    xs = [tuple(np.round([seg[0][0] for seg in c.get_segments()], 6)) for c in bands]
    assert len(set(xs[0]) & set(xs[1])) == 0
    plt.close(fig)


def test_observed_vs_predicted_uses_dates():
    from types import SimpleNamespace

    evals = {m: [SimpleNamespace(expected=10.0, observed=o) for o in (3, 8, 12)]
             for m in ("poisson", "etas")}
    iv = {m: np.array([[4, 18], [4, 18], [5, 19]], float) for m in evals}
    starts = pd.date_range("2008-01-01", periods=3, freq="14D", tz="UTC")
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    observed_vs_predicted(evals, iv, ax=ax, starts=starts)
    fig.canvas.draw()
    assert "date" in ax.get_xlabel() or "start" in ax.get_xlabel()
    texts = " ".join(t.get_text() for t in ax.get_xticklabels())
    assert "Jan" in texts or "2008" in texts
    plt.close(fig)


def test_a_long_record_draws_each_model_as_outlines_that_do_not_blend():
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    record_timeline(_rows(365), ax=ax)
    fig.canvas.draw()
    bands = [ln for ln in ax.get_lines() if ln.get_label().endswith("95% interval")]
    assert len(bands) == 3 and not ax.collections  # outlines, no filled or bar collections
    assert len({to_hex(ln.get_color()) for ln in bands}) == 3
    assert len({ln.get_linestyle() for ln in bands}) == 3
    assert not _overlaps(ax.get_xticklabels())
    plt.close(fig)

"""Shared look of the forecast and catalog figures: colour-blind-safe colours, date axes.

Colours are Okabe & Ito (2008), distinct for the common forms of colour blindness; a model
keeps its colour in every figure of a report (:func:`model_color`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

#: Okabe-Ito colours (black left out: it marks observations).
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                              "#D55E00", "#F0E442")
#: Fixed colours of the usual models, so a model looks the same in every figure.
MODEL_COLORS: dict[str, str] = {"poisson": "#0072B2", "etas": "#E69F00", "recast": "#009E73"}


def model_color(name: str, index: int) -> str:
    """The colour of model ``name`` (fixed for the usual models, else by position)."""
    return MODEL_COLORS.get(name.lower(), OKABE_ITO[index % len(OKABE_ITO)])


def date_axis(ax: Axes, axis: str = "x") -> None:
    """Concise, non-overlapping date labels (year and month shown once, not per tick)."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))


def count_axis_symlog(ax: Axes, top: float) -> None:
    """A count axis, linear from 0 to 1 and logarithmic above, with readable ticks.

    Ticks at 0, 1, 2, 5, 10, 20, 50, ... up to ``top`` (plain numbers, no powers of ten),
    so the axis keeps several labelled ticks whatever the range.
    """
    ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
    ticks = [0.0]
    decade = 1.0
    while decade <= max(top, 1.0) * 1.01:
        ticks += [v for v in (decade, 2 * decade, 5 * decade) if v <= max(top, 2.0) * 1.5]
        decade *= 10
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylim(0, max(ticks[-1], top) * 1.05)


def bar_width(n_positions: int, n_models: int) -> float:
    """Line width (points) of interval bars so that side-by-side bars about fill the axes."""
    return float(np.clip(450.0 / max(1, n_positions * n_models), 0.6, 3.0))


def dodge(n: int, width: float) -> Sequence[float]:
    """Offsets placing ``n`` markers side by side within ``width`` (centred on 0)."""
    if n <= 1:
        return [0.0]
    return list(np.linspace(-width / 2, width / 2, n))


#: Above this many interval bars (positions x models) intervals are drawn as outlines.
DENSE_BARS = 150
LINE_STYLES = ("-", "--", ":", "-.")


def interval_bars(ax: Axes, x: Any, lo: Any, hi: Any, expected: Any, color: str, lw: float,
                  label: str) -> None:
    """Vertical 95% bars with the expected count as a dark dash."""
    ax.vlines(x, lo, hi, color=color, lw=lw, alpha=0.9, label=label)
    ax.plot(x, expected, linestyle="none", marker="_", ms=9, mew=2, color="0.15")


def interval_outlines(ax: Axes, x: Any, lo: Any, hi: Any, color: str, index: int,
                      label: str) -> None:
    """A long series of intervals as two step outlines in the model's colour and style."""
    style = LINE_STYLES[index % len(LINE_STYLES)]
    ax.step(x, lo, where="post", color=color, ls=style, lw=1.3, label=label)
    ax.step(x, hi, where="post", color=color, ls=style, lw=1.3)


def count_intervals(ax: Axes, series: dict[str, tuple[Any, Any, Any, Any]], n_positions: int,
                    width: float, step: Any) -> tuple[bool, float]:
    """Each model's 95% count intervals, in its colour, beside the other models'.

    ``series`` maps model name -> ``(x, lo, hi, expected)`` over ``n_positions`` positions
    ``step`` apart. Up to :data:`DENSE_BARS` bars, side-by-side bars (dodged within ``width``
    of a step) with the expected count as a dash; above, outlines. Returns whether the
    outlines were drawn and the largest upper bound (at least 1).
    """
    dense = n_positions * len(series) > DENSE_BARS
    offsets = [0.0] * len(series) if dense else dodge(len(series), width)
    top = 1.0
    for i, (name, (x, lo, hi, expected)) in enumerate(series.items()):
        xi = x + offsets[i] * step
        label = f"{name}: 95% interval"
        if dense:
            interval_outlines(ax, xi, lo, hi, model_color(name, i), i, label)
        else:
            interval_bars(ax, xi, lo, hi, expected, model_color(name, i),
                          bar_width(n_positions, len(series)), label)
        top = max(top, float(np.nanmax(hi)) if np.isfinite(hi).any() else 1.0)
    return dense, top


def finish_count_axes(ax: Axes, dense: bool, top: float) -> None:
    """The expected-count legend entry (bars only), the count axis to ``top``, grid, legend."""
    if not dense:
        ax.plot([], [], linestyle="none", marker="_", ms=9, mew=2, color="0.15",
                label="expected count")
    count_axis_symlog(ax, top)
    ax.grid(axis="y", color="0.9", lw=0.8)
    ax.legend(fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              frameon=False)

"""Figures of the long-term evolution of landslide activity after an earthquake."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

__all__ = ["plot_evolution", "plot_published_recovery"]


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 4.5)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def plot_evolution(result: Any, ax: Axes | None = None) -> Axes:
    """Observed activity, fitted decays, background and recovery time.

    Parameters
    ----------
    result
        :class:`~geohazard.landslide.evolution.EvolutionResult`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    s = result.series
    ax.plot(s["years"], s["value"], "ko", ms=4, label="observed")
    t = np.linspace(0.0, max(float(s["years"].max()), 1e-3), 300)
    for name, fit in result.fits.items():
        best = " (best)" if name == result.best else ""
        ax.plot(t, fit.predict(t), lw=1.5, label=f"{name}{best}: decay "
                f"{fit.decay_time_years:.3g} yr")
    b = result.fits[result.best]
    ax.axhline(b.params["background"], color="0.5", ls=":", label="background")
    ax.axvline(b.recovery_time_years, color="tab:green", ls="--",
               label=f"recovery {b.recovery_time_years:.3g} yr")
    ax.axvline(0.0, color="tab:red", lw=0.8)
    ax.set_xlabel("years since the earthquake")
    ax.set_ylabel(str(s.attrs.get("value_col", "activity")))
    ax.legend(fontsize=8)
    return ax


def plot_published_recovery(table: Any, fitted: float | None = None,
                            ax: Axes | None = None) -> Axes:
    """Published recovery times (bars; '>' bounds hatched) beside this fit's value.

    Parameters
    ----------
    table
        :func:`~geohazard.landslide.recovery.published_recovery_times` table.
    fitted
        This run's recovery time in years (drawn as a vertical line).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax, (7, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))
    lo = table["value_min"].to_numpy(dtype=float)
    hi = table["value_max"].fillna(table["value_min"]).to_numpy(dtype=float)
    lower = (table["relation"] == ">").to_numpy()
    upper = (table["relation"] == "<").to_numpy()
    ax.barh(y, hi, color=np.where(lower, "tab:orange", np.where(upper, "tab:purple",
                                                                   "tab:blue")), alpha=0.7)
    for k in np.nonzero(lower)[0]:
        ax.annotate("→", (hi[k], y[k]), va="center", fontsize=12)
    for k in np.nonzero(upper)[0]:
        ax.annotate("←", (hi[k], y[k]), va="center", ha="right", fontsize=12)
    ax.scatter(lo, y, color="k", s=10, zorder=3)
    ax.set_yticks(y, [f"{e} ({q.split('_')[0]})" for e, q in
                      zip(table["event"], table["quantity"], strict=True)], fontsize=8)
    if fitted is not None and np.isfinite(fitted):
        ax.axvline(fitted, color="tab:green", ls="--", label=f"this fit: {fitted:.3g} yr")
        ax.legend(fontsize=8)
    ax.set_xlabel("years (orange: lower bound '>', purple: upper bound '<')")
    return ax

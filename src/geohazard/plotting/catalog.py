"""Catalog plots: magnitude-time, cumulative count, frequency-magnitude distribution."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from geohazard.catalog.core import Catalog
from geohazard.catalog.stats import BValue, fmd


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    return ax


def _split_lines(catalog: Catalog, ax: Axes) -> None:
    md = catalog.metadata
    for name, when in (("train", md.train_start), ("val", md.val_start), ("test", md.test_start)):
        if when is not None:
            ax.axvline(when, color="0.4", lw=0.8, ls="--")
            ax.annotate(name, (when, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                        ha="left", va="top", xytext=(2, -2), textcoords="offset points")


def magnitude_time(catalog: Catalog, ax: Axes | None = None) -> Axes:
    """Scatter of magnitude against time, marker size growing with magnitude."""
    ax = _axes(ax)
    m = catalog.magnitudes
    size = 2.0 * 2.0 ** (m - m.min()) if m.size else 1.0
    ax.scatter(catalog.times, m, s=size, c="k", alpha=0.4, lw=0)
    _split_lines(catalog, ax)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("magnitude")
    ax.set_title(catalog.metadata.name or "catalog")
    return ax


def cumulative_count(catalog: Catalog, ax: Axes | None = None) -> Axes:
    """Cumulative number of events against time."""
    ax = _axes(ax)
    ax.step(catalog.times, np.arange(1, len(catalog) + 1), where="post", color="C0")
    _split_lines(catalog, ax)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("cumulative number of events")
    return ax


def frequency_magnitude(
    catalog: Catalog, bvalue: BValue | None = None, bin_width: float = 0.1, ax: Axes | None = None
) -> Axes:
    """Frequency-magnitude distribution with the fitted Gutenberg-Richter line."""
    ax = _axes(ax)
    dist = fmd(catalog.magnitudes, bin_width)
    ax.semilogy(dist["magnitude"], dist["cumulative"], "o", ms=4, label="cumulative N(≥M)")
    ax.semilogy(dist["magnitude"], np.maximum(dist["count"], 0.5), "s", ms=3, mfc="none",
                label="per bin")
    if bvalue is not None:
        mags = np.linspace(bvalue.mc, dist["magnitude"].max(), 50)
        ax.semilogy(mags, 10 ** (bvalue.a - bvalue.b * (mags - bvalue.mc)), "r-",
                    label=f"GR b = {bvalue.b:.3f} ± {bvalue.se:.3f}")
    ax.set_xlabel("magnitude")
    ax.set_ylabel("number of events")
    ax.legend(fontsize=8)
    return ax


def save_plots(catalog: Catalog, out_dir: str | Path) -> list[Path]:
    """Write magnitude-time, cumulative-count and FMD PNGs into ``out_dir`` (atomically).

    The FMD shows the b-value above the sidecar's Mc (strict cut), else above the
    maximum-curvature Mc.
    """
    from geohazard.catalog.stats import b_value, mc_maxc
    from geohazard.catalog.summary import bin_width
    from geohazard.io_utils import atomic_path

    out = Path(out_dir)
    md = catalog.metadata
    mc = md.mag_completeness if md.mag_completeness is not None else mc_maxc(catalog.magnitudes)
    bv = b_value(catalog.magnitudes, mc, bin_width(catalog),
                 strict=md.mag_completeness is not None)
    paths = []
    for name, draw in (
        ("magnitude_time", lambda ax: magnitude_time(catalog, ax=ax)),
        ("cumulative_count", lambda ax: cumulative_count(catalog, ax=ax)),
        ("frequency_magnitude", lambda ax: frequency_magnitude(catalog, bv, ax=ax)),
    ):
        fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
        draw(ax)
        path = out / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths

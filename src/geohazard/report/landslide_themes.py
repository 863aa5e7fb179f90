"""Report sections of issue 15: causes (amplification), modes and long-term evolution.

Each ``*_section`` adds one section to an :class:`~geohazard.report._html.HtmlReport`;
each ``write_*`` writes a figure PNG (atomically) and a self-contained ``report.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geohazard.io_utils import atomic_path
from geohazard.report._html import HtmlReport

__all__ = [
    "causes_section",
    "evolution_section",
    "modes_section",
    "save_figure",
    "write_causes_report",
    "write_evolution_report",
    "write_modes_report",
]


def save_figure(fig: Any, path: Path, dpi: int = 100) -> Path:
    """Save a Matplotlib figure to ``path`` atomically (PNG)."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path


def causes_section(rep: HtmlReport, stats: Mapping[str, Any], amp: Any,
                   relation: Any = None) -> HtmlReport:
    """Shaking amplification: settings, figures, map and (optionally) PGA classes."""
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide_causes as cp

    rep.heading("Causes: site and topographic amplification")
    rel = stats.get("relation", {})
    rep.paragraph(f"Frequency-scaled curvature (Maufroy et al. 2015): Vs = {stats['vs_mps']:g}"
                  f" m/s, f = {stats['freq_hz']:g} Hz, wavelength {stats['wavelength_m']:.4g}"
                  f" m, smoothing sigma {stats['smoothing_sigma_m']:.4g} m; A = 1 + "
                  f"{rel.get('gain', float('nan')):g} FSC clipped to {rel.get('a_min')}.."
                  f"{rel.get('a_max')} (coefficients verified: {rel.get('verified')}). "
                  f"Vs30: {stats['vs30_source']}.", "note")
    rep.key_values({k: v for k, v in stats.items() if isinstance(v, int | float)
                    and k not in ("vs_mps", "freq_hz")})
    fig, ax = plt.subplots(figsize=(7, 5))
    cp.plot_amplification(amp, ax=ax)
    rep.figure(fig, "Topographic amplification: crests above 1 (red), valleys below (blue).")
    plt.close(fig)
    if relation is not None:
        fig, ax = plt.subplots(figsize=(8, 4))
        cp.plot_pga_relation(relation.tables, ax=ax)
        rep.figure(fig, "Landslide area density by PGA class, with and without amplification.")
        plt.close(fig)
    return rep


def write_causes_report(out_dir: Path, stats: Mapping[str, Any], amp: Any,
                        relation: Any = None) -> Path:
    """``amplification.png`` and ``report.html`` of an amplification run."""
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide_causes as cp

    fig, ax = plt.subplots(figsize=(7, 5))
    cp.plot_amplification(amp, ax=ax)
    save_figure(fig, out_dir / "amplification.png")
    plt.close(fig)
    rep = causes_section(HtmlReport("Landslide causes: shaking amplification"), stats, amp,
                         relation)
    return rep.write(out_dir / "report.html")


def modes_section(rep: HtmlReport, result: Any) -> HtmlReport:
    """Landslide modes: rules and sources, counts and area, mobility figure, CV."""
    import matplotlib.pyplot as plt

    from geohazard.landslide.modes import RULE_SOURCES
    from geohazard.plotting import landslide_modes as mp

    rep.heading("Modes: fall, slide, avalanche, deformation")
    rep.table(["mode", "count", "area km²"],
              [[r.mode, r.count, r.area_km2] for r in result.summary.itertuples()])
    rep.table(["threshold", "value", "source"],
              [[k, v, RULE_SOURCES.get(k, "")] for k, v in result.rules.items()])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    mp.plot_mode_mobility(result.table, ax=ax)
    rep.figure(fig, "Mobility H/L against volume; Scheidegger (1973) dashed.")
    plt.close(fig)
    if result.cv is not None:
        rep.key_values({"classifier accuracy (blocked CV)": result.cv.accuracy_mean,
                        "rule accuracy on the labels": result.cv.rule_accuracy})
    return rep


def write_modes_report(out_dir: Path, result: Any) -> Path:
    """``modes.png`` and ``report.html`` of a modes run."""
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide_modes as mp

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    mp.plot_mode_mobility(result.table, ax=axes[0])
    mp.plot_mode_summary(result.summary, ax=axes[1])
    fig.tight_layout()
    save_figure(fig, out_dir / "modes.png")
    plt.close(fig)
    return modes_section(HtmlReport("Landslide modes"), result).write(out_dir / "report.html")


def evolution_section(rep: HtmlReport, result: Any, published: Any) -> HtmlReport:
    """Long-term evolution: fits with uncertainty beside the published recovery times."""
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide_evolution as ep

    d = result.to_dict()
    rep.heading("Long-term evolution of landslide activity")
    rep.key_values({"best model (AIC)": d["best_model"],
                    "decay time (yr)": d["decay_time_years"]["value"],
                    "decay time std (yr)": d["decay_time_years"]["std"],
                    "recovery time (yr)": d["recovery_time_years"]["value"],
                    "recovery time std (yr)": d["recovery_time_years"]["std"],
                    "recovery: excess within": f"{d['recovery_fraction']:g} of the "
                                               f"{d['recovery_reference']}"})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ep.plot_evolution(result, ax=ax)
    rep.figure(fig, "Activity after the earthquake with exponential and power-law fits.")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    ep.plot_published_recovery(published, d["recovery_time_years"]["value"], ax=ax)
    rep.figure(fig, "Published recovery and decay times beside this fit.")
    plt.close(fig)
    rep.table(["event", "quantity", "relation", "min", "max", "status", "source"],
              [[r.event, r.quantity, r.relation, r.value_min, r.value_max, r.status,
                r.source] for r in published.itertuples()])
    return rep


def write_evolution_report(out_dir: Path, result: Any, published: Any) -> Path:
    """``evolution.png`` and ``report.html`` of an evolution run."""
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide_evolution as ep

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    ep.plot_evolution(result, ax=axes[0])
    ep.plot_published_recovery(published, result.fits[result.best].recovery_time_years,
                               ax=axes[1])
    fig.tight_layout()
    save_figure(fig, out_dir / "evolution.png")
    plt.close(fig)
    rep = evolution_section(HtmlReport("Landslide activity after the earthquake"), result,
                            published)
    return rep.write(out_dir / "report.html")

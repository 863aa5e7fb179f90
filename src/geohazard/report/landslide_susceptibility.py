"""Self-contained HTML report of a landslide susceptibility run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geohazard.report._html import HtmlReport

__all__ = ["write_report"]


def _model_rows(model: Mapping[str, Any]) -> list[list[Any]]:
    names = model["features"]
    if model["method"] == "logistic":
        rows = [["intercept", model["intercept"], model["intercept_se"]]]
        rows += [[n, c, s] for n, c, s in zip(names, model["coef"], model["coef_se"],
                                               strict=True)]
        return rows
    return [[n, imp, ""] for n, imp in zip(names, model["feature_importances"], strict=True)]


def _auc_words(auc: float) -> str:
    """Hosmer & Lemeshow's (2000) reading of a ROC AUC."""
    if auc >= 0.9:
        return "outstanding"
    if auc >= 0.8:
        return "excellent"
    if auc >= 0.7:
        return "acceptable"
    return "poor"


def _verdicts(cv: Any) -> list[tuple[str, str]]:
    """The summary in plain words: held-out skill, and a gap that suggests over-fitting."""
    auc, sd = cv.auc_mean, cv.auc_std
    out = [(f"Held-out AUC {auc:.2f} ± {sd:.2f} over {len(cv.auc_folds)} spatial blocks: "
            f"{_auc_words(auc)} discrimination (0.5 is chance, 1 perfect; Hosmer & "
            "Lemeshow 2000).", "good" if auc >= 0.7 else "warn")]
    gap = cv.success_rate.auc - cv.prediction_rate.auc
    if gap > 0.05:
        out.append((f"The model ranks its training landslides better than held-out ones "
                    f"(success-rate AUC {cv.success_rate.auc:.2f} vs prediction-rate "
                    f"{cv.prediction_rate.auc:.2f}): it may be over-fitted.", "warn"))
    else:
        out.append((f"Success-rate and prediction-rate AUCs agree ({cv.success_rate.auc:.2f} "
                    f"and {cv.prediction_rate.auc:.2f}): no sign of over-fitting.", "info"))
    return out


def _crs_of(raster: Any) -> Any:
    """The CRS of a rioxarray raster, or None (the label then assumes metres)."""
    try:
        return raster.rio.crs
    except AttributeError:
        return None


def write_report(out_dir: Path, summary: Mapping[str, Any], smap: Any, landslide: Any,
                 cv: Any, tables: Mapping[str, Any]) -> Path:
    """Write ``report.html`` (and the PNG figures beside it) for a susceptibility run.

    Parameters
    ----------
    out_dir
        Output folder.
    summary
        Summary dict of :func:`geohazard.landslide.pipeline.run_susceptibility`.
    smap
        Susceptibility raster.
    landslide
        Landslide mask raster.
    cv
        :class:`~geohazard.landslide.susceptibility.CVResult`.
    tables
        Factor name to factor-statistics table.

    Returns
    -------
    pathlib.Path
        The report's path.
    """
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide as lplot

    rep = HtmlReport("Landslide susceptibility")
    for text, tone in _verdicts(cv):
        rep.summary(text, tone)
    rep.paragraph(f"Method: {summary['method']}; {summary['n_cells']} cells, "
                  f"{summary['n_landslide_cells']} landslide cells; spatially blocked "
                  f"{len(cv.auc_folds)}-fold cross-validation with blocks of "
                  f"{lplot.length_label(summary['block_size'], _crs_of(smap))}.")
    rep.heading("Validation")
    rep.key_values({"held-out AUC (mean)": cv.auc_mean, "held-out AUC (std)": cv.auc_std,
                    "prediction-rate AUC": cv.prediction_rate.auc,
                    "success-rate AUC": cv.success_rate.auc})
    fig, ax = plt.subplots(figsize=(5, 5))
    lplot.plot_rate_curves({"success rate": cv.success_rate,
                            "prediction rate": cv.prediction_rate}, ax=ax)
    fig.savefig(out_dir / "rate_curves.png", dpi=100, bbox_inches="tight")
    rep.figure(fig, "Success rate (training landslides) and prediction rate (held-out blocks).")
    plt.close(fig)
    rep.heading("Model")
    head = ["term", "coefficient", "std. error"] if summary["method"] == "logistic" else \
        ["feature", "importance", ""]
    rep.table(head, _model_rows(summary["model"]))
    fig, ax = plt.subplots(figsize=(6, 5))
    lplot.plot_map(smap, ax=ax, cmap="magma", landslides=landslide, title="susceptibility")
    fig.savefig(out_dir / "susceptibility.png", dpi=100, bbox_inches="tight")
    rep.figure(fig, "Susceptibility with landslide cells outlined.")
    plt.close(fig)
    rep.heading("Factor statistics")
    for name, t in tables.items():
        rep.table(["class", "area %", "landslides", "density /km²", "LA %", "FR", "IV"],
                  [[r.label, r.class_area_pct, r.n_landslides, r.number_density_per_km2,
                    r.area_pct, r.fr, r.iv] for r in t.itertuples()])
        fig, ax = plt.subplots(figsize=(7, 3.5))
        lplot.plot_factor_statistics(t, ax=ax)
        rep.figure(fig, f"Frequency ratio per class of {name}.")
        plt.close(fig)
    return rep.write(out_dir / "report.html")

"""Success- and prediction-rate curves and ROC AUC of susceptibility scores.

Cumulative fraction of landslide cells against cumulative fraction of area, cells sorted by
decreasing susceptibility (step 4 of :mod:`geohazard.landslide.susceptibility`, which
re-exports these names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geohazard.exceptions import InputError

__all__ = ["RateCurve", "rate_curve", "roc_auc"]


@dataclass(frozen=True)
class RateCurve:
    """Success- or prediction-rate curve.

    Attributes
    ----------
    area_fraction
        Cumulative fraction of area, cells by decreasing susceptibility, shape ``(K,)``.
    landslide_fraction
        Cumulative fraction of landslide cells (area-weighted) at those points.
    auc
        Area under the curve (0.5 = random, 1 = perfect).
    """

    area_fraction: np.ndarray
    landslide_fraction: np.ndarray
    auc: float

    def to_dict(self, n: int = 101) -> dict[str, Any]:
        """JSON-friendly summary resampled at ``n`` area fractions."""
        grid = np.linspace(0.0, 1.0, n)
        return {"auc": self.auc, "area_fraction": grid.tolist(),
                "landslide_fraction": np.interp(grid, self.area_fraction,
                                                self.landslide_fraction).tolist()}


def rate_curve(score: np.ndarray, landslide: np.ndarray,
               cell_area: np.ndarray | None = None) -> RateCurve:
    """Success-/prediction-rate curve of a susceptibility score.

    Parameters
    ----------
    score
        Susceptibility per cell, shape ``(n,)``.
    landslide
        0/1 landslide label per cell (training landslides for a success-rate curve,
        held-out ones for a prediction-rate curve).
    cell_area
        Cell areas (uniform when omitted).

    Returns
    -------
    RateCurve
    """
    score = np.asarray(score, dtype=np.float64)
    lab = np.asarray(landslide, dtype=np.float64)
    w = np.ones_like(score) if cell_area is None else np.asarray(cell_area, dtype=np.float64)
    if lab.sum() == 0:
        raise InputError("rate curve needs at least one landslide cell")
    order = np.argsort(-score, kind="stable")
    s, a, hits = score[order], w[order], lab[order] * w[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # ties move together
    area = np.r_[0.0, np.cumsum(a)[last] / a.sum()]
    slide = np.r_[0.0, np.cumsum(hits)[last] / hits.sum()]
    return RateCurve(area, slide, float(np.trapezoid(slide, area)))


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (scikit-learn), NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if np.unique(y).size < 2:
        return float("nan")
    return float(roc_auc_score(y, score))

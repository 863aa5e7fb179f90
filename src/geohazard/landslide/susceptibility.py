"""Landslide susceptibility on grid cells: logistic regression and random forest.

Workflow (each step a free function, the model a scikit-learn estimator):

1. :func:`cell_table` flattens aligned factor rasters and a landslide mask into a table of
   cells (``x``, ``y``, ``row``, ``col``, factors, ``landslide``), dropping NaN cells;
   :func:`unit_table` aggregates them into mapping units (slope units) instead, and
   :func:`map_units` paints unit predictions back onto the grid.
2. :class:`SusceptibilityModel` (``method="logistic"`` or ``"random_forest"``) fits on a
   *balanced* sample: every landslide cell and ``balance`` times as many random stable
   cells. For logistic regression the intercept is corrected for that case-control
   sampling (King & Zeng 2001, "prior correction": ``b0 += log(r1/r0)`` with ``r1``, ``r0``
   the sampled fractions of landslide and stable cells), so ``predict_proba`` is the
   population probability and ``coef_``/``intercept_`` estimate the generating model; their
   standard errors ``coef_se_`` come from the observed Fisher information.
3. :func:`blocked_cross_validation` assigns square spatial blocks (``block_size`` in CRS
   units) at random to folds, so training and test cells are spatially separated; it
   reports ROC AUC per fold and the pooled prediction-rate curve.
4. :func:`rate_curve` gives success-rate (training landslides) and prediction-rate (held-out
   landslides) curves: cumulative fraction of landslide cells against cumulative fraction
   of area, cells sorted by decreasing susceptibility, and the area under the curve.
5. :func:`predict_map` writes the susceptibility raster (chunked over rows, bounded memory).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import BaseEstimator, ClassifierMixin

from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.landslide import raster as rst
from geohazard.landslide.cells import (
    balanced_sample,
    cell_table,
    map_units,
    spatial_blocks,
    unit_table,
)
from geohazard.landslide.rate_curves import RateCurve, rate_curve, roc_auc
from geohazard.rng import RNGLike, as_generator

__all__ = [
    "CVResult",
    "RateCurve",
    "SusceptibilityModel",
    "balanced_sample",
    "blocked_cross_validation",
    "cell_table",
    "map_units",
    "predict_map",
    "rate_curve",
    "roc_auc",
    "spatial_blocks",
    "unit_table",
]

METHODS = ("logistic", "random_forest")


# --------------------------------------------------------------------------- model


class SusceptibilityModel(ClassifierMixin, BaseEstimator):
    """Logistic-regression or random-forest susceptibility model on cell tables.

    Parameters
    ----------
    method
        ``"logistic"`` (unpenalised unless ``C`` is finite) or ``"random_forest"``.
    features
        Factor columns to use (default: every column of ``X`` except cell bookkeeping).
    categorical
        Columns treated as classes (one-hot, first class as reference for logistic).
    balance
        Stable cells sampled per landslide cell; ``None`` uses all cells.
    C
        Inverse L2 strength for logistic regression (``inf``: no penalty).
    n_estimators, max_depth, min_samples_leaf
        Random-forest settings.
    max_iter, tol
        Logistic solver settings.
    random_state
        Seed or Generator for sampling and the forest.
    """

    _BOOKKEEPING = ("row", "col", "x", "y", "cell_area_m2", "landslide", "fold", "block",
                    "unit", "n_cells")

    def __init__(self, method: str = "logistic", features: Sequence[str] | None = None,
                 categorical: Sequence[str] = (), balance: float | None = 1.0,
                 C: float = np.inf, n_estimators: int = 300, max_depth: int | None = None,
                 min_samples_leaf: int = 5, max_iter: int = 1000, tol: float = 1e-8,
                 random_state: RNGLike = None) -> None:
        self.method = method
        self.features = features
        self.categorical = categorical
        self.balance = balance
        self.C = C
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- design matrix
    def _columns(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            missing = [f for f in self.features if f not in X.columns]
            if missing:
                raise InputError(f"cell table lacks factor column(s) {missing}")
            return list(self.features)
        return [c for c in X.columns if c not in self._BOOKKEEPING]

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        blocks: list[np.ndarray] = []
        for name in self.feature_names_:
            v = X[name].to_numpy(dtype=np.float64)
            if name in self.categories_:
                cats = self.categories_[name]
                drop = 1 if self.method == "logistic" else 0
                blocks.extend((v == c).astype(np.float64) for c in cats[drop:])
            else:
                blocks.append(v)
        Z = np.column_stack(blocks)
        if not np.isfinite(Z).all():
            raise InputError("factor values must be finite (drop NaN cells with cell_table)")
        return Z

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series | None = None
            ) -> SusceptibilityModel:
        """Fit on a cell table; ``y`` defaults to its ``landslide`` column.

        Parameters
        ----------
        X
            Cell table (:func:`cell_table`).
        y
            0/1 labels.

        Returns
        -------
        SusceptibilityModel
            ``self``.
        """
        if self.method not in METHODS:
            raise ParameterError(f"method must be one of {METHODS}, got {self.method!r}")
        if y is None and "landslide" not in X.columns:
            raise InputError("cell table has no 'landslide' column; pass y")
        y = np.asarray(X["landslide"] if y is None else y).astype(np.int8)
        if y.shape != (len(X),) or not np.isin(y, (0, 1)).all():
            raise InputError(f"labels must be 0/1 with one per cell ({len(X)} cells)")
        gen = as_generator(self.random_state)
        self.feature_names_ = self._columns(X)
        self.categories_ = {c: np.unique(X[c].to_numpy(dtype=np.float64))
                            for c in self.categorical}
        idx = (np.arange(y.size) if self.balance is None
               else balanced_sample(y, self.balance, gen))
        Z, yy = self._design(X.iloc[idx]), y[idx]
        self.n_train_ = int(idx.size)
        self.sampling_rates_ = (float(yy.sum() / max(y.sum(), 1)),
                                float((yy == 0).sum() / max((y == 0).sum(), 1)))
        self.classes_ = np.array([0, 1])
        if self.method == "logistic":
            self._fit_logistic(Z, yy)
        else:
            self._fit_forest(Z, yy, gen)
        return self

    def _fit_logistic(self, Z: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        mu, sd = Z.mean(axis=0), Z.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        est = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol)
        est.fit((Z - mu) / sd, y)
        b = est.coef_[0] / sd
        r1, r0 = self.sampling_rates_
        self.estimator_ = est
        self.coef_ = b
        self.intercept_ = float(est.intercept_[0] - b @ mu - np.log(r1 / r0))
        self.coef_se_, self.intercept_se_ = _logistic_se(Z, b, self.intercept_ + np.log(r1 / r0))
        self.n_iter_ = int(est.n_iter_[0])

    def _fit_forest(self, Z: np.ndarray, y: np.ndarray, gen: np.random.Generator) -> None:
        from sklearn.ensemble import RandomForestClassifier

        est = RandomForestClassifier(
            n_estimators=self.n_estimators, max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf, n_jobs=1,
            random_state=int(gen.integers(2**31 - 1)))
        est.fit(Z, y)
        self.estimator_ = est
        self.feature_importances_ = est.feature_importances_

    def _check(self) -> None:
        if not hasattr(self, "estimator_"):
            raise NotFittedError("SusceptibilityModel is not fitted; call fit() first")

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds (logistic) or forest vote logit; higher means more susceptible."""
        p = self.predict_proba(X)[:, 1]
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape ``(n, 2)``.

        Logistic: population probability (prior-corrected). Random forest: the forest's
        vote fraction on the balanced sample (a score for ranking, not a calibrated rate).
        """
        self._check()
        Z = self._design(X)
        if self.method == "logistic":
            eta = self.intercept_ + Z @ self.coef_
            p1 = 0.5 * (1.0 + np.tanh(0.5 * eta))  # stable logistic
        else:
            p1 = self.estimator_.predict_proba(Z)[:, 1]
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 labels at probability 0.5 (mostly useful on balanced data)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int8)

    def summary(self) -> dict[str, Any]:
        """Fitted figures as a JSON-friendly dict."""
        self._check()
        out: dict[str, Any] = {"method": self.method, "n_train": self.n_train_,
                               "features": self.design_names()}
        if self.method == "logistic":
            out.update(intercept=self.intercept_, intercept_se=self.intercept_se_,
                       coef=self.coef_.tolist(), coef_se=self.coef_se_.tolist())
        else:
            out["feature_importances"] = self.feature_importances_.tolist()
        return out

    def design_names(self) -> list[str]:
        """Names of the design-matrix columns (one-hot columns as ``name=value``)."""
        self._check()
        names: list[str] = []
        drop = 1 if self.method == "logistic" else 0
        for n in self.feature_names_:
            if n in self.categories_:
                names.extend(f"{n}={c:g}" for c in self.categories_[n][drop:])
            else:
                names.append(n)
        return names


def _logistic_se(Z: np.ndarray, b: np.ndarray, b0: float) -> tuple[np.ndarray, float]:
    """Standard errors from the observed Fisher information on the fitted sample."""
    A = np.column_stack([np.ones(len(Z)), Z])
    eta = b0 + Z @ b
    p = 0.5 * (1.0 + np.tanh(0.5 * eta))
    info = (A * (p * (1 - p))[:, None]).T @ A
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return se[1:], float(se[0])


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class CVResult:
    """Spatially blocked cross-validation result.

    Attributes
    ----------
    auc_folds
        Held-out ROC AUC per fold.
    prediction_rate
        Pooled prediction-rate curve of the held-out scores.
    success_rate
        Success-rate curve of a model fitted on all cells.
    fold
        Fold of each cell of the table, shape ``(n,)``.
    score
        Held-out score of each cell.
    model
        The model fitted on all cells (whose success rate is reported).
    """

    auc_folds: np.ndarray
    prediction_rate: RateCurve
    success_rate: RateCurve
    fold: np.ndarray = field(repr=False)
    score: np.ndarray = field(repr=False)
    model: Any = field(default=None, repr=False)

    @property
    def auc_mean(self) -> float:
        """Mean held-out AUC."""
        return float(np.nanmean(self.auc_folds))

    @property
    def auc_std(self) -> float:
        """Standard deviation of the held-out AUC over folds."""
        return float(np.nanstd(self.auc_folds))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {"auc_folds": self.auc_folds.tolist(), "auc_mean": self.auc_mean,
                "auc_std": self.auc_std, "prediction_rate": self.prediction_rate.to_dict(),
                "success_rate": self.success_rate.to_dict()}


def success_rate(fitted: SusceptibilityModel, table: pd.DataFrame) -> RateCurve:
    """Success-rate curve of a model fitted on all cells of ``table`` (area-weighted)."""
    area = table["cell_area_m2"].to_numpy() if "cell_area_m2" in table else None
    return rate_curve(fitted.predict_proba(table)[:, 1], table["landslide"].to_numpy(), area)


def blocked_cross_validation(
    model: SusceptibilityModel, table: pd.DataFrame, *, block_size: float,
    n_folds: int = 5, rng: RNGLike = None, final: Callable[[int], SusceptibilityModel] | None
    = None,
) -> CVResult:
    """K-fold cross-validation with spatial blocks assigned at random to folds.

    Parameters
    ----------
    model
        Unfitted model (cloned for every fold).
    table
        Cell table with ``x``, ``y`` and ``landslide``.
    block_size
        Block side in CRS units (choose larger than the factors' correlation length).
    n_folds
        Number of folds (>= 2, <= number of blocks).
    rng
        Generator or seed for the block-to-fold assignment.
    final
        Fits the model on all cells given a random state (the caller's final model, so it
        is fitted once and its success rate reported); default: a clone of ``model``.

    Returns
    -------
    CVResult
    """
    from sklearn.base import clone

    blocks = spatial_blocks(table["x"].to_numpy(), table["y"].to_numpy(), block_size)
    uniq = np.unique(blocks)
    if not 2 <= n_folds <= uniq.size:
        raise ParameterError(f"n_folds={n_folds} needs 2..{uniq.size} (number of blocks)")
    gen = as_generator(rng)
    fold_of_block = np.empty(uniq.size, dtype=np.int64)
    fold_of_block[gen.permutation(uniq.size)] = np.arange(uniq.size) % n_folds
    fold = fold_of_block[np.searchsorted(uniq, blocks)]
    y = table["landslide"].to_numpy()
    score = np.full(len(table), np.nan)
    aucs = np.full(n_folds, np.nan)
    for k in range(n_folds):
        test = fold == k
        if y[~test].sum() == 0:
            continue
        m = clone(model).set_params(random_state=gen.integers(2**31 - 1))
        m.fit(table[~test])
        score[test] = m.predict_proba(table[test])[:, 1]
        aucs[k] = roc_auc(y[test], score[test])
    area = table["cell_area_m2"].to_numpy() if "cell_area_m2" in table else None
    ok = np.isfinite(score)
    pred = rate_curve(score[ok], y[ok], None if area is None else area[ok])
    state = gen.integers(2**31 - 1)
    full = (final(int(state)) if final is not None
            else clone(model).set_params(random_state=state).fit(table))
    return CVResult(aucs, pred, success_rate(full, table), fold, score, full)


# --------------------------------------------------------------------------- maps


def predict_map(model: SusceptibilityModel, factors: Mapping[str, xr.DataArray],
                rows_per_chunk: int = 512) -> xr.DataArray:
    """Susceptibility raster from a fitted model, computed a band of rows at a time.

    Parameters
    ----------
    model
        Fitted model.
    factors
        The factor rasters (same names as in training), on one grid.
    rows_per_chunk
        Rows per batch (bounds the size of the temporary cell table).

    Returns
    -------
    xarray.DataArray
        ``susceptibility`` (probability for logistic, score for random forest), NaN where a
        factor is NaN.
    """
    model._check()
    names = list(factors)
    ref = factors[names[0]]
    out = np.full(ref.shape, np.nan, dtype=np.float32)
    for r0 in range(0, ref.shape[0], rows_per_chunk):
        sub = {n: factors[n].isel(y=slice(r0, r0 + rows_per_chunk)) for n in names}
        tab = cell_table(sub)
        if len(tab):
            p = model.predict_proba(tab)[:, 1]
            out[r0 + tab["row"].to_numpy(), tab["col"].to_numpy()] = p
    return rst.like(ref, out, name="susceptibility", units="1")

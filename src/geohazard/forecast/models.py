"""Build fitted forecast models by name for the CLI, the demo and backtests."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.forecasting import params_hash

log = logging.getLogger(__name__)
MODEL_NAMES = ("poisson", "etas", "recast")


def parse_models(spec: str) -> list[str]:
    """``"etas,recast"`` or ``"both"`` -> model names, validated."""
    names = ["etas", "recast"] if spec == "both" else [s.strip() for s in spec.split(",") if s]
    bad = [n for n in names if n not in MODEL_NAMES]
    if bad or not names:
        raise InputError(f"--model: unknown model(s) {bad or spec!r}; use {MODEL_NAMES} or 'both'")
    return names


def fit_model(
    name: str,
    catalog: Catalog,
    fit_end: Any,
    *,
    seed: int = 0,
    checkpoint: Path | None = None,
    recast_max_time_s: float | None = None,
) -> tuple[PointProcessModel, dict[str, Any]]:
    """Fit model ``name`` on the catalog's events before ``fit_end``.

    The fit is scored from the catalog's ``train_start`` (if known) so earlier events act as
    history, as in the RECAST paper. RECAST trains on the train/val splits (or loads
    ``checkpoint``).

    Returns
    -------
    model, info
        The fitted model and provenance (training span, parameter hash).
    """
    md = catalog.metadata
    fit_end = to_utc(fit_end, "fit_end")
    nll0 = md.train_start if md.train_start is not None and md.train_start < fit_end else None
    history = catalog.to_sequence(t_end=fit_end, t_nll_start=nll0)
    info: dict[str, Any] = {"training_start": str(catalog.origin),
                            "training_end": str(fit_end)}
    if name == "poisson":
        from geohazard.forecast.poisson import PoissonGR

        model: Any = PoissonGR().fit(history)
        info["params_hash"] = params_hash({"rate": model.rate_per_day_, "b": model.b_})
    elif name == "etas":
        from geohazard.forecast.etas.model import ETAS

        # tapered: subcritical and the best test NLL (bench_etas); parameter uncertainty propagated
        model = ETAS(taper_days=1000.0, param_draws=20).fit(history)
        info["params"] = model.summary()
        info["params_hash"] = params_hash(info["params"].get("params", info["params"]))
    elif name == "recast":
        model, rinfo = _recast(catalog, seed, checkpoint, recast_max_time_s, fit_end)
        info.update(rinfo)
    else:
        raise InputError(f"unknown model {name!r}; use one of {MODEL_NAMES}")
    return model, info


def check_forecast_start(catalog: Catalog, start: Any, *, what: str = "start",
                         allow_extrapolation: bool = False,
                         allow_hint: str = "allow_extrapolation=True") -> pd.Timestamp:
    """The forecast start as UTC, refused (or loudly warned) when the data do not reach it.

    A forecast after :attr:`Catalog.coverage_end` would fit its models on a stretch with no
    observations (as if nothing had happened) and extrapolate from it.

    Parameters
    ----------
    catalog
        The catalog with the history.
    start
        Forecast start (UTC).
    what, allow_hint
        How messages name the start and the override (the CLI passes its flags).
    allow_extrapolation
        Issue anyway, with a warning.
    """
    ts = to_utc(start, what)
    origin, cover = catalog.origin, catalog.coverage_end
    if ts <= origin:
        raise InputError(f"{what} {ts} is not after the start of catalog "
                         f"'{catalog.metadata.name}' ({origin}): there is no history to fit")
    if ts > cover:
        gap = (ts - cover) / pd.Timedelta(days=1)
        text = (f"{what} {ts} is {gap:.4g} days after the end of the data (catalog "
                f"'{catalog.metadata.name}' covers to {cover}): the models would be fitted "
                "on a stretch without data and the forecast extrapolated")
        if not allow_extrapolation:
            raise InputError(f"{text}; pass {allow_hint} to issue it anyway")
        log.warning("EXTRAPOLATION: %s", text)
    return ts


def check_no_lookahead(catalog: Catalog, fit_end: Any) -> None:
    """RECAST trains on the train/val splits: they must end by the forecast start."""
    test_start, start = catalog.metadata.test_start, to_utc(fit_end)
    if test_start is not None and start < test_start:
        raise InputError(f"recast: training uses the train/val splits, which run to "
                         f"{test_start}, after the forecast start {start}: "
                         "that would use future events; pass --checkpoint of a model "
                         "trained on earlier data, or start at or after the test split")


def _recast(catalog: Catalog, seed: int, checkpoint: Path | None,
            max_time_s: float | None, fit_end: Any = None) -> tuple[Any, dict[str, Any]]:
    from geohazard.forecast.recast.estimator import Recast
    from geohazard.forecast.recast.train import TrainConfig

    if checkpoint is not None:
        return Recast.load(checkpoint), {"params_hash": params_hash(Path(checkpoint).read_bytes())}
    if not catalog.metadata.has_splits:
        raise InputError("recast: the catalog needs train/val/test split dates to train "
                         "(or pass --checkpoint)")
    if fit_end is not None:
        check_no_lookahead(catalog, fit_end)
    model = Recast(TrainConfig(seed=seed, max_time_s=max_time_s)).fit(catalog)
    return model, {"params_hash": f"recast-seed{seed}"}

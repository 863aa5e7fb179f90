"""Earthquake forecasting: temporal ETAS, the RECAST neural point process, forecasts.

The public names load on first use, so ``import geohazard.forecast`` stays fast (no torch,
Lightning or matplotlib until a model that needs them is asked for)::

    from geohazard.forecast import ETAS, PoissonGR, Recast, issue_forecast, backtest
    model = ETAS(taper_days=1000.0).fit(catalog, fit_end="2016-01-01")
    fc = issue_forecast(model, catalog.to_sequence(t_end="2016-01-01"), 14.0, 10_000)

Temporal models: :class:`ETAS`, :class:`Recast`, :class:`PoissonGR`. Located models:
:class:`SpatialETAS`, :class:`SpatialRecast`, :class:`KernelRecast` (temporal RECAST plus a
learned kernel-mixture location head), :class:`SpatialPoisson`. Jobs:
:func:`issue_forecast`, :func:`backtest`, :func:`run_prospective`, :func:`evaluate_archive`;
results :class:`Forecast`, :class:`BacktestResult`; storage :class:`ForecastArchive`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from geohazard._lazy import lazy_exports

_EXPORTS = {
    "ETAS": "etas.model", "ETASParams": "etas.params", "MagnitudeLaw": "etas.params",
    "Recast": "recast.estimator", "TrainConfig": "recast.train",
    "PoissonGR": "poisson",
    "SpatialETAS": "etas.spatial", "SpatialRecast": "recast.spatial",
    "KernelRecast": "recast.kernel_model", "KernelHeadConfig": "recast.kernel_head",
    "SpatialPoisson": "spatial_poisson", "SmoothedSeismicity": "smoothed",
    "PointProcessModel": "protocols", "LocatedModel": "protocols", "Continuations": "base",
    "ScoreResult": "base", "Estimator": "protocols",
    "Forecast": "forecasting", "issue_forecast": "forecasting",
    "BacktestResult": "backtest", "backtest": "backtest",
    "run_prospective": "prospective", "evaluate_archive": "prospective",
    "ForecastArchive": "archive", "SpatialRegion": "region",
    "fit_model": "registry", "fit_spatial_model": "spatial_models",
    "ModelSettings": "settings", "build_model": "registry",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


class _Package(types.ModuleType):
    """Keeps exported functions that share a submodule's name (``backtest``).

    Importing ``geohazard.forecast.backtest`` would otherwise replace the function
    ``geohazard.forecast.backtest`` with the module; the module stays importable by its
    dotted name (``sys.modules``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

"""Fit located (space-time) forecast models by name for the CLI and the benchmarks.

``poisson`` is :class:`~geohazard.forecast.smoothed.SpatialPoisson` (Poisson in time,
smoothed-seismicity epicentres), ``etas`` is
:class:`~geohazard.forecast.etas.spatial.SpatialETAS` and ``recast`` is
:class:`~geohazard.forecast.recast.spatial.SpatialRecast` (RECAST with projected x, y
features). Each returns continuations with ``longitude`` / ``latitude`` features.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.csep_adapter import SpatialRegion
from geohazard.forecast.forecasting import params_hash

SPATIAL_MODEL_NAMES = ("poisson", "etas", "recast")
LOCATION_FEATURES = ("longitude", "latitude")


def check_located(catalog: Catalog) -> None:
    """Raise :class:`InputError` unless the catalog has longitude and latitude columns."""
    missing = [c for c in LOCATION_FEATURES if c not in catalog.columns]
    if missing:
        raise InputError(f"catalog '{catalog.metadata.name}' has no {missing} column(s); "
                         "spatial forecasts need a located catalog")


def catalog_region(catalog: Catalog, dh: float = 0.05, mag_step: float = 0.1,
                   mag_max: float = 9.0) -> SpatialRegion:
    """The ``dh``-aligned box around a located catalog, magnitude bins from its Mc."""
    check_located(catalog)
    mc = catalog.metadata.mag_completeness
    m0 = float(mc) if mc is not None else float(np.floor(catalog.magnitudes.min() * 10) / 10)
    edges = tuple(np.round(np.arange(m0, mag_max, mag_step), 4))
    return SpatialRegion.around(catalog["longitude"], catalog["latitude"], dh, edges)


def etas_available() -> bool:
    """Whether the spatial ETAS module is installed in this checkout."""
    return importlib.util.find_spec("geohazard.forecast.etas.spatial") is not None


def fit_spatial_model(
    name: str,
    catalog: Catalog,
    fit_end: Any,
    *,
    seed: int = 0,
    recast_config: Any = None,
    checkpoint: Path | None = None,
) -> tuple[PointProcessModel, dict[str, Any]]:
    """Fit located model ``name`` on the catalog's events before ``fit_end``.

    Parameters
    ----------
    name
        ``poisson``, ``etas`` or ``recast``.
    catalog
        A located catalog (RECAST needs its train/val split dates).
    fit_end
        UTC end of the training history (RECAST uses the catalog's splits instead).
    seed
        RECAST's training seed.
    checkpoint
        A :class:`~geohazard.forecast.recast.spatial.SpatialRecast` file to load instead of
        training RECAST.
    recast_config
        A :class:`~geohazard.forecast.recast.train.TrainConfig`, used as given (its
        ``feature_components`` too); None: defaults with a 128-component location mixture.

    Returns
    -------
    model, info
        The fitted model and provenance.
    """
    check_located(catalog)
    md = catalog.metadata
    fit_end = to_utc(fit_end, "fit_end")
    nll0 = md.train_start if md.train_start is not None and md.train_start < fit_end else None
    history = catalog.to_sequence(t_end=fit_end, t_nll_start=nll0, features=LOCATION_FEATURES)
    info: dict[str, Any] = {"training_start": str(catalog.origin),
                            "training_end": str(fit_end), "spatial": True}
    if name == "poisson":
        from geohazard.forecast.smoothed import SpatialPoisson

        model: Any = SpatialPoisson().fit(history)
        info["params_hash"] = params_hash({"rate": model.temporal_.rate_per_day_,
                                           "b": model.temporal_.b_})
    elif name == "etas":
        if not etas_available():
            raise InputError("spatial ETAS (geohazard.forecast.etas.spatial) is not available "
                             "in this installation; use poisson or recast")
        from geohazard.forecast.etas.spatial import SpatialETAS

        # the temporal settings of the temporal "etas" model (tapered, parameter draws)
        model = SpatialETAS(taper_days=1000.0, param_draws=20).fit(history)
        info["params"] = model.summary()
        info["params_hash"] = params_hash(info["params"])
    elif name == "recast" and checkpoint is not None:
        from geohazard.forecast.recast.spatial import SpatialRecast

        model = SpatialRecast.load(checkpoint)
        info["params_hash"] = params_hash(Path(checkpoint).read_bytes())
    elif name == "recast":
        from geohazard.forecast.models import check_no_lookahead

        check_no_lookahead(catalog, fit_end)
        model = _recast(catalog, seed, recast_config)
        info["params_hash"] = f"spatial-recast-seed{seed}"
    else:
        raise InputError(f"unknown spatial model {name!r}; use one of {SPATIAL_MODEL_NAMES}")
    return model, info


def _recast(catalog: Catalog, seed: int, config: Any) -> Any:
    import dataclasses

    from geohazard.forecast.recast.spatial import SpatialRecast
    from geohazard.forecast.recast.train import TrainConfig

    if not catalog.metadata.has_splits:
        raise InputError("recast: the catalog needs train/val/test split dates to train "
                         "(give --meta with a sidecar that has them)")
    cfg = dataclasses.replace(config, seed=seed) if config is not None else TrainConfig(seed=seed)
    # a given config keeps its feature_components; the default is the 128-component mixture
    return SpatialRecast(cfg, location_components=None if config is not None else 128
                         ).fit(catalog)


def fit_spatial_models(catalog: Catalog, names: list[str], fit_end: Any, *, seed: int = 0,
                       recast_config: Any = None, checkpoint: Path | None = None
                       ) -> dict[str, PointProcessModel]:
    """Fit every located model in ``names`` (see :func:`fit_spatial_model`)."""
    return {name: fit_spatial_model(name, catalog, fit_end, seed=seed,
                                    recast_config=recast_config, checkpoint=checkpoint)[0]
            for name in names}

"""Fit located (space-time) forecast models by name for the CLI and the benchmarks.

``poisson`` is :class:`~geohazard.forecast.smoothed.SpatialPoisson` (Poisson in time,
smoothed-seismicity epicentres), ``etas`` is
:class:`~geohazard.forecast.etas.spatial.SpatialETAS` and ``recast`` is
:class:`~geohazard.forecast.recast.spatial.SpatialRecast` (RECAST with projected x, y
features); ``recast-kernel`` is
:class:`~geohazard.forecast.recast.kernel_model.KernelRecast` (temporal RECAST plus the
attention kernel-mixture location head). Each returns continuations with ``longitude`` /
``latitude`` features.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.core import Catalog
from geohazard.exceptions import InputError
from geohazard.forecast.protocols import PointProcessModel
from geohazard.forecast.region import SpatialRegion
from geohazard.forecast.registry import fit_model
from geohazard.forecast.smoothed import LOCATION_FEATURES

if TYPE_CHECKING:
    from geohazard.forecast.settings import ModelSettings

SPATIAL_MODEL_NAMES = ("poisson", "etas", "recast", "recast-kernel")
__all__ = ["LOCATION_FEATURES", "SPATIAL_MODEL_NAMES", "catalog_region", "check_located",
           "etas_available", "fit_spatial_model", "fit_spatial_models"]


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
    settings: ModelSettings | None = None,
) -> tuple[PointProcessModel, dict[str, Any]]:
    """Fit located model ``name`` on the catalog's events before ``fit_end``.

    Parameters
    ----------
    name
        ``poisson``, ``etas``, ``recast`` or ``recast-kernel``.
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
    settings
        Model settings of the registry (:class:`~geohazard.forecast.registry.ModelSettings`).

    Returns
    -------
    model, info
        The fitted model and provenance.
    """
    check_located(catalog)
    return fit_model(name, catalog, fit_end, spatial=True, settings=settings, seed=seed,
                     checkpoint=checkpoint, recast_config=recast_config)


def fit_spatial_models(catalog: Catalog, names: list[str], fit_end: Any, *, seed: int = 0,
                       recast_config: Any = None, checkpoint: Path | None = None
                       ) -> dict[str, PointProcessModel]:
    """Fit every located model in ``names`` (see :func:`fit_spatial_model`)."""
    return {name: fit_spatial_model(name, catalog, fit_end, seed=seed,
                                    recast_config=recast_config, checkpoint=checkpoint)[0]
            for name in names}

"""One registry of the forecast models, temporal and located, with one settings object.

``poisson``, ``etas`` and ``recast`` each name a temporal model (:class:`PoissonGR`,
:class:`ETAS`, :class:`Recast`) and its located twin (:class:`SpatialPoisson`,
:class:`SpatialETAS`, :class:`SpatialRecast`). Their settings come from one
:class:`ModelSettings` (a :class:`~geohazard.config.RunConfig`: defaults, then a config file,
then CLI flags), so the ETAS taper and parameter draws are written down once.
``recast-kernel`` is located only: :class:`~geohazard.forecast.recast.kernel_model.KernelRecast`
(temporal RECAST plus the attention kernel-mixture location head).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.forecasting import params_hash

if TYPE_CHECKING:
    from geohazard.forecast.settings import ModelSettings

MODEL_NAMES = ("poisson", "etas", "recast")
#: Models that only exist located (``--spatial``).
LOCATED_ONLY = ("recast-kernel",)

__all__ = ["LOCATED_ONLY", "MODEL_NAMES", "ModelSettings", "above_mc", "build_model", "fit_model",
           "parse_models"]


def __getattr__(name: str) -> Any:
    """Load ``ModelSettings`` (pydantic) only when used.

    A forecast from a checkpoint with default settings never builds it (start-up time).
    """
    if name == "ModelSettings":
        from geohazard.forecast.settings import ModelSettings

        return ModelSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_models(spec: str) -> list[str]:
    """``"etas,recast"`` or ``"both"`` -> model names, validated."""
    names = ["etas", "recast"] if spec == "both" else [s.strip() for s in spec.split(",") if s]
    bad = [n for n in names if n not in MODEL_NAMES + LOCATED_ONLY]
    if bad or not names:
        raise InputError(f"--model: unknown model(s) {bad or spec!r}; use "
                         f"{MODEL_NAMES + LOCATED_ONLY} or 'both'")
    return names


def build_model(name: str, *, spatial: bool = False, settings: ModelSettings | None = None,
                seed: int = 0, recast_config: Any = None) -> Any:
    """The unfitted model ``name`` (temporal, or located with ``spatial``) with its settings.

    Parameters
    ----------
    name
        ``poisson``, ``etas`` or ``recast``.
    spatial
        The located (space-time) twin.
    settings
        Model settings (default :class:`ModelSettings`).
    seed
        RECAST's training seed.
    recast_config
        A :class:`~geohazard.forecast.recast.train.TrainConfig` used as given (its seed
        replaced; for a located RECAST also its ``feature_components``).
    """
    s = settings
    if s is None:
        from geohazard.forecast.settings import ModelSettings

        s = ModelSettings()
    if name == "poisson":
        from geohazard.forecast.poisson import PoissonGR
        from geohazard.forecast.spatial_poisson import SpatialPoisson

        return SpatialPoisson() if spatial else PoissonGR()
    if name == "etas":
        from geohazard.forecast.etas.model import ETAS

        kw = {"taper_days": s.etas_taper_days, "param_draws": s.etas_param_draws}
        if not spatial:
            return ETAS(**kw)
        from geohazard.forecast.etas.spatial import SpatialETAS

        return SpatialETAS(**kw)  # the temporal settings of the temporal "etas" model
    if name in ("recast", "recast-kernel"):
        return _recast(s, spatial, seed, recast_config, kernel=name == "recast-kernel")
    raise InputError(f"unknown model {name!r}; use one of {MODEL_NAMES}")


def _recast(s: ModelSettings, spatial: bool, seed: int, config: Any, kernel: bool = False
            ) -> Any:
    from geohazard.forecast.recast.estimator import Recast
    from geohazard.forecast.recast.train import TrainConfig

    if config is not None:
        cfg = dataclasses.replace(config, seed=seed)
    else:
        cfg = TrainConfig(seed=seed, max_time_s=s.recast_max_time_s)
    if not spatial:
        return Recast(cfg)
    if kernel:
        from geohazard.forecast.recast.kernel_model import KernelRecast

        return KernelRecast(cfg)
    from geohazard.forecast.recast.spatial import SpatialRecast

    # a given config keeps its feature_components; the default is the settings' mixture
    return SpatialRecast(cfg, location_components=(None if config is not None
                                                   else s.recast_location_components))


def fit_model(name: str, catalog: Catalog, fit_end: Any, *, spatial: bool = False,
              settings: ModelSettings | None = None, seed: int = 0,
              checkpoint: Path | None = None, recast_config: Any = None
              ) -> tuple[Any, dict[str, Any]]:
    """Fit model ``name`` on the catalog's events above Mc before ``fit_end``.

    The catalog's magnitude of completeness (``metadata.mag_completeness``, the sidecar's)
    filters the events first, as every model's ``fit(catalog, fit_end=...)`` does
    (:func:`~geohazard.forecast.protocols.history_of`). The fit is scored from the catalog's
    ``train_start`` (if known) so earlier events act as history, as in the RECAST paper.
    RECAST trains on the train/val splits (or loads ``checkpoint``).

    Parameters
    ----------
    name
        ``poisson``, ``etas`` or ``recast``.
    catalog
        The catalog (located for ``spatial``).
    fit_end
        UTC end of the training history.
    spatial, settings, seed, recast_config
        As :func:`build_model`.
    checkpoint
        A RECAST checkpoint to load instead of training.

    Returns
    -------
    model, info
        The fitted model and provenance (training span, parameters, parameter hash).
    """
    known = MODEL_NAMES + LOCATED_ONLY if spatial else MODEL_NAMES
    if name not in known:
        hint = " (a located model: add --spatial)" if name in LOCATED_ONLY else ""
        raise InputError(f"unknown {'spatial ' if spatial else ''}model {name!r}{hint}; "
                         f"use one of {known}")
    fit_end = to_utc(fit_end, "fit_end")
    catalog = above_mc(catalog)
    info: dict[str, Any] = {"training_start": str(catalog.origin), "training_end": str(fit_end),
                            **({"spatial": True} if spatial else {})}
    if name in ("recast", "recast-kernel"):
        model, extra = _fit_recast(catalog, fit_end, spatial, settings, seed, checkpoint,
                                   recast_config, name)
    else:
        model = build_model(name, spatial=spatial, settings=settings).fit(catalog, fit_end)
        extra = _provenance(name, model, spatial)
    return model, {**info, **extra}


def above_mc(catalog: Catalog) -> Catalog:
    """The catalog's events above its magnitude of completeness (as given when it has none).

    The events every model is fitted on (:func:`fit_model`); the forecast workflows build
    their simulation histories and observations from the same events.
    """
    return catalog.above_completeness() if catalog.metadata.mag_completeness is not None \
        else catalog


def _provenance(name: str, model: Any, spatial: bool) -> dict[str, Any]:
    """Parameters and their hash of a fitted Poisson or ETAS model (temporal or located)."""
    if name == "poisson":
        temporal = model.temporal_ if spatial else model
        return {"params_hash": params_hash({"rate": temporal.rate_per_day_, "b": temporal.b_})}
    params = model.summary()
    return {"params": params,
            "params_hash": params_hash(params if spatial else params.get("params", params))}


def _fit_recast(catalog: Catalog, fit_end: Any, spatial: bool, settings: ModelSettings | None,
                seed: int, checkpoint: Path | None, config: Any, name: str = "recast"
                ) -> tuple[Any, dict[str, Any]]:
    if checkpoint is not None:  # torch is imported only for a located model
        if name == "recast-kernel":
            from geohazard.forecast.recast.kernel_model import KernelRecast

            model = KernelRecast.load(checkpoint)
        elif spatial:
            from geohazard.forecast.recast.spatial import SpatialRecast

            model = SpatialRecast.load(checkpoint)
        else:
            from geohazard.forecast.recast.estimator import Recast

            model = Recast.load(checkpoint)
        return model, {"params_hash": params_hash(Path(checkpoint).read_bytes())}
    if not catalog.metadata.has_splits:
        hint = "give --meta with a sidecar that has them" if spatial else "or pass --checkpoint"
        raise InputError(f"{name}: the catalog needs train/val/test split dates to train "
                         f"({hint})")
    model = build_model(name, spatial=spatial, settings=settings, seed=seed,
                        recast_config=config).fit(catalog, fit_end)
    prefix = "spatial-" if spatial and name == "recast" else ""
    return model, {"params_hash": f"{prefix}{name}-seed{seed}"}

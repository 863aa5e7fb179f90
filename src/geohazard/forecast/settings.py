"""Settings of the registry's forecast models: one pydantic model, loaded only when used.

A config file's keys (YAML, TOML or JSON; CLI flags override), validated by pydantic. The
registry (:mod:`geohazard.forecast.registry`) re-exports :class:`ModelSettings` and builds the
defaults only when a model needs them, so a forecast from a checkpoint with default settings
never imports pydantic.
"""

from __future__ import annotations

from pydantic import Field

from geohazard.config import RunConfig

__all__ = ["ModelSettings"]


class ModelSettings(RunConfig):
    """Settings of the registry's models (a config file's keys; CLI flags override).

    Attributes
    ----------
    etas_taper_days
        Exponential taper of the Omori kernel in days (None: untapered). Tapered ETAS is
        subcritical and scores best on held-out data (``benchmarks/bench_etas.py``).
    etas_param_draws
        Parameter draws from the fit's covariance propagated into forecasts (0: none).
    recast_max_time_s
        Training time cap of RECAST in seconds (None: until early stopping).
    recast_location_components
        Components of the located RECAST's location mixture.
    """

    etas_taper_days: float | None = Field(1000.0, gt=0, allow_inf_nan=False)
    etas_param_draws: int = Field(20, ge=0, le=100_000)
    recast_max_time_s: float | None = Field(None, gt=0, allow_inf_nan=False)
    recast_location_components: int = Field(128, ge=1, le=4096)

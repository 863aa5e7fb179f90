"""Poisson in time with smoothed-seismicity epicentres: the located reference model."""

from __future__ import annotations

from typing import Any

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import NotFittedError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.smoothed import (
    SmoothedSeismicity,
    as_located_sequence,
    locations_of,
)
from geohazard.rng import RNGLike, as_generator

__all__ = ["SpatialPoisson"]


class SpatialPoisson(Estimator):
    """Homogeneous Poisson in time (Gutenberg-Richter magnitudes) with smoothed locations.

    ``fit(history)``; ``sample(history, duration_days, n_samples, rng=None) ->
    Continuations`` with features ``longitude``, ``latitude``; ``log_likelihood`` and
    ``intensity`` delegate to the temporal :class:`~geohazard.forecast.poisson.PoissonGR`
    (time-only, the paper's score). Simulated events may fall outside the region (kernel
    tails); evaluators clip to their region.

    Parameters
    ----------
    b
        Fixed b-value (None: estimated).
    **density_settings
        Settings of the :class:`SmoothedSeismicity` density.
    """

    _kwargs_attribute = "density_settings"

    def __init__(self, b: float | None = None, **density_settings: object) -> None:
        self.b = b
        self.density_settings = density_settings

    def fit(self, history: EventSequence | Catalog, fit_end: Any = None) -> SpatialPoisson:
        """Fit the rate and b-value on ``history`` and the density on its epicentres.

        ``history`` is a sequence with ``longitude``/``latitude`` features, or a located
        :class:`Catalog` (its train split when it has one, or its events before ``fit_end``).
        """
        history = as_located_sequence(history, "SpatialPoisson.fit", fit_end)
        locations_of(history, "SpatialPoisson.fit")  # an error naming a missing column
        self.temporal_ = PoissonGR(b=self.b).fit(history)
        self.density_ = SmoothedSeismicity(**self.density_settings).fit(  # type: ignore[arg-type]
            history)
        return self

    def _check(self) -> None:
        if not hasattr(self, "density_"):
            raise NotFittedError("SpatialPoisson is not fitted; call fit() first")

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None) -> Continuations:
        """Poisson continuations after ``history.t_end`` with smoothed-density epicentres."""
        self._check()
        gen = as_generator(rng)
        sims = self.temporal_.sample(history, duration_days, n_samples, gen)
        lon, lat = self.density_.sample(sims.times.size, gen)
        return sims.with_features({"longitude": lon, "latitude": lat})

    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """Time-only (optionally magnitude) score of the temporal model."""
        self._check()
        return self.temporal_.log_likelihood(sequence, include_magnitude=include_magnitude)

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """The temporal rate (events/day)."""
        self._check()
        return self.temporal_.intensity(history, t)

    def spatial_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density (per km2) of the scored events' epicentres."""
        self._check()
        lon, lat = locations_of(sequence, "SpatialPoisson.spatial_log_density")
        scored = sequence.scored
        return self.density_.log_density(lon[scored], lat[scored])

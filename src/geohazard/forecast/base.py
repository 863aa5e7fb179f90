"""The frozen result objects every forecast model returns: scores and continuations.

The interfaces the models share live in :mod:`geohazard.forecast.protocols` (importable
from here too). Temporal models (ETAS, RECAST, Poisson) implement :class:`PointProcessModel`:
``log_likelihood`` (scored the RECAST paper's way), ``sample`` (batched continuations
conditioned on all history) and ``intensity``. Located models (SpatialETAS, SpatialRecast,
SpatialPoisson) implement :class:`LocatedModel`: the same, with continuations carrying
``longitude``/``latitude`` features, and ``spatial_log_density``. Every model follows the
scikit-learn estimator contract through :class:`Estimator` (``get_params``, ``set_params``,
``sklearn.base.clone``, a repr of its settings). Simulated continuations are stored ragged in
CSR form (``offsets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ScoreResult:
    """Held-out log-likelihood of a sequence, the RECAST paper's way.

    Attributes
    ----------
    log_likelihood
        Log-likelihood of events in ``(t_nll_start, t_end]`` (with the compensator over
        that interval), conditioned on all history since ``t_start``.
    n_events
        Number of scored events.
    days
        Length of the scored interval, ``t_end - t_nll_start``.
    includes_magnitude
        Whether the magnitude log-density is included (the paper's figures are time-only).
    """

    log_likelihood: float
    n_events: int
    days: float
    includes_magnitude: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nll_per_day(self) -> float:
        """Negative log-likelihood divided by the scored days (the paper's figure)."""
        return -self.log_likelihood / self.days if self.days > 0 else float("nan")

    @property
    def nll_per_event(self) -> float:
        """Negative log-likelihood divided by the number of scored events."""
        return -self.log_likelihood / self.n_events if self.n_events else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "log_likelihood": self.log_likelihood, "n_events": self.n_events,
            "days": self.days, "nll_per_day": self.nll_per_day,
            "nll_per_event": self.nll_per_event, "includes_magnitude": self.includes_magnitude,
            **self.extra,
        }


@dataclass(frozen=True)
class Continuations:
    """N simulated continuations of a sequence over ``[t_start, t_end]`` (days).

    Attributes
    ----------
    times
        (total,) event times of all samples, concatenated; sorted within each sample.
    magnitudes
        (total,) magnitudes aligned with ``times``.
    offsets
        (N + 1,) sample ``i`` is ``times[offsets[i]:offsets[i + 1]]``.
    t_start, t_end
        The simulated window in days since the catalog origin.
    features
        Optional per-event features aligned with ``times``, name -> (total,) array. Spatial
        forecasts carry ``longitude`` and ``latitude`` (degrees); RECAST may add ``depth``.
    """

    times: np.ndarray
    magnitudes: np.ndarray
    offsets: np.ndarray
    t_start: float
    t_end: float
    features: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, values in self.features.items():
            if np.shape(values) != np.shape(self.times):
                raise ValueError(f"continuations: feature {name!r} has shape "
                                 f"{np.shape(values)}, times have {np.shape(self.times)}")

    @property
    def has_locations(self) -> bool:
        """Whether every simulated event has ``longitude`` and ``latitude``."""
        return "longitude" in self.features and "latitude" in self.features

    @property
    def n_samples(self) -> int:
        """Number of continuations N."""
        return int(self.offsets.size - 1)

    @property
    def counts(self) -> np.ndarray:
        """(N,) number of events in each continuation."""
        return np.diff(self.offsets)

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Times and magnitudes of continuation ``i``."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.times[lo:hi], self.magnitudes[lo:hi]

    def sample_features(self, i: int) -> dict[str, np.ndarray]:
        """Features of continuation ``i`` (name -> array aligned with :meth:`sample`)."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return {name: values[lo:hi] for name, values in self.features.items()}

    def with_features(self, features: Mapping[str, np.ndarray]) -> Continuations:
        """A copy with ``features`` added to (or replacing) the existing ones."""
        merged = {**self.features, **{k: np.asarray(v, np.float64) for k, v in features.items()}}
        return replace(self, features=merged)

    @classmethod
    def from_lists(
        cls, times: list[np.ndarray], mags: list[np.ndarray], t_start: float, t_end: float,
        features: Mapping[str, list[np.ndarray]] | None = None,
    ) -> Continuations:
        """Build from per-sample arrays (``features``: name -> per-sample arrays)."""
        offsets = np.zeros(len(times) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([t.size for t in times])
        cat_t = np.concatenate(times) if times else np.empty(0)
        cat_m = np.concatenate(mags) if mags else np.empty(0)
        feats = {k: (np.concatenate(v) if v else np.empty(0)).astype(np.float64)
                 for k, v in (features or {}).items()}
        return cls(cat_t.astype(np.float64), cat_m.astype(np.float64), offsets, t_start, t_end,
                   feats)


_PROTOCOLS = ("Estimator", "LocatedModel", "PointProcessModel", "history_of")


def __getattr__(name: str) -> Any:
    """The protocols moved to :mod:`geohazard.forecast.protocols`; old imports still work."""
    if name in _PROTOCOLS:
        from geohazard.forecast import protocols

        return getattr(protocols, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

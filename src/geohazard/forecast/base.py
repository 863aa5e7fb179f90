"""The interfaces shared by the forecast models, and the frozen result objects they return.

Temporal models (ETAS, RECAST, Poisson) implement :class:`PointProcessModel`:
``log_likelihood`` (scored the RECAST paper's way), ``sample`` (batched continuations
conditioned on all history) and ``intensity``. Located models (SpatialETAS, SpatialRecast,
SpatialPoisson) implement :class:`LocatedModel`: the same, with continuations carrying
``longitude``/``latitude`` features, and ``spatial_log_density``. Every model follows the
scikit-learn estimator contract through :class:`Estimator` (``get_params``, ``set_params``,
``sklearn.base.clone``, a repr of its settings). Simulated continuations are stored ragged in
CSR form (``offsets``).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.rng import RNGLike


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


@runtime_checkable
class PointProcessModel(Protocol):
    """What ETAS and RECAST both provide (after ``fit``)."""

    def log_likelihood(
        self, sequence: EventSequence, *, include_magnitude: bool = False
    ) -> ScoreResult:
        """Score ``sequence`` on its ``(t_nll_start, t_end]`` interval."""
        ...

    def sample(
        self,
        history: EventSequence,
        duration_days: float,
        n_samples: int,
        rng: RNGLike = None,
    ) -> Continuations:
        """Simulate continuations of ``duration_days`` after ``history.t_end``."""
        ...

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Conditional intensity (events/day) at times ``t`` given the history before each."""
        ...


@runtime_checkable
class LocatedModel(PointProcessModel, Protocol):
    """A space-time model: :class:`PointProcessModel` plus where events fall.

    ``sample`` returns continuations with ``longitude`` and ``latitude`` features.
    """

    def spatial_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density (per km2) of each scored epicentre given its past."""
        ...


class Estimator:
    """The scikit-learn estimator contract, without the dependency.

    Settings are the ``__init__`` arguments, stored unchanged under their own names (a
    ``**kwargs`` argument is stored as the dict named by :attr:`_kwargs_attribute`);
    ``get_params`` / ``set_params`` read and write them, so ``sklearn.base.clone`` works,
    and ``repr`` shows the settings that differ from their defaults.
    """

    _kwargs_attribute: ClassVar[str | None] = None

    @classmethod
    def _settings(cls) -> dict[str, Any]:
        """Setting name -> default (``inspect.Parameter.empty`` when required)."""
        sig = inspect.signature(cls.__init__)
        return {p.name: p.default for p in list(sig.parameters.values())[1:]
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings by name (``deep`` is accepted for scikit-learn; nothing is nested).

        Parameters
        ----------
        deep
            Ignored (kept for scikit-learn).
        """
        out = {name: getattr(self, name) for name in self._settings()}
        if self._kwargs_attribute:
            out.update(getattr(self, self._kwargs_attribute))
        return out

    def set_params(self, **params: Any) -> Estimator:
        """Change settings by name and return ``self``.

        Parameters
        ----------
        **params
            New values of settings.
        """
        from geohazard.exceptions import ParameterError

        names = self._settings()
        for name, value in params.items():
            if name in names:
                setattr(self, name, value)
            elif self._kwargs_attribute:
                getattr(self, self._kwargs_attribute)[name] = value
            else:
                raise ParameterError(f"{type(self).__name__} has no setting {name!r}; "
                                     f"settings are {sorted(names)}")
        return self

    def __repr__(self) -> str:
        defaults = self._settings()
        shown = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError):
                same = False
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def history_of(data: EventSequence | Catalog, fit_end: Any = None, *,
               features: tuple[str, ...] = (), what: str = "fit") -> EventSequence:
    """The fitting history every model's ``fit`` takes: one rule for all of them.

    Parameters
    ----------
    data
        An :class:`EventSequence` (used as given: events in ``(t_nll_start, t_end]`` are
        fitted given all earlier ones), or a :class:`Catalog`: its events above Mc (when its
        metadata has one), and with ``fit_end`` every event before ``fit_end`` scored from
        the train split's start (earlier events are history, as in the RECAST paper);
        without it, its ``train`` split when it has split dates, else all of it.
    fit_end
        UTC end of the training history (Catalog only).
    features
        Per-event feature columns to carry (``longitude``, ``latitude`` for located models).
    what
        How errors name the caller.
    """
    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import InputError

    if isinstance(data, EventSequence):
        if fit_end is not None:
            raise InputError(f"{what}: fit_end applies to a Catalog; an EventSequence is "
                             "already cut (build it with catalog.to_sequence(t_end=...))")
        return data
    if not isinstance(data, Catalog):
        raise InputError(f"{what}: expected an EventSequence or Catalog, got "
                         f"{type(data).__name__}")
    missing = [f for f in features if f not in data.columns]
    if missing:
        raise InputError(f"{what}: catalog '{data.metadata.name}' has no {missing} column(s)")
    cat = data.above_completeness() if data.metadata.mag_completeness is not None else data
    if fit_end is None:
        return cat.to_sequence("train" if cat.metadata.has_splits else None, features=features)
    end = to_utc(fit_end, "fit_end")
    t0 = cat.metadata.train_start
    return cat.to_sequence(t_end=end, t_nll_start=t0 if t0 is not None and t0 < end else None,
                           features=features)

"""The interfaces every forecast model shares, and the one rule for what a fit takes.

- :class:`PointProcessModel`: temporal models (ETAS, RECAST, Poisson): ``log_likelihood``
  (scored the RECAST paper's way), ``sample`` (continuations conditioned on all history)
  and ``intensity``.
- :class:`LocatedModel`: located models (SpatialETAS, SpatialRecast, SpatialPoisson): the
  same, with ``longitude``/``latitude`` features on the continuations, and
  ``spatial_log_density``.
- :class:`Estimator`: the scikit-learn estimator contract (``get_params``, ``set_params``,
  ``sklearn.base.clone``, a repr of the settings) every model inherits.
- :func:`history_of`: what ``fit(Catalog, fit_end=...)`` or ``fit(EventSequence)`` fits on.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.rng import RNGLike

__all__ = ["Estimator", "LocatedModel", "PointProcessModel", "history_of"]


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

    def _resolved_defaults(self) -> dict[str, Any]:
        """Values a default (None) setting is stored as, for :meth:`__repr__` (none here)."""
        return {}

    def __repr__(self) -> str:
        defaults = {**self._settings(), **self._resolved_defaults()}
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

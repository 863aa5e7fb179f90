"""Homogeneous Poisson model with Gutenberg-Richter magnitudes: the reference forecast.

Information gains are reported against it; it implements the same protocol as ETAS and
RECAST (``log_likelihood``, ``sample``, ``intensity``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import InputError, NotFittedError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.protocols import Estimator, history_of
from geohazard.rng import RNGLike, as_generator


class PoissonGR(Estimator):
    """Constant rate in time and exponential (GR) magnitudes above Mc.

    Parameters
    ----------
    b
        Fixed b-value; None estimates it (Aki-Utsu, continuous) in :meth:`fit`.
    """

    def __init__(self, b: float | None = None) -> None:
        self.b = b

    def fit(self, data: EventSequence | Catalog, fit_end: Any = None) -> PoissonGR:
        """Estimate the rate (events/day) on ``[t_start, t_end]`` and the b-value.

        Parameters
        ----------
        data
            An :class:`EventSequence`, or a :class:`Catalog` (see
            :func:`~geohazard.forecast.base.history_of`).
        fit_end
            With a Catalog: fit on the events before this UTC time.
        """
        sequence = history_of(data, fit_end, what="PoissonGR.fit")
        span = sequence.t_end - sequence.t_start
        if span <= 0 or len(sequence) == 0:
            raise InputError("PoissonGR.fit: need a non-empty sequence with t_end > t_start")
        self.rate_per_day_ = len(sequence) / span
        self.mc_ = (sequence.mag_completeness if sequence.mag_completeness is not None
                    else float(sequence.magnitudes.min()))
        self.b_ = self.b if self.b is not None else _b_value(sequence.magnitudes, self.mc_)
        self.fit_report_ = {"events": len(sequence), "days": float(span)}
        return self

    def _check(self) -> None:
        if not hasattr(self, "rate_per_day_"):
            raise NotFittedError("PoissonGR is not fitted; call fit() first")

    def log_likelihood(
        self, sequence: EventSequence, *, include_magnitude: bool = False
    ) -> ScoreResult:
        """Log-likelihood of the events in ``(t_nll_start, t_end]``."""
        self._check()
        scored = sequence.scored
        n = int(scored.sum())
        days = sequence.scored_days
        ll = n * np.log(self.rate_per_day_) - self.rate_per_day_ * days
        if include_magnitude:
            beta = self.b_ * np.log(10.0)
            ll += float(np.sum(np.log(beta) - beta * (sequence.magnitudes[scored] - self.mc_)))
        return ScoreResult(float(ll), n, days, include_magnitude)

    def sample(
        self, history: EventSequence, duration_days: float, n_samples: int, rng: RNGLike = None
    ) -> Continuations:
        """Independent Poisson continuations after ``history.t_end``."""
        self._check()
        gen = as_generator(rng)
        counts = gen.poisson(self.rate_per_day_ * duration_days, n_samples)
        offsets = np.concatenate(([0], np.cumsum(counts)))
        total = int(offsets[-1])
        t0 = history.t_end
        times = t0 + gen.uniform(0.0, duration_days, total)
        sample_id = np.repeat(np.arange(n_samples), counts)
        order = np.lexsort((times, sample_id))
        mags = self.mc_ + gen.exponential(1.0 / (self.b_ * np.log(10.0)), total)
        return Continuations(times[order], mags, offsets, t0, t0 + duration_days)

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """The constant rate at every time in ``t``."""
        self._check()
        return np.full(np.shape(t), self.rate_per_day_, dtype=np.float64)


def _b_value(mags: np.ndarray, mc: float) -> float:
    """Aki-Utsu b of the events at or above ``mc`` (catalog.stats; continuous magnitudes).

    A sequence carries no magnitude rounding, so no binning correction applies; a degenerate
    sample (one event, or all at Mc) keeps the old cap, a mean excess of at least 1e-6.
    """
    from geohazard.catalog.stats import b_value

    try:
        return b_value(mags, mc, 0.0, strict=False).b
    except InputError:
        return float(np.log10(np.e) / max(float(np.mean(mags)) - mc, 1e-6))

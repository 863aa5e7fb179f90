"""RECAST's network inputs without torch: the normaliser and the per-gap arrays.

Issuing a forecast from a checkpoint reads these (with the weights' sidecar) and never
imports torch; :mod:`~geohazard.forecast.recast.data` builds the training batches on them.
The gap conventions are stated in :mod:`~geohazard.forecast.recast.data`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.catalog.stats import b_value, lowest_bin
from geohazard.exceptions import InputError

_MIN_GAP = 1e-9  # days; gaps are clamped before taking logs (duplicate times)


@dataclass(frozen=True)
class Normaliser:
    """Input normalisation and magnitude constants, fitted on the training sequence.

    Attributes
    ----------
    log_tau_mean, log_tau_std
        Moments of the log inter-event times (days) of training events.
    mag_mean, mag_std
        Moments of training magnitudes.
    mag_min
        Lower edge of the continuous Gutenberg-Richter law (``Mc`` + half a bin).
    b
        Gutenberg-Richter b-value (Aki-Utsu MLE with bin correction).
    feature_names, feature_mean, feature_std
        Extra per-event features and their moments.
    """

    log_tau_mean: float
    log_tau_std: float
    mag_mean: float
    mag_std: float
    mag_min: float
    b: float
    feature_names: tuple[str, ...] = ()
    feature_mean: tuple[float, ...] = ()
    feature_std: tuple[float, ...] = ()

    @property
    def time_scale(self) -> float:
        """Geometric mean inter-event time (days): the decoder's time unit."""
        return float(np.exp(self.log_tau_mean))

    @property
    def n_inputs(self) -> int:
        """Network input size: log time, magnitude, features."""
        return 2 + len(self.feature_names)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (for checkpoints)."""
        out = asdict(self)
        for key in ("feature_names", "feature_mean", "feature_std"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Normaliser:
        """Inverse of :meth:`to_dict`."""
        d = dict(data)
        for key in ("feature_names", "feature_mean", "feature_std"):
            d[key] = tuple(d.get(key, ()))
        return cls(**d)

    @classmethod
    def fit(cls, seq: EventSequence, mag_roundoff: float = 0.0,
            features: tuple[str, ...] = ()) -> Normaliser:
        """Fit on ``seq`` (events up to its ``t_end``).

        The b-value is the Aki-Utsu MLE with Utsu's bin correction for events strictly
        above ``seq.mag_completeness`` (binned at ``mag_roundoff``).
        """
        if len(seq) < 10:
            raise InputError("RECAST needs at least 10 events in the training sequence (the "
                             f"catalog up to its val_start), got {len(seq)}")
        log_tau = np.log(np.maximum(seq.inter_times[:-1], _MIN_GAP))
        mags = seq.magnitudes
        mc = seq.mag_completeness
        if mc is None:
            mc = float(mags.min()) - max(mag_roundoff, 1e-6)
        bv = b_value(mags, mc, mag_roundoff, strict=True)
        mag_min = (lowest_bin(mc, mag_roundoff, True) - mag_roundoff / 2 if mag_roundoff > 0
                   else mc)
        f_mean, f_std = [], []
        for name in features:
            if name not in seq.features:
                raise InputError(f"feature '{name}' is not in the sequence (have "
                                 f"{sorted(seq.features)})")
            col = np.asarray(seq.features[name], dtype=np.float64)
            if not np.all(np.isfinite(col)):
                raise InputError(f"feature '{name}' has missing or infinite values")
            f_mean.append(float(col.mean()))
            f_std.append(float(col.std()) or 1.0)
        return cls(float(log_tau.mean()), float(log_tau.std()) or 1.0, float(mags.mean()),
                   float(mags.std()) or 1.0, float(mag_min), float(bv.b), tuple(features),
                   tuple(f_mean), tuple(f_std))

    def encode(self, gaps: np.ndarray, mags: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """(L, n_inputs) float32 network inputs from raw gaps (days), magnitudes, features."""
        cols = [(np.log(np.maximum(gaps, _MIN_GAP)) - self.log_tau_mean) / self.log_tau_std,
                (mags - self.mag_mean) / self.mag_std]
        if self.feature_names:
            z = (feats - np.asarray(self.feature_mean)) / np.asarray(self.feature_std)
            cols.extend(z.T)
        return np.stack(cols, axis=-1).astype(np.float32)


@dataclass
class GapArrays:
    """Per-gap arrays of one sequence (``G = N + 1`` rows), see the module notes."""

    inputs: np.ndarray  # (G, n_inputs) float32
    tau: np.ndarray  # (G,) float64 gap lengths in days
    trunc: np.ndarray  # (G,) float64 left truncation (days elapsed at t_nll_start)
    is_event: np.ndarray  # (G,) bool
    scored: np.ndarray  # (G,) bool
    mags: np.ndarray  # (G,) float64 (0 for the survival gap)
    feats: np.ndarray  # (G, F) float32 normalised features
    days: float  # scored interval length
    first_scored: int = field(default=0)

    @property
    def n_gaps(self) -> int:
        """G."""
        return int(self.tau.size)


def gap_arrays(seq: EventSequence, norm: Normaliser) -> GapArrays:
    """Build :class:`GapArrays` of ``seq`` with normaliser ``norm``."""
    n = len(seq)
    tau = seq.inter_times
    starts = np.concatenate(([seq.t_start], seq.times))
    ends = np.concatenate((seq.times, [seq.t_end]))
    scored = ends > seq.t_nll_start
    if seq.t_end <= seq.t_nll_start:
        scored[:] = False
    trunc = np.where(scored, np.maximum(seq.t_nll_start - starts, 0.0), 0.0)
    mags = np.concatenate((seq.magnitudes, [0.0]))
    if norm.feature_names:
        missing = [f for f in norm.feature_names if f not in seq.features]
        if missing:
            raise InputError(f"sequence lacks features {missing} the model was trained with")
        raw = np.stack([np.asarray(seq.features[f], np.float64) for f in norm.feature_names], -1)
        raw = np.vstack((raw, np.asarray(norm.feature_mean)[None, :]))
    else:
        raw = np.zeros((n + 1, 0))
    inputs = norm.encode(tau, mags, raw)
    inputs[n] = 0.0  # the survival gap is never fed to the network
    feats = inputs[:, 2:].copy()
    is_event = np.arange(n + 1) < n
    first = int(np.argmax(scored)) if scored.any() else n + 1
    return GapArrays(inputs, tau, trunc, is_event, scored, mags, feats, seq.scored_days, first)

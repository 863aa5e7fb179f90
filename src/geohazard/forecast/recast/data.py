"""Sequence and batch layer of RECAST: gap arrays, windows with history warm-up, padding.

Conventions
-----------
A sequence of ``N`` events on ``[t_start, t_end]`` has ``G = N + 1`` *gaps*: gap ``j < N``
ends at event ``j`` (from event ``j - 1``, or ``t_start`` for ``j = 0``); gap ``N`` is the
survival gap from the last event to ``t_end``. The network's input at position ``j`` is
event ``j`` (its normalised log inter-event time, magnitude and extra features); the
context that predicts gap ``j`` has seen inputs ``< j`` (shifted by one event).

Scoring on ``(t_nll_start, t_end]`` (the RECAST paper's convention) keeps the gaps whose
end is after ``t_nll_start``; a gap that starts before ``t_nll_start`` is left-truncated:
its term is divided by the survival up to ``t_nll_start`` (``trunc`` below). With these
per-gap terms the log-likelihood of any set of windows is a plain masked sum.

A *window* scores gaps ``[s, e)`` and feeds the network gaps ``[w0, e)`` with
``w0 = max(s - warmup, 0)``: the ``s - w0`` warm-up events rebuild the hidden state from
recent history (exact when ``w0 = 0``). Many short windows are processed in parallel,
which is what makes training fast; the full sequence is the single window ``w0 = 0``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

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


def window_bounds(arrays: GapArrays, length: int, offset: int = 0) -> list[tuple[int, int]]:
    """``[(s, e), ...]`` covering the scored gaps; the first window is ``offset`` long."""
    if length < 1:
        raise InputError(f"window length must be >= 1, got {length}")
    j0, g = arrays.first_scored, arrays.n_gaps
    if j0 >= g:
        return []
    cuts = [j0, *range(j0 + (offset % length or length), g, length), g]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


@dataclass
class Batch:
    """Padded batch of windows, all tensors ``(B, T, ...)``.

    ``mask`` marks the gaps whose terms count (scored and inside the window's scored
    part); padding and warm-up positions are 0.
    """

    inputs: torch.Tensor  # (B, T, n_inputs) float32
    tau: torch.Tensor  # (B, T) float64 days
    trunc: torch.Tensor  # (B, T) float64 days
    is_event: torch.Tensor  # (B, T) bool
    mask: torch.Tensor  # (B, T) bool
    mags: torch.Tensor  # (B, T) float64
    feats: torch.Tensor  # (B, T, F) float32

    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.tau.shape[0])

    def to(self, device: torch.device | str) -> Batch:
        """Copy to ``device``."""
        return Batch(*(getattr(self, f).to(device) for f in
                       ("inputs", "tau", "trunc", "is_event", "mask", "mags", "feats")))


def make_batch(arrays: GapArrays, windows: list[tuple[int, int]], warmup: int) -> Batch:
    """Collate windows ``(s, e)`` with ``warmup`` history events into a padded batch."""
    if not windows:
        raise InputError("no windows to batch (the sequence has no scored events)")
    lo = [max(s - warmup, 0) for s, _ in windows]
    T = max(e - w for w, (_, e) in zip(lo, windows, strict=True))
    B, F = len(windows), arrays.feats.shape[1]
    inputs = np.zeros((B, T, arrays.inputs.shape[1]), np.float32)
    tau = np.ones((B, T))
    trunc = np.zeros((B, T))
    is_event = np.zeros((B, T), bool)
    mask = np.zeros((B, T), bool)
    mags = np.zeros((B, T))
    feats = np.zeros((B, T, F), np.float32)
    for i, (w, (s, e)) in enumerate(zip(lo, windows, strict=True)):
        n = e - w
        inputs[i, :n] = arrays.inputs[w:e]
        tau[i, :n] = arrays.tau[w:e]
        trunc[i, :n] = arrays.trunc[w:e]
        is_event[i, :n] = arrays.is_event[w:e]
        mask[i, s - w:n] = arrays.scored[s:e]
        mags[i, :n] = arrays.mags[w:e]
        feats[i, :n] = arrays.feats[w:e]
    return Batch(torch.from_numpy(inputs), torch.from_numpy(tau), torch.from_numpy(trunc),
                 torch.from_numpy(is_event), torch.from_numpy(mask), torch.from_numpy(mags),
                 torch.from_numpy(feats))


def full_batch(arrays: GapArrays) -> Batch:
    """The whole sequence as one exact window (no warm-up approximation)."""
    return make_batch(arrays, [(0, arrays.n_gaps)], warmup=0)


class WindowDataset(torch.utils.data.Dataset):
    """Training windows of one sequence, re-cut with a new random offset each epoch.

    Each item is one ``(s, e)`` window; :meth:`collate` turns a list into a :class:`Batch`.
    """

    def __init__(self, arrays: GapArrays, length: int, warmup: int) -> None:
        self.arrays, self.length, self.warmup = arrays, length, warmup
        self.windows = window_bounds(arrays, length, 0)

    def reshuffle(self, rng: np.random.Generator) -> None:
        """New random phase of the window cuts."""
        self.windows = window_bounds(self.arrays, self.length, int(rng.integers(self.length)))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, idx: int) -> tuple[int, int]:
        return self.windows[idx]

    def collate(self, items: list[tuple[int, int]]) -> Batch:
        """Batch of the given windows."""
        return make_batch(self.arrays, list(items), self.warmup)


class EpochSampler(torch.utils.data.Sampler):
    """Window cuts and order of a :class:`WindowDataset`, a pure function of (seed, epoch).

    :meth:`set_epoch` re-cuts the dataset's windows with a new random phase and fixes the
    order of the epoch, so a run resumed at any epoch sees the same windows in the same order
    as an uninterrupted one, whatever else drew random numbers meanwhile.
    :meth:`state_dict` / :meth:`load_state_dict` carry the position across checkpoints.
    """

    def __init__(self, dataset: WindowDataset, seed: int) -> None:
        if seed < 0:
            raise InputError(f"seed must be >= 0, got {seed}")
        self.dataset, self.seed, self.epoch = dataset, int(seed), -1
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Cut and order the windows of ``epoch``."""
        if epoch != self.epoch:
            self.dataset.reshuffle(np.random.default_rng([self.seed, int(epoch)]))
            self.epoch = int(epoch)

    def __iter__(self) -> Any:
        order = np.random.default_rng([self.seed, self.epoch, 1]).permutation(len(self.dataset))
        return iter(order.tolist())

    def __len__(self) -> int:
        return len(self.dataset)

    def state_dict(self) -> dict[str, int]:
        """Seed and epoch."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Put the sampler at a saved epoch (the seed must match)."""
        if int(state["seed"]) != self.seed:
            raise InputError(f"sampler state of seed {state['seed']} given to seed {self.seed}")
        self.set_epoch(int(state["epoch"]))

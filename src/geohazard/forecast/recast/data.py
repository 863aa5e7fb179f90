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

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from geohazard.exceptions import InputError
from geohazard.forecast.recast.inputs import (  # noqa: F401 - re-exported (torch-free home)
    _MIN_GAP,
    GapArrays,
    Normaliser,
    gap_arrays,
)


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

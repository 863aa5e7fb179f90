"""What RECAST's samplers share, without torch.

Argument checks, the history-state cache, the recorder of simulated events and the result
type of simulated features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from geohazard.exceptions import ParameterError
from geohazard.forecast.base import Continuations

FeatureMode = Literal["predict", "fixed"]
MagnitudeMode = Literal["learned", "gr"]


@dataclass(frozen=True)
class SimulatedFeatures:
    """Extra features of simulated events, aligned with :class:`Continuations` rows."""

    names: tuple[str, ...]
    values: np.ndarray  # (total, F) float64, physical units


class HistoryStateCache:
    """The encoder state after the last history encoded, reused when a history extends it.

    A prospective loop issues forecasts from a growing history (yesterday's events plus
    today's); re-encoding the whole catalog every time costs O(N) GRU steps. The cache keeps
    the encoded inputs and the final state and runs the GRU only over the new events when
    the new history starts with the cached one (checked exactly on the input rows) and the
    weights are the same object.
    """

    def __init__(self) -> None:
        self.inputs: np.ndarray | None = None  # (n, n_inputs) float32 rows already encoded
        self.state: np.ndarray | None = None  # (C,) float32
        self.owner: Any = None  # the weights the state was computed with (held, not an id)
        self.tag = ""  # how it was computed (a scan method), reused only for the same
        self.hits = 0

    def clear(self) -> None:
        """Forget the cached state."""
        self.inputs, self.state, self.owner = None, None, None

    def prefix_length(self, weights: Any, inputs: np.ndarray, tag: str = "") -> int:
        """Number of leading rows of ``inputs`` whose state is cached (0 if none)."""
        cached = self.inputs
        if (cached is None or self.owner is not weights or self.tag != tag
                or cached.shape[0] > inputs.shape[0]):
            return 0
        n = cached.shape[0]
        return n if np.array_equal(inputs[:n], cached) else 0

    def store(self, weights: Any, inputs: np.ndarray, n_reused: int, state: np.ndarray,
              tag: str = "") -> None:
        """Keep ``state`` (C,) after ``inputs``; ``n_reused`` rows came from the cache."""
        self.hits += int(n_reused > 0)
        self.inputs, self.state, self.owner = inputs.copy(), state.copy(), weights
        self.tag = tag


class Recorder:
    """Collects simulated events step by step (sample id, time, magnitude, features)."""

    def __init__(self) -> None:
        self.ids: list[np.ndarray] = []
        self.times: list[np.ndarray] = []
        self.mags: list[np.ndarray] = []
        self.feats: list[np.ndarray] = []

    def add(self, ids: np.ndarray, t: np.ndarray, m: np.ndarray,
            f: np.ndarray | None = None) -> None:
        """Append one step's events (``f``: their (k, F) features, if any)."""
        self.ids.append(ids)
        self.times.append(t)
        self.mags.append(m)
        if f is not None:
            self.feats.append(f)

    def build(self, n: int, t0: float, t1: float, n_feat: int
              ) -> tuple[Continuations, np.ndarray]:
        """The continuations (sorted by sample, in time order) and their (total, F) features."""
        if not self.ids:
            empty = np.empty(0)
            return (Continuations(empty, empty, np.zeros(n + 1, np.int64), t0, t1),
                    np.empty((0, n_feat)))
        ids = np.concatenate(self.ids)
        order = np.argsort(ids, kind="stable")  # steps were appended in time order
        offsets = np.zeros(n + 1, np.int64)
        offsets[1:] = np.cumsum(np.bincount(ids, minlength=n))
        cont = Continuations(np.concatenate(self.times)[order], np.concatenate(self.mags)[order],
                             offsets, t0, t1)
        feats = (np.concatenate(self.feats)[order] if self.feats
                 else np.zeros((ids.size, n_feat)))
        return cont, feats


def check_args(duration_days: float, n_samples: int, magnitudes: str = "learned") -> None:
    """Refuse a non-positive horizon, no samples or an unknown magnitude mode."""
    if not duration_days > 0:
        raise ParameterError(f"duration_days must be > 0, got {duration_days}")
    if n_samples < 1:
        raise ParameterError(f"n_samples must be >= 1, got {n_samples}")
    if magnitudes not in ("learned", "gr"):
        raise ParameterError(f"magnitudes must be 'learned' or 'gr', got {magnitudes!r}")

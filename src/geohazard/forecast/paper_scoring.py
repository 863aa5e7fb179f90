r"""The RECAST paper's rules for scoring count forecasts, beside the project's.

Dascher-Cousineau et al. (GRL 2023) score each 14-day window's simulated counts three ways;
this module writes their rules down exactly, so the paper's experiment can be rerun under its
own protocol and set beside the project's (:mod:`geohazard.forecast.evaluation`):

* **Coverage.** A window is *outside* the 95% range when the fraction of simulations strictly
  below the observed count is below 0.025 or above 0.975. The project counts a window
  *inside* when ``q2.5 <= observed <= q97.5`` of the simulated counts. The two differ for
  discrete counts: an observation equal to a heavily-tied lower quantile is inside for the
  project and may be outside for the paper.
* **Exact-match log-likelihood.** ``log(fraction of simulations with exactly the observed
  count)``, which is ``-inf`` when no simulation matches (a *complete miss*). The project
  scores a kernel-density smoothed count probability instead, which is finite.
* **Wins.** Model A wins a window against B when its exact-match log-likelihood is strictly
  higher. A finite score beats ``-inf``; two ``-inf`` scores tie (no win for either).

All functions take plain arrays of simulated counts and are exact (no smoothing, no random
numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geohazard.exceptions import InputError

__all__ = ["PaperWindowScore", "exact_match_log_likelihood", "fraction_below",
           "outside_95_paper", "inside_95_project", "paper_protocol_summary",
           "score_window_paper"]

#: The paper's two-sided 95% rule on the fraction of simulations below the observation.
LOWER, UPPER = 0.025, 0.975


def _counts(sim_counts: Any) -> np.ndarray:
    sims = np.asarray(sim_counts)
    if sims.ndim != 1 or sims.size == 0:
        raise InputError("paper scoring: simulated counts must be a non-empty 1-D array")
    if not np.issubdtype(sims.dtype, np.integer):
        if not np.all(np.isfinite(sims)) or np.any(sims != np.round(sims)):
            raise InputError("paper scoring: simulated counts must be whole numbers")
        sims = sims.astype(np.int64)
    if np.any(sims < 0):
        raise InputError("paper scoring: simulated counts must be >= 0")
    return sims


def fraction_below(sim_counts: Any, observed: int) -> float:
    """The fraction of simulations with strictly fewer events than ``observed``."""
    return float(np.mean(_counts(sim_counts) < int(observed)))


def outside_95_paper(sim_counts: Any, observed: int) -> bool:
    """The paper's miss rule: fraction below the observation < 0.025 or > 0.975."""
    f = fraction_below(sim_counts, observed)
    return bool(f < LOWER or f > UPPER)


def inside_95_project(sim_counts: Any, observed: int) -> bool:
    """The project's coverage rule: ``q2.5 <= observed <= q97.5`` of the simulated counts."""
    lo, hi = np.quantile(_counts(sim_counts), [LOWER, UPPER])
    return bool(lo <= int(observed) <= hi)


def exact_match_log_likelihood(sim_counts: Any, observed: int) -> float:
    """``log`` of the fraction of simulations with exactly ``observed`` events (-inf: none)."""
    p = float(np.mean(_counts(sim_counts) == int(observed)))
    return float(np.log(p)) if p > 0 else -np.inf


@dataclass(frozen=True)
class PaperWindowScore:
    """One window of one model under the paper's rules."""

    observed: int
    samples: int
    fraction_below: float
    outside_95: bool
    exact_match_log_likelihood: float

    @property
    def complete_miss(self) -> bool:
        """No simulation matched the observed count."""
        return bool(np.isneginf(self.exact_match_log_likelihood))


def score_window_paper(sim_counts: Any, observed: int) -> PaperWindowScore:
    """All of the paper's per-window scores for one model."""
    sims = _counts(sim_counts)
    f = fraction_below(sims, observed)
    return PaperWindowScore(int(observed), int(sims.size), f, bool(f < LOWER or f > UPPER),
                            exact_match_log_likelihood(sims, observed))


def _wins(a: Sequence[PaperWindowScore], b: Sequence[PaperWindowScore]) -> int:
    """Windows where ``a``'s exact-match log-likelihood is strictly above ``b``'s."""
    return int(sum(x.exact_match_log_likelihood > y.exact_match_log_likelihood
                   for x, y in zip(a, b, strict=True)))


def paper_protocol_summary(scores: Mapping[str, Sequence[PaperWindowScore]]
                           ) -> dict[str, Any]:
    """Coverage misses, complete misses and pairwise wins, per model, under the paper's rules.

    ``scores`` maps a model name to its windows, in the same window order for every model.
    The fraction outside is over all windows; ``mean_finite_exact_match_ll`` averages the
    finite scores only (the paper's -inf misses are counted, not averaged).
    """
    lengths = {len(v) for v in scores.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise InputError("paper scoring: every model needs the same, non-zero number of "
                         f"windows (got {sorted(lengths)})")
    out: dict[str, Any] = {"rules": {
        "outside_95": "fraction of simulations below the observation < 0.025 or > 0.975",
        "complete_miss": "no simulation with exactly the observed count (log-likelihood -inf)",
        "win": "strictly higher exact-match log-likelihood; -inf ties -inf"},
        "models": {}, "wins": {}}
    for name, rows in scores.items():
        finite = [r.exact_match_log_likelihood for r in rows if not r.complete_miss]
        out["models"][name] = {
            "windows": len(rows), "samples": rows[0].samples,
            "outside_95": int(sum(r.outside_95 for r in rows)),
            "outside_95_fraction": float(np.mean([r.outside_95 for r in rows])),
            "complete_misses": int(sum(r.complete_miss for r in rows)),
            "mean_finite_exact_match_ll": float(np.mean(finite)) if finite else None,
        }
    for a in scores:
        for b in scores:
            if a != b:
                out["wins"][f"{a}_vs_{b}"] = {"wins": _wins(scores[a], scores[b]),
                                              "windows": len(scores[a])}
    return out

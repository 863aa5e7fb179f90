"""Run models under the EarthquakeNPP protocol over seeds; published figures to compare.

``run_npp(data, ["poisson", "etas"], seeds=range(5))`` fits each model on the protocol's fit
window and scores the test events once per seed. Deterministic fits (Poisson, ETAS) are fitted
once and their scores repeat over seeds (sd 0); stochastic models get one fit per seed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from geohazard.exceptions import ParameterError
from geohazard.forecast.npp import NPPData, NPPModel, NPPScores, PoissonNPP, score_model

log = logging.getLogger(__name__)

#: EarthquakeNPP's published per-event figures on SanJac_10 (arXiv 2410.08226; issue 16).
PUBLISHED_SANJAC = {
    "ETAS": {"tll": 1.1325, "sll": -5.40},
    "NSTPP": {"tll": 1.132, "sll": None},
    "DeepSTPP": {"tll": 1.082, "sll": None},
    "AutoSTPP": {"tll": 1.062, "sll": None},
    "Poisson": {"tll": 0.794, "sll": None},
    "best neural (SLL)": {"tll": None, "sll": -6.40},
}


def _etas(**kwargs: Any) -> Callable[[int], NPPModel]:
    def factory(seed: int) -> NPPModel:
        from geohazard.forecast.npp_etas import MizrahiETAS

        return MizrahiETAS(**kwargs)
    return factory


def _recast(seed: int) -> NPPModel:
    from geohazard.forecast.npp_recast import RecastNPP

    return RecastNPP(seed=seed)


def _recast_kernel(seed: int) -> NPPModel:
    from geohazard.forecast.npp_recast import KernelRecastNPP

    return KernelRecastNPP(seed=seed)


#: name -> (factory(seed), deterministic). ``etas``: the benchmark's EM fit scored exactly;
#: ``etas-reference``: the same fit scored as the benchmark's code; ``etas-mle``: maximum
#: likelihood; ``recast``: the project's SpatialRecast (one training per seed);
#: ``recast-kernel``: temporal RECAST plus the attention kernel-mixture location head.
NPP_MODELS: dict[str, tuple[Callable[[int], NPPModel], bool]] = {
    "poisson": (lambda seed: PoissonNPP(), True),
    "etas": (_etas(fit_method="em"), True),
    "etas-reference": (_etas(fit_method="em", reference_quirks=True), True),
    "etas-mle": (_etas(fit_method="mle"), True),
    "recast": (_recast, False),
    "recast-kernel": (_recast_kernel, False),
}


def parse_npp_models(spec: str) -> list[str]:
    """``"poisson,etas"`` -> names, checked against :data:`NPP_MODELS`."""
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    if not names:
        raise ParameterError("--models: name at least one model")
    unknown = [n for n in names if n not in NPP_MODELS]
    if unknown:
        raise ParameterError(f"--models: unknown model(s) {', '.join(unknown)}; choose from "
                             f"{', '.join(NPP_MODELS)}")
    return list(dict.fromkeys(names))


def parse_seeds(spec: str) -> list[int]:
    """``"0-4"`` or ``"0,2,5"`` -> a list of seeds >= 0."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            if "-" in part[1:]:
                lo, hi = (int(v) for v in part.split("-", 1))
                if hi < lo:
                    raise ValueError(part)
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise ParameterError(f"--seeds: expected '0-4' or '0,1,2', got {spec!r}") from None
    if not seeds or min(seeds) < 0:
        raise ParameterError(f"--seeds: expected seeds >= 0, got {spec!r}")
    return list(dict.fromkeys(seeds))


def run_npp(data: NPPData, models: Sequence[str], seeds: Iterable[int]) -> dict[str, Any]:
    """Fit and score every model; per-seed summaries and mean +- sd over seeds."""
    seeds = list(seeds)
    out: dict[str, Any] = {"config": data.config.to_dict(), "catalog": data.source,
                           "counts": data.counts(), "n_outside_region": data.n_outside,
                           "seeds": seeds, "models": {}}
    for name in models:
        factory, deterministic = NPP_MODELS[name]
        runs: list[NPPScores] = []
        for k, seed in enumerate(seeds):
            if deterministic and k > 0:
                runs.append(NPPScores(name, runs[0].tll, runs[0].sll, runs[0].tail, seed,
                                      runs[0].info))
                continue
            start = time.perf_counter()
            model = factory(seed).fit(data)
            runs.append(score_model(model, data, seed=seed))
            log.info("%s seed %d: %s (%.0f s)", name, seed, runs[-1].summary(),
                     time.perf_counter() - start)
        out["models"][name] = summarise(runs, deterministic)
    return out


def summarise(runs: Sequence[NPPScores], deterministic: bool) -> dict[str, Any]:
    """Mean and sd over seeds of each per-event figure."""
    keys = ("tll_events", "tll", "sll", "ll")
    table = {k: np.array([r.summary()[k] for r in runs]) for k in keys}
    res: dict[str, Any] = {k: {"mean": float(v.mean()),
                               "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0}
                           for k, v in table.items()}
    res.update(n_events=runs[0].n_events, deterministic=deterministic,
               per_seed=[r.to_dict() for r in runs] if not deterministic else
               [runs[0].to_dict()])
    return res

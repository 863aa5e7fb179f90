"""A short RECAST demonstration: train for ~30 s and report NLL figures.

Called by ``geohazard demo``. Without a catalog it uses a synthetic Weibull renewal
process with Gutenberg-Richter magnitudes, whose exact test log-likelihood is known, so
the demo shows how close the learned model comes to the truth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from geohazard.catalog.core import Catalog, CatalogMetadata, EventSequence
from geohazard.exceptions import InputError
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.train import TrainConfig
from geohazard.io_utils import write_json_atomic
from geohazard.rng import as_generator

log = logging.getLogger(__name__)

RENEWAL_SHAPE, RENEWAL_SCALE_DAYS = 0.6, 0.5


def synthetic_renewal_catalog(n_events: int = 4000, rng: int | None = 0) -> Catalog:
    """Weibull renewal process (shape 0.6, scale 0.5 d), GR magnitudes (b = 1, Mc = 2).

    Split dates at 5 %, 60 % and 80 % of the span (train, val, test starts).
    """
    gen = as_generator(rng)
    t = np.cumsum(RENEWAL_SCALE_DAYS * gen.weibull(RENEWAL_SHAPE, size=n_events))
    mags = np.round(2.005 + gen.exponential(1 / np.log(10), size=n_events), 2)
    origin = pd.Timestamp("2000-01-01", tz="UTC")
    end = float(t[-1]) + 1e-3

    def at(frac: float) -> pd.Timestamp:
        return origin + pd.to_timedelta(frac * end, unit="D")

    md = CatalogMetadata(name="synthetic-renewal", source="geohazard synthetic",
                         mag_completeness=2.0, mag_roundoff=0.01, start=origin, end=at(1.0),
                         train_start=at(0.05), val_start=at(0.6), test_start=at(0.8))
    times = origin + pd.to_timedelta(t, unit="D")
    return Catalog(pd.DataFrame({"time": times, "magnitude": mags}), md)


def renewal_log_likelihood(seq: EventSequence, shape: float = RENEWAL_SHAPE,
                           scale: float = RENEWAL_SCALE_DAYS) -> float:
    """Exact time log-likelihood of a Weibull renewal process on the scored interval."""
    law = stats.weibull_min(shape, scale=scale)
    starts = np.concatenate(([seq.t_start], seq.times))
    tau = seq.inter_times
    scored = np.concatenate((seq.times, [seq.t_end])) > seq.t_nll_start
    is_event = np.arange(tau.size) < len(seq)
    terms = np.where(is_event, law.logpdf(np.maximum(tau, 1e-300)), law.logsf(tau))
    terms -= law.logsf(np.maximum(seq.t_nll_start - starts, 0.0))
    return float(terms[scored].sum())


def _with_splits(catalog: Catalog) -> Catalog:
    md = catalog.metadata
    if md.has_splits:
        return catalog
    if len(catalog) < 50:
        raise InputError(f"demo: catalog '{md.name}' has {len(catalog)} events; need >= 50")
    t0, t1 = catalog.times[0], catalog.times[-1]
    span = t1 - t0
    return catalog.with_metadata(start=md.start or t0, end=md.end or t1 + pd.Timedelta("1s"),
                                 train_start=t0 + 0.05 * span, val_start=t0 + 0.6 * span,
                                 test_start=t0 + 0.8 * span)


def run_demo(catalog: Catalog | None, out_dir: Path, rng: int, *, budget_s: float = 30.0,
             n_events: int = 4000, max_epochs: int = 60) -> dict[str, Any]:
    """Train a small RECAST for about ``budget_s`` seconds and return its NLL figures.

    Parameters
    ----------
    catalog
        A small catalog (split dates from its metadata, else 60/20/20 % of its span), or
        None for the synthetic renewal process (its true test NLL is reported beside).
    out_dir
        Where ``recast_model.pt`` and ``recast_demo.json`` are written.
    rng
        Seed.
    budget_s
        Training time cap in seconds.
    n_events
        Size of the synthetic catalog.
    max_epochs
        Epoch cap (early stopping usually ends sooner).

    Returns
    -------
    dict
        NLL per day of each split (time-only and with magnitudes), epochs, wall seconds,
        checkpoint path (and the true test NLL per day for the synthetic catalog).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    synthetic = catalog is None
    cat = synthetic_renewal_catalog(n_events, rng) if synthetic else _with_splits(catalog)
    cfg = TrainConfig(seed=int(rng), hidden=16, n_components=8, window=128, warmup=64,
                      batch_windows=8, max_epochs=max_epochs, patience=8, max_time_s=budget_s)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the GRU is latency-bound; more threads only contend
    try:
        model = Recast(cfg, work_dir=out_dir / "recast_checkpoints").fit(cat, resume=False)
        scores = model.score_catalog(cat)
    finally:
        torch.set_num_threads(threads)
    ckpt = model.save(out_dir / "recast_model.pt")
    result: dict[str, Any] = {
        "catalog": cat.metadata.name, "epochs": model.fit_info_.epochs,
        "wall_s": model.fit_info_.wall_s, "checkpoint": str(ckpt),
        "splits": {s: {"nll_per_day_time": v["nll_per_day_time"],
                       "nll_per_day_time_mag": v["nll_per_day_time_mag_learned"],
                       "nll_per_event_time": v["nll_per_event"], "n_events": v["n_events"]}
                   for s, v in scores.items()},
    }
    if synthetic:
        test = cat.to_sequence("test")
        result["true_test_nll_per_day_time"] = -renewal_log_likelihood(test) / test.scored_days
    write_json_atomic(out_dir / "recast_demo.json", result)
    log.info("RECAST demo: test NLL/day %.4f", result["splits"]["test"]["nll_per_day_time"])
    return result

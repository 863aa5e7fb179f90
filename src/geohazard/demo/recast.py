"""A short RECAST demonstration: train for ~30 s and report NLL figures.

Called by ``geohazard demo``. Without a catalog it uses the synthetic Weibull renewal
process of :func:`geohazard.examples.renewal_catalog`, whose exact test log-likelihood is
known (:func:`geohazard.testing.renewal_log_likelihood`), so the demo shows how close the
learned model comes to the truth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from geohazard.catalog.core import Catalog
from geohazard.examples import RENEWAL_SCALE_DAYS, RENEWAL_SHAPE, renewal_catalog, split_dates
from geohazard.exceptions import InputError
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.train import TrainConfig
from geohazard.io_utils import write_json_atomic
from geohazard.testing import renewal_log_likelihood

log = logging.getLogger(__name__)

def _with_splits(catalog: Catalog) -> Catalog:
    md = catalog.metadata
    if md.has_splits:
        return catalog
    if len(catalog) < 50:
        raise InputError(f"demo: catalog '{md.name}' has {len(catalog)} events; need >= 50")
    t0, t1 = catalog.times[0], catalog.times[-1]
    return catalog.with_metadata(start=md.start or t0, end=md.end or t1 + pd.Timedelta("1s"),
                                 **split_dates(t0, catalog.day_of(t1) - catalog.day_of(t0)))


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
    cat = renewal_catalog(n_events, rng) if synthetic else _with_splits(catalog)
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
        true_ll = renewal_log_likelihood(test, RENEWAL_SHAPE, RENEWAL_SCALE_DAYS)
        result["true_test_nll_per_day_time"] = -true_ll / test.scored_days
    write_json_atomic(out_dir / "recast_demo.json", result)
    log.info("RECAST demo: test NLL/day %.4f", result["splits"]["test"]["nll_per_day_time"])
    return result

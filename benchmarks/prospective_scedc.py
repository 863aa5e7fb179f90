"""A year of daily SCEDC forecasts through the prospective loop (2019, Ridgecrest included).

Models are fitted on the history before the first issue time (ETAS) or loaded from a
checkpoint trained on the paper's train/val splits (RECAST); then one 14-day forecast per day
and model is issued into an archive with ``run_prospective`` and scored with
``evaluate_archive``. Prints and writes JSON: forecasts issued, seconds per forecast, and per
model the 95% coverage, exact-match misses, mean log-score and PIT of the evaluated windows.
The baseline measured in the same run: RECAST forecasts that re-encode the whole history
(state cache cleared) against the cached rolling state.

    .venv/bin/python benchmarks/prospective_scedc.py --checkpoint model.pt --samples 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geohazard.catalog import read_catalog
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.forecasting import issue_forecast
from geohazard.forecast.models import fit_model, parse_models
from geohazard.forecast.prospective import evaluate_archive, run_prospective
from geohazard.io_utils import write_json_atomic

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG = HERE.parent.parent / "shared" / "data" / "catalogs" / "SCEDC.csv"


def _cache_baseline(model, cat, start: pd.Timestamp, samples: int, n: int = 3) -> dict:  # noqa: ANN001
    """Seconds per RECAST forecast with and without the rolling encoder state."""
    out = {}
    for mode in ("full_history", "cached_state"):
        model._state_cache.clear()
        hist = cat.to_sequence(t_end=start - pd.Timedelta(days=1))
        issue_forecast(model, hist, 14.0, 10, name="warm", rng=0)  # primes the cache
        secs = []
        for d in range(n):
            if mode == "full_history":
                model._state_cache.clear()
            hist = cat.to_sequence(t_end=start + pd.Timedelta(days=d))
            t0 = time.perf_counter()
            issue_forecast(model, hist, 14.0, samples, name="recast", rng=d)
            secs.append(time.perf_counter() - t0)
        out[mode] = float(np.mean(secs))
    out["speedup"] = out["full_history"] / out["cached_state"]
    return out


def _etas_fixed_alpha(cat, start: pd.Timestamp, alpha: str):  # noqa: ANN001, ANN202
    """The forecast ETAS (tapered, parameter draws) with alpha held at a value or at b."""
    from geohazard.forecast.etas.model import ETAS
    from geohazard.forecast.forecasting import params_hash

    value = alpha if alpha == "b" else float(alpha)
    history = cat.to_sequence(t_end=start, t_nll_start=cat.metadata.train_start)
    model = ETAS(taper_days=1000.0, param_draws=20, fixed_alpha=value).fit(history)
    summary = model.summary()
    return model, {"params": summary, "params_hash": params_hash(summary["params"]),
                   "fixed_alpha": alpha}


def _progress(done: int, total: int) -> None:
    if done % 10 == 0 or done == total:
        print(f"day {done}/{total}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    ap.add_argument("--models", default="etas,recast")
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--start", default="2019-01-01")
    ap.add_argument("--end", default="2019-12-17", help="Last issue time (window ends by 2020).")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--etas-fixed-alpha", default=None,
                    help="Hold ETAS's alpha at this value or 'b' (the b-value).")
    ap.add_argument("--refit-every", type=float, default=None,
                    help="Refit every this many days (operational updating).")
    ap.add_argument("--archive", type=Path,
                    default=HERE / "_work" / "prospective_scedc" / "archive.sqlite")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "prospective_scedc.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cat = read_catalog(args.catalog)
    start = pd.Timestamp(args.start, tz="UTC")
    fitted, fit_s = {}, {}
    for name in parse_models(args.models):
        t0 = time.perf_counter()
        fitted[name] = (_etas_fixed_alpha(cat, start, args.etas_fixed_alpha)
                        if name == "etas" and args.etas_fixed_alpha else
                        fit_model(name, cat, start, seed=args.seed, checkpoint=args.checkpoint))
        fit_s[name] = time.perf_counter() - t0
    baseline = (_cache_baseline(fitted["recast"][0], cat, start, args.samples)
                if "recast" in fitted else None)
    store = ForecastArchive(args.archive)

    def refit(name: str, when: pd.Timestamp):  # noqa: ANN202
        t0 = time.perf_counter()
        out = fit_model(name, cat, when, seed=args.seed, checkpoint=args.checkpoint)
        refit_s.append(time.perf_counter() - t0)
        return out

    refit_s: list[float] = []
    run = run_prospective(cat, fitted, store, start, pd.Timestamp(args.end, tz="UTC"),
                          every_days=1.0, days=14.0, n_samples=args.samples, seed=args.seed,
                          refit=refit if args.refit_every else None,
                          refit_every_days=args.refit_every, progress=_progress)
    ev = evaluate_archive(cat, store, seed=args.seed)
    out = {"catalog": str(args.catalog), "start": args.start, "end": args.end,
           "samples": args.samples, "fit_seconds": fit_s, "issued": len(run.issued),
           "skipped_already_archived": run.skipped, "loop_seconds": run.seconds,
           "seconds_per_forecast": run.seconds / max(len(run.issued), 1),
           "recast_state_cache": baseline, "refit_every_days": args.refit_every,
           "refits": len(refit_s), "refit_seconds_total": float(sum(refit_s)),
           "evaluated": len(ev.rows), "pending": ev.pending,
           "summaries": {k: v.to_dict() for k, v in ev.summaries.items()}}
    for name, s in out["summaries"].items():
        print(f"{name:8s} windows={s['n_windows']} coverage95={s['coverage_95']:.3f} "
              f"misses={s['zero_likelihood_misses']} mean_log_score={s['mean_log_score']:.3f} "
              f"mean_pit={s['mean_pit']:.3f}")
    print(f"issued {out['issued']} in {run.seconds:.0f} s; RECAST state cache: {baseline}")
    write_json_atomic(args.out, json.loads(json.dumps(out, default=float)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

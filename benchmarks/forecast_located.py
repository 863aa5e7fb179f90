"""Located forecasts on QTM San Jacinto: pyCSEP N, M, S and pseudo-likelihood tests per window.

Consecutive 14-day windows over the test period (2016-01-01 to 2018-01-01), each forecast
conditioned on all history since 2008; models fitted on the history before 2016-01-01:
SpatialPoisson (the baseline: Poisson in time, smoothed-seismicity epicentres),
SpatialETAS (when the module exists) and SpatialRecast (RECAST with projected x, y km as
features; RECAST's fast training capped at 6 minutes, stored in the JSON) with a
128-component mixture location decoder, and with RECAST's diagonal normal (``recast_diag``).
Events with M > Mc = 1.0.
Grid: 0.05 degrees over the catalog's box (lat 33-34, lon -117..-116), magnitude bins of
0.1 from Mc. Prints and writes ``benchmarks/results/forecast_located.json`` after every model:
the fraction of windows passing N, M, S and PL at 0.05, mean S and PL quantiles, count
log-score wins between models (same windows), 95% count coverage and seconds.

    nice -n 10 .venv/bin/python benchmarks/forecast_located.py --samples 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.catalog import read_catalog
from geohazard.exceptions import GeohazardError
from geohazard.forecast.backtest import backtest
from geohazard.forecast.recast.kernel_model import KernelRecast
from geohazard.forecast.recast.train import TrainConfig
from geohazard.forecast.region import SpatialRegion
from geohazard.forecast.spatial_models import catalog_region, etas_available, fit_spatial_model
from geohazard.io_utils import write_json_atomic

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "catalogs"
# RECAST's default fast scheme (hidden 32, K 32, windows of 256 after 128 warm-up events),
# capped at 300 epochs / 6 minutes; locations: a 128-component mixture decoder
# ("recast"; 32 components: S pass 0.31, 128: 0.37, 256: 0.35 in trial runs) and RECAST's
# single diagonal normal ("recast_diag") for comparison
RECAST_CONFIG = TrainConfig(max_epochs=300, patience=20, max_time_s=360.0,
                            feature_components=128)
# "recast_joint": the location loss also trains the encoder (NetConfig.joint_features);
# "recast_kernel": temporal RECAST plus the attention kernel-mixture location head
# (geohazard.forecast.recast.kernel_model.KernelRecast)
VARIANTS = {"recast_diag": ("recast", 1, False), "recast_joint": ("recast", 128, True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", type=Path, default=DATA / "QTMSanJacinto_located.csv")
    ap.add_argument("--meta", type=Path, default=DATA / "QTMSanJacinto.json")
    ap.add_argument("--models", default="poisson,recast,etas,recast_diag")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--dh", type=float, default=0.05)
    ap.add_argument("--box", type=float, nargs=4, default=(-117.0, -116.0, 33.0, 34.0),
                    metavar=("LON_MIN", "LON_MAX", "LAT_MIN", "LAT_MAX"),
                    help="Testing region (default: the QTM San Jacinto box).")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for RECAST.")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "forecast_located.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cat = read_catalog(args.catalog, sidecar=args.meta).above_completeness()
    md = cat.metadata
    region = SpatialRegion(*args.box, dh=args.dh, mag_edges=catalog_region(cat).mag_edges)
    print(f"{md.name}: {len(cat)} events M>{md.mag_completeness}, grid {region.shape} of "
          f"{args.dh} deg, test {md.test_start:%Y-%m-%d} to {md.end:%Y-%m-%d}")
    out: dict[str, Any] = {
        "catalog": str(args.catalog), "events": len(cat), "samples": args.samples,
        "days": args.days, "region": region.to_dict(), "seed": args.seed,
        "recast_config": RECAST_CONFIG.to_dict(), "models": {}, "skipped": {}}
    per_window: dict[str, list[float]] = {}
    for name in [s.strip() for s in args.models.split(",") if s.strip()]:
        if name == "etas" and not etas_available():
            out["skipped"]["etas"] = "geohazard.forecast.etas.spatial not available"
            print("skip etas: SpatialETAS not available")
            continue
        try:
            out["models"][name], per_window[name] = _run(name, cat, region, args)
        except (ImportError, GeohazardError) as exc:  # a model still being written elsewhere
            out["skipped"][name] = f"{type(exc).__name__}: {exc}"
            print(f"skip {name}: {exc}")
            continue
        out["comparison"] = _wins(per_window)
        write_json_atomic(args.out, out)
        _print(name, out["models"][name])
    print(json.dumps(out.get("comparison", {}), indent=1))
    print(f"wrote {args.out}")


def _run(name: str, cat: Any, region: Any, args: argparse.Namespace
         ) -> tuple[dict[str, Any], list[float]]:
    md = cat.metadata
    t0 = time.perf_counter()
    base, comps, joint = VARIANTS.get(name, (name, RECAST_CONFIG.feature_components, False))
    cfg = dataclasses.replace(RECAST_CONFIG, feature_components=comps, joint_features=joint)
    if name == "recast_kernel":
        model: Any = KernelRecast(dataclasses.replace(cfg, seed=args.seed)).fit(
            cat, md.test_start)
    else:
        model, _ = fit_spatial_model(base, cat, md.test_start, seed=args.seed,
                                     recast_config=cfg)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = backtest(cat, {name: model}, md.test_start, md.end, days=args.days,
                   n_samples=args.samples, rng=args.seed,
                   mag_edges=np.asarray(region.mag_edges), region=region,
                   progress=lambda d, n: print(f"  {name} window {d}/{n}", flush=True))
    run_s = time.perf_counter() - t0
    summ = res.summaries[name].to_dict()
    spat = res.spatial_summaries[name].to_dict()
    fit_info = getattr(getattr(model, "recast_", None), "fit_info_", None)
    result = {
        "fit_seconds": fit_s, "backtest_seconds": run_s, "windows": len(res.windows),
        "seconds_per_window": run_s / len(res.windows),
        "coverage_95": summ["coverage_95"], "zero_likelihood_misses":
            summ["zero_likelihood_misses"], "mean_log_score": summ["mean_log_score"],
        "pass_n": spat["pass_n"], "pass_m": spat["pass_m"], "pass_s": spat["pass_s"],
        "pass_pl": spat["pass_pl"], "mean_s_quantile": spat["mean_s_quantile"],
        "mean_pl_quantile": spat["mean_pl_quantile"], "n_valid_spatial": spat["n_valid_spatial"],
        "observed_mean": float(np.mean([e.observed for e in res.evaluations[name]])),
        "expected_mean": float(np.mean([e.expected for e in res.evaluations[name]])),
        "recast_epochs": getattr(fit_info, "epochs", None),
        "location_refit": getattr(model, "location_fit_", None),
        "location_head": _head_info(model),
        "per_window": [e.to_dict() for e in res.spatial[name]],
    }
    return result, [e.log_score for e in res.evaluations[name]]


def _head_info(model: Any) -> dict[str, Any] | None:
    head = getattr(model, "head_", None)
    if head is None:
        return None
    info = {k: v for k, v in head.fit_info.items() if k != "history"}
    return {**info, "rho": head.rho, "beta": head.beta.tolist()}


def _wins(scores: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Pairwise count log-score wins over the same windows."""
    out = {}
    for a, sa in scores.items():
        for b, sb in scores.items():
            if a != b:
                x, y = np.asarray(sa), np.asarray(sb)
                out[f"{a}_vs_{b}"] = {"wins": int(np.sum(x > y)), "windows": int(x.size),
                                      "info_gain_per_window": float(np.mean(x - y))}
    return out


def _print(name: str, r: dict[str, Any]) -> None:
    print(f"{name:>8}: N {r['pass_n']:.2f}  M {r['pass_m']:.2f}  S {r['pass_s']:.2f}  "
          f"PL {r['pass_pl']:.2f}  mean S q {r['mean_s_quantile']:.3f}  mean PL q "
          f"{r['mean_pl_quantile']:.3f}  95% cov {r['coverage_95']:.2f}  log-score "
          f"{r['mean_log_score']:.3f}  fit {r['fit_seconds']:.0f} s  backtest "
          f"{r['backtest_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()

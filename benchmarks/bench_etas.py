"""ETAS benchmarks: O(N K) likelihood against the direct O(N^2), fit time, simulation, test NLL.

Parts (run all, or name some):

``likelihood``
    Time log-likelihood of every event of (a) QTMSanJacinto before its test start and
    (b) SCEDC 1981-2005 (the fit history), all events scored from the catalog start, with
    the paper's parameters: our sum-of-exponentials kernel (value only, and value+gradient)
    against the direct O(N^2) double sum (numba, one thread), same process, one after the
    other. ``--direct-subset N`` times the direct sum on the first N events only and
    extrapolates by ``(N_full / N)**2`` (reported as such).
``fit``
    Maximum-likelihood fit on SCEDC's train split (history 1981-2005, scored 1985-2005):
    unconstrained and constrained (p >= 1.01, branching ratio <= 0.99).
``score``
    Fit QTMSanJacinto, SCEDC and White (both variants) and score val/test NLL per day
    against the RECAST paper's ETAS (time-only, lower is better).
``taper``
    Fits with a fixed exponential taper of the Omori kernel, tau in {100, 1000} days,
    chosen by validation NLL; subcritical for any p.
``sample``
    10,000 continuations of 14 days after SCEDC's test start, conditioned on all earlier
    events, with the constrained, unconstrained and tapered SCEDC fits; mean count against
    the renewal-equation mean.

The machine is shared: wall-clock and process CPU seconds are both recorded (numba runs
single-threaded here, so CPU seconds are the cleaner figure). JSON is written atomically
after each part; finished parts are skipped on re-runs unless ``--force``.

Example::

    nice -n 10 python benchmarks/bench_etas.py --out benchmarks/results/etas.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.catalog.io import read_catalog
from geohazard.forecast.etas.fitting import time_loglik
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.params import PARAM_NAMES, ETASParams
from geohazard.forecast.etas.simulate import expected_count
from geohazard.io_utils import write_json_atomic
from geohazard.testing import direct_loglik

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "catalogs"
PAPER_TEST = {"SCEDC": -14.253, "QTMSanJacinto": -6.6727, "White": -89.183}


def _timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """Best wall and CPU seconds over ``repeat`` calls, and the last result."""
    best_wall = best_cpu = float("inf")
    out = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return out, best_wall, best_cpu


def _catalog(name: str):  # noqa: ANN202
    return read_catalog(DATA / f"{name}.csv").above_completeness()


def _paper_params(name: str) -> ETASParams:
    info = json.loads((DATA / "paper_etas_params.json").read_text())["catalogs"][name]
    return ETASParams.from_dict(info["params"])


def _full_scored(seq: EventSequence) -> EventSequence:
    return EventSequence(seq.times, seq.magnitudes, seq.t_start, seq.t_end, seq.t_start,
                         seq.mag_completeness)


def _likelihood_case(label: str, name: str, split: str, subset: int | None) -> dict:
    seq = _full_scored(_catalog(name).to_sequence(split))
    params, mc = _paper_params(name), seq.mag_completeness
    ll_soe, w_soe, c_soe = _timed(lambda: time_loglik(seq, params, mc, with_grad=False), 5)
    _, w_grad, c_grad = _timed(lambda: time_loglik(seq, params, mc), 5)
    n = len(seq)
    m = n if subset is None else min(subset, n)
    sub = seq if m == n else EventSequence(seq.times[:m], seq.magnitudes[:m], 0.0,
                                           float(seq.times[m]), 0.0, mc)
    ll_dir, w_dir, c_dir = _timed(lambda: direct_loglik(
        sub.times, sub.magnitudes - mc, 0.0, sub.t_end, params.to_array()))
    scale = (n / m) ** 2
    row = {
        "case": label, "events": n, "soe_terms": ll_soe[2].size,
        "soe_error_bound": ll_soe[2].error_bound,
        "soe_wall_s": w_soe, "soe_cpu_s": c_soe, "soe_grad_wall_s": w_grad,
        "soe_grad_cpu_s": c_grad, "direct_events_timed": m, "direct_wall_s": w_dir * scale,
        "direct_cpu_s": c_dir * scale, "direct_extrapolated": m != n,
        "speedup_wall": w_dir * scale / w_soe, "speedup_cpu": c_dir * scale / c_soe,
    }
    if m == n:
        row["loglik_soe"], row["loglik_direct"] = ll_soe[0], float(ll_dir)
        row["rel_diff"] = abs(ll_soe[0] - ll_dir) / abs(ll_dir)
    else:  # check equality on the timed subset
        ll_sub = time_loglik(sub, params, mc, with_grad=False)[0]
        row["rel_diff_on_subset"] = abs(ll_sub - ll_dir) / abs(ll_dir)
    print(f"[likelihood] {label}: N={n} K={row['soe_terms']} soe {w_soe * 1e3:.1f} ms "
          f"(cpu {c_soe * 1e3:.1f}) direct {row['direct_wall_s']:.2f} s "
          f"{'(extrapolated) ' if m != n else ''}speedup x{row['speedup_wall']:.0f} wall, "
          f"x{row['speedup_cpu']:.0f} cpu, rel diff "
          f"{row.get('rel_diff', row.get('rel_diff_on_subset')):.2e}", flush=True)
    return row


def part_likelihood(args: argparse.Namespace) -> dict:
    # warm the JIT (compile or load the cache) outside the timings
    warm = _full_scored(_catalog("QTMSanJacinto").to_sequence("train"))
    _, w_first, _ = _timed(lambda: time_loglik(warm, _paper_params("QTMSanJacinto"), 1.0))
    direct_loglik(warm.times[:50], warm.magnitudes[:50] - 1.0, 0.0, warm.times[50],
                          _paper_params("QTMSanJacinto").to_array())
    return {"first_call_wall_s_incl_jit_or_cache": w_first, "cases": [
        _likelihood_case("QTMSanJacinto before test start", "QTMSanJacinto", "val", None),
        _likelihood_case("SCEDC 1981-2005", "SCEDC", "train", args.direct_subset),
    ]}


def _fit(name: str, constrained: bool) -> tuple[ETAS, dict]:
    cat = _catalog(name)
    seq = cat.to_sequence("train")
    model, wall, cpu = _timed(lambda: ETAS(constrained=constrained).fit(seq))
    scores = {s: model.log_likelihood(cat.to_sequence(s)).to_dict() for s in ("val", "test")}
    summary = model.summary()
    row = {"catalog": name, "constrained": constrained, "train_events": len(seq),
           "scored_events": seq.n_scored, "fit_wall_s": wall, "fit_cpu_s": cpu, **summary,
           "val_nll_per_day": scores["val"]["nll_per_day"],
           "test_nll_per_day": scores["test"]["nll_per_day"],
           "test_nll_per_event": scores["test"]["nll_per_event"],
           "paper_test_nll_per_day": PAPER_TEST[name]}
    print(f"[fit] {name} constrained={constrained}: {wall:.1f} s wall ({cpu:.1f} cpu), "
          f"n={summary['branching_ratio']:.3f}, test NLL/day {row['test_nll_per_day']:.4f} "
          f"(paper {PAPER_TEST[name]}), params {summary['params']}", flush=True)
    return model, row


def part_fit(args: argparse.Namespace) -> dict:
    return {"fits": [_fit("SCEDC", c)[1] for c in (False, True)]}


def part_score(args: argparse.Namespace) -> dict:
    rows = [_fit(name, c)[1] for name in ("QTMSanJacinto", "White") for c in (False, True)]
    return {"fits": rows}


def _fit_tapered(name: str, tau: float) -> dict:
    cat = _catalog(name)
    seq = cat.to_sequence("train")
    model, wall, cpu = _timed(lambda: ETAS(taper_days=tau).fit(seq))
    val = model.log_likelihood(cat.to_sequence("val")).nll_per_day
    test = model.log_likelihood(cat.to_sequence("test"))
    print(f"[taper] {name} tau={tau:g} d: {wall:.1f} s wall ({cpu:.1f} cpu), "
          f"n={model.branching_ratio_:.3f}, val {val:.4f}, test NLL/day {test.nll_per_day:.4f} "
          f"(paper {PAPER_TEST[name]})", flush=True)
    return {"catalog": name, "tau_days": tau, "fit_wall_s": wall, "fit_cpu_s": cpu,
            "params": model.params_.to_dict(),
            "se": dict(zip(PARAM_NAMES, model.se_.tolist(), strict=True)),
            "branching_ratio": model.branching_ratio_, "converged": model.fit_report_.converged,
            "val_nll_per_day": val, "test_nll_per_day": test.nll_per_day,
            "test_nll_per_event": test.nll_per_event, "paper_test_nll_per_day": PAPER_TEST[name]}


def part_taper(args: argparse.Namespace) -> dict:
    """Tapered fits (tau fixed on a grid, chosen by validation NLL): subcritical for any p."""
    out = {}
    for name in ("QTMSanJacinto", "SCEDC", "White"):
        rows = [_fit_tapered(name, tau) for tau in (100.0, 1000.0)]
        best = min(rows, key=lambda r: r["val_nll_per_day"])
        out[name] = {"fits": rows, "selected_tau_by_val": best["tau_days"],
                     "selected_test_nll_per_day": best["test_nll_per_day"],
                     "selected_branching_ratio": best["branching_ratio"]}
    return out


def _sample_with(model: ETAS, history: EventSequence, label: str) -> dict:
    sims, wall, cpu = _timed(lambda: model.sample(history, 14.0, 10_000, rng=0), 3)
    expected = expected_count(model.params_, model.mag_law_, 14.0, history=history,
                              n_grid=400)
    counts = sims.counts
    print(f"[sample] {label}: 10,000 x 14 days after SCEDC test start: {wall:.2f} s wall "
          f"({cpu:.2f} cpu), mean count {counts.mean():.2f} (renewal mean {expected:.2f}), "
          f"{counts.sum()} events", flush=True)
    return {"fit": label, "n_samples": 10_000, "days": 14.0, "wall_s": wall, "cpu_s": cpu,
            "mean_count": float(counts.mean()), "expected_count": expected,
            "count_quantiles_5_50_95": np.quantile(counts, [0.05, 0.5, 0.95]).tolist(),
            "total_events": int(counts.sum()), "params": model.params_.to_dict(),
            "branching_ratio": model.branching_ratio_}


def part_sample(args: argparse.Namespace) -> dict:
    history = _catalog("SCEDC").to_sequence("val")  # every event before the test start
    constrained, _ = _fit("SCEDC", True)
    free, _ = _fit("SCEDC", False)
    free.allow_explosive = True  # n > 1 on an infinite horizon; 14 days stay finite
    tapered = ETAS(taper_days=1000.0).fit(_catalog("SCEDC").to_sequence("train"))
    return {"runs": [_sample_with(constrained, history, "constrained"),
                     _sample_with(free, history, "unconstrained (allow_explosive)"),
                     _sample_with(tapered, history, "tapered, tau = 1000 days")]}


PARTS = {"likelihood": part_likelihood, "fit": part_fit, "sample": part_sample,
         "score": part_score, "taper": part_taper}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parts", nargs="*", choices=[*PARTS, []], default=list(PARTS))
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/etas.json"))
    ap.add_argument("--direct-subset", type=int, default=None,
                    help="time the O(N^2) sum on the first N SCEDC events and extrapolate")
    ap.add_argument("--force", action="store_true", help="re-run finished parts")
    args = ap.parse_args()
    result = json.loads(args.out.read_text()) if args.out.exists() else {}
    result["machine"] = {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                         "numba": numba.__version__, "numba_threads": numba.get_num_threads(),
                         "loadavg_at_start": os.getloadavg()}
    for name in args.parts or list(PARTS):
        if name in result and not args.force:
            print(f"[{name}] done already (use --force to re-run)")
            continue
        result[name] = PARTS[name](args)
        result[name]["loadavg_after"] = os.getloadavg()
        write_json_atomic(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

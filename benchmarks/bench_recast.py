"""RECAST benchmarks: fast training against the paper's loop, and batched sampling.

Part ``train``: wall-clock to early stop on one catalog (default QTMSanJacinto) of
(a) our windowed training (many windows per step with history warm-up, LR schedule,
quantile initialisation of the decoder) and (b) our re-implementation of the paper's
loop (one gradient step per epoch on the whole training sequence, exact validation on
the whole validation sequence, Adam lr 5e-2, patience 200, min_delta 1e-3, at most 1500
epochs), same machine, same seed, run one after the other; both report exact train / val
/ test NLL per day (time-only, the paper's figure, and with magnitudes).

Part ``sample``: time to draw 10,000 continuations of 14 days after SCEDC's test start,
conditioned on all history, with our sampler (continuations stop on their own) against
a lock-step baseline in which every continuation steps until the slowest has passed the
horizon (the pattern of the paper's sampler), same model, same machine.

The machine is shared, so wall-clock and process CPU seconds are both recorded.

Results are written (atomically) to ``--out`` after each method, and a finished method
is skipped when the script is re-run, so a killed run resumes.

Example::

    nice -n 10 python benchmarks/bench_recast.py train --catalog QTMSanJacinto \
        --out benchmarks/results/recast_train_QTMSanJacinto.json
    nice -n 10 python benchmarks/bench_recast.py sample --catalog SCEDC \
        --out benchmarks/results/recast_sample_SCEDC.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from geohazard.catalog.io import read_catalog
from geohazard.forecast.recast import Recast, TrainConfig
from geohazard.forecast.recast.sampling import _encode, _history_state
from geohazard.io_utils import write_json_atomic

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "catalogs"
PAPER = {"QTMSanJacinto": (-6.720, 0.016), "SCEDC": (-14.191, 0.069),
         "White": (-89.558, 0.076)}


def _load(out: Path) -> dict:
    return json.loads(out.read_text()) if out.exists() else {}


def _machine() -> dict:
    return {"platform": platform.platform(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "cpu_count": __import__("os").cpu_count()}


def _train_one(catalog, cfg: TrainConfig, work: Path) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    model = Recast(cfg, work_dir=work).fit(catalog, resume=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    scores = model.score_catalog(catalog)
    model.save(work / "model.pt")
    info = model.fit_info_
    return {"wall_s": wall, "cpu_s": cpu, "fit_wall_s": info.wall_s, "epochs": info.epochs,
            "stopped_early": info.stopped_early, "best_val_windowed": info.best_val_nll_per_day,
            "scores": {s: {k: v[k] for k in ("nll_per_day", "nll_per_day_time_mag_gr",
                                             "nll_per_day_time_mag_learned", "n_events", "days")}
                       for s, v in scores.items()},
            "config": cfg.to_dict(), "checkpoint": str(work / "model.pt")}


def run_train(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    res = _load(out)
    res["command"] = "python " + " ".join(sys.argv)
    res.update({"catalog": args.catalog, "seed": args.seed, "machine": _machine(),
                "paper_recast_test_nll_per_day": PAPER.get(args.catalog)})
    catalog = read_catalog(DATA / f"{args.catalog}.csv")
    work = Path(args.work_dir)
    methods = {"fast": TrainConfig(seed=args.seed),
               "paper_loop": TrainConfig.paper(seed=args.seed,
                                               max_time_s=args.paper_max_minutes * 60)}
    for name in args.methods:
        if name in res.get("methods", {}):
            print(f"{name}: already done, skipping")
            continue
        print(f"training {name} ...", flush=True)
        r = _train_one(catalog, methods[name], work / f"{args.catalog}_s{args.seed}_{name}")
        res.setdefault("methods", {})[name] = r
        print(f"{name}: {r['epochs']} epochs, {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, "
              f"test NLL/day "
              f"{r['scores']['test']['nll_per_day']:.4f}", flush=True)
        write_json_atomic(out, res)
    m = res.get("methods", {})
    if "fast" in m and "paper_loop" in m:
        res["speedup_wall"] = m["paper_loop"]["wall_s"] / m["fast"]["wall_s"]
        res["speedup_cpu"] = m["paper_loop"]["cpu_s"] / m["fast"]["cpu_s"]
        print(f"speed-up to early stop: {res['speedup_wall']:.1f}x wall, "
              f"{res['speedup_cpu']:.1f}x CPU time")
    write_json_atomic(out, res)
    return res


@torch.no_grad()
def lockstep_baseline(model: Recast, history, duration: float, n: int, seed: int) -> dict:
    """All continuations step together until the slowest passes the horizon."""
    net, norm = model.net_, model.normaliser_
    gen = torch.Generator().manual_seed(seed)
    h = _history_state(net, norm, history).expand(1, n, -1).contiguous()
    t_last = float(history.times[-1])
    t1 = history.t_end + duration
    elapsed = torch.full((n,), (history.t_end - t_last) / norm.time_scale, dtype=torch.float64)
    t = np.full(n, t_last)
    steps, events = 0, 0
    while (t <= t1).any():
        gap = net.time_dist(h[0]).sample(elapsed, generator=gen).numpy() * norm.time_scale
        mag = net.mag_dist(h[0], norm.b, norm.mag_min).sample(generator=gen).numpy()
        t = t + gap
        events += int((t <= t1).sum())
        _, h = net.encoder.rnn(_encode(norm, gap, mag, np.zeros((n, 0))), h)
        elapsed = torch.zeros(n, dtype=torch.float64)
        steps += 1
    return {"steps": steps, "events": events}


def run_sample(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    res = _load(out)
    res["command"] = "python " + " ".join(sys.argv)
    catalog = read_catalog(DATA / f"{args.catalog}.csv")
    work = Path(args.work_dir) / f"{args.catalog}_sample_model"
    ckpt = Path(args.checkpoint) if args.checkpoint else work / "model.pt"
    if not ckpt.exists():
        print("training a model for sampling ...", flush=True)
        cfg = TrainConfig(seed=args.seed, max_time_s=args.train_max_minutes * 60)
        model = Recast(cfg, work_dir=work).fit(catalog)
        model.save(ckpt)
        res["model_training"] = {"epochs": model.fit_info_.epochs,
                                 "wall_s": model.fit_info_.wall_s,
                                 "stopped_early": model.fit_info_.stopped_early}
    model = Recast.load(ckpt)
    history = catalog.to_sequence(t_end=catalog.metadata.test_start)
    res.update({"catalog": args.catalog, "n_samples": args.n, "days": args.days,
                "history_events": len(history), "machine": _machine(), "checkpoint": str(ckpt)})
    t0 = time.perf_counter()
    cont = model.sample(history, args.days, args.n, rng=args.seed)
    ours = time.perf_counter() - t0
    counts = cont.counts
    res["ours"] = {"wall_s": ours, "events": int(counts.sum()), "mean_count": counts.mean(),
                   "median_count": float(np.median(counts)), "max_count": int(counts.max()),
                   "observed_count": int(((catalog.days() > history.t_end)
                                          & (catalog.days() <= history.t_end + args.days)).sum())}
    print(f"ours: {args.n} x {args.days} d in {ours:.2f} s; mean count {counts.mean():.1f}")
    t0 = time.perf_counter()
    base = lockstep_baseline(model, history, args.days, args.n, args.seed)
    res["lockstep_baseline"] = {"wall_s": time.perf_counter() - t0, **base}
    res["speedup"] = res["lockstep_baseline"]["wall_s"] / ours
    print(f"lock-step baseline: {res['lockstep_baseline']['wall_s']:.2f} s "
          f"({base['steps']} steps); speed-up {res['speedup']:.1f}x")
    write_json_atomic(out, res)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="part", required=True)
    tr = sub.add_parser("train")
    tr.add_argument("--catalog", default="QTMSanJacinto")
    tr.add_argument("--methods", nargs="+", default=["fast", "paper_loop"])
    tr.add_argument("--paper-max-minutes", type=float, default=60.0)
    sa = sub.add_parser("sample")
    sa.add_argument("--catalog", default="SCEDC")
    sa.add_argument("--n", type=int, default=10_000)
    sa.add_argument("--days", type=float, default=14.0)
    sa.add_argument("--checkpoint", default=None)
    sa.add_argument("--train-max-minutes", type=float, default=15.0)
    for p in (tr, sa):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--work-dir", default="benchmarks/_work/recast")
        p.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    (run_train if args.part == "train" else run_sample)(args)


if __name__ == "__main__":
    main()

"""Reproduce the RECAST paper's test NLL per day (5 seeds x 3 catalogs), resumably.

Each (catalog, seed) run trains with our fast windowed scheme (or ``--paper-loop``),
early-stopped on the validation split, then scores train / val / test exactly (full
history from the catalog start, the paper's convention). Every finished run is written
at once to the JSON file, and a killed run resumes from its Lightning ``last.ckpt``; a
re-run skips finished runs. The summary gives mean +- sd over seeds beside the paper's
RECAST and ETAS figures.

Part ``size`` is the paper's training-size experiment on White: the training and
validation sequences are cut to the last fraction ``f`` of the training period (history
before it dropped, as in the paper), the test split is unchanged.

Part ``synthetic``: RECAST trained on the paper's ETAS simulation (ETAS_synthetic) beside
the test NLL of the true ETAS parameters.

Examples::

    nice -n 10 python benchmarks/reproduce_recast.py seeds \
        --catalogs QTMSanJacinto SCEDC White --seeds 0 1 2 3 4 \
        --out benchmarks/results/recast_reproduction.json
    nice -n 10 python benchmarks/reproduce_recast.py size --catalog White \
        --fractions 0.01 0.02 0.05 0.1 0.2 0.5 1.0 --out benchmarks/results/recast_size.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from geohazard.catalog.core import EventSequence
from geohazard.catalog.io import read_catalog, read_sequence
from geohazard.forecast.recast import Recast, TrainConfig
from geohazard.forecast.recast.train import split_sequences
from geohazard.io_utils import write_json_atomic

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "catalogs"
PAPER_RECAST = {"QTMSanJacinto": (-6.720, 0.016), "SCEDC": (-14.191, 0.069),
                "White": (-89.558, 0.076)}
PAPER_ETAS = {"QTMSanJacinto": -6.6727, "SCEDC": -14.253, "White": -89.183}


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _config(args: argparse.Namespace, seed: int) -> TrainConfig:
    extra = {"max_time_s": args.max_minutes * 60} if args.max_minutes else {}
    return (TrainConfig.paper(seed=seed, **extra) if args.paper_loop
            else TrainConfig(seed=seed, **extra))


def _scores(model: Recast, seqs: dict[str, EventSequence]) -> dict:
    out = {}
    for split, seq in seqs.items():
        r = model.log_likelihood(seq, include_magnitude=True)
        out[split] = {"nll_per_day_time": r.extra["nll_per_day_time"],
                      "nll_per_day_time_mag_learned": r.extra["nll_per_day_time_mag_learned"],
                      "nll_per_day_time_mag_gr": r.extra["nll_per_day_time_mag_gr"],
                      "n_events": r.n_events, "days": r.days}
    return out


def _summary(runs: dict) -> dict:
    summary = {}
    for cat in sorted({r["catalog"] for r in runs.values()}):
        tests = [r["scores"]["test"]["nll_per_day_time"] for r in runs.values()
                 if r["catalog"] == cat]
        summary[cat] = {"n_seeds": len(tests), "test_nll_per_day_mean": float(np.mean(tests)),
                        "test_nll_per_day_sd": float(np.std(tests, ddof=1)) if len(tests) > 1
                        else float("nan"),
                        "paper_recast": PAPER_RECAST.get(cat), "paper_etas": PAPER_ETAS.get(cat)}
    return summary


def run_seeds(args: argparse.Namespace) -> None:
    out = Path(args.out)
    res = _load(out)
    res["command"] = "python " + " ".join(sys.argv)
    runs = res.setdefault("runs", {})
    for cat_name in args.catalogs:
        catalog = read_catalog(DATA / f"{cat_name}.csv")
        seqs = split_sequences(catalog)
        for seed in args.seeds:
            key = f"{cat_name}/seed{seed}"
            if key in runs:
                continue
            t0 = time.perf_counter()
            work = Path(args.work_dir) / f"{cat_name}_s{seed}{'_paper' if args.paper_loop else ''}"
            model = Recast(_config(args, seed), work_dir=work).fit(catalog, resume=True)
            model.save(work / "model.pt")
            runs[key] = {"catalog": cat_name, "seed": seed, "wall_s": time.perf_counter() - t0,
                         "epochs": model.fit_info_.epochs,
                         "stopped_early": model.fit_info_.stopped_early,
                         "scores": _scores(model, seqs), "config": model.config.to_dict()}
            res["summary"] = _summary(runs)
            write_json_atomic(out, res)
            print(f"{key}: test NLL/day {runs[key]['scores']['test']['nll_per_day_time']:.4f} "
                  f"({runs[key]['epochs']} epochs, {runs[key]['wall_s']:.0f} s)", flush=True)
    res["summary"] = _summary(runs)
    write_json_atomic(out, res)
    print(json.dumps(res["summary"], indent=1))


def trimmed(seqs: dict[str, EventSequence], frac: float) -> tuple[EventSequence, EventSequence]:
    """The paper's trimming: the last ``frac`` of the training period, history dropped."""
    tr, va = seqs["train"], seqs["val"]
    start = tr.t_end - (tr.t_end - tr.t_start) * frac
    val_end = va.t_nll_start + (va.t_end - va.t_nll_start) * frac

    def cut(seq: EventSequence, t_end: float, t_nll: float) -> EventSequence:
        keep = (seq.times >= start) & (seq.times < t_end)
        return EventSequence(seq.times[keep], seq.magnitudes[keep], start, t_end, t_nll,
                             seq.mag_completeness, seq.origin)

    return cut(tr, tr.t_end, start), cut(va, val_end, va.t_nll_start)


def run_size(args: argparse.Namespace) -> None:
    out = Path(args.out)
    res = _load(out)
    res["command"] = "python " + " ".join(sys.argv)
    runs = res.setdefault("runs", {})
    catalog = read_catalog(DATA / f"{args.catalog}.csv")
    seqs = split_sequences(catalog)
    for frac in args.fractions:
        for seed in args.seeds:
            key = f"{args.catalog}/f{frac:g}/seed{seed}"
            if key in runs:
                continue
            train, val = trimmed(seqs, frac)
            work = Path(args.work_dir) / f"size_{args.catalog}_f{frac:g}_s{seed}"
            model = Recast(_config(args, seed), work_dir=work).fit_sequences(
                train, val, catalog.metadata.mag_roundoff, resume=True)
            runs[key] = {"fraction": frac, "seed": seed,
                         "train_val_events": train.n_scored + val.n_scored,
                         "test": _scores(model, {"test": seqs["test"]})["test"]}
            write_json_atomic(out, res)
            print(f"{key}: {runs[key]['train_val_events']} events, test NLL/day "
                  f"{runs[key]['test']['nll_per_day_time']:.4f}", flush=True)


def synthetic_splits(path: Path) -> tuple[dict[str, EventSequence], dict]:
    """The paper's ETAS_SingleCatalog splits: train to 2e6 d, val to 2.5e6 d, test to 3e6 d."""
    seq = read_sequence(path)
    info = json.loads(path.with_suffix(".json").read_text())
    t_val, t_test = 2_000_000.0, 2_500_000.0

    def cut(t_end: float, t_nll: float) -> EventSequence:
        keep = seq.times < t_end
        return EventSequence(seq.times[keep], seq.magnitudes[keep], seq.t_start, t_end, t_nll,
                             seq.mag_completeness)

    return {"train": cut(t_val, seq.t_start), "val": cut(t_test, t_val),
            "test": cut(seq.t_end, t_test)}, info


def run_synthetic(args: argparse.Namespace) -> None:
    """RECAST on the paper's ETAS simulation against the true parameters' test NLL."""
    from geohazard.forecast.etas.model import ETAS
    from geohazard.forecast.etas.params import ETASParams

    out = Path(args.out)
    res = _load(out)
    res["command"] = "python " + " ".join(sys.argv)
    seqs, info = synthetic_splits(DATA / "ETAS_synthetic.csv")
    truth = ETAS.from_params(ETASParams(mu=info["base_rate"], k=info["productivity_k"],
                                        alpha=info["productivity_alpha"], c=info["omori_c"],
                                        p=info["omori_p"]), info["mag_completeness"],
                             b=info["richter_b"])
    res["true_etas_test_nll_per_day"] = truth.log_likelihood(seqs["test"]).nll_per_day
    runs = res.setdefault("runs", {})
    for seed in args.seeds:
        key = f"seed{seed}"
        if key in runs:
            continue
        work = Path(args.work_dir) / f"etas_synthetic_s{seed}"
        model = Recast(_config(args, seed), work_dir=work).fit_sequences(
            seqs["train"], seqs["val"], 0.0, resume=True)
        runs[key] = {"seed": seed, "epochs": model.fit_info_.epochs,
                     "scores": _scores(model, seqs)}
        write_json_atomic(out, res)
        print(f"{key}: RECAST test NLL/day {runs[key]['scores']['test']['nll_per_day_time']:.4f}"
              f" (true ETAS {res['true_etas_test_nll_per_day']:.4f})", flush=True)
    write_json_atomic(out, res)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="part", required=True)
    se = sub.add_parser("seeds")
    se.add_argument("--catalogs", nargs="+", default=["QTMSanJacinto", "SCEDC", "White"])
    sz = sub.add_parser("size")
    sz.add_argument("--catalog", default="White")
    sz.add_argument("--fractions", nargs="+", type=float,
                    default=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0])
    sy = sub.add_parser("synthetic")
    for p in (se, sz, sy):
        p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
        p.add_argument("--paper-loop", action="store_true")
        p.add_argument("--max-minutes", type=float, default=None)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--work-dir", default="benchmarks/_work/recast_reproduce")
        p.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    {"seeds": run_seeds, "size": run_size, "synthetic": run_synthetic}[args.part](args)


if __name__ == "__main__":
    main()

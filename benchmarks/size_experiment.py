"""Training-size experiment on White: RECAST against ETAS as the training set grows.

Reads the RECAST runs of ``reproduce_recast.py size`` (same fractions and trimming: the last
fraction ``f`` of the training period, history before it dropped), fits ETAS (unconstrained
and tapered, tau = 1000 d) on each trimmed training sequence, scores both on the unchanged
test split, and writes a JSON table and a plot of test NLL/day against training events.
The paper: RECAST overtakes ETAS between 1.2e4 and 2.1e4 events.

    .venv/bin/python benchmarks/size_experiment.py \
        --recast benchmarks/results/recast_size_White.json --out benchmarks/results/size_White.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from geohazard.catalog.io import read_catalog  # noqa: E402
from geohazard.forecast.etas.model import ETAS  # noqa: E402
from geohazard.io_utils import write_json_atomic  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reproduce_recast import trimmed  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "catalogs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", default="White")
    ap.add_argument("--recast", type=Path, default=HERE / "results" / "recast_size_White.json")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "size_White.json")
    args = ap.parse_args()

    catalog = read_catalog(DATA / f"{args.catalog}.csv")
    seqs = {s: catalog.to_sequence(s) for s in ("train", "val", "test")}
    recast_runs = json.loads(args.recast.read_text())["runs"]
    rows = []
    for run in sorted(recast_runs.values(), key=lambda r: r["fraction"]):
        train, val = trimmed(seqs, run["fraction"])
        row = {"fraction": run["fraction"], "train_val_events": train.n_scored + val.n_scored,
               "recast": run["test"]["nll_per_day_time"]}
        for name, model in (("etas", ETAS(n_starts=2)),
                            ("etas_tapered", ETAS(n_starts=2, taper_days=1000.0))):
            t0 = time.perf_counter()
            model.fit(train)
            row[name] = model.log_likelihood(seqs["test"]).nll_per_day
            row[f"{name}_fit_s"] = time.perf_counter() - t0
            row[f"{name}_branching_ratio"] = model.branching_ratio_
        rows.append(row)
        print(f"f={row['fraction']:<5g} events={row['train_val_events']:>6} "
              f"RECAST {row['recast']:.3f}  ETAS {row['etas']:.3f}  "
              f"ETAS tapered {row['etas_tapered']:.3f}", flush=True)
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    x = [r["train_val_events"] for r in rows]
    for key, label in (("recast", "RECAST"), ("etas", "ETAS"), ("etas_tapered", "ETAS tapered")):
        ax.semilogx(x, [r[key] for r in rows], "o-", label=label)
    ax.axvspan(1.2e4, 2.1e4, color="0.85", label="paper: RECAST overtakes ETAS")
    ax.set_xlabel("training + validation events")
    ax.set_ylabel("test NLL per day (lower is better)")
    ax.set_title(f"{args.catalog}: training-size experiment")
    ax.legend()
    png = args.out.with_suffix(".png")
    fig.savefig(png, dpi=110)
    write_json_atomic(args.out, {"command": "python " + " ".join(sys.argv), "rows": rows,
                                 "plot": png.name})
    print(f"wrote {args.out} and {png}")


if __name__ == "__main__":
    main()

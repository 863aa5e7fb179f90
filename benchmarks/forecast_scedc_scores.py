"""Score the SCEDC forecasting experiment from its archive, and show how stable the scores are.

Reads the archive written by ``forecast_scedc.py --archive`` (every window's simulated counts
per model) and reports, per model: 95% coverage, the paper's exact-match zero-likelihood
misses with all N simulations and with the first 2000 / N/2, the smoothed count log-scores
(log-scale kernel density, and histogram with a negative-binomial floor) with their change
between the two independent halves of the simulations, pairwise wins, and the expected number
of exact-match misses as a function of N (sum over windows of ``(1 - p_w)^N`` with ``p_w`` the
kernel-density probability of the observed count).

    .venv/bin/python benchmarks/forecast_scedc.py --models poisson,etas,recast \\
        --checkpoint ck.pt --samples 20000 --reps 1 --archive benchmarks/_work/scedc20k/a.sqlite
    .venv/bin/python benchmarks/forecast_scedc_scores.py --archive \\
        benchmarks/_work/scedc20k/a.sqlite
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from geohazard.catalog import read_catalog
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.evaluation import count_log_score, kde_count_logpmf
from geohazard.io_utils import write_json_atomic

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG = HERE.parent.parent / "shared" / "data" / "catalogs" / "SCEDC.csv"
PAPER = {"windows": 155, "recast_wins": 138, "outside_95": {"recast": 0.135, "etas": 0.329},
         "zero_likelihood_misses": {"recast": 1, "etas": 10}, "samples": 50_000}


def _window_scores(counts: np.ndarray, obs: int) -> dict:
    half = counts.size // 2
    a, b = counts[:half], counts[half:]
    lo, hi = np.quantile(counts, [0.025, 0.975])
    out = {"observed": obs, "expected": float(counts.mean()), "in_95": bool(lo <= obs <= hi),
           "miss_all": bool(not np.any(counts == obs)),
           "miss_2000": bool(not np.any(counts[:2000] == obs)),
           "miss_half": bool(not np.any(a == obs)),
           "p_kde": float(np.exp(kde_count_logpmf(counts, np.array([obs]))[0]))}
    for m in ("kde", "histogram"):
        out[f"score_{m}"] = count_log_score(counts, obs, method=m)
        out[f"halves_{m}"] = (count_log_score(a, obs, method=m), count_log_score(b, obs, method=m))
    return out


def _summary(rows: list[dict], n: int) -> dict:
    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    out = {"windows": len(rows), "samples": n, "coverage_95": mean("in_95"),
           "outside_95": 1.0 - mean("in_95"),
           "zero_likelihood_misses": int(sum(r["miss_all"] for r in rows)),
           "zero_likelihood_misses_first_2000": int(sum(r["miss_2000"] for r in rows)),
           "zero_likelihood_misses_half": int(sum(r["miss_half"] for r in rows)),
           "expected_misses": {str(k): float(sum((1.0 - r["p_kde"]) ** k for r in rows))
                               for k in (2000, 10_000, 20_000, 50_000, 100_000)}}
    for m in ("kde", "histogram"):
        h = np.array([r[f"halves_{m}"] for r in rows])
        out[f"mean_log_score_{m}"] = mean(f"score_{m}")
        out[f"mean_abs_change_between_halves_{m}"] = float(np.mean(np.abs(h[:, 0] - h[:, 1])))
        out[f"change_of_mean_between_halves_{m}"] = float(abs(h[:, 0].mean() - h[:, 1].mean()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archive", type=Path, required=True)
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "forecast_scedc_scores.json")
    args = ap.parse_args()
    cat = read_catalog(args.catalog)
    days = cat.days()
    store = ForecastArchive(args.archive)
    per_model: dict[str, dict[float, dict]] = {}
    n_samples: dict[str, int] = {}
    for rec in store.list():
        counts = store.counts(rec["id"])
        obs = int(np.count_nonzero((days > rec["t_start_days"]) & (days <= rec["t_end_days"])))
        per_model.setdefault(rec["model"], {})[rec["t_start_days"]] = _window_scores(counts, obs)
        n_samples[rec["model"]] = counts.size
    common = sorted(set.intersection(*(set(v) for v in per_model.values())))
    rows = {m: [v[t] for t in common] for m, v in per_model.items()}
    out = {"archive": str(args.archive), "windows": len(common), "paper": PAPER,
           "summaries": {m: _summary(r, n_samples[m]) for m, r in rows.items()},
           "comparison": {}}
    for a in rows:
        for b in rows:
            if a != b:
                for m in ("kde", "histogram"):
                    d = [x[f"score_{m}"] - y[f"score_{m}"] for x, y in zip(rows[a], rows[b],
                                                                           strict=True)]
                    out["comparison"][f"{a}_vs_{b}_{m}"] = {
                        "wins": int(sum(v > 0 for v in d)), "windows": len(d),
                        "info_gain_per_window": float(np.mean(d))}
    for m, s in out["summaries"].items():
        print(f"{m:8s} N={s['samples']} windows={s['windows']} coverage95={s['coverage_95']:.3f}"
              f" misses={s['zero_likelihood_misses']} (first 2000: "
              f"{s['zero_likelihood_misses_first_2000']}, half: {s['zero_likelihood_misses_half']})"
              f" kde score={s['mean_log_score_kde']:.3f} (|halves| "
              f"{s['mean_abs_change_between_halves_kde']:.3f}) histogram score="
              f"{s['mean_log_score_histogram']:.3f} (|halves| "
              f"{s['mean_abs_change_between_halves_histogram']:.3f})")
        print(f"         expected misses by N: {s['expected_misses']}")
    for k, v in out["comparison"].items():
        print(f"{k}: wins {v['wins']}/{v['windows']}, gain/window {v['info_gain_per_window']:.3f}")
    write_json_atomic(args.out, json.loads(json.dumps(out, default=float)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

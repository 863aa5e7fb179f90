"""Space-time ETAS on the located QTM San Jacinto catalog, beside the smoothed-seismicity baseline.

Fits :class:`~geohazard.forecast.etas.spatial.SpatialETAS` (temporal ETAS with a fixed
100-day taper, the validation-selected variant of ``bench_etas.py``, plus the power-law
spatial kernel) on the events before 2016-01-01 (scored from 2009-01-01, the train
start), and :class:`~geohazard.forecast.smoothed.SpatialPoisson` on the same history.
Reports, all measured in this run:

- fitted temporal and spatial parameters with standard errors, fit seconds (wall, CPU);
- the spatial kernel fitted the literal way (``method="temporal_weights"``: weights from
  the temporal ETAS alone, one step) beside the default space-time (``"marginal"``) fit;
- seconds to simulate 1000 x 14-day continuations after 2016-01-01 with locations,
  beside the temporal-only ``ETAS.sample`` (same seed, same times) and ``SpatialPoisson``;
- the spatial log-likelihood per event (log density per km2 of each epicentre given its
  time and all earlier events) on the test events 2016-01-01 .. 2018-01-01: SpatialETAS,
  SpatialPoisson (smoothed seismicity) and uniform in the catalog's box. Model densities
  leak some mass outside the box (kernel tails); the uniform one does not.

Example::

    nice -n 10 python benchmarks/bench_spatial_etas.py
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Geod

from geohazard.catalog.io import read_catalog
from geohazard.forecast.etas.spatial import SpatialETAS
from geohazard.forecast.spatial_poisson import SpatialPoisson
from geohazard.io_utils import write_json_atomic

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalogs"
FEATURES = ("longitude", "latitude")
BOX = (-117.0, -116.0, 33.0, 34.0)  # lon_min, lon_max, lat_min, lat_max


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def box_area_km2() -> float:
    lo0, lo1, la0, la1 = BOX
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter([lo0, lo1, lo1, lo0],
                                                         [la0, la0, la1, la1])
    return abs(area) / 1e6


def per_event(ld: np.ndarray) -> dict[str, float]:
    return {"mean_log_density_per_km2": float(np.mean(ld)), "n_events": int(ld.size),
            "min": float(np.min(ld))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", type=Path, default=DATA / "QTMSanJacinto_located.csv")
    ap.add_argument("--sidecar", type=Path, default=DATA / "QTMSanJacinto.json")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--taper-days", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "spatial_etas_QTMSanJacinto.json")
    args = ap.parse_args()

    cat = read_catalog(args.catalog, sidecar=args.sidecar).above_completeness()
    history = cat.to_sequence(t_end="2016-01-01", t_nll_start="2009-01-01", features=FEATURES)
    test = cat.to_sequence(t_end="2018-01-01", t_nll_start="2016-01-01", features=FEATURES)
    print(f"{args.catalog.name}: {len(history)} history events ({history.n_scored} scored "
          f"from 2009-01-01), {test.n_scored} test events 2016-2018")
    out: dict[str, Any] = {
        "catalog": str(args.catalog), "history_events": len(history),
        "scored_events": history.n_scored, "test_events": test.n_scored,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "settings": {"taper_days": args.taper_days, "samples": args.samples,
                     "days": args.days, "seed": args.seed},
    }

    model, w, c = timed(lambda: SpatialETAS(taper_days=args.taper_days).fit(history))
    summ = model.summary()
    out["spatial_etas"] = {"fit_wall_s": w, "fit_cpu_s": c, "summary": summ}
    sp, se = summ["spatial"]["params"], summ["spatial"]["se"]
    print(f"SpatialETAS fit {w:.1f} s (cpu {c:.1f}); temporal "
          + ", ".join(f"{k}={v:.4g}" for k, v in summ["params"].items()))
    print("  spatial " + ", ".join(f"{k}={sp[k]:.4g}±{se[k]:.2g}" for k in sp)
          + f"; background share {summ['spatial']['background_share']:.3f} "
          f"(temporal {summ['spatial']['background_share_temporal']:.3f})")

    literal, w2, c2 = timed(lambda: SpatialETAS(temporal=model.temporal_,
                                                method="temporal_weights").fit(history))
    lsp, lse = literal.spatial_params_, literal.spatial_se_
    out["spatial_etas_temporal_weights"] = {"fit_wall_s": w2, "fit_cpu_s": c2,
                                            "params": lsp, "se": lse}
    print(f"  temporal-weights fit ({w2:.1f} s): "
          + ", ".join(f"{k}={lsp[k]:.4g}±{lse[k]:.2g}" for k in lsp))

    baseline, w3, c3 = timed(lambda: SpatialPoisson().fit(history))
    out["spatial_poisson"] = {"fit_wall_s": w3, "fit_cpu_s": c3,
                              "rate_per_day": baseline.temporal_.rate_per_day_,
                              "neighbors": baseline.density_.neighbors_}
    print(f"SpatialPoisson fit {w3:.1f} s: rate {baseline.temporal_.rate_per_day_:.3f}/day, "
          f"k = {baseline.density_.neighbors_}")

    sims, ws, cs = timed(lambda: model.sample(history, args.days, args.samples, args.seed))
    _, wt, ct = timed(lambda: model.temporal_.sample(history, args.days, args.samples,
                                                     args.seed))
    _, wp, cp = timed(lambda: baseline.sample(history, args.days, args.samples, args.seed))
    lon, lat = sims.features["longitude"], sims.features["latitude"]
    inside = (lon >= BOX[0]) & (lon <= BOX[1]) & (lat >= BOX[2]) & (lat <= BOX[3])
    out["simulation"] = {
        "spatial_etas_wall_s": ws, "spatial_etas_cpu_s": cs,
        "temporal_etas_wall_s": wt, "temporal_etas_cpu_s": ct,
        "spatial_poisson_wall_s": wp, "spatial_poisson_cpu_s": cp,
        "events": int(sims.times.size), "mean_count": float(sims.counts.mean()),
        "share_inside_box": float(inside.mean()) if inside.size else math.nan,
    }
    print(f"simulate {args.samples} x {args.days:g} d: SpatialETAS {ws:.2f} s, temporal ETAS "
          f"{wt:.2f} s, SpatialPoisson {wp:.2f} s; {sims.times.size} events, "
          f"{inside.mean():.3f} inside the box")

    scores = {
        "spatial_etas": per_event(model.spatial_log_density(test)),
        "spatial_etas_temporal_weights": per_event(literal.spatial_log_density(test)),
        "spatial_poisson": per_event(baseline.spatial_log_density(test)),
        "uniform_box": {"mean_log_density_per_km2": -math.log(box_area_km2()),
                        "n_events": test.n_scored},
    }
    ref = scores["uniform_box"]["mean_log_density_per_km2"]
    for row in scores.values():
        row["gain_vs_uniform_per_event"] = row["mean_log_density_per_km2"] - ref
    out["test_spatial_loglik"] = scores
    for name, row in scores.items():
        print(f"  test spatial log-lik/event {name:32s} {row['mean_log_density_per_km2']:8.3f}"
              f"  (gain vs uniform {row['gain_vs_uniform_per_event']:+.3f})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out, out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""What the kernel-mixture location head gains over ETAS's spatial form, part by part.

EarthquakeNPP SanJac_10 (``geohazard.forecast.npp``): the head of ``recast-kernel`` alone
(:mod:`geohazard.forecast.recast.kernel_head`; no RECAST: the SLL does not depend on the
time model), fitted on the 2009-2014 targets with early stopping on 2014-2016, test SLL per
event (2016-2018, 4,399 events) for:

- ``full``: the head as shipped;
- ``etas_form``: no MLP (source weights and scales planar in log age and magnitude, as ETAS);
- ``isotropic``: no learned anisotropy;
- ``uniform_background``: no kernel densities of past epicentres (uniform floor only);
- ``etas_like``: all three removed (ETAS's spatial structure with the head's sources).

Writes ``benchmarks/results/npp_kernel_ablation.json``.

    nice -n 10 .venv/bin/python benchmarks/npp_kernel_ablation.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.forecast.npp import load_npp_config, read_npp_catalog
from geohazard.forecast.recast.kernel_head import KernelHeadConfig, fit_kernel_head
from geohazard.io_utils import write_json_atomic

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parent.parent / "shared" / "data" / "catalogs" / "QTMSanJacinto_located.csv"
VARIANTS: dict[str, dict[str, Any]] = {
    "full": {},
    "etas_form": {"learn_departure": False},
    "isotropic": {"anisotropic": False},
    "uniform_background": {"kde_scales": ()},
    "etas_like": {"learn_departure": False, "anisotropic": False, "kde_scales": ()},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "npp_kernel_ablation.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    data = read_npp_catalog(CATALOG, load_npp_config())
    idx = np.arange(data.t.size)
    train = idx[data.index("train_start"):data.index("val_start")]
    val = idx[data.index("val_start"):data.index("test_start")]
    test = idx[data.test_slice]
    out: dict[str, Any] = {"catalog": str(CATALOG), "seed": args.seed, "n_test": int(test.size),
                           "etas_published_sll": -5.40, "variants": {}}
    for name in args.variants.split(","):
        cfg = dataclasses.replace(KernelHeadConfig(seed=args.seed), **VARIANTS[name])
        start = time.perf_counter()
        head = fit_kernel_head(data.t, data.m, data.x, data.y, train[train > 0], val,
                               data.config.mc, cfg)
        sll = float(np.mean(head.log_density(data.t, data.m, data.x, data.y, test)))
        info = {k: v for k, v in head.fit_info.items() if k != "history"}
        out["variants"][name] = {"settings": VARIANTS[name], "test_sll": sll, **info,
                                 "rho": head.rho, "seconds": time.perf_counter() - start}
        print(f"{name:>20}: test SLL {sll:.4f}  val {info['val_mean_log_density']:.4f}  "
              f"steps {info['steps']}", flush=True)
        write_json_atomic(args.out, out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Reproduce the USGS Nowicki Jessee et al. (2018) output for the 1989 Loma Prieta earthquake.

Runs :func:`geohazard.landslide.usgs.run_jessee2018` on the USGS inputs in
``../shared/data/landslide/loma_prieta`` and compares with the USGS reference grid
``targets/jessee_2018.grd`` cell by cell: absolute differences of areal coverage,
correlation, agreement of zero and NaN cells, aggregate area. Also reports the effect of
leaving out the operational lithology change (Allstadt et al. 2022). Writes JSON and a
three-panel figure (ours, USGS, difference).

Example::

    .venv/bin/python benchmarks/reproduce_landslide_usgs.py \
        --out benchmarks/results/landslide_usgs_loma_prieta.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from geohazard.io_utils import atomic_path, write_json_atomic
from geohazard.landslide.shakemap import read_gmt_grid
from geohazard.landslide.usgs import (
    JesseeCoefficients,
    aggregate_area_km2,
    cell_area_km2,
    run_jessee2018,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "landslide" / "loma_prieta"


def compare(coeffs: JesseeCoefficients) -> tuple[dict, np.ndarray, np.ndarray]:
    m = DATA / "model_inputs"
    res = run_jessee2018(DATA / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                         m / "global_grad.tif", m / "global_cti_fil.grd", coeffs=coeffs)
    tgt = read_gmt_grid(DATA / "targets" / "jessee_2018.grd")
    ours = res.coverage.sel(x=tgt.x, y=tgt.y, method="nearest", tolerance=1e-7).values
    t = tgt.values
    both = np.isfinite(ours) & np.isfinite(t)
    d = np.abs(ours - t)[both]
    sel = both & (np.nan_to_num(t) > 1e-3)
    rel = np.abs(ours[sel] - t[sel]) / t[sel]
    area = cell_area_km2(tgt.y.values, 1 / 480, 1 / 480)
    out = {
        "cells_compared": int(both.sum()),
        "abs_diff_median": float(np.median(d)), "abs_diff_p99": float(np.percentile(d, 99)),
        "abs_diff_max": float(d.max()),
        "rel_diff_median_cov_gt_1e-3": float(np.median(rel)),
        "rel_diff_p99_cov_gt_1e-3": float(np.percentile(rel, 99)),
        "pearson_r": float(np.corrcoef(ours[both], t[both])[0, 1]),
        "zero_cells_agree": bool(np.array_equal(ours[both] == 0, t[both] == 0)),
        "nan_ours_finite_usgs": int((np.isnan(ours) & np.isfinite(t)).sum()),
        "finite_ours_nan_usgs": int((np.isfinite(ours) & np.isnan(t)).sum()),
        "hagg_common_cells_ours_km2": aggregate_area_km2(np.where(both, ours, np.nan), area),
        "hagg_common_cells_usgs_km2": aggregate_area_km2(np.where(both, t, np.nan), area),
        "hagg_operational_km2": res.stats["hagg_km2"], "alert": res.stats["alert"],
    }
    return out, ours, t


def figure(ours: np.ndarray, usgs: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    norm = LogNorm(1e-3, 0.25)
    for ax, arr, title in ((axes[0], ours, "geohazard"), (axes[1], usgs, "USGS")):
        im = ax.imshow(np.where(arr > 1e-3, arr, np.nan), norm=norm, cmap="CMRmap_r")
        ax.set_title(f"{title}: areal coverage")
    fig.colorbar(im, ax=axes[:2], shrink=0.8)
    im = axes[2].imshow(ours - usgs, cmap="RdBu_r", vmin=-0.005, vmax=0.005)
    axes[2].set_title("difference")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks/results/landslide_usgs_loma_prieta.json")
    a = ap.parse_args()
    op, ours, usgs = compare(JesseeCoefficients())
    raw, _, _ = compare(JesseeCoefficients(unconsolidated_replacement=None))
    result = {"operational": op, "without_lithology_change": raw}
    for k in ("cells_compared", "abs_diff_median", "abs_diff_p99", "abs_diff_max",
              "rel_diff_median_cov_gt_1e-3", "pearson_r", "hagg_common_cells_ours_km2",
              "hagg_common_cells_usgs_km2"):
        print(f"{k:30s} {op[k]:>14.6g}   (without lithology change: {raw[k]:.6g})")
    print(f"operational Hagg {op['hagg_operational_km2']:.2f} km2 -> alert {op['alert']}")
    write_json_atomic(a.out, result)
    figure(ours, usgs, a.out.with_suffix(".png"))
    print(f"wrote {a.out} and {a.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()

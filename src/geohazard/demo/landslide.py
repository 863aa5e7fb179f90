"""Tiny synthetic landslide susceptibility run for ``geohazard demo`` (a few seconds)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.rng import RNGLike, as_generator

__all__ = ["run_demo"]


def run_demo(out_dir: Path, rng: RNGLike = None, render: bool = True) -> dict[str, Any]:
    """Synthetic terrain, fault and landslides from a known logistic model, then fit it.

    Writes ``dem.tif``, ``slope_deg.tif``, the fault side (``fault_side.tif``, classes in
    ``fault_side_class.tif``), ``faults.gpkg``, ``susceptibility.tif`` and its classes,
    ``landslides.gpkg`` (landslide cells as points with their susceptibility and class),
    ``factors.csv``, figures and ``report.html`` under ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created).
    rng
        Generator or seed.
    render
        Write figures and the report.

    Returns
    -------
    dict
        Figures: true and recovered coefficients, held-out AUC, true-model AUC, timings.
    """
    from geohazard.io_utils import write_json_atomic
    from geohazard.landslide import faults as flt
    from geohazard.landslide import raster as rst
    from geohazard.landslide import susceptibility as sus
    from geohazard.landslide import synthetic
    from geohazard.landslide.vector import landslide_points
    from geohazard.workflows.landslide import susceptibility_job

    t0 = time.perf_counter()
    gen = as_generator(rng)
    out = Path(out_dir)
    case = synthetic.synthetic_case(n=150, rng=gen)
    rst.write_geotiff(case.dem, out / "dem.tif")
    rst.write_geotiff(case.factors["slope_deg"], out / "slope_deg.tif")
    sides = flt.fault_factors(case.faults, case.dem)
    _write_faults(case, sides, out)
    res = susceptibility_job(case.factors, case.landslide, out, report=render,
                             landslides=landslide_points(case.landslide),
                             method="logistic", categorical=["lith"], n_folds=4, rng=gen)
    tab = sus.cell_table(case.factors, case.landslide)
    auc_true = sus.roc_auc(tab.landslide.to_numpy(), case.probability.values.ravel())
    model = res["model"]
    summary = {
        "true_coefficients": case.coefficients,
        "fitted_coefficients": dict(intercept=model["intercept"],
                                    **dict(zip(model["features"], model["coef"],
                                               strict=True))),
        "fitted_se": dict(intercept=model["intercept_se"],
                          **dict(zip(model["features"], model["coef_se"], strict=True))),
        "auc_true_model": auc_true, "auc_heldout_mean": res["cv"]["auc_mean"],
        "prediction_rate_auc": res["cv"]["prediction_rate"]["auc"],
        "n_cells": res["n_cells"], "n_landslide_cells": res["n_landslide_cells"],
        "hanging_wall_cells": int((sides.side.values == 1).sum()),
        "footwall_cells": int((sides.side.values == -1).sum()),
        "report": res.get("report"), "seconds": time.perf_counter() - t0,
    }
    write_json_atomic(out / "landslide_summary.json", summary)
    return summary


def _write_faults(case: Any, sides: Any, out: Path) -> None:
    """Side codes, the side as classes (colour table, names) and the traces as GeoPackage."""
    from geohazard.landslide import raster as rst
    from geohazard.landslide.categorical import (
        FAULT_SIDE_CLASSES,
        fault_side_codes,
        write_class_geotiff,
    )
    from geohazard.landslide.vector import fault_traces_with_side, write_gpkg

    rst.write_geotiff(sides.side.astype(np.int8), out / "fault_side.tif")
    write_class_geotiff(fault_side_codes(sides.side), out / "fault_side_class.tif",
                        FAULT_SIDE_CLASSES)
    write_gpkg(fault_traces_with_side(case.faults), out / "faults.gpkg", layer="faults")

"""ETAS part of ``geohazard demo``: simulate a catalog, fit it, compare with the truth.

The truth is :data:`geohazard.examples.ETAS_RECOVERY_TRUTH`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata
from geohazard.catalog.io import write_catalog
from geohazard.examples import (
    DEMO_LAW_B,
    DEMO_LAW_M_MAX,
    DEMO_LAW_MC,
    ETAS_RECOVERY_DAYS,
    ETAS_RECOVERY_TRUTH,
)
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.params import PARAM_NAMES, ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import expected_count, simulate_catalog
from geohazard.io_utils import write_json_atomic
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)

TRUTH = ETASParams(**ETAS_RECOVERY_TRUTH)
LAW = MagnitudeLaw(b=DEMO_LAW_B, mc=DEMO_LAW_MC, m_max=DEMO_LAW_M_MAX)
DAYS = ETAS_RECOVERY_DAYS
MAX_CATALOG_EVENTS = 30_000  # a real catalog is fitted too when it is this small


def run_demo(catalog: Catalog | None, out_dir: Path, rng: RNGLike = None) -> dict[str, Any]:
    """Simulate an ETAS catalog (a few thousand events), fit it and report the recovery.

    Parameters
    ----------
    catalog
        Optional real catalog with Mc and split dates; when it has at most
        :data:`MAX_CATALOG_EVENTS` events it is fitted on its train split and scored on test.
    out_dir
        Folder for ``etas_synthetic.csv`` (+ sidecar) and ``etas_demo.json``.
    rng
        Random generator or seed.

    Returns
    -------
    dict
        Truth, estimates ± se, z-scores, branching ratios, counts and timings.
    """
    gen = as_generator(rng)
    out_dir = Path(out_dir)
    started = time.perf_counter()
    seq = simulate_catalog(TRUTH, LAW, DAYS, gen)
    model = ETAS(n_starts=2).fit(seq)
    z = (model.params_.to_array() - TRUTH.to_array()) / model.se_
    result: dict[str, Any] = {
        "truth": TRUTH.to_dict(),
        "estimate": model.params_.to_dict(),
        "se": dict(zip(PARAM_NAMES, model.se_.tolist(), strict=True)),
        "z": dict(zip(PARAM_NAMES, z.tolist(), strict=True)),
        "within_2se": bool(np.all(np.abs(z) < 2)),
        "branching_ratio_true": TRUTH.branching_ratio(LAW),
        "branching_ratio_fit": model.branching_ratio_,
        "events": len(seq),
        "expected_events": expected_count(TRUTH, LAW, DAYS),
        "fit_seconds": model.fit_report_.fit_seconds,
        "converged": model.fit_report_.converged,
    }
    for name in PARAM_NAMES:
        log.info("ETAS %-5s true %-8.4g fit %.4g ± %.2g", name, TRUTH.to_dict()[name],
                 result["estimate"][name], result["se"][name])
    log.info("ETAS branching ratio: true %.3f, fitted %.3f (%d events)",
             result["branching_ratio_true"], result["branching_ratio_fit"], len(seq))
    if catalog is not None:
        result["catalog"] = _fit_real(catalog)
    result["seconds"] = time.perf_counter() - started
    _write(seq, out_dir)
    write_json_atomic(out_dir / "etas_demo.json", result)
    return result


def _fit_real(catalog: Catalog) -> dict[str, Any]:
    md = catalog.metadata
    if md.mag_completeness is None or not md.has_splits:
        return {"skipped": "catalog has no Mc or split dates"}
    cat = catalog.above_completeness()
    if len(cat) > MAX_CATALOG_EVENTS:
        return {"skipped": f"{len(cat)} events: run 'geohazard etas fit' for large catalogs"}
    model = ETAS(n_starts=1).fit(cat.to_sequence("train"))
    test = model.log_likelihood(cat.to_sequence("test"))
    log.info("ETAS on %s: test NLL/day %.4f", md.name, test.nll_per_day)
    return {"name": md.name, "params": model.params_.to_dict(),
            "branching_ratio": model.branching_ratio_, "test": test.to_dict()}


def _write(seq: Any, out_dir: Path) -> None:
    origin = pd.Timestamp("2000-01-01", tz="UTC")
    meta = CatalogMetadata(name="etas_synthetic", source="geohazard demo (ETAS simulation)",
                           mag_completeness=LAW.mc, start=origin,
                           end=origin + pd.Timedelta(days=DAYS),
                           extra={"truth": TRUTH.to_dict(), "b_value": LAW.b})
    write_catalog(Catalog.from_days(seq.times, seq.magnitudes, origin, metadata=meta),
                  out_dir / "etas_synthetic.csv")

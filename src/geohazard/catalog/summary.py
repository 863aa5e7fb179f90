"""One-call catalog summary (what ``geohazard catalog info`` prints) and standard plots."""

from __future__ import annotations

from typing import Any

import numpy as np

from geohazard.catalog.core import SPLITS, Catalog
from geohazard.catalog.stats import (
    b_positive,
    b_value,
    magnitude_resolution,
    mc_bvalue_stability,
    mc_maxc,
)
from geohazard.exceptions import InputError


def summarize(catalog: Catalog) -> dict[str, Any]:
    """Events, span, Mc estimates, b-values with standard errors and split counts.

    b-values use the catalog's own Mc (``metadata.mag_completeness``, strict cut) when
    known, else the MAXC estimate; ``delta`` is the metadata's magnitude rounding.
    """
    if len(catalog) == 0:
        raise InputError(f"catalog '{catalog.metadata.name}' has no events")
    md = catalog.metadata
    m = catalog.magnitudes
    out: dict[str, Any] = {
        "name": md.name, "events": len(catalog),
        "first_event": catalog.times[0].isoformat(), "last_event": catalog.times[-1].isoformat(),
        "span_days": catalog.day_of(catalog.times[-1]) - catalog.day_of(catalog.times[0]),
        "magnitude_min": float(m.min()), "magnitude_max": float(m.max()),
        "mag_completeness_metadata": md.mag_completeness, "mag_roundoff": md.mag_roundoff,
        "coverage_end": catalog.coverage_end.isoformat(),
    }
    if catalog.coverage_shortfall() is not None:
        out["coverage_warning"] = (f"events stop at {catalog.times[-1]}, long before the "
                                   f"sidecar 'end' {md.end}: data taken to end there")
    delta = bin_width(catalog)
    out["magnitude_resolution"] = delta
    mc_est: dict[str, float | None] = {"maxc": mc_maxc(m) if m.size >= 10 else None}
    try:
        mc_est["b_stability"] = mc_bvalue_stability(m, delta=delta)
    except InputError:
        mc_est["b_stability"] = None
    out["mc"] = mc_est
    strict = md.mag_completeness is not None
    mc = md.mag_completeness if strict else mc_est["maxc"]
    if mc is not None:
        bv: dict[str, Any] = {"aki_utsu": b_value(m, mc, delta, strict=strict).to_dict()}
        if delta > 0:
            bv["tinti_mulargia"] = b_value(m, mc, delta, strict=strict, method="tinti").to_dict()
        bv["b_positive"] = b_positive(m, delta).to_dict()
        out["b_value"] = bv
    if md.has_splits:
        out["splits"] = {s: catalog.to_sequence(s).n_scored for s in SPLITS}
        out["split_dates"] = {k: getattr(md, k).isoformat()
                              for k in ("train_start", "val_start", "test_start")}
    if "latitude" in catalog.columns:
        lat, lon = catalog["latitude"], catalog["longitude"]
        out["bbox"] = [float(np.nanmin(lon)), float(np.nanmin(lat)),
                       float(np.nanmax(lon)), float(np.nanmax(lat))]
    return out


def bin_width(catalog: Catalog) -> float:
    """Magnitude bin width for b-value corrections: the data's real grid.

    The finer of the metadata's rounding and the grid the magnitudes actually lie on.
    """
    found = magnitude_resolution(catalog.magnitudes)
    stated = catalog.metadata.mag_roundoff
    return min(found, stated) if stated > 0 and found > 0 else found

"""pyCSEP's catalog-based tests rerun on archived forecasts, long after they were issued.

The archive keeps every forecast's full continuations (:mod:`geohazard.forecast.archive`),
so once the catalog covers a forecast's window its N-, M-, S- and pseudo-likelihood tests
can be run, or rerun, from the archive alone:

- N-test: from the stored counts (every archived forecast has them);
- M-test: from the continuations' magnitudes;
- S- and pseudo-likelihood tests: from the continuations' epicentres, on the testing region
  stored with the forecast (else the one given, else the box around the catalog's events).

A forecast archived before continuations were kept holds counts only: asking M, S or PL of
it raises :class:`~geohazard.forecast.archive.CountsOnlyError` naming the forecast, before
any test runs. Results are pyCSEP ``EvaluationResult`` objects (its plots take them) with a
JSON dict view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, window_mask
from geohazard.exceptions import InputError
from geohazard.forecast.archive import CountsOnlyError, ForecastArchive
from geohazard.forecast.csep_adapter import (
    csep_catalog_evaluations,
    csep_number_test_from_counts,
    csep_spatial_evaluations,
    result_dict,
)
from geohazard.forecast.region import SpatialRegion

__all__ = ["CSEP_TESTS", "ArchivedTests", "parse_tests", "rerun_csep_tests"]

CSEP_TESTS = {"n": "n_test", "m": "m_test", "s": "s_test", "pl": "pl_test"}
_NEEDS_EVENTS = ("m_test", "s_test", "pl_test")
_NEEDS_LOCATIONS = ("s_test", "pl_test")


def parse_tests(spec: str, what: str = "tests") -> tuple[str, ...]:
    """``"n,m,s,pl"`` -> ``("n_test", "m_test", "s_test", "pl_test")`` (order kept, no repeats).

    ``what`` names the option in the error (``--tests``).
    """
    names = [t.strip().lower() for t in str(spec).split(",") if t.strip()]
    bad = [t for t in names if t not in CSEP_TESTS]
    if not names or bad:
        raise InputError(f"{what} {spec!r}: unknown test(s) {', '.join(bad) or '(none given)'}; "
                         f"use a comma list of {', '.join(CSEP_TESTS)}")
    return tuple(dict.fromkeys(CSEP_TESTS[t] for t in names))


@dataclass(frozen=True)
class ArchivedTests:
    """pyCSEP's tests of one archived forecast.

    Attributes
    ----------
    forecast_id, model, window_start, window_end
        The archived forecast.
    n_observed
        Observed events in the window above the forecast's Mc (inside the region for a
        located forecast).
    results
        Test name -> pyCSEP ``EvaluationResult`` (None where pyCSEP gives none).
    """

    forecast_id: int
    model: str
    window_start: str
    window_end: str
    n_observed: int
    results: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (pyCSEP's quantiles, statistics and status per test)."""
        return {"id": self.forecast_id, "model": self.model, "window_start": self.window_start,
                "window_end": self.window_end, "n_observed": self.n_observed,
                **{k: result_dict(v) for k, v in self.results.items()}}


def _observed(catalog: Catalog, rec: dict[str, Any], origin_shift: float) -> dict[str, Any]:
    """Events of the window above the forecast's Mc, in days since the forecast's origin."""
    days = catalog.days() - origin_shift
    mc = rec["summary"].get("mag_completeness")
    mags = catalog.magnitudes
    keep = window_mask(days, rec["t_start_days"], rec["t_end_days"])
    if mc is not None:
        keep &= mags > mc
    out = {"times": days[keep], "mags": mags[keep]}
    if "longitude" in catalog.columns and "latitude" in catalog.columns:
        out["lon"] = np.asarray(catalog["longitude"], np.float64)[keep]
        out["lat"] = np.asarray(catalog["latitude"], np.float64)[keep]
    return out


_LABEL = {"n_test": "N", "m_test": "M", "s_test": "S", "pl_test": "pseudo-likelihood"}


def _check_archived(archive: ForecastArchive, records: list[dict[str, Any]],
                    tests: tuple[str, ...]) -> None:
    """Refuse, before any test runs, a forecast that cannot take the tests asked for."""
    needs_events = [t for t in tests if t in _NEEDS_EVENTS]
    needs_locations = [t for t in tests if t in _NEEDS_LOCATIONS]
    for rec in records:
        what = f"forecast {rec['id']} ({rec['model']}, {rec['window_start']} to " \
               f"{rec['window_end']})"
        features = archive.stored_features(rec["id"])
        names = ", ".join(_LABEL[t] for t in needs_events)
        if features is None and needs_events:
            raise CountsOnlyError(
                f"archive {archive.url}: {what} holds only counts (archived before "
                f"continuations were kept): the {names} test(s) need its simulated events; "
                "only the N-test can be rerun on it")
        if features is not None and needs_locations and \
                not {"longitude", "latitude"} <= set(features):
            raise InputError(f"archive {archive.url}: {what} is temporal (no simulated "
                             f"epicentres): the S- and pseudo-likelihood tests need a located "
                             "forecast (issued with --spatial)")


def _covered(catalog: Catalog, rec: dict[str, Any]) -> bool:
    """Whether the catalog covers the forecast's whole window."""
    try:
        end = pd.Timestamp(rec["window_end"])
    except ValueError:
        return rec["t_end_days"] <= catalog.day_of(catalog.coverage_end) + 1e-9
    return end <= catalog.coverage_end


def _region_for(archive: ForecastArchive, forecast_id: int, region: SpatialRegion | None,
                catalog: Catalog, dh: float) -> SpatialRegion:
    """The region given, else the one stored with the forecast, else the catalog's box."""
    if region is not None:
        return region
    stored = archive.region(forecast_id)
    if stored is not None:
        return SpatialRegion.from_dict(stored)
    from geohazard.forecast.spatial_models import catalog_region

    return catalog_region(catalog, dh=dh)


def _temporal_edges(mc: float | None, mags: np.ndarray) -> np.ndarray:
    lo = mc if mc is not None else (float(np.floor(mags.min() * 10) / 10) if mags.size else 0.0)
    return np.round(np.arange(lo, 9.0 + 1e-9, 0.1), 2)


def _tests_of(archive: ForecastArchive, rec: dict[str, Any], catalog: Catalog,
              tests: tuple[str, ...], region: SpatialRegion | None,
              dh: float) -> ArchivedTests:
    """Run ``tests`` on one archived forecast."""
    fid = rec["id"]
    head = {"forecast_id": fid, "model": rec["model"], "window_start": rec["window_start"],
            "window_end": rec["window_end"]}
    if not archive.has_continuations(fid):  # N only (checked before): the stored counts
        obs = _observed(catalog, rec, 0.0)
        res = csep_number_test_from_counts(archive.counts(fid), obs["times"].size, rec["model"],
                                           rec["summary"].get("mag_completeness"))
        return ArchivedTests(**head, n_observed=int(obs["times"].size), results={"n_test": res})
    fc = archive.forecast(fid)
    obs = _observed(catalog, rec, catalog.day_of(fc.origin) if fc.origin is not None else 0.0)
    if not fc.continuations.has_locations:
        edges = _temporal_edges(fc.mag_completeness, fc.continuations.magnitudes)
        res = csep_catalog_evaluations(fc, obs["times"], obs["mags"], edges)
        return ArchivedTests(**head, n_observed=int(obs["times"].size),
                             results={k: res[k] for k in tests})
    if "lon" not in obs:
        raise InputError(f"catalog '{catalog.metadata.name}' has no longitude/latitude columns: "
                         f"forecast {fid} ({rec['model']}) is located")
    reg = _region_for(archive, fid, region, catalog, dh)
    res = csep_spatial_evaluations(fc, obs["times"], obs["mags"], obs["lon"], obs["lat"], reg,
                                   tests)
    inside = (reg.cell_index(obs["lon"], obs["lat"]) >= 0) & \
        (obs["mags"] >= reg.mag_edges[0] - 1e-9)
    return ArchivedTests(**head, n_observed=int(inside.sum()), results=res)


def rerun_csep_tests(catalog: Catalog, archive: ForecastArchive, tests: tuple[str, ...] |
                     str = ("n_test",), *, model: str | None = None,
                     region: SpatialRegion | None = None,
                     dh: float = 0.05) -> list[ArchivedTests]:
    """Run pyCSEP's tests on every archived forecast of this catalog whose window it covers.

    Parameters
    ----------
    catalog
        The catalog with the observations (the one the forecasts were issued on, by name).
    archive
        The forecast archive.
    tests
        Test names (``"n_test"`` ...) or a spec such as ``"n,m,s,pl"``.
    model
        Only this model's forecasts.
    region
        Testing region of located forecasts (default: the one stored with each forecast,
        else the ``dh``-degree box around the catalog's events).
    dh
        Cell size in degrees of that box, for located forecasts archived without a region.

    Returns
    -------
    list of ArchivedTests
        One per covered forecast, oldest window first.

    Raises
    ------
    CountsOnlyError
        M, S or PL asked of a forecast archived with counts only (before any test runs).
    """
    names = parse_tests(tests) if isinstance(tests, str) else tuple(tests)
    bad = [t for t in names if t not in CSEP_TESTS.values()]
    if bad:
        raise InputError(f"tests: unknown test(s) {bad}; use {tuple(CSEP_TESTS.values())}")
    records = [r for r in archive.list(model=model, catalog=catalog.metadata.name)
               if _covered(catalog, r)]
    _check_archived(archive, records, names)
    return [_tests_of(archive, rec, catalog, names, region, dh) for rec in records]

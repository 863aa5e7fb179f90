"""The one module that talks to pyCSEP: catalog-based N, M, S and pseudo-likelihood tests.

Temporal forecasts are mapped onto a single spatial cell (every event at the cell centre),
which leaves the N- and M-tests exactly the temporal tests (:func:`csep_catalog_tests`).
Spatial forecasts (continuations with ``longitude`` / ``latitude`` features) are binned
on a :class:`SpatialRegion`, a regular lon/lat grid that becomes a pyCSEP
``CartesianGrid2D`` with magnitude bins, and evaluated with pyCSEP's catalog-based N-, M-,
S- and pseudo-likelihood tests (:func:`csep_spatial_tests`; Savran et al. 2020, BSSA).

Events outside the region are removed the pyCSEP way, ``CSEPCatalog.filter_spatial``, from
every simulated catalog and from the observation alike; events below the first magnitude
bin are dropped from both as well.

Results leave as pyCSEP's own objects: :func:`to_csep_forecast` gives a ``CatalogForecast``;
:func:`csep_catalog_evaluations` and :func:`csep_spatial_evaluations` give pyCSEP
``EvaluationResult`` objects that ``csep.utils.plots`` draws (:func:`csep_catalog_tests` and
:func:`csep_spatial_tests` are their dict views, for JSON);
:func:`csep_number_test_from_counts` runs pyCSEP's N-test on stored counts alone; and
:func:`write_csep_forecast` writes pyCSEP's catalog-forecast CSV, the file floatCSEP reads.
:class:`SpatialRegion` lives in :mod:`geohazard.forecast.region` and is re-exported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import InputError, OutputError, ParameterError
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.region import SpatialRegion  # re-exported: old imports keep working

__all__ = ["SPATIAL_TESTS", "SpatialRegion", "csep_catalog_evaluations", "csep_catalog_tests",
           "csep_forecast_filename", "csep_number_test_from_counts", "csep_spatial_evaluations",
           "csep_spatial_tests", "result_dict", "spatial_forecast_catalogs", "to_csep_forecast",
           "write_csep_forecast"]

log = logging.getLogger(__name__)
_MAG_TOL = 1e-9


def _region(mag_edges: np.ndarray) -> Any:
    from csep.core import regions

    return regions.CartesianGrid2D.from_origins(
        np.array([[0.0, 0.0]]), dh=1.0, magnitudes=np.asarray(mag_edges, dtype=np.float64))


def _csep_catalog(epoch_ms: np.ndarray, mags: np.ndarray, region: Any, catalog_id: int,
                  lon: np.ndarray | float = 0.5, lat: np.ndarray | float = 0.5,
                  depth: np.ndarray | float = 0.0) -> Any:
    """One pyCSEP catalog; temporal forecasts put every event at the one cell's centre.

    ``epoch_ms`` are pyCSEP's origin times (:func:`_epoch_ms`).
    """
    from csep.core.catalogs import CSEPCatalog

    n = len(epoch_ms)
    ev = np.zeros(n, dtype=CSEPCatalog.dtype)
    ev["id"] = np.char.add(f"{catalog_id}-".encode(), np.arange(n).astype("S20"))
    ev["origin_time"] = epoch_ms
    ev["latitude"], ev["longitude"], ev["depth"] = lat, lon, depth
    ev["magnitude"] = mags
    return CSEPCatalog(data=ev, catalog_id=catalog_id, region=region, compute_stats=False)


def _csep_forecast(forecast: Forecast, catalogs: list[Any], region: Any) -> Any:
    from csep.core.forecasts import CatalogForecast

    start, end = _anchored(forecast).window_utc()
    return CatalogForecast(catalogs=catalogs, region=region, n_cat=len(catalogs),
                           name=forecast.model,
                           start_time=start.to_pydatetime().astimezone(dt.UTC),
                           end_time=end.to_pydatetime().astimezone(dt.UTC))


def _anchored(forecast: Forecast) -> Forecast:
    """The forecast with an origin (the Unix epoch when it has none)."""
    if forecast.origin is not None:
        return forecast
    return dataclasses.replace(forecast, origin=pd.Timestamp(0, tz="UTC"))


def _epoch_ms(forecast: Forecast, days: np.ndarray) -> np.ndarray:
    """(N,) int64 pyCSEP origin times (ms since the Unix epoch) of ``days`` since the origin.

    :meth:`Forecast.utc_of` (the catalog's conversion), rounded to the millisecond as
    pyCSEP stores times.
    """
    utc = _anchored(forecast).utc_of(np.atleast_1d(np.asarray(days, np.float64)))
    return utc.round("ms").as_unit("ms").asi8


def result_dict(res: Any) -> dict[str, Any]:
    """Convert a pyCSEP evaluation result to a plain dict (NaN where pyCSEP gives None or -1)."""
    if res is None:  # pseudolikelihood_test returns None when nothing can be scored
        return {"quantile": [float("nan"), float("nan")], "observed_statistic": float("nan"),
                "status": "not-valid"}
    q = res.quantile
    qs = list(q) if isinstance(q, tuple | list) else [q, q]
    valid = res.status != "not-valid"
    quant = [float(v) if (v is not None and valid) else float("nan") for v in qs]
    stat = res.observed_statistic
    return {"quantile": quant,
            "observed_statistic": float(stat) if stat is not None else float("nan"),
            "status": str(res.status)}


def csep_catalog_evaluations(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    mag_edges: np.ndarray,
) -> dict[str, Any]:
    """Run pyCSEP's catalog-based N- and M-tests of a temporal forecast; pyCSEP objects.

    Parameters
    ----------
    forecast
        A simulation forecast (its ``origin`` anchors the times).
    observed_times, observed_mags
        Observed events in the forecast window (days since the origin).
    mag_edges
        Left edges of the magnitude bins.

    Returns
    -------
    dict
        ``{"n_test": EvaluationResult, "m_test": EvaluationResult}``: pyCSEP's own result
        objects, which its plot functions take (``csep.utils.plots.plot_number_test``).
        :func:`csep_catalog_tests` gives the same as plain dicts for JSON.
    """
    from csep.core import catalog_evaluations

    region = _region(mag_edges)
    fc = to_csep_forecast(forecast, mag_edges=mag_edges)
    observed = _csep_catalog(_epoch_ms(forecast, observed_times), observed_mags, region, -1)
    return {"n_test": catalog_evaluations.number_test(fc, observed),
            "m_test": catalog_evaluations.magnitude_test(fc, observed)}


def csep_catalog_tests(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    mag_edges: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """Run pyCSEP's catalog-based N- and M-tests on a temporal forecast (one cell).

    The dict view of :func:`csep_catalog_evaluations` (same arguments).

    Returns
    -------
    dict
        ``{"n_test": {...}, "m_test": {...}}`` with pyCSEP's quantiles and statistics.
    """
    results = csep_catalog_evaluations(forecast, observed_times, observed_mags, mag_edges)
    out = {}
    for key, res in results.items():
        q = res.quantile
        out[key] = {"quantile": [float(v) for v in q] if isinstance(q, tuple) else float(q),
                    "observed_statistic": float(res.observed_statistic),
                    "status": res.status}
    return out


class _Counts:
    """What pyCSEP's ``number_test`` reads of a forecast: its catalogs' event counts."""

    def __init__(self, counts: np.ndarray, name: str, min_magnitude: float | None) -> None:
        self.counts, self.name, self.min_magnitude = counts, name, min_magnitude

    def __iter__(self) -> Any:
        from types import SimpleNamespace

        return (SimpleNamespace(event_count=int(c)) for c in self.counts)


def csep_number_test_from_counts(counts: np.ndarray, n_observed: int, model: str,
                                 mag_completeness: float | None = None) -> Any:
    """PyCSEP's catalog N-test from simulated counts alone (an archive holding only counts).

    pyCSEP's ``number_test`` reads nothing of a forecast but its catalogs' event counts, so
    it is fed the counts themselves; the result is its own ``EvaluationResult``.
    """
    from csep.core import catalog_evaluations

    edge = mag_completeness if mag_completeness is not None else 0.0
    region = _region(np.array([edge]))
    observed = _csep_catalog(np.zeros(int(n_observed), np.int64),
                             np.full(int(n_observed), edge), region, -1)
    return catalog_evaluations.number_test(
        _Counts(np.asarray(counts), model, mag_completeness), observed)


def to_csep_forecast(forecast: Forecast, region: SpatialRegion | None = None,
                     mag_edges: np.ndarray | None = None) -> Any:
    """The forecast as a pyCSEP :class:`~csep.core.forecasts.CatalogForecast`.

    One pyCSEP catalog per simulated continuation. With ``region`` (a located forecast) the
    continuations keep their epicentres and events outside the region are removed the pyCSEP
    way; without it the forecast is temporal and pyCSEP sees one cell. pyCSEP's own
    evaluations and plots then take it directly (``catalog_evaluations.number_test``,
    ``csep.utils.plots.plot_number_test``).

    Parameters
    ----------
    forecast
        A simulation forecast (its ``origin`` anchors the times).
    region
        The grid of a located forecast; None for a temporal one.
    mag_edges
        Left edges of the magnitude bins of a temporal forecast (default: 0.1 bins from
        the forecast's Mc, else from the smallest simulated magnitude, to 9).
    """
    if region is not None:
        return _csep_forecast(forecast, spatial_forecast_catalogs(forecast, region),
                              region.to_csep())
    if mag_edges is None:
        lo = forecast.mag_completeness
        if lo is None:
            mags = forecast.continuations.magnitudes
            lo = float(np.floor(mags.min() * 10) / 10) if mags.size else 0.0
        mag_edges = np.round(np.arange(lo, 9.0 + 1e-9, 0.1), 2)
    grid = _region(np.asarray(mag_edges, dtype=np.float64))
    cont = forecast.continuations
    ms, at = _epoch_ms(forecast, cont.times), cont.offsets
    catalogs = [_csep_catalog(ms[at[i]:at[i + 1]], cont.sample(i)[1], grid, i)
                for i in range(cont.n_samples)]
    return _csep_forecast(forecast, catalogs, grid)


# ----------------------------------------------------------------------------- spatial
def _located_catalog(epoch_ms: np.ndarray, mags: np.ndarray, lon: np.ndarray,
                     lat: np.ndarray, region: SpatialRegion, catalog_id: int) -> Any:
    """A pyCSEP catalog on ``region``: below-first-bin magnitudes dropped, then filter_spatial."""
    keep = np.asarray(mags) >= region.mag_edges[0] - _MAG_TOL
    cat = _csep_catalog(np.asarray(epoch_ms)[keep], np.asarray(mags)[keep], region.to_csep(),
                        catalog_id, np.asarray(lon)[keep], np.asarray(lat)[keep])
    return cat.filter_spatial(region.to_csep(), in_place=True)


def spatial_forecast_catalogs(forecast: Forecast, region: SpatialRegion) -> list[Any]:
    """The forecast's continuations as pyCSEP catalogs on ``region`` (outside events removed)."""
    cont = forecast.continuations
    if not cont.has_locations:
        raise InputError(f"spatial tests: forecast '{forecast.model}' has no longitude/latitude "
                         f"features (features: {sorted(cont.features)})")
    ms, at = _epoch_ms(forecast, cont.times), cont.offsets
    out = []
    for i in range(cont.n_samples):
        f = cont.sample_features(i)
        out.append(_located_catalog(ms[at[i]:at[i + 1]], cont.sample(i)[1], f["longitude"],
                                    f["latitude"], region, i))
    return out


SPATIAL_TESTS = ("n_test", "m_test", "s_test", "pl_test")


def _check_observed(tests: tuple[str, ...], *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Known test names and equal-length float observations, or a clear error."""
    bad = [t for t in tests if t not in SPATIAL_TESTS]
    if bad:
        raise ParameterError(f"spatial tests: unknown test(s) {bad}; use {SPATIAL_TESTS}")
    out = tuple(np.asarray(a, np.float64) for a in arrays)
    if len({a.shape for a in out}) != 1:
        raise InputError("spatial tests: observed times, magnitudes, longitudes and latitudes "
                         "must have the same length")
    return out


def _run_quietly(fn: Any, key: str, *args: Any) -> Any:
    """Call a pyCSEP test, sending what it prints (its warnings) to the debug log."""
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        res = fn(*args)
    if chatter.getvalue().strip():
        log.debug("pyCSEP %s: %s", key, chatter.getvalue().strip())
    return res


def _spatial_run(forecast: Forecast, observed: tuple[np.ndarray, ...], region: SpatialRegion,
                 tests: tuple[str, ...]) -> tuple[dict[str, Any], Any, list[Any]]:
    """The pyCSEP result per test, the observed pyCSEP catalog and the simulated ones."""
    from csep.core import catalog_evaluations as ce

    t, m, lon, lat = _check_observed(tests, *observed)
    catalogs = spatial_forecast_catalogs(forecast, region)
    obs = _located_catalog(_epoch_ms(forecast, t), m, lon, lat, region, -1)
    fc = _csep_forecast(forecast, catalogs, region.to_csep())
    fns = {"n_test": ce.number_test, "m_test": ce.magnitude_test, "s_test": ce.spatial_test,
           "pl_test": ce.pseudolikelihood_test}
    return {key: _run_quietly(fns[key], key, fc, obs) for key in tests}, obs, catalogs


def csep_spatial_evaluations(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    observed_lon: np.ndarray,
    observed_lat: np.ndarray,
    region: SpatialRegion,
    tests: tuple[str, ...] = SPATIAL_TESTS,
) -> dict[str, Any]:
    """Run pyCSEP's catalog-based tests of a located forecast; pyCSEP's own result objects.

    Parameters
    ----------
    forecast
        A forecast whose continuations carry ``longitude`` / ``latitude`` features.
    observed_times, observed_mags, observed_lon, observed_lat
        The observed events of the window (days since the forecast origin, magnitudes,
        degrees); events outside the region are removed as in the simulations.
    region
        The testing region and magnitude bins.
    tests
        Subset of ``("n_test", "m_test", "s_test", "pl_test")``.

    Returns
    -------
    dict
        Test name -> pyCSEP ``EvaluationResult``, which pyCSEP's plots take
        (``csep.utils.plots.plot_number_test``, ``plot_magnitude_test``,
        ``plot_spatial_test``, ``plot_likelihood_test``). pyCSEP gives None for the
        pseudo-likelihood test when no observed event can be scored; so does this.
        :func:`csep_spatial_tests` is the same as plain dicts for JSON.
    """
    observed = (observed_times, observed_mags, observed_lon, observed_lat)
    return _spatial_run(forecast, observed, region, tuple(tests))[0]


def csep_spatial_tests(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    observed_lon: np.ndarray,
    observed_lat: np.ndarray,
    region: SpatialRegion,
    tests: tuple[str, ...] = SPATIAL_TESTS,
) -> dict[str, Any]:
    """The dict view of :func:`csep_spatial_evaluations` (same arguments), for JSON.

    Returns
    -------
    dict
        One entry per test, ``{"quantile": [delta1, delta2], "observed_statistic",
        "status"}`` as pyCSEP computes them (NaN quantiles when not valid), plus
        ``n_observed`` (in the region) and ``n_simulated_mean`` (mean events in the region
        per simulated catalog).
    """
    observed = (observed_times, observed_mags, observed_lon, observed_lat)
    results, obs, catalogs = _spatial_run(forecast, observed, region, tuple(tests))
    out: dict[str, Any] = {"n_observed": int(obs.event_count),
                           "n_simulated_mean": float(np.mean([c.event_count for c in catalogs]))}
    out.update({key: result_dict(res) for key, res in results.items()})
    return out


# ----------------------------------------------------------------------------- files
def csep_forecast_filename(forecast: Forecast) -> str:
    """The pyCSEP native file name ``{model}_{start as %Y-%m-%dT%H-%M-%S-%f}.csv``.

    ``csep.load_catalog_forecast`` reads the forecast's name and start time from it.
    """
    name = forecast.model.replace("_", "-").replace("/", "-") or "forecast"
    start, _ = forecast.window_utc()
    if start is None:
        return f"{name}.csv"
    return f"{name}_{start.strftime('%Y-%m-%dT%H-%M-%S-%f')}.csv"


def _write_catalogs(catalogs: list[Any], path: Path) -> None:
    """Write with pyCSEP's ascii writer, catalog by catalog (an empty one: its id only)."""
    import csv

    for i, cat in enumerate(catalogs):
        if cat.event_count:
            cat.write_ascii(str(path), write_header=i == 0, append=i > 0)
            continue
        with open(path, "a" if i else "w", newline="") as out:
            writer = csv.writer(out)
            if i == 0:
                writer.writerow(["lon", "lat", "mag", "time_string", "depth", "catalog_id",
                                 "event_id"])
            writer.writerow(["", "", "", "", "", cat.catalog_id, ""])


def write_csep_forecast(forecast: Forecast, path: str | Path) -> Path:
    """Write the forecast in pyCSEP's catalog-forecast CSV format (what floatCSEP reads).

    Every simulated continuation is written whole, one pyCSEP catalog each (``catalog_id``
    0 to N - 1), by pyCSEP's own ``CSEPCatalog.write_ascii``: ``lon, lat, mag,
    time_string, depth, catalog_id, event_id``. A continuation without events is one line
    holding only its ``catalog_id``, which pyCSEP's reader turns back into an empty
    catalog, so ``csep.load_catalog_forecast(path)`` gives back all N. Located forecasts
    keep their epicentres (and depths where simulated); temporal ones put every event at
    ``(0.5, 0.5)``, the centre of the one cell :func:`to_csep_forecast` uses. The file is
    written to a temporary name and renamed, so a failed write leaves nothing.

    Parameters
    ----------
    forecast
        A simulation forecast.
    path
        The file to write, or an existing folder: the file is then named by
        :func:`csep_forecast_filename`.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    if target.is_dir():
        target = target / csep_forecast_filename(forecast)
    cont = forecast.continuations
    ms, at = _epoch_ms(forecast, cont.times), cont.offsets
    catalogs = []
    for i in range(cont.n_samples):
        f = cont.sample_features(i)
        where = {k: f[k] for k in ("longitude", "latitude", "depth") if k in f}
        catalogs.append(_csep_catalog(ms[at[i]:at[i + 1]], cont.sample(i)[1], None, i,
                                      lon=where.get("longitude", 0.5),
                                      lat=where.get("latitude", 0.5),
                                      depth=where.get("depth", 0.0)))
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write_catalogs(catalogs, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the pyCSEP forecast ({exc.strerror or exc})"
                          ) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return target

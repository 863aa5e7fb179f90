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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.forecasting import Forecast

log = logging.getLogger(__name__)
_MAG_TOL = 1e-9


def _region(mag_edges: np.ndarray) -> Any:
    from csep.core import regions

    return regions.CartesianGrid2D.from_origins(
        np.array([[0.0, 0.0]]), dh=1.0, magnitudes=np.asarray(mag_edges, dtype=np.float64))


def _csep_catalog(times_days: np.ndarray, mags: np.ndarray, origin: pd.Timestamp,
                  region: Any, catalog_id: int, lon: np.ndarray | float = 0.5,
                  lat: np.ndarray | float = 0.5) -> Any:
    from csep.core.catalogs import CSEPCatalog

    n = len(times_days)
    ev = np.zeros(n, dtype=CSEPCatalog.dtype)
    ev["id"] = np.char.add(f"{catalog_id}-".encode(), np.arange(n).astype("S20"))
    epoch_ms = origin.value // 1_000_000
    ev["origin_time"] = epoch_ms + np.round(np.asarray(times_days) * 86_400_000).astype(np.int64)
    ev["latitude"], ev["longitude"], ev["depth"] = lat, lon, 0.0
    ev["magnitude"] = mags
    return CSEPCatalog(data=ev, catalog_id=catalog_id, region=region, compute_stats=False)


def _csep_forecast(forecast: Forecast, catalogs: list[Any], region: Any) -> Any:
    from csep.core.forecasts import CatalogForecast

    origin = _origin(forecast)
    start = (origin + pd.to_timedelta(forecast.t_start, unit="D")).to_pydatetime()
    end = (origin + pd.to_timedelta(forecast.t_end, unit="D")).to_pydatetime()
    return CatalogForecast(catalogs=catalogs, region=region, n_cat=len(catalogs),
                           name=forecast.model, start_time=start.astimezone(dt.UTC),
                           end_time=end.astimezone(dt.UTC))


def _origin(forecast: Forecast) -> pd.Timestamp:
    return forecast.origin if forecast.origin is not None else pd.Timestamp(0, tz="UTC")


def _result_dict(res: Any) -> dict[str, Any]:
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
    observed = _csep_catalog(observed_times, observed_mags, _origin(forecast), region, -1)
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
    origin = _origin(forecast)
    cont = forecast.continuations
    catalogs = [_csep_catalog(*cont.sample(i), origin, grid, i) for i in range(cont.n_samples)]
    return _csep_forecast(forecast, catalogs, grid)


# ----------------------------------------------------------------------------- spatial
@dataclass(frozen=True)
class SpatialRegion:
    """A regular longitude/latitude grid with magnitude bins (a pyCSEP ``CartesianGrid2D``).

    Cells are ``dh`` degrees square with origins (lower-left corners) at
    ``lon_min + i dh``, ``lat_min + j dh``; a point belongs to the cell whose origin is
    the largest one not above it (pyCSEP's binning, including its float tolerance).

    Attributes
    ----------
    lon_min, lon_max, lat_min, lat_max
        Box in degrees; the grid covers ``ceil((max - min) / dh)`` cells along each axis.
    dh
        Cell size in degrees.
    mag_edges
        Left edges of the magnitude bins (the last bin is open-ended).
    """

    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float
    dh: float = 0.05
    mag_edges: tuple[float, ...] = (1.0,)
    _csep: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.lon_max > self.lon_min and self.lat_max > self.lat_min):
            raise ParameterError(f"region: need lon_min < lon_max and lat_min < lat_max, got "
                                 f"lon {self.lon_min}..{self.lon_max}, "
                                 f"lat {self.lat_min}..{self.lat_max}")
        if not self.dh > 0:
            raise ParameterError(f"region: dh must be > 0 degrees, got {self.dh}")
        edges = tuple(float(m) for m in self.mag_edges)
        if not edges or np.any(np.diff(edges) <= 0):
            raise ParameterError("region: mag_edges must be a non-empty increasing sequence")
        object.__setattr__(self, "mag_edges", edges)
        from csep.core import regions

        lon, lat = self.cell_origins()
        origins = np.column_stack([np.repeat(lon, lat.size), np.tile(lat, lon.size)])
        grid = regions.CartesianGrid2D.from_origins(
            origins, dh=float(self.dh), magnitudes=np.asarray(edges), name="geohazard-box")
        object.__setattr__(self, "_csep", grid)

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray, dh: float = 0.05,
               mag_edges: tuple[float, ...] = (1.0,)) -> SpatialRegion:
        """The smallest ``dh``-aligned box containing every ``(lon, lat)``."""
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        if lon.size == 0 or not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            raise InputError("region: need finite event locations to build a region around")
        lo = np.floor(np.array([lon.min(), lat.min()]) / dh + 1e-9) * dh
        hi = (np.floor(np.array([lon.max(), lat.max()]) / dh + 1e-9) + 1) * dh
        return cls(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), dh, mag_edges)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)`` number of cells along latitude and longitude."""
        return (int(np.ceil((self.lat_max - self.lat_min) / self.dh - 1e-6)),
                int(np.ceil((self.lon_max - self.lon_min) / self.dh - 1e-6)))

    @property
    def n_cells(self) -> int:
        """Number of spatial cells."""
        ny, nx = self.shape
        return ny * nx

    def cell_origins(self) -> tuple[np.ndarray, np.ndarray]:
        """``(nx,)`` longitudes and ``(ny,)`` latitudes of the cells' lower-left corners."""
        ny, nx = self.shape
        return (np.round(self.lon_min + self.dh * np.arange(nx), 10),
                np.round(self.lat_min + self.dh * np.arange(ny), 10))

    def to_csep(self) -> Any:
        """The pyCSEP ``CartesianGrid2D`` (with ``magnitudes``)."""
        return self._csep

    def cell_index(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """(n,) pyCSEP cell index of each point, -1 for points outside the region."""
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        out = np.full(lon.shape, -1, dtype=np.int64)
        if lon.size == 0:
            return out
        inside = ~self._csep.get_masked(lon, lat)
        if np.any(inside):
            out[inside] = self._csep.get_index_of(lon[inside], lat[inside])
        return out

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """(n_cells,) per-cell values -> (ny, nx) array, row 0 at ``lat_min``."""
        return np.asarray(self._csep.get_cartesian(np.asarray(values, np.float64)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"lon_min": self.lon_min, "lon_max": self.lon_max, "lat_min": self.lat_min,
                "lat_max": self.lat_max, "dh": self.dh, "mag_edges": list(self.mag_edges),
                "n_cells": self.n_cells}


def _located_catalog(times: np.ndarray, mags: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                     origin: pd.Timestamp, region: SpatialRegion, catalog_id: int) -> Any:
    """A pyCSEP catalog on ``region``: below-first-bin magnitudes dropped, then filter_spatial."""
    keep = np.asarray(mags) >= region.mag_edges[0] - _MAG_TOL
    cat = _csep_catalog(np.asarray(times)[keep], np.asarray(mags)[keep], origin,
                        region.to_csep(), catalog_id, np.asarray(lon)[keep],
                        np.asarray(lat)[keep])
    return cat.filter_spatial(region.to_csep(), in_place=True)


def spatial_forecast_catalogs(forecast: Forecast, region: SpatialRegion) -> list[Any]:
    """The forecast's continuations as pyCSEP catalogs on ``region`` (outside events removed)."""
    cont = forecast.continuations
    if not cont.has_locations:
        raise InputError(f"spatial tests: forecast '{forecast.model}' has no longitude/latitude "
                         f"features (features: {sorted(cont.features)})")
    origin = _origin(forecast)
    out = []
    for i in range(cont.n_samples):
        t, m = cont.sample(i)
        f = cont.sample_features(i)
        out.append(_located_catalog(t, m, f["longitude"], f["latitude"], origin, region, i))
    return out


SPATIAL_TESTS = ("n_test", "m_test", "s_test", "pl_test")


def csep_spatial_tests(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    observed_lon: np.ndarray,
    observed_lat: np.ndarray,
    region: SpatialRegion,
    tests: tuple[str, ...] = SPATIAL_TESTS,
) -> dict[str, Any]:
    """Run pyCSEP's catalog-based tests of a spatial forecast on ``region``.

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
        One entry per test, ``{"quantile": [delta1, delta2], "observed_statistic",
        "status"}`` as pyCSEP computes them (NaN quantiles when not valid), plus
        ``n_observed`` (in the region) and ``n_simulated_mean`` (mean events in the region
        per simulated catalog).
    """
    from csep.core import catalog_evaluations as ce

    bad = [t for t in tests if t not in SPATIAL_TESTS]
    if bad:
        raise ParameterError(f"spatial tests: unknown test(s) {bad}; use {SPATIAL_TESTS}")
    t, m, lon, lat = (np.asarray(a, np.float64) for a in
                      (observed_times, observed_mags, observed_lon, observed_lat))
    if not t.shape == m.shape == lon.shape == lat.shape:
        raise InputError("spatial tests: observed times, magnitudes, longitudes and latitudes "
                         "must have the same length")
    catalogs = spatial_forecast_catalogs(forecast, region)
    observed = _located_catalog(t, m, lon, lat, _origin(forecast), region, -1)
    fc = _csep_forecast(forecast, catalogs, region.to_csep())
    fns = {"n_test": ce.number_test, "m_test": ce.magnitude_test, "s_test": ce.spatial_test,
           "pl_test": ce.pseudolikelihood_test}
    out: dict[str, Any] = {"n_observed": int(observed.event_count),
                           "n_simulated_mean": float(np.mean([c.event_count for c in catalogs]))}
    for key in tests:
        chatter = io.StringIO()
        with contextlib.redirect_stdout(chatter):  # pyCSEP prints its warnings
            out[key] = _result_dict(fns[key](fc, observed))
        if chatter.getvalue().strip():
            log.debug("pyCSEP %s: %s", key, chatter.getvalue().strip())
    return out

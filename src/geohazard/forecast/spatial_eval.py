"""Spatial evaluation of located forecasts: array kernels, a thin wrapper, frozen results.

Kernels
-------
- :func:`gridded_counts`: (N, K) simulated and (K,) observed event counts per cell.
- :func:`geohazard.testing.spatial_statistics` (a test oracle, outside this package): the
  catalog-based S-test and pseudo-likelihood statistics of Savran et al. (2020), written
  out from their definition. With ``lambda_k`` the mean simulated count in cell ``k`` (the
  forecast's expected rate), ``N_u = sum_k lambda_k`` and ``p_k = lambda_k / N_u``, a
  catalog with counts ``omega_k`` (``n = sum omega_k``) has

  - pseudo-likelihood ``L = sum_{omega_k > 0} omega_k log(lambda_k) - N_u``;
  - spatial statistic ``S = (1 / n) sum_{omega_k > 0} omega_k log(p_k)`` (NaN when n = 0).

  pyCSEP's ``spatial_test`` / ``pseudolikelihood_test`` compute the same numbers; the tests
  check one against the other.

Wrapper
-------
:func:`evaluate_spatial_window` runs pyCSEP's N, M, S and pseudo-likelihood tests through
:mod:`geohazard.forecast.csep_adapter` and returns a :class:`SpatialEvaluation`;
:class:`SpatialSummary` aggregates many windows; :class:`SpatialMap` holds a forecast's
rate per cell and the observed events for the map figure.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from geohazard.catalog.core import window_mask
from geohazard.exceptions import InputError
from geohazard.forecast.base import Continuations
from geohazard.forecast.csep_adapter import csep_spatial_tests
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.region import SpatialRegion

ALPHA = 0.05


# ----------------------------------------------------------------------------- kernels
def gridded_counts(continuations: Continuations, region: SpatialRegion) -> np.ndarray:
    """(N, K) number of simulated events of each continuation in each cell of ``region``.

    Events outside the region or below its first magnitude bin are not counted.
    """
    if not continuations.has_locations:
        raise InputError("gridded counts: continuations have no longitude/latitude features")
    f = continuations.features
    cell = region.cell_index(f["longitude"], f["latitude"])
    keep = (cell >= 0) & (continuations.magnitudes >= region.mag_edges[0] - 1e-9)
    sample_id = np.repeat(np.arange(continuations.n_samples), continuations.counts)
    out = np.zeros((continuations.n_samples, region.n_cells), dtype=np.float64)
    np.add.at(out, (sample_id[keep], cell[keep]), 1.0)
    return out


def observed_counts(lon: np.ndarray, lat: np.ndarray, mags: np.ndarray,
                    region: SpatialRegion) -> np.ndarray:
    """(K,) observed events per cell (outside events and small magnitudes dropped)."""
    cell = region.cell_index(lon, lat)
    keep = (cell >= 0) & (np.asarray(mags) >= region.mag_edges[0] - 1e-9)
    return np.bincount(cell[keep], minlength=region.n_cells).astype(np.float64)


# ----------------------------------------------------------------------------- results
def _q(entry: dict[str, Any], i: int) -> float:
    q = entry["quantile"][i]
    return float(q) if q is not None else math.nan


@dataclass(frozen=True)
class SpatialEvaluation:
    """pyCSEP's catalog-based tests of one located forecast window.

    Attributes
    ----------
    model
        Model name.
    n_observed
        Observed events inside the region (above the first magnitude bin).
    n_simulated_mean
        Mean simulated events inside the region.
    n_test_delta1, n_test_delta2
        N-test quantiles ``P(N_sim >= obs)`` and ``P(N_sim <= obs)``.
    m_test_quantile
        ``P(D_sim >= D_obs)`` of the M-test (NaN without observed events).
    s_test_quantile, s_test_statistic
        ``P(S_sim <= S_obs)`` and ``S_obs`` (NaN without observed events).
    pl_test_quantile, pl_test_statistic
        ``P(L_sim <= L_obs)`` and ``L_obs`` of the pseudo-likelihood test.
    s_status, pl_status
        pyCSEP's status (``normal``, ``undersampled``, ``not-valid``).
    """

    model: str
    n_observed: int
    n_simulated_mean: float
    n_test_delta1: float
    n_test_delta2: float
    m_test_quantile: float
    s_test_quantile: float
    s_test_statistic: float
    pl_test_quantile: float
    pl_test_statistic: float
    s_status: str
    pl_status: str

    @classmethod
    def from_csep(cls, model: str, res: dict[str, Any]) -> SpatialEvaluation:
        """Build from :func:`~geohazard.forecast.csep_adapter.csep_spatial_tests` output.

        When events were observed but pyCSEP finds no valid S or PL statistic, every
        observed event fell where no simulated event did (pyCSEP drops such events and
        then has none left): the forecast failed, so the quantile is set to 0 (the status
        stays ``not-valid``).
        """
        n_obs = int(res["n_observed"])

        def lower(key: str) -> float:
            q = _q(res[key], 1)
            return 0.0 if math.isnan(q) and n_obs > 0 else q

        return cls(
            model=model, n_observed=n_obs,
            n_simulated_mean=float(res["n_simulated_mean"]),
            n_test_delta1=_q(res["n_test"], 0), n_test_delta2=_q(res["n_test"], 1),
            m_test_quantile=_q(res["m_test"], 0), s_test_quantile=lower("s_test"),
            s_test_statistic=float(res["s_test"]["observed_statistic"]),
            pl_test_quantile=lower("pl_test"),
            pl_test_statistic=float(res["pl_test"]["observed_statistic"]),
            s_status=res["s_test"]["status"], pl_status=res["pl_test"]["status"],
        )

    def passes(self, alpha: float = ALPHA) -> dict[str, bool | None]:
        """Pass/fail per test at level ``alpha`` (None where the test is not valid).

        N is two-sided (both quantiles >= alpha / 2); M, S and PL are one-sided.
        """
        def one(q: float) -> bool | None:
            return None if math.isnan(q) else bool(q >= alpha)

        n = min(self.n_test_delta1, self.n_test_delta2)
        return {"n_test": None if math.isnan(n) else bool(n >= alpha / 2),
                "m_test": one(self.m_test_quantile), "s_test": one(self.s_test_quantile),
                "pl_test": one(self.pl_test_quantile)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (with the pass flags at 0.05)."""
        return {**asdict(self), "passes": self.passes()}


def evaluate_spatial_window(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    observed_lon: np.ndarray,
    observed_lat: np.ndarray,
    region: SpatialRegion,
) -> SpatialEvaluation:
    """Run pyCSEP's N, M, S and pseudo-likelihood tests of one located window.

    Parameters
    ----------
    forecast
        A forecast whose continuations carry ``longitude`` / ``latitude``.
    observed_times, observed_mags, observed_lon, observed_lat
        The observed events of the window (days since the forecast origin).
    region
        Testing region and magnitude bins.
    """
    res = csep_spatial_tests(forecast, observed_times, observed_mags, observed_lon,
                             observed_lat, region)
    return SpatialEvaluation.from_csep(forecast.model, res)


@dataclass(frozen=True)
class SpatialSummary:
    """Aggregate of many located windows for one model.

    ``pass_*`` are fractions of the valid windows passing at 0.05; ``mean_*_quantile`` are
    means over the valid windows; ``n_valid_spatial`` counts windows with observed events.
    """

    model: str
    n_windows: int
    n_valid_spatial: int
    pass_n: float
    pass_m: float
    pass_s: float
    pass_pl: float
    mean_s_quantile: float
    mean_pl_quantile: float

    @classmethod
    def from_windows(cls, model: str, windows: list[SpatialEvaluation],
                     alpha: float = ALPHA) -> SpatialSummary:
        """Aggregate per-window spatial evaluations."""
        if not windows:
            raise InputError("spatial summary: no windows")
        flags = [w.passes(alpha) for w in windows]

        def frac(key: str) -> float:
            vals = [float(bool(f[key])) for f in flags if f[key] is not None]
            return float(np.mean(vals)) if vals else math.nan

        def mean(values: list[float]) -> float:
            v = np.asarray(values, np.float64)
            v = v[~np.isnan(v)]
            return float(v.mean()) if v.size else math.nan

        return cls(model=model, n_windows=len(windows),
                   n_valid_spatial=int(sum(not math.isnan(w.s_test_quantile) for w in windows)),
                   pass_n=frac("n_test"), pass_m=frac("m_test"), pass_s=frac("s_test"),
                   pass_pl=frac("pl_test"),
                   mean_s_quantile=mean([w.s_test_quantile for w in windows]),
                   mean_pl_quantile=mean([w.pl_test_quantile for w in windows]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True)
class SpatialMap:
    """A model's forecast rate per cell over a period, with the events observed in it.

    Attributes
    ----------
    model
        Model name.
    region
        The grid.
    rate
        (ny, nx) mean simulated events per cell summed over the windows (NaN outside).
    observed_lon, observed_lat
        The observed events of the same windows.
    days
        Total forecast days covered.
    """

    model: str
    region: SpatialRegion
    rate: np.ndarray
    observed_lon: np.ndarray
    observed_lat: np.ndarray
    days: float

    @property
    def rate_density(self) -> np.ndarray:
        """(ny, nx) events per day per square degree."""
        return self.rate / max(self.days, 1e-12) / self.region.dh ** 2


def _located_cells(continuations: Continuations, region: SpatialRegion
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Sample index and cell of every simulated event inside the region and magnitude bins."""
    if not continuations.has_locations:
        raise InputError("gridded counts: continuations have no longitude/latitude features")
    f = continuations.features
    cell = region.cell_index(f["longitude"], f["latitude"])
    keep = (cell >= 0) & (continuations.magnitudes >= region.mag_edges[0] - 1e-9)
    sample_id = np.repeat(np.arange(continuations.n_samples), continuations.counts)
    return sample_id[keep], cell[keep]


def window_rate(continuations: Continuations, region: SpatialRegion) -> np.ndarray:
    """(K,) mean simulated events per cell of one window (memory O(events + K))."""
    _, cell = _located_cells(continuations, region)
    return np.bincount(cell, minlength=region.n_cells) / max(continuations.n_samples, 1)


class SpatialBacktestRecorder:
    """Collects the spatial evaluations and rate maps of a rolling backtest.

    Parameters
    ----------
    catalog_days, magnitudes, longitude, latitude
        (E,) every catalog event (days since the origin, magnitude, degrees).
    region
        Testing region and magnitude bins.
    """

    def __init__(self, catalog_days: np.ndarray, magnitudes: np.ndarray,
                 longitude: np.ndarray, latitude: np.ndarray, region: SpatialRegion) -> None:
        self.days = np.asarray(catalog_days, np.float64)
        self.mags = np.asarray(magnitudes, np.float64)
        self.lon = np.asarray(longitude, np.float64)
        self.lat = np.asarray(latitude, np.float64)
        self.region = region
        self.evaluations: dict[str, list[SpatialEvaluation]] = {}
        self._rate: dict[str, np.ndarray] = {}
        self._days: dict[str, float] = {}
        self._seen = np.zeros(self.days.size, dtype=bool)

    def add(self, forecast: Forecast) -> SpatialEvaluation | None:
        """Evaluate one located forecast against the events in its window (None if unlocated)."""
        if not forecast.continuations.has_locations:
            return None
        inw = window_mask(self.days, forecast.t_start, forecast.t_end)
        self._seen |= inw
        ev = evaluate_spatial_window(forecast, self.days[inw], self.mags[inw], self.lon[inw],
                                     self.lat[inw], self.region)
        name = forecast.model
        self.evaluations.setdefault(name, []).append(ev)
        rate = window_rate(forecast.continuations, self.region)
        self._rate[name] = self._rate.get(name, 0.0) + rate
        self._days[name] = self._days.get(name, 0.0) + forecast.days
        return ev

    def summaries(self) -> dict[str, SpatialSummary]:
        """Per-model aggregates."""
        return {k: SpatialSummary.from_windows(k, v) for k, v in self.evaluations.items()}

    def maps(self) -> dict[str, SpatialMap]:
        """Per-model forecast rate maps with the events observed in the evaluated windows."""
        return {k: SpatialMap(k, self.region, self.region.to_grid(v), self.lon[self._seen],
                              self.lat[self._seen], self._days[k])
                for k, v in self._rate.items()}


def forecast_map(forecast: Forecast, region: SpatialRegion,
                 observed_lon: np.ndarray | None = None,
                 observed_lat: np.ndarray | None = None) -> SpatialMap:
    """Rate map of one located forecast (with the events observed in its window, if known)."""
    rate = window_rate(forecast.continuations, region)
    empty = np.empty(0)
    return SpatialMap(forecast.model, region, region.to_grid(rate),
                      empty if observed_lon is None else np.asarray(observed_lon, np.float64),
                      empty if observed_lat is None else np.asarray(observed_lat, np.float64),
                      forecast.days)


def top_cells(forecast: Forecast, region: SpatialRegion, n: int = 10) -> list[dict[str, float]]:
    """The ``n`` cells with the most expected events: centre, expected count, P(>= 1 event)."""
    cont = forecast.continuations
    sample_id, cell = _located_cells(cont, region)
    n_samples = max(cont.n_samples, 1)
    expected = np.bincount(cell, minlength=region.n_cells) / n_samples
    pairs = np.unique(sample_id * region.n_cells + cell)  # (sample, cell) with >= 1 event
    p_any = np.bincount(pairs % region.n_cells, minlength=region.n_cells) / n_samples
    origins = np.asarray(region.to_csep().origins())
    order = np.argsort(expected)[::-1][:n]
    return [{"longitude": float(origins[k, 0] + region.dh / 2),
             "latitude": float(origins[k, 1] + region.dh / 2),
             "expected_count": float(expected[k]), "prob_at_least_one": float(p_any[k])}
            for k in order if expected[k] > 0]

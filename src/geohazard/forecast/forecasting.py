"""Issue forecasts by conditional simulation and summarise them.

A :class:`Forecast` holds N simulated continuations of a window (counts and magnitudes)
and derives what a forecaster reports: expected number, quantiles, the probability of at
least one event above magnitude thresholds, a daily rate curve and a fan chart.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geohazard.catalog.checks import check
from geohazard.catalog.core import EventSequence, utc_of_days
from geohazard.exceptions import CatalogError
from geohazard.forecast.base import Continuations
from geohazard.forecast.protocols import PointProcessModel
from geohazard.rng import RNGLike

DEFAULT_THRESHOLDS = (3.0, 4.0, 5.0, 6.0, 7.0)
DEFAULT_QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)


@dataclass(frozen=True)
class Forecast:
    """A simulation-based forecast of one window.

    Attributes
    ----------
    model
        Model name (``etas``, ``recast``, ``poisson`` ...).
    continuations
        The N simulated continuations over ``[t_start, t_end]`` (days since ``origin``).
    origin
        UTC time of day 0.
    mag_completeness
        Mc of the events counted.
    info
        Provenance: training span, parameters or checkpoint hash, seconds taken.
    """

    model: str
    continuations: Continuations
    origin: pd.Timestamp | None = None
    mag_completeness: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    # -- window --------------------------------------------------------------------
    @property
    def t_start(self) -> float:
        """Window start in days since the origin."""
        return self.continuations.t_start

    @property
    def t_end(self) -> float:
        """Window end in days since the origin."""
        return self.continuations.t_end

    @property
    def days(self) -> float:
        """Window length in days."""
        return self.t_end - self.t_start

    def utc_of(self, days: Any) -> pd.Timestamp | pd.DatetimeIndex:
        """UTC time of ``days`` since the origin, as :meth:`Catalog.utc_of` (to the ns).

        Raises :class:`~geohazard.exceptions.CatalogError` without an origin.
        """
        if self.origin is None:
            raise CatalogError(f"forecast '{self.model}' has no origin: its days have no UTC "
                               "time")
        return utc_of_days(days, self.origin)

    def window_utc(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Window start and end as UTC timestamps (None without an origin)."""
        if self.origin is None:
            return None, None
        # float days carry ~1e-8 s of rounding noise: report to the microsecond
        start, end = self.utc_of([self.t_start, self.t_end]).round("us")
        return start, end

    # -- derived figures -----------------------------------------------------------
    @property
    def counts(self) -> np.ndarray:
        """(N,) number of events in each continuation."""
        return self.continuations.counts

    def counts_above(self, magnitude: float) -> np.ndarray:
        """(N,) number of events with magnitude >= ``magnitude`` per continuation."""
        c = self.continuations
        above = (c.magnitudes >= magnitude).astype(np.int64)
        cums = np.concatenate(([0], np.cumsum(above)))
        return cums[c.offsets[1:]] - cums[c.offsets[:-1]]

    def expected_count(self) -> float:
        """Mean number of events."""
        return float(self.counts.mean())

    def quantiles(self, q: tuple[float, ...] = DEFAULT_QUANTILES) -> dict[float, float]:
        """Quantiles of the event count."""
        return {float(x): float(np.quantile(self.counts, x)) for x in q}

    def prob_at_least_one(self, thresholds: tuple[float, ...] | None = None) -> dict[float, float]:
        """P(at least one event with M >= threshold) for each threshold (Mc first)."""
        if thresholds is None:
            mc = self.mag_completeness
            thresholds = ((mc,) if mc is not None else ()) + DEFAULT_THRESHOLDS
        largest = self._largest_magnitudes()  # at least one M >= m iff the largest is
        return {float(m): float(np.mean(largest >= m)) for m in thresholds}

    def _largest_magnitudes(self) -> np.ndarray:
        """(N,) largest magnitude of each continuation (-inf for one without events)."""
        c = self.continuations
        out = np.full(c.n_samples, -np.inf)
        starts = c.offsets[:-1][c.counts > 0]  # empty continuations end where they start
        if starts.size:
            out[c.counts > 0] = np.maximum.reduceat(c.magnitudes, starts)
        return out

    def daily_counts(self, bin_days: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample counts in consecutive bins.

        Returns
        -------
        edges
            (B + 1,) bin edges in days since the origin.
        counts
            (N, B) counts of each continuation in each bin.
        """
        c = self.continuations
        n_bins = max(1, int(np.ceil(self.days / bin_days - 1e-9)))
        edges = self.t_start + bin_days * np.arange(n_bins + 1)
        edges[-1] = self.t_end
        sample_id = np.repeat(np.arange(c.n_samples), c.counts)
        bins = np.clip(np.searchsorted(edges, c.times, side="right") - 1, 0, n_bins - 1)
        out = np.zeros((c.n_samples, n_bins), dtype=np.int64)
        np.add.at(out, (sample_id, bins), 1)
        return edges, out

    def daily_rate(self, bin_days: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Mean events per day in each bin: ``(edges, rate)``."""
        edges, counts = self.daily_counts(bin_days)
        return edges, counts.mean(axis=0) / np.diff(edges)

    def to_csep(self, region: Any = None, mag_edges: np.ndarray | None = None) -> Any:
        """The forecast as a pyCSEP ``CatalogForecast`` (one catalog per continuation).

        ``region`` (a :class:`~geohazard.forecast.region.SpatialRegion`) for a located
        forecast; see :func:`geohazard.forecast.csep_adapter.to_csep_forecast`.
        """
        from geohazard.forecast.csep_adapter import to_csep_forecast

        return to_csep_forecast(self, region, mag_edges)

    def write_csep(self, path: Any) -> Any:
        """Write the forecast in pyCSEP's catalog-forecast CSV format (floatCSEP reads it).

        ``path`` is a file, or an existing folder (the file is then named
        ``{model}_{start}.csv``, pyCSEP's native name); returns the path written.
        ``csep.load_catalog_forecast`` reads it back, one catalog per continuation; see
        :func:`geohazard.forecast.csep_adapter.write_csep_forecast`.
        """
        from geohazard.forecast.csep_adapter import write_csep_forecast

        return write_csep_forecast(self, path)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (what the archive stores and the CLI prints)."""
        start, end = self.window_utc()
        return {
            "model": self.model, "t_start_days": self.t_start, "t_end_days": self.t_end,
            "start": start.isoformat() if start is not None else None,
            "end": end.isoformat() if end is not None else None,
            "n_samples": self.continuations.n_samples, "expected_count": self.expected_count(),
            "count_quantiles": {str(k): v for k, v in self.quantiles().items()},
            "prob_at_least_one": {str(k): v for k, v in self.prob_at_least_one().items()},
            "mag_completeness": self.mag_completeness, **self.info,
        }


def params_hash(params: Any) -> str:
    """Short stable hash of parameters (a dict, a dataclass or bytes) for provenance."""
    if isinstance(params, bytes):
        payload = params
    else:
        data = params if isinstance(params, dict) else getattr(params, "__dict__", str(params))
        payload = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def issue_forecast(
    model: PointProcessModel,
    history: EventSequence,
    days: float,
    n_samples: int,
    *,
    name: str,
    rng: RNGLike = None,
    info: dict[str, Any] | None = None,
) -> Forecast:
    """Simulate ``n_samples`` continuations of ``days`` after ``history.t_end``.

    Parameters
    ----------
    model
        A fitted model implementing :class:`~geohazard.forecast.base.PointProcessModel`.
    history
        All events up to the forecast start (``history.t_end`` is the start).
    days
        Window length.
    n_samples
        Number of continuations.
    name
        Model name recorded in the forecast.
    rng
        Seed or generator.
    info
        Extra provenance stored with the forecast.
    """
    check(days, "days", "forecast: days")
    check(n_samples, "samples", "forecast: n_samples")
    t0 = time.perf_counter()
    cont = model.sample(history, days, n_samples, rng=rng)
    meta = {"training_events": len(history), "seconds": time.perf_counter() - t0,
            **(info or {})}
    return Forecast(name, cont, history.origin, history.mag_completeness, meta)

"""Rolling forecasts across a test period, each conditioned on all history, then scored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.checks import check
from geohazard.catalog.core import Catalog, to_utc, window_mask
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.evaluation import BacktestSummary, WindowEvaluation, evaluate_window
from geohazard.forecast.forecasting import Forecast, issue_forecast
from geohazard.forecast.protocols import PointProcessModel
from geohazard.rng import RNGLike, spawn

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from geohazard.forecast.region import SpatialRegion
    from geohazard.forecast.spatial_eval import SpatialEvaluation, SpatialMap, SpatialSummary


@dataclass(frozen=True)
class BacktestResult:
    """Per-window evaluations of several models over the same windows.

    Attributes
    ----------
    windows
        (W, 2) window start and end in days since the catalog origin.
    evaluations
        Model name -> W per-window evaluations.
    intervals
        Model name -> (W, 2) 2.5% and 97.5% count quantiles.
    summaries
        Model name -> aggregate over the windows.
    spatial, spatial_summaries, spatial_maps
        With a testing region and located forecasts: per-window pyCSEP N, M, S and
        pseudo-likelihood results, their aggregates, and rate maps (empty otherwise).
    """

    windows: np.ndarray
    evaluations: dict[str, list[WindowEvaluation]]
    intervals: dict[str, np.ndarray]
    summaries: dict[str, BacktestSummary]
    spatial: dict[str, list[SpatialEvaluation]] = field(default_factory=dict)
    spatial_summaries: dict[str, SpatialSummary] = field(default_factory=dict)
    spatial_maps: dict[str, SpatialMap] = field(default_factory=dict)

    def wins(self, model: str, other: str) -> int:
        """Windows where ``model``'s count log-score beats ``other``'s."""
        a, b = self.evaluations[model], self.evaluations[other]
        return int(sum(x.log_score > y.log_score for x, y in zip(a, b, strict=True)))

    def information_gain_per_window(self, model: str, other: str) -> float:
        """Mean count log-score difference (nats per window)."""
        a, b = self.evaluations[model], self.evaluations[other]
        return float(np.mean([x.log_score - y.log_score for x, y in zip(a, b, strict=True)]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the pairwise comparison table."""
        names = list(self.evaluations)
        pairs = {f"{a}_vs_{b}": {"wins": self.wins(a, b), "windows": len(self.windows),
                                 "info_gain_per_window": self.information_gain_per_window(a, b)}
                 for a in names for b in names if a != b}
        out = {"windows": self.windows.tolist(),
               "summaries": {k: v.to_dict() for k, v in self.summaries.items()},
               "comparison": pairs,
               "per_window": {k: [e.to_dict() for e in v] for k, v in self.evaluations.items()}}
        if self.spatial:
            out["spatial_summaries"] = {k: v.to_dict() for k, v in self.spatial_summaries.items()}
            out["spatial_per_window"] = {k: [e.to_dict() for e in v]
                                         for k, v in self.spatial.items()}
            out["spatial_region"] = next(iter(self.spatial_maps.values())).region.to_dict()
        return out


def window_edges(catalog: Catalog, start: Any, end: Any, days: float) -> np.ndarray:
    """Consecutive ``days``-long windows from ``start`` while they end by ``end``.

    Only windows the catalog covers are returned: ``end`` is cut at
    :attr:`Catalog.coverage_end` with a warning, since a window past the data would be
    scored as if no event had happened in it.
    """
    check(days, "days")
    start = catalog.check_covered(start, "backtest: start")
    cover = catalog.coverage_end
    end = to_utc(end, "backtest: end")
    if end > cover:
        log.warning("backtest: end %s is after the end of the data (%s): windows after it are "
                    "not scored", end, cover)
        end = cover
    t0, t1 = catalog.day_of(start), catalog.day_of(end)
    n = int(np.floor((t1 - t0) / days + 1e-9))
    if n < 1:
        raise InputError(f"backtest: no {days:g}-day window fits between {start} and {end}")
    lo = t0 + days * np.arange(n)
    return np.column_stack([lo, lo + days])


def backtest(
    catalog: Catalog,
    models: dict[str, PointProcessModel],
    start: Any,
    end: Any,
    *,
    days: float = 14.0,
    n_samples: int = 1000,
    mag_edges: np.ndarray | None = None,
    rng: RNGLike = None,
    archive: ForecastArchive | None = None,
    progress: Callable[[int, int], None] | None = None,
    region: SpatialRegion | None = None,
    client: Any = None,
) -> BacktestResult:
    """Issue and score consecutive forecasts between ``start`` and ``end``.

    Each window's forecast is conditioned on every event since the catalog start and
    scored against the events observed in ``(t0, t1]``.

    Parameters
    ----------
    catalog
        The full catalog (history and observations).
    models
        Fitted models by name.
    start, end
        UTC bounds of the test period.
    days
        Window length.
    n_samples
        Simulations per window and model.
    mag_edges
        Magnitude bins for the M-test (None skips it).
    rng
        Seed or generator; each model and window gets an independent stream.
    archive
        Store every forecast and its evaluation when given.
    progress
        Called as ``progress(done, total)``.
    region
        Opt-in testing region: histories then carry ``longitude`` / ``latitude``, and
        every forecast with located events also gets pyCSEP's N, M, S and
        pseudo-likelihood tests on this grid (``result.spatial``).
    client
        A :class:`distributed.Client`: each window is a task on its workers
        (:func:`geohazard.forecast.scale.backtest_on_cluster`); the result and the
        archive (written here only) equal the serial run's.
    """
    if client is not None:
        from geohazard.forecast.scale import backtest_on_cluster

        return backtest_on_cluster(client, catalog, models, start, end, days=days,
                                   n_samples=n_samples, mag_edges=mag_edges, rng=rng,
                                   archive=archive, progress=progress, region=region)
    if not models:
        raise InputError("backtest: no models given")
    edges = window_edges(catalog, start, end, days)
    recorder, feats = _spatial_recorder(catalog, region)
    all_days = catalog.days()
    mags = catalog.magnitudes
    streams = spawn(rng, len(models) * len(edges))
    evals: dict[str, list[WindowEvaluation]] = {m: [] for m in models}
    ivals: dict[str, list[tuple[float, float]]] = {m: [] for m in models}
    for w, (t0, t1) in enumerate(edges):
        history = catalog.to_sequence(t_end=catalog.utc_of(t0), features=feats)
        in_window = window_mask(all_days, t0, t1)
        for j, (name, model) in enumerate(models.items()):
            gen = streams[w * len(models) + j]
            fc = issue_forecast(model, history, days, n_samples, name=name, rng=gen)
            ev = evaluate_window(name, fc.continuations, mags[in_window],
                                 mag_edges=mag_edges, rng=gen)
            evals[name].append(ev)
            ivals[name].append(tuple(np.quantile(fc.counts, [0.025, 0.975])))
            if recorder is not None:
                recorder.add(fc)
            _archive(archive, fc, ev, catalog.metadata.name)
        if progress is not None:
            progress(w + 1, len(edges))
    spatial = ({}, {}, {}) if recorder is None else (
        recorder.evaluations, recorder.summaries(), recorder.maps())
    return BacktestResult(
        edges, evals, {k: np.asarray(v) for k, v in ivals.items()},
        {k: BacktestSummary.from_windows(k, v) for k, v in evals.items()}, *spatial,
    )


def _spatial_recorder(catalog: Catalog, region: SpatialRegion | None
                      ) -> tuple[Any, tuple[str, ...]]:
    """The spatial recorder and history features for an opt-in ``region``."""
    if region is None:
        return None, ()
    from geohazard.forecast.spatial_eval import SpatialBacktestRecorder

    missing = [c for c in ("longitude", "latitude") if c not in catalog.columns]
    if missing:
        raise InputError(f"backtest: spatial tests need a located catalog; "
                         f"'{catalog.metadata.name}' lacks {missing}")
    rec = SpatialBacktestRecorder(catalog.days(), catalog.magnitudes, catalog["longitude"],
                                  catalog["latitude"], region)
    return rec, ("longitude", "latitude")


def _archive(archive: ForecastArchive | None, fc: Forecast, ev: WindowEvaluation,
             catalog: str) -> None:
    if archive is not None:
        fid = archive.add(fc, catalog=catalog)
        archive.add_evaluation(fid, ev)

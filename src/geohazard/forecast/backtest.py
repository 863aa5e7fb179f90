"""Rolling forecasts across a test period, each conditioned on all history, then scored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.checks import check
from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.evaluation import BacktestSummary, WindowEvaluation, evaluate_window
from geohazard.forecast.forecasting import Forecast, issue_forecast
from geohazard.forecast.protocols import PointProcessModel
from geohazard.rng import RNGLike, spawn

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the archive needs SQLAlchemy (the forecast extra) only when used
    from geohazard.forecast.archive import ForecastArchive
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


def backtest(catalog: Catalog, models: dict[str, PointProcessModel], start: Any, end: Any, *,
             days: float = 14.0, n_samples: int = 1000, mag_edges: np.ndarray | None = None,
             rng: RNGLike = None, archive: ForecastArchive | None = None,
             progress: Callable[[int, int], None] | None = None,
             region: SpatialRegion | None = None, client: Any = None) -> BacktestResult:
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
    days, n_samples
        Window length and simulations per window and model.
    mag_edges
        Magnitude bins for the M-test (None skips it).
    rng
        Seed or generator; each model and window gets an independent stream.
    archive
        Store every forecast and its evaluation when given (with ``region``, so its tests
        can be rerun from the archive on the same grid).
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
    edges, items, recorder, feats = plan_windows(catalog, models, start, end, days, rng, region)
    record = WindowRecord(models, recorder, archive, catalog.metadata.name)
    for w, item in enumerate(items):
        record.add(window_task(item, catalog, models, days, n_samples, mag_edges, feats))
        if progress is not None:
            progress(w + 1, len(items))
    return record.result(edges)


#: A window: its start and end (days since the origin) and one generator per model
WindowItem = tuple[float, float, list[np.random.Generator]]
#: What one window gives: ``(model, forecast or None, evaluation, (q2.5, q97.5))`` per model
WindowOut = list[tuple[str, Any, WindowEvaluation, tuple[float, float]]]


def plan_windows(catalog: Catalog, models: dict[str, PointProcessModel], start: Any, end: Any,
                 days: float, rng: RNGLike, region: SpatialRegion | None
                 ) -> tuple[np.ndarray, list[WindowItem], Any, tuple[str, ...]]:
    """Windows, their generators, the spatial recorder and the history features of a run.

    The generators are ``spawn(rng, n_models * n_windows)``, window-major, so the stream of
    window ``w`` and model ``j`` depends only on the seed and ``(w, j)``.
    """
    if not models:
        raise InputError("backtest: no models given")
    edges = window_edges(catalog, start, end, days)
    recorder, feats = _spatial_recorder(catalog, region)
    streams = spawn(rng, len(models) * len(edges))
    m = len(models)
    items = [(float(t0), float(t1), streams[w * m:(w + 1) * m])
             for w, (t0, t1) in enumerate(edges)]
    return edges, items, recorder, feats


def window_task(item: WindowItem, catalog: Catalog, models: dict[str, PointProcessModel],
                days: float, n_samples: int, mag_edges: np.ndarray | None,
                features: tuple[str, ...], keep_forecasts: bool = True) -> WindowOut:
    """Every model's forecast of one window, conditioned on all history, and its evaluation.

    Parameters
    ----------
    item
        Window start and end (days since the catalog origin) and one generator per model.
    catalog, models
        The catalog (history and observations) and the fitted models.
    days, n_samples, mag_edges
        As :func:`backtest`.
    features
        History features (``longitude``, ``latitude`` for a spatial run).
    keep_forecasts
        Return the forecasts (their simulated catalogs: megabytes at 10^4 samples); False
        returns None in their place when only the scores are needed (a cluster task).

    Returns
    -------
    list
        ``(model, forecast, evaluation, (q2.5, q97.5) count interval)`` per model.
    """
    t0, t1, gens = item
    history = catalog.to_sequence(t_end=catalog.utc_of(t0), features=features)
    observed = catalog.magnitudes[catalog.in_window(t0, t1)]
    out: WindowOut = []
    for (name, model), gen in zip(models.items(), gens, strict=True):
        fc = issue_forecast(model, history, days, n_samples, name=name, rng=gen)
        ev = evaluate_window(name, fc.continuations, observed, mag_edges=mag_edges, rng=gen)
        out.append((name, fc if keep_forecasts else None, ev,
                    tuple(np.quantile(fc.counts, [0.025, 0.975]))))
    return out


class WindowRecord:
    """Collects window results in window order: evaluations, intervals, spatial tests, archive.

    Parameters
    ----------
    models
        The models by name (their order is the result's).
    recorder
        The spatial recorder (None without a region).
    archive
        Store every forecast and its evaluation when given (with the recorder's testing
        region, so ``rerun_csep_tests`` later scores it on the same grid).
    catalog_name
        The name forecasts are archived under.
    """

    def __init__(self, models: dict[str, Any], recorder: Any,
                 archive: ForecastArchive | None, catalog_name: str) -> None:
        self.evals: dict[str, list[WindowEvaluation]] = {name: [] for name in models}
        self.ivals: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
        self.recorder, self.archive, self.catalog_name = recorder, archive, catalog_name
        # archived with every forecast, so its tests can be rerun on the same grid later
        self.region = recorder.region if recorder is not None else None

    def add(self, out: WindowOut) -> None:
        """Record one window's results (call in window order)."""
        for name, fc, ev, interval in out:
            self.evals[name].append(ev)
            self.ivals[name].append(interval)
            if self.recorder is not None:
                self.recorder.add(fc)
            _archive(self.archive, fc, ev, self.catalog_name, self.region)

    def result(self, edges: np.ndarray) -> BacktestResult:
        """The backtest result of the recorded windows."""
        rec = self.recorder
        spatial = ({}, {}, {}) if rec is None else (rec.evaluations, rec.summaries(), rec.maps())
        return BacktestResult(
            edges, self.evals, {k: np.asarray(v) for k, v in self.ivals.items()},
            {k: BacktestSummary.from_windows(k, v) for k, v in self.evals.items()}, *spatial,
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
             catalog: str, region: SpatialRegion | None) -> None:
    """Store a window's forecast (with the testing region of a spatial run) and evaluation."""
    if archive is not None:
        fid = archive.add(fc, catalog=catalog, region=region)
        archive.add_evaluation(fid, ev)

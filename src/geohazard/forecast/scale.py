"""Backtest windows on a Dask distributed cluster: one task per window, written by the client.

Each window's forecasts (every model) are computed in a task (a task may take a few
consecutive windows, ``windows_per_task``).  A task carries the window's edges
and the generators of its models, drawn from the run's seed exactly as the serial
:func:`~geohazard.forecast.backtest.backtest` draws them (``spawn(seed, n_models *
n_windows)``, window-major), so the stream of window ``w`` and model ``j`` depends only on
the run's seed and ``(w, j)``, never on which worker runs it or in what order.  The
catalog and the fitted models are sent to every worker once (``scatter``).  Results
come back to the client, which alone records them, scores the spatial tests and writes
the archive, in window order, so the archive and the result equal a serial run's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.core import Catalog
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.evaluation import BacktestSummary, WindowEvaluation, evaluate_window
from geohazard.forecast.forecasting import issue_forecast
from geohazard.rng import RNGLike, spawn

if TYPE_CHECKING:
    from geohazard.forecast.backtest import BacktestResult
    from geohazard.forecast.region import SpatialRegion

log = logging.getLogger(__name__)

__all__ = ["backtest_on_cluster", "window_task", "windows_task"]

WindowOut = list[tuple[str, Any, WindowEvaluation, tuple[float, float]]]


def window_task(item: tuple[float, float, list[np.random.Generator]], catalog: Catalog,
                models: dict[str, PointProcessModel], days: float, n_samples: int,
                mag_edges: np.ndarray | None, features: tuple[str, ...],
                keep_forecasts: bool = True) -> WindowOut:
    """One cluster task: every model's forecast of one window, and its evaluation.

    Parameters
    ----------
    item
        Window start and end (days since the catalog origin) and one generator per model.
    catalog, models
        The catalog (history and observations) and the fitted models.
    days, n_samples, mag_edges, features
        As :func:`~geohazard.forecast.backtest.backtest`.
    keep_forecasts
        Return the forecasts (their simulated catalogs: megabytes at 10^4 samples); False
        returns None in their place when the client needs only the scores.

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


def windows_task(batch: list[tuple[float, float, list[np.random.Generator]]],
                 *args: Any) -> list[WindowOut]:
    """One cluster task over consecutive windows: :func:`window_task` for each."""
    return [window_task(item, *args) for item in batch]


def backtest_on_cluster(
    client: Any,
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
    windows_per_task: int | None = None,
) -> BacktestResult:
    """:func:`~geohazard.forecast.backtest.backtest` with its windows as cluster tasks.

    Same parameters and result (equal to the serial run's, archive included), plus
    ``client``, a :class:`distributed.Client` (:func:`geohazard.distributed.get_client`),
    and ``windows_per_task``: consecutive windows computed by one task (default: about
    eight tasks per worker thread, so short windows do not drown in per-task overhead).
    The result does not depend on it: every window keeps its own generators.
    """
    from geohazard.distributed import map_unordered
    from geohazard.forecast.backtest import (
        BacktestResult,
        _archive,
        _spatial_recorder,
        window_edges,
    )

    if not models:
        raise InputError("backtest: no models given")
    edges = window_edges(catalog, start, end, days)
    recorder, feats = _spatial_recorder(catalog, region)
    streams = spawn(rng, len(models) * len(edges))
    m = len(models)
    items = [(float(t0), float(t1), streams[w * m:(w + 1) * m])
             for w, (t0, t1) in enumerate(edges)]
    per = windows_per_task or -(-len(items) // (8 * max(1, sum(client.nthreads().values()))))
    if int(per) < 1:
        raise InputError(f"backtest: windows_per_task must be >= 1, got {per}")
    batches = [items[i:i + int(per)] for i in range(0, len(items), int(per))]
    # fresh keys (hash=False): no race with the release of an earlier run's identical data
    shared_catalog, shared_models = client.scatter([catalog, models], broadcast=True,
                                                   hash=False)
    keep = archive is not None or recorder is not None  # else only scores travel back
    evals: dict[str, list[WindowEvaluation]] = {name: [] for name in models}
    ivals: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
    ready: dict[int, list[WindowOut]] = {}
    next_b, done = 0, 0
    for b, outs in map_unordered(client, windows_task, batches, shared_catalog, shared_models,
                                 days, n_samples, mag_edges, feats, keep):
        ready[b] = outs
        while next_b in ready:  # record and archive in window order, as a serial run
            for out in ready.pop(next_b):
                for name, fc, ev, interval in out:
                    evals[name].append(ev)
                    ivals[name].append(interval)
                    if recorder is not None:
                        recorder.add(fc)
                    _archive(archive, fc, ev, catalog.metadata.name)
            next_b += 1
        done += len(outs)
        if progress is not None:
            progress(done, len(edges))
    spatial = ({}, {}, {}) if recorder is None else (
        recorder.evaluations, recorder.summaries(), recorder.maps())
    return BacktestResult(
        edges, evals, {k: np.asarray(v) for k, v in ivals.items()},
        {k: BacktestSummary.from_windows(k, v) for k, v in evals.items()}, *spatial,
    )


# ------------------------------------------------------------------ prospective issuing
def issue_task(item: tuple[float, list[str]], catalog: Catalog,
               models: dict[str, tuple[PointProcessModel, dict[str, Any]]], days: float,
               n_samples: int, seed: int) -> list[Any]:
    """One cluster task: the forecasts of the models ``item[1]`` issued at ``item[0]``.

    Each forecast's generator is :func:`~geohazard.forecast.prospective.window_rng` of
    (seed, model, issue time), as in the serial run.

    Returns
    -------
    list of Forecast
        In the order of ``item[1]``.
    """
    from geohazard.forecast.prospective import window_rng

    t0, names = item
    history = catalog.to_sequence(t_end=catalog.utc_of(t0))
    out = []
    for name in names:
        model, info = models[name]
        out.append(issue_forecast(model, history, days, n_samples, name=name,
                                  rng=window_rng(seed, name, t0), info=info))
    return out


def run_prospective_on_cluster(client: Any, catalog: Catalog,
                               models: dict[str, tuple[PointProcessModel, dict[str, Any]]],
                               archive: ForecastArchive, start: Any, end: Any | None = None, *,
                               every_days: float = 1.0, days: float = 14.0,
                               n_samples: int = 1000, seed: int = 0,
                               progress: Callable[[int, int], None] | None = None) -> Any:
    """:func:`~geohazard.forecast.prospective.run_prospective` with issue times as tasks.

    Forecasts already archived are skipped (checked here, before any task is sent); each
    issue time with forecasts to make is one task; the client archives the forecasts in
    issue-time and model order, so the archive (ids included) equals a serial run's.
    Operational refits (``refit``) are not supported on a cluster.
    """
    import time

    from geohazard.distributed import map_unordered
    from geohazard.forecast.prospective import ProspectiveRun, _check_run, issue_times

    _check_run(models, None, None, days, n_samples)
    clock = time.perf_counter()
    times = issue_times(catalog, start, end, every_days)
    name = catalog.metadata.name
    skipped = 0
    todo: list[tuple[float, list[str]]] = []
    slot_of: dict[int, int] = {}  # issue-time index -> task index
    for i, t0 in enumerate(times):
        names = [m for m in models if not archive.find(
            m, t0, t0 + days, catalog=name, params_hash=str(models[m][1].get("params_hash", "")))]
        skipped += len(models) - len(names)
        if names:
            slot_of[i] = len(todo)
            todo.append((float(t0), names))
    issued: list[int] = []
    shared_catalog, shared_models = client.scatter([catalog, models], broadcast=True,
                                                   hash=False)
    ready: dict[int, list[Any]] = {}
    next_task = 0
    for done, (k, forecasts) in enumerate(map_unordered(
            client, issue_task, todo, shared_catalog, shared_models, days, n_samples, seed),
            start=1):
        ready[k] = forecasts
        while next_task in ready:  # archive in issue-time order, as a serial run
            for fc in ready.pop(next_task):
                info = models[fc.model][1]
                issued.append(archive.add(fc, catalog=name,
                                          params_hash=str(info.get("params_hash", ""))))
            next_task += 1
        if progress is not None:
            progress(done, len(todo))
    return ProspectiveRun(issued, skipped, times, time.perf_counter() - clock)

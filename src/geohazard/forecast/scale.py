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
from geohazard.forecast.backtest import (
    BacktestResult,
    WindowItem,
    WindowOut,
    WindowRecord,
    plan_windows,
    window_task,
)
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.forecasting import issue_forecast
from geohazard.rng import RNGLike

if TYPE_CHECKING:
    from geohazard.forecast.region import SpatialRegion

log = logging.getLogger(__name__)

__all__ = ["backtest_on_cluster", "window_task", "windows_task"]


def windows_task(batch: list[WindowItem], *args: Any) -> list[WindowOut]:
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
    from geohazard.distributed import map_unordered, share

    edges, items, recorder, feats = plan_windows(catalog, models, start, end, days, rng, region)
    batches = _batches(items, windows_per_task, client)
    # shared as recomputable tasks, not scattered: a killed worker loses no input
    shared_catalog, shared_models = share(client, catalog, models)
    keep = archive is not None or recorder is not None  # else only scores travel back
    record = WindowRecord(models, recorder, archive, catalog.metadata.name)
    ready: dict[int, list[WindowOut]] = {}
    next_b, done = 0, 0
    for b, outs in map_unordered(client, windows_task, batches, shared_catalog, shared_models,
                                 days, n_samples, mag_edges, feats, keep):
        ready[b] = outs
        while next_b in ready:  # record and archive in window order, as a serial run
            for out in ready.pop(next_b):
                record.add(out)
            next_b += 1
        done += len(outs)
        if progress is not None:
            progress(done, len(edges))
    return record.result(edges)


def _batches(items: list[WindowItem], per: int | None, client: Any) -> list[list[WindowItem]]:
    """Consecutive windows per task (default about eight tasks per worker thread)."""
    per = per or -(-len(items) // (8 * max(1, sum(client.nthreads().values()))))
    if int(per) < 1:
        raise InputError(f"backtest: windows_per_task must be >= 1, got {per}")
    return [items[i:i + int(per)] for i in range(0, len(items), int(per))]


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

    from geohazard.distributed import map_unordered, share
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
    shared_catalog, shared_models = share(client, catalog, models)
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

"""Prospective forecasting: issue forecasts on a cadence into the archive, score them later.

This is what a forecasting centre runs every day. :func:`run_prospective` walks issue times
(daily by default) up to the end of the data at hand, and for every model issues a forecast
conditioned on all events before that time and stores it in the
:class:`~geohazard.forecast.archive.ForecastArchive`. Forecasts already archived (same
catalog, model, parameters, window) are skipped, so an interrupted or repeated run resumes
where it stopped, and each forecast's random stream depends only on the seed, the model and
the window start, so a resumed run stores exactly what an uninterrupted run would have.

:func:`evaluate_archive` later scores every archived forecast whose window the catalog now
covers (count log-score, exact match, N-test quantiles, 95% interval, PIT) and stores the
result once, so a prospective record builds up alongside the forecasts.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geohazard.catalog.checks import check
from geohazard.catalog.core import Catalog, window_mask
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.evaluation import BacktestSummary, WindowEvaluation, evaluate_counts
from geohazard.forecast.forecasting import issue_forecast
from geohazard.forecast.protocols import PointProcessModel

Progress = Callable[[int, int], None]


def data_end(catalog: Catalog) -> float:
    """Days since the origin up to which the catalog covers time (:attr:`Catalog.coverage_end`).

    The sidecar ``end``, else the last event; the last event when the events stop
    implausibly long before the sidecar ``end``.
    """
    return catalog.day_of(catalog.coverage_end)


def issue_times(catalog: Catalog, start: Any, end: Any | None, every_days: float) -> np.ndarray:
    """Issue times (days since the origin) from ``start`` every ``every_days`` up to ``end``.

    ``end`` defaults to the end of the data; times after it are dropped (a forecast can only
    be issued once its history is known).
    """
    check(every_days, "every", "every_days")
    t0 = catalog.day_of(catalog.check_covered(start, "prospective: start"))
    t1 = min(catalog.day_of(end), data_end(catalog)) if end is not None else data_end(catalog)
    if t1 < t0:
        raise InputError(f"prospective: end {end} is before start {start}")
    n = int(np.floor((t1 - t0) / every_days + 1e-9)) + 1
    return t0 + every_days * np.arange(n)


def window_rng(seed: int, model: str, t_start_days: float) -> np.random.Generator:
    """The random stream of one forecast: a function of seed, model and window start only."""
    minute = int(round(t_start_days * 1440.0))
    return np.random.default_rng([int(seed), zlib.crc32(model.encode()), minute])


@dataclass(frozen=True)
class ProspectiveRun:
    """What a prospective run did.

    Attributes
    ----------
    issued
        Archive ids of the forecasts issued by this run.
    skipped
        Forecasts already in the archive (not issued again).
    issue_times
        The issue times walked (days since the origin).
    seconds
        Wall time.
    """

    issued: list[int]
    skipped: int
    issue_times: np.ndarray
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"issued": len(self.issued), "ids": self.issued, "skipped": self.skipped,
                "issue_times_days": self.issue_times.tolist(), "seconds": self.seconds}


Refit = Callable[[str, pd.Timestamp], tuple[PointProcessModel, dict[str, Any]]]


def run_prospective(catalog: Catalog, models: dict[str, tuple[PointProcessModel, dict[str, Any]]],
                    archive: ForecastArchive, start: Any, end: Any | None = None, *,
                    every_days: float = 1.0, days: float = 14.0, n_samples: int = 1000,
                    seed: int = 0, refit: Refit | None = None,
                    refit_every_days: float | None = None, progress: Progress | None = None,
                    client: Any = None) -> ProspectiveRun:
    """Issue a forecast per model at every issue time and store it, skipping archived ones.

    Parameters
    ----------
    catalog
        Events known so far (history of every forecast is all events before its start).
    models
        Model name -> (fitted model, provenance with ``params_hash`` and training span).
    archive
        Where forecasts go; also consulted to skip those already issued.
    start, end
        First and last issue time (UTC); ``end`` defaults to the end of the data.
    every_days, days, n_samples
        Cadence (1 = daily), forecast window length and simulations per forecast.
    seed
        Base seed (see :func:`window_rng`).
    refit, refit_every_days
        Operational refitting: every ``refit_every_days`` from ``start`` each model is
        refitted as ``refit(name, block_start)`` on the history before the block start, and
        issues that block's forecasts (``models`` then only names the models). The schedule
        is fixed by ``start``, so a resumed run refits exactly as an uninterrupted one, and
        a block whose forecasts are all archived is not refitted.
    progress
        Called as ``progress(done, total)`` after each issue time.
    client
        A :class:`distributed.Client`: each issue time is a task on its workers
        (:func:`geohazard.forecast.scale.run_prospective_on_cluster`); this process alone
        writes the archive, which equals a serial run's. Not with ``refit``.
    """
    if client is not None:
        return _on_cluster(client, refit, catalog, models, archive, start, end,
                           every_days=every_days, days=days, n_samples=n_samples, seed=seed,
                           progress=progress)
    _check_run(models, refit, refit_every_days, days, n_samples)
    times = issue_times(catalog, start, end, every_days)
    fits = _Fits(models, refit, refit_every_days, times)
    t_clock = time.perf_counter()
    issued: list[int] = []
    for i, t0 in enumerate(times):
        issued += _issue_at(catalog, archive, fits, i, t0, days, n_samples, seed)
        if progress is not None:
            progress(i + 1, times.size)
    return ProspectiveRun(issued, fits.skipped, times, time.perf_counter() - t_clock)


def _on_cluster(client: Any, refit: Refit | None, *args: Any, **kwargs: Any) -> ProspectiveRun:
    """:func:`~geohazard.forecast.scale.run_prospective_on_cluster`, refused with refits."""
    if refit is not None:
        raise InputError("prospective: operational refits (refit_every_days) do not run "
                         "on a Dask cluster yet; leave out --scheduler")
    from geohazard.forecast.scale import run_prospective_on_cluster

    return run_prospective_on_cluster(client, *args, **kwargs)


class _Fits:
    """The fitted model each issue time uses: the given ones, or a refit per block of time."""

    def __init__(self, models: dict[str, Any], refit: Refit | None,
                 refit_every_days: float | None, times: np.ndarray) -> None:
        self.names, self.current, self.refit = list(models), dict(models), refit
        self.every, self.first = refit_every_days, float(times[0])
        self.block_of = (np.floor((times - times[0]) / refit_every_days + 1e-9).astype(int)
                         if refit_every_days is not None else np.zeros(times.size, int))
        self.fitted_block = {m: 0 if refit is None else -1 for m in models}
        self.skipped = 0

    def params_hash(self, name: str) -> str | None:
        """The archive key of the model's parameters (None with refits: any parameters)."""
        return None if self.refit is not None else str(
            self.current[name][1].get("params_hash", ""))

    def at(self, name: str, i: int, catalog: Catalog) -> tuple[PointProcessModel, dict]:
        """The fitted model for issue time ``i``, refitted at the start of a new block."""
        if self.refit is not None and self.fitted_block[name] != self.block_of[i]:
            block_start = self.first + self.block_of[i] * self.every
            self.current[name] = self.refit(name, catalog.utc_of(block_start))
            self.fitted_block[name] = int(self.block_of[i])
        return self.current[name]


def _issue_at(catalog: Catalog, archive: ForecastArchive, fits: _Fits, i: int, t0: float,
              days: float, n_samples: int, seed: int) -> list[int]:
    """Issue and archive the forecasts of issue time ``i`` (``t0``) not archived yet."""
    history, issued = None, []
    for name in fits.names:
        if archive.find(name, t0, t0 + days, catalog=catalog.metadata.name,
                        params_hash=fits.params_hash(name)):
            fits.skipped += 1
            continue
        fitted = fits.at(name, i, catalog)
        if history is None:
            history = catalog.to_sequence(t_end=catalog.utc_of(t0))
        issued.append(_issue_one(catalog, archive, name, fitted, history,
                                 (t0, days, n_samples, seed)))
    return issued


def _check_run(models: dict[str, Any], refit: Refit | None, refit_every_days: float | None,
               days: float, n_samples: int) -> None:
    if not models:
        raise InputError("prospective: no models given")
    if (refit is None) != (refit_every_days is None):
        raise InputError("prospective: give both refit and refit_every_days, or neither")
    if refit_every_days is not None:
        check(refit_every_days, "refit_every", "refit_every_days")
    check(days, "days")
    check(n_samples, "samples", "n_samples")


def _issue_one(catalog: Catalog, archive: ForecastArchive, model_name: str,
               fitted: tuple[PointProcessModel, dict[str, Any]], history: Any,
               run: tuple[float, float, int, int]) -> int:
    """Issue one model's forecast at issue time ``t0`` and archive it; its archive id."""
    (model, info), (t0, days, n_samples, seed) = fitted, run
    fc = issue_forecast(model, history, days, n_samples, name=model_name,
                        rng=window_rng(seed, model_name, t0), info=info)
    return archive.add(fc, catalog=catalog.metadata.name,
                       params_hash=str(info.get("params_hash", "")))


@dataclass(frozen=True)
class ArchiveEvaluation:
    """Scores of archived forecasts (newly computed and previously stored).

    Attributes
    ----------
    rows
        One dict per evaluated forecast: archive id, model, window, and the
        :class:`~geohazard.forecast.evaluation.WindowEvaluation` fields.
    pending
        Archived forecasts whose window the catalog does not cover yet.
    newly_stored
        Evaluations written by this call.
    """

    rows: list[dict[str, Any]]
    pending: int
    newly_stored: int
    summaries: dict[str, BacktestSummary] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"evaluations": self.rows, "pending": self.pending,
                "newly_stored": self.newly_stored,
                "summaries": {k: v.to_dict() for k, v in self.summaries.items()}}


def evaluate_archive(
    catalog: Catalog,
    archive: ForecastArchive,
    *,
    store: bool = True,
    seed: int = 0,
    model: str | None = None,
) -> ArchiveEvaluation:
    """Score every archived forecast of this catalog whose window has been observed.

    Observed events are those in the window above the Mc the forecast was issued with.
    Evaluations already stored are reused, not recomputed; new ones are stored when
    ``store`` is true. The randomised PIT draws from :func:`window_rng` so a repeated
    evaluation gives the same numbers.
    """
    last = data_end(catalog)
    all_days, mags = catalog.days(), catalog.magnitudes
    rows: list[dict[str, Any]] = []
    pending = stored = 0
    for rec in archive.list(model=model, catalog=catalog.metadata.name):
        if rec["t_end_days"] > last + 1e-9:
            pending += 1
            continue
        done = archive.evaluations(rec["id"])
        if done:
            result = done[-1]
        else:
            ev = _evaluate_record(archive, rec, all_days, mags, seed)
            result = ev.to_dict()
            if store:
                archive.add_evaluation(rec["id"], ev)
                stored += 1
        q = rec["summary"].get("count_quantiles", {})
        rows.append({"id": rec["id"], "window_start": rec["window_start"],
                     "window_end": rec["window_end"], "t_start_days": rec["t_start_days"],
                     "q025": q.get("0.025"), "q975": q.get("0.975"), **result})
    summaries = _summaries(rows)
    return ArchiveEvaluation(rows, pending, stored, summaries)


def _evaluate_record(archive: ForecastArchive, rec: dict[str, Any], all_days: np.ndarray,
                     mags: np.ndarray, seed: int) -> WindowEvaluation:
    """Observed events: in ``(t0, t1]`` and above the Mc the forecast was issued with."""
    t0, t1 = rec["t_start_days"], rec["t_end_days"]
    mc = rec["summary"].get("mag_completeness")
    above = mags > mc if mc is not None else np.ones(mags.size, bool)
    observed = int(np.count_nonzero(window_mask(all_days, t0, t1) & above))
    return evaluate_counts(rec["model"], archive.counts(rec["id"]), observed,
                           rng=window_rng(seed + 1, rec["model"], t0))


def _summaries(rows: list[dict[str, Any]]) -> dict[str, BacktestSummary]:
    by_model: dict[str, list[WindowEvaluation]] = {}
    fields = WindowEvaluation.__dataclass_fields__
    for r in rows:
        ev = WindowEvaluation(**{k: r[k] for k in fields if k in r})
        by_model.setdefault(ev.model, []).append(ev)
    return {k: BacktestSummary.from_windows(k, v) for k, v in by_model.items()}

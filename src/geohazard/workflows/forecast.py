"""Forecasting jobs, each written once: fit -> issue -> evaluate -> archive -> report.

The CLI (``geohazard forecast ...``, ``geohazard report forecast``) and the demo call these
functions; they parse nothing and print nothing. Progress reaches the caller through
``status`` (a context-manager factory shown while a model fits, e.g. ``console.status``)
and ``progress`` (``(done, total)`` callbacks).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.forecasting import Forecast, issue_forecast

if TYPE_CHECKING:  # SQLAlchemy, and SciPy for the evaluations, load only when used
    from geohazard.forecast.archive import ForecastArchive
    from geohazard.forecast.backtest import BacktestResult

Status = Callable[[str], contextlib.AbstractContextManager[Any]]
Progress = Callable[[int, int], None]
Fitted = dict[str, tuple[Any, dict[str, Any]]]

__all__ = ["ForecastRun", "backtest_job", "covered_observations", "csep_tests_job", "evaluate_job",
           "fit_models", "forecast_job", "issue_job", "prospective_job", "write_csep_forecasts"]


def _open_archive(archive: str | Path | ForecastArchive) -> ForecastArchive:
    from geohazard.forecast.archive import ForecastArchive

    return archive if isinstance(archive, ForecastArchive) else ForecastArchive(archive)


def _quiet(_: str) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()


def _names(models: str | Sequence[str]) -> list[str]:
    from geohazard.forecast.models import parse_models

    return parse_models(models) if isinstance(models, str) else list(models)


def fit_models(catalog: Catalog, models: str | Sequence[str], fit_end: Any, *, seed: int = 0,
               checkpoint: Path | None = None, spatial: bool = False,
               settings: Any = None, status: Status | None = None) -> Fitted:
    """Fit every named model on the history before ``fit_end``.

    Parameters
    ----------
    catalog
        The catalog (located for ``spatial``).
    models
        Model names, or a spec such as ``"poisson,etas"`` or ``"both"``.
    fit_end
        UTC end of the training history.
    seed
        RECAST's training seed.
    checkpoint
        A RECAST checkpoint to load instead of training.
    spatial
        Located (space-time) models instead of temporal ones.
    settings
        Model settings (:class:`~geohazard.forecast.registry.ModelSettings`; defaults when
        None): the ETAS taper and parameter draws, RECAST's time cap.
    status
        Context-manager factory shown while each model fits.

    Returns
    -------
    dict
        Name -> (fitted model, provenance).
    """
    from geohazard.forecast.registry import fit_model

    if spatial:
        from geohazard.forecast.spatial_models import check_located

        check_located(catalog)
    what = "located " if spatial else ""
    status = status or _quiet
    fitted: Fitted = {}
    for name in _names(models):
        with status(f"fitting {what}{name} on history before {fit_end}"):
            try:
                fitted[name] = fit_model(name, catalog, fit_end, spatial=spatial,
                                         settings=settings, seed=seed, checkpoint=checkpoint)
            except InputError as exc:
                if spatial:
                    raise
                raise type(exc)(f"fitting {name} on the history before {fit_end}: {exc}"
                                ) from None
    return fitted


def covered_observations(catalog: Catalog, t0: float, t1: float) -> np.ndarray | None:
    """Event days in ``(t0, t1]``, or None when the data do not cover the whole window."""
    if t1 > catalog.day_of(catalog.coverage_end) + 1e-9:
        return None
    obs = catalog.days()[catalog.in_window(t0, t1)]
    return obs if obs.size else None


@dataclass(frozen=True)
class ForecastRun:
    """What a forecast job made: forecasts, observations, backtest, region and report."""

    forecasts: list[Forecast]
    summaries: dict[str, dict[str, Any]]
    observed: np.ndarray | None = None
    backtest: BacktestResult | None = None
    region: Any = None
    report: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _issue_all(fitted: Fitted, history: Any, days: float, samples: int, seed: int,
               status: Status) -> list[Forecast]:
    out = []
    for name, (model, info) in fitted.items():
        with status(f"simulating {samples} continuations with {name}"):
            out.append(issue_forecast(model, history, days, samples, name=name, rng=seed,
                                      info=info or None))
    return out


def write_csep_forecasts(forecasts: Sequence[Forecast], folder: str | Path) -> list[Path]:
    """Write each forecast into ``folder`` in pyCSEP's catalog-forecast CSV format.

    One file per forecast, named the pyCSEP way (``{model}_{start}.csv``), the format
    floatCSEP experiments read; ``csep.load_catalog_forecast`` loads each back. The folder is
    created if needed.
    """
    from geohazard.exceptions import OutputError

    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    return [fc.write_csep(out) for fc in forecasts]


def issue_job(catalog: Catalog, start: Any, *, models: str | Sequence[str] = "etas",
              days: float = 14.0, samples: int = 10_000, seed: int = 0,
              checkpoint: Path | None = None, archive: str | Path | None = None,
              report: str | Path | None = None, spatial: bool = False, dh: float = 0.05,
              region: Any = None, settings: Any = None, status: Status | None = None,
              csep_out: str | Path | None = None) -> ForecastRun:
    """Fit the models before ``start``, issue a forecast each, archive and report them.

    Parameters
    ----------
    catalog
        The catalog with the history; its events above Mc (sidecar ``mag_completeness``)
        are fitted, simulated from and observed (:func:`~geohazard.forecast.registry.above_mc`).
    start
        Forecast start (UTC), checked against the data by the caller
        (:func:`geohazard.forecast.models.check_forecast_start`).
    models, seed, checkpoint, spatial, settings, status
        As :func:`fit_models`.
    days, samples
        Window length and number of simulations.
    archive, report
        Forecast archive (SQLite file or SQLAlchemy URL) to store every forecast in; HTML
        report to write.
    dh, region
        The testing region (``region`` implies ``spatial``; default: the box of ``dh``-degree
        cells around every event).
    csep_out
        Folder to write each forecast into in pyCSEP's format (:func:`write_csep_forecasts`).

    Returns
    -------
    ForecastRun
        Forecasts and their summaries (``archive_id``, ``csep_file``, region, top cells).
    """
    from geohazard.forecast.registry import above_mc

    t_start = to_utc(start, "start")
    spatial = spatial or region is not None
    features: tuple[str, ...] = ()
    if spatial:  # the located models' modules (and Numba) load only for a located run
        from geohazard.forecast.spatial_models import LOCATION_FEATURES, catalog_region

        features = LOCATION_FEATURES
        if region is None:
            region = catalog_region(catalog, dh=dh)  # around every event, before Mc filter
    catalog = above_mc(catalog)  # history and observations: the events the fit sees
    history = catalog.to_sequence(t_end=t_start, features=features)
    store = _open_archive(archive) if archive is not None else None
    fitted = fit_models(catalog, models, t_start, seed=seed, checkpoint=checkpoint,
                        spatial=spatial, settings=settings, status=status)
    forecasts = _issue_all(fitted, history, days, samples, seed, status or _quiet)
    summaries = _summaries(forecasts, region, store, catalog.metadata.name, csep_out)
    observed = covered_observations(catalog, forecasts[0].t_start, forecasts[0].t_end)
    path = None if report is None else _issue_report(report, catalog, forecasts, observed,
                                                     region)
    return ForecastRun(forecasts, summaries, observed, region=region, report=path)


def _summaries(forecasts: list[Forecast], region: Any, store: ForecastArchive | None,
               catalog_name: str, csep_out: str | Path | None) -> dict[str, dict[str, Any]]:
    """Each forecast's summary, with region and top cells, archive id and pyCSEP file."""
    summaries = {}
    for fc in forecasts:
        out = summaries[fc.model] = fc.summary()
        if region is not None:
            from geohazard.forecast.spatial_eval import top_cells

            out["region"] = region.to_dict()
            out["top_cells"] = top_cells(fc, region)
        if store is not None:
            out["archive_id"] = store.add(fc, catalog=catalog_name, region=region)
    if csep_out is not None:
        for fc, path in zip(forecasts, write_csep_forecasts(forecasts, csep_out), strict=True):
            summaries[fc.model]["csep_file"] = str(path)
    return summaries


def _issue_report(report: str | Path, catalog: Catalog, forecasts: list[Forecast],
                  observed: np.ndarray | None, region: Any) -> Path:
    """The forecast report, with the window's epicentres for a located run."""
    from geohazard.report.forecast import write_forecast_report

    located = None
    if region is not None and observed is not None:
        inw = catalog.in_window(forecasts[0].t_start, forecasts[0].t_end)
        located = (np.asarray(catalog["longitude"])[inw], np.asarray(catalog["latitude"])[inw])
    return write_forecast_report(report, forecasts, observed_times=observed, region=region,
                                 observed_locations=located)


def forecast_job(catalog: Catalog, fitted: Fitted, start: Any, *, days: float = 14.0,
                 samples: int = 5000, seed: int = 0, backtest_end: Any | None = None,
                 backtest_samples: int | None = None, report: str | Path | None = None,
                 title: str | None = None, status: Status | None = None) -> ForecastRun:
    """Forecasts from fitted models at ``start``, optionally a backtest, and the report.

    Parameters
    ----------
    catalog
        The catalog with history and observations (its events above Mc, as the fit's).
    fitted
        Name -> (fitted model, provenance), e.g. from :func:`fit_models`.
    start
        Forecast start (UTC).
    days, samples, seed
        Window length, simulations per forecast, seed.
    backtest_end
        Also backtest consecutive windows from ``start`` to this time (UTC).
    backtest_samples
        Simulations per backtest window (default ``min(samples, 2000)``).
    report, title
        HTML report to write and its title.
    status
        Context-manager factory shown while backtesting.

    Returns
    -------
    ForecastRun
        Forecasts, summaries, observations of the first window, backtest and report path.
    """
    from geohazard.forecast.registry import above_mc

    t0, catalog = to_utc(start, "start"), above_mc(catalog)
    forecasts = _issue_all(fitted, catalog.to_sequence(t_end=t0), days, samples, seed, _quiet)
    observed = covered_observations(catalog, forecasts[0].t_start, forecasts[0].t_end)
    result = None
    if backtest_end is not None:
        from geohazard.forecast.backtest import backtest

        with (status or _quiet)("backtesting"):
            result = backtest(catalog, {k: m for k, (m, _) in fitted.items()}, t0, backtest_end,
                              days=days, n_samples=backtest_samples or min(samples, 2000),
                              rng=seed)
    path = None
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        path = write_forecast_report(report, forecasts, observed_times=observed,
                                     backtest=result,
                                     title=title or f"forecast report: {catalog.metadata.name}")
    return ForecastRun(forecasts, {fc.model: fc.summary() for fc in forecasts}, observed,
                       result, report=path)


def backtest_job(catalog: Catalog, start: Any, end: Any, *,
                 models: str | Sequence[str] = "poisson,etas", days: float = 14.0,
                 samples: int = 2000, seed: int = 0, checkpoint: Path | None = None,
                 archive: str | Path | None = None, report: str | Path | None = None,
                 spatial: bool = False, dh: float = 0.05, settings: Any = None,
                 status: Status | None = None, progress: Progress | None = None,
                 client: Any = None) -> tuple[BacktestResult, dict[str, Any]]:
    """Fit before ``start``, score rolling forecasts to ``end``, add held-out scores, report.

    Parameters
    ----------
    catalog
        The catalog (located for ``spatial``); its events above Mc are used, as in the fit.
    start, end
        The test period (UTC), checked by the caller.
    models, seed, checkpoint, spatial, settings, status
        As :func:`fit_models`.
    days, samples
        Window length and simulations per window.
    archive, report
        Archive every forecast and evaluation; write an HTML report.
    dh
        Grid cell size in degrees (``spatial``).
    progress
        Called with ``(windows done, windows)``.
    client
        A :class:`distributed.Client`: windows run as tasks on its workers (equal to a
        serial run); None runs them here.

    Returns
    -------
    result, figures
        The backtest and its figures: ``to_dict()`` plus ``test_scores`` (held-out
        log-likelihood per model) and ``information_gain_per_event``.
    """
    from geohazard.forecast.backtest import backtest
    from geohazard.forecast.registry import above_mc
    from geohazard.forecast.spatial_models import catalog_region

    t0, t1 = to_utc(start, "start"), to_utc(end, "end")
    region = catalog_region(catalog, dh=dh) if spatial else None
    catalog = above_mc(catalog)  # histories, observations and scores: the events fitted
    fitted = fit_models(catalog, models, t0, seed=seed, checkpoint=checkpoint, spatial=spatial,
                        settings=settings, status=status)
    fitted_models = {k: m for k, (m, _) in fitted.items()}
    mc = catalog.metadata.mag_completeness
    edges = np.round(np.arange(mc, 9.0, 0.1), 2) if mc is not None else None
    result = backtest(catalog, fitted_models, t0, t1, days=days, n_samples=samples,
                      mag_edges=edges, rng=seed,
                      archive=_open_archive(archive) if archive is not None else None,
                      progress=progress, region=region, client=client)
    data = {**result.to_dict(), **_held_out(catalog, fitted_models, t0, t1, spatial)}
    if report is not None:
        from geohazard.report.forecast import write_forecast_report

        write_forecast_report(report, [], backtest=result, origin=catalog.origin,
                              title=f"backtest {catalog.metadata.name}")
    return result, data


def _held_out(catalog: Catalog, models: dict[str, Any], t0: Any, t1: Any,
              spatial: bool) -> dict[str, Any]:
    """Held-out log-likelihood of ``(t0, t1]`` per model and the information gains per event."""
    from geohazard.forecast.evaluation import information_gains
    from geohazard.forecast.spatial_models import LOCATION_FEATURES

    test_seq = catalog.to_sequence(t_end=t1, t_nll_start=t0,
                                   features=LOCATION_FEATURES if spatial else ())
    scores = {name: m.log_likelihood(test_seq) for name, m in models.items()}
    return {"test_scores": {k: v.to_dict() for k, v in scores.items()},
            "information_gain_per_event": information_gains(scores)}


def prospective_job(catalog: Catalog, archive: str | Path | ForecastArchive, start: Any,
                    end: Any | None = None, *, models: str | Sequence[str] = "etas",
                    fitted: Fitted | None = None, fit_end: Any | None = None,
                    refit_every: float | None = None, every: float = 1.0, days: float = 14.0,
                    samples: int = 1000, seed: int = 0, checkpoint: Path | None = None,
                    settings: Any = None, status: Status | None = None,
                    on_refit: Callable[[str, Any], None] | None = None,
                    progress: Progress | None = None, client: Any = None) -> Any:
    """Issue a forecast every ``every`` days from ``start`` into the archive (resumable).

    Parameters
    ----------
    catalog
        Events known so far (those above Mc are used, as in the fit).
    archive
        The forecast archive (or its path or URL).
    start, end
        First and last issue time (UTC; ``end`` defaults to the end of the data).
    models
        Model names or spec, fitted here unless ``fitted`` is given.
    fitted
        Already fitted models with provenance (e.g. the demo's).
    fit_end
        Fit on the history before this time (default ``start``).
    refit_every
        Refit every this many days on the history before each refit.
    every, days, samples, seed
        Cadence, window length, simulations per forecast, seed.
    checkpoint, settings, status
        As :func:`fit_models`.
    on_refit
        Called with ``(model, time)`` before each refit.
    progress
        Called with ``(issue times done, issue times)``.
    client
        A :class:`distributed.Client`: issue times run as tasks on its workers; the
        archive is written here, in order (equal to a serial run). Refits need None.

    Returns
    -------
    ProspectiveRun
        What was issued and skipped.
    """
    from geohazard.forecast.prospective import run_prospective
    from geohazard.forecast.registry import above_mc

    catalog, store, refit = above_mc(catalog), _open_archive(archive), None
    if fitted is None and refit_every is not None:
        fitted = {name: (None, {}) for name in _names(models)}
        refit = _refitter(catalog, settings, seed, checkpoint, on_refit)
    elif fitted is None:
        fitted = fit_models(catalog, models, fit_end if fit_end is not None else start,
                            seed=seed, checkpoint=checkpoint, settings=settings, status=status)
    return run_prospective(catalog, fitted, store, start, end, every_days=every, days=days,
                           n_samples=samples, seed=seed, refit=refit,
                           refit_every_days=refit_every, progress=progress, client=client)


def _refitter(catalog: Catalog, settings: Any, seed: int, checkpoint: Path | None,
              on_refit: Callable[[str, Any], None] | None
              ) -> Callable[[str, Any], tuple[Any, dict[str, Any]]]:
    """``refit(name, when)``: fit model ``name`` on the history before ``when``."""
    from geohazard.forecast.registry import fit_model

    def refit(name: str, when: Any) -> tuple[Any, dict[str, Any]]:
        if on_refit is not None:
            on_refit(name, when)
        return fit_model(name, catalog, when, settings=settings, seed=seed,
                         checkpoint=checkpoint)

    return refit


def evaluate_job(catalog: Catalog, archive: str | Path | ForecastArchive, *, store: bool = True,
                 seed: int = 0, model: str | None = None, report: str | Path | None = None,
                 title: str | None = None) -> Any:
    """Score every archived forecast whose window the catalog covers; write the record report.

    Parameters
    ----------
    catalog
        The catalog with the observations.
    archive
        The forecast archive (or its path or URL).
    store
        Store new evaluations in the archive.
    seed
        Seed of the score's kernel density.
    model
        Only this model.
    report, title
        HTML record report to write and its title.

    Returns
    -------
    ArchiveEvaluation
        Rows and per-model summaries.
    """
    from geohazard.forecast.prospective import evaluate_archive

    arch = _open_archive(archive)
    result = evaluate_archive(catalog, arch, store=store, seed=seed, model=model)
    if report is not None:
        from geohazard.report.prospective import write_record_report

        write_record_report(report, result,
                            title=title or f"prospective record {catalog.metadata.name}")
    return result



def csep_tests_job(catalog: Catalog, archive: str | Path | ForecastArchive,
                   tests: str | Sequence[str], *, model: str | None = None,
                   region: Any = None, dh: float = 0.05) -> list[Any]:
    """Rerun pyCSEP's N, M, S and pseudo-likelihood tests on archived forecasts.

    Parameters
    ----------
    catalog
        The catalog with the observations.
    archive
        The forecast archive (or its path or URL).
    tests
        ``"n,m,s,pl"`` or test names (``"n_test"`` ...).
    model
        Only this model.
    region
        Testing region of located forecasts (default: the one archived with each).
    dh
        Cell size in degrees of the box around the catalog's events, the region of located
        forecasts archived without one.

    Returns
    -------
    list of ArchivedTests
        pyCSEP ``EvaluationResult`` objects per covered forecast
        (:func:`geohazard.forecast.archive_csep.rerun_csep_tests`); a forecast archived with
        counts only refuses M, S and PL before any test runs.
    """
    from geohazard.forecast.archive_csep import rerun_csep_tests

    arch = _open_archive(archive)
    return rerun_csep_tests(catalog, arch, tests, model=model, region=region, dh=dh)

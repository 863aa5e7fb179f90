"""Prospective loop: no look-ahead, resumable with identical results, evaluation stored once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog.core import EventSequence
from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.base import Continuations
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.prospective import (
    data_end,
    evaluate_archive,
    issue_times,
    run_prospective,
    window_rng,
)


class HistoryCounter:
    """A test double whose every simulation holds as many events as the history it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float]] = []

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: object = None) -> Continuations:
        self.seen.append((history.t_end, float(history.times[-1])))
        n = len(history)
        t0 = history.t_end
        times = [np.full(n, t0 + duration_days / 2)] * n_samples
        return Continuations.from_lists(times, [np.full(n, 2.5)] * n_samples, t0,
                                        t0 + duration_days)


@pytest.fixture(scope="module")
def catalog():
    return synthetic_catalog(years=2, rng=11)


def test_issue_times_stop_at_the_end_of_the_data(catalog) -> None:
    start = catalog.origin + pd.Timedelta(days=700)
    t = issue_times(catalog, start, None, 1.0)
    assert t[0] == pytest.approx(700.0)
    assert t[-1] <= data_end(catalog) < t[-1] + 1.0
    assert np.allclose(np.diff(t), 1.0)
    with pytest.raises(InputError, match="after the end of the data"):
        issue_times(catalog, catalog.origin + pd.Timedelta(days=5000), None, 1.0)
    with pytest.raises(InputError, match="every_days"):
        issue_times(catalog, start, None, 0.0)


def test_every_forecast_sees_only_events_before_its_start(catalog, tmp_path) -> None:
    model = HistoryCounter()
    store = ForecastArchive(tmp_path / "a.sqlite")
    start = catalog.origin + pd.Timedelta(days=600)
    run = run_prospective(catalog, {"counter": (model, {"params_hash": "x"})}, store, start,
                          catalog.origin + pd.Timedelta(days=640), every_days=2.0, days=7.0,
                          n_samples=3)
    assert len(run.issued) == 21 and run.skipped == 0
    days = catalog.days()
    for rec in store.list():
        expected = int(np.count_nonzero(days < rec["t_start_days"]))  # strictly before
        assert np.all(store.counts(rec["id"]) == expected)
    assert all(last < t_end for t_end, last in model.seen)


def test_an_interrupted_run_resumes_to_exactly_the_uninterrupted_archive(catalog, tmp_path):
    history = catalog.to_sequence(t_end=catalog.origin + pd.Timedelta(days=500))
    models = {"poisson": (PoissonGR().fit(history), {"params_hash": "p1"})}
    start = catalog.origin + pd.Timedelta(days=500)
    mid, end = (catalog.origin + pd.Timedelta(days=d) for d in (510, 520))
    whole = ForecastArchive(tmp_path / "whole.sqlite")
    run_prospective(catalog, models, whole, start, end, n_samples=50, seed=3)
    split = ForecastArchive(tmp_path / "split.sqlite")
    first = run_prospective(catalog, models, split, start, mid, n_samples=50, seed=3)
    second = run_prospective(catalog, models, split, start, end, n_samples=50, seed=3)
    assert len(first.issued) == 11 and second.skipped == 11 and len(second.issued) == 10
    a, b = whole.list(), split.list()
    assert [r["t_start_days"] for r in a] == [r["t_start_days"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        np.testing.assert_array_equal(whole.counts(ra["id"]), split.counts(rb["id"]))
    # a different parameter hash is a different forecast, issued again
    other = {"poisson": (models["poisson"][0], {"params_hash": "p2"})}
    assert len(run_prospective(catalog, other, split, start, mid, n_samples=5).issued) == 11


def test_window_streams_differ_by_model_and_time() -> None:
    draws = {window_rng(0, m, t).random() for m in ("etas", "recast") for t in (1.0, 2.0)}
    assert len(draws) == 4
    assert window_rng(0, "etas", 1.0).random() == window_rng(0, "etas", 1.0).random()


def test_evaluation_counts_observed_events_and_is_stored_once(catalog, tmp_path) -> None:
    history = catalog.to_sequence(t_end=catalog.origin + pd.Timedelta(days=600))
    store = ForecastArchive(tmp_path / "e.sqlite")
    models = {"poisson": (PoissonGR().fit(history), {"params_hash": "p"})}
    last = data_end(catalog)
    start = catalog.origin + pd.to_timedelta(last - 30.0, unit="D")
    run_prospective(catalog, models, store, start, None, every_days=3.0, days=14.0,
                    n_samples=400, seed=1)
    res = evaluate_archive(catalog, store)
    n_total = len(store.list())
    covered = [r for r in store.list() if r["t_end_days"] <= last + 1e-9]
    assert len(res.rows) == len(covered) and res.pending == n_total - len(covered) > 0
    assert res.newly_stored == len(covered)
    times = catalog.times
    for row in res.rows:
        lo, hi = pd.Timestamp(row["window_start"]), pd.Timestamp(row["window_end"])
        assert row["observed"] == int(((times > lo) & (times <= hi)).sum())
        counts = store.counts(row["id"])
        assert row["exact_match"] == pytest.approx(np.mean(counts == row["observed"]))
        lo95, hi95 = np.quantile(counts, [0.025, 0.975])
        assert row["in_95"] == bool(lo95 <= row["observed"] <= hi95)
    again = evaluate_archive(catalog, store)
    assert again.newly_stored == 0
    pd.testing.assert_frame_equal(pd.DataFrame(again.rows), pd.DataFrame(res.rows))
    s = res.summaries["poisson"]
    assert s.n_windows == len(covered)
    assert s.coverage_95 == pytest.approx(np.mean([r["in_95"] for r in res.rows]))


def test_observed_events_are_counted_above_the_forecast_mc(catalog, tmp_path) -> None:
    raised = catalog.above_completeness(2.5)
    history = raised.to_sequence(t_end=raised.origin + pd.Timedelta(days=600))
    store = ForecastArchive(tmp_path / "mc.sqlite")
    models = {"poisson": (PoissonGR().fit(history), {"params_hash": "p"})}
    run_prospective(raised, models, store, raised.origin + pd.Timedelta(days=600),
                    raised.origin + pd.Timedelta(days=610), every_days=5.0, n_samples=50)
    res = evaluate_archive(catalog, store)  # the full catalog, events below 2.5 included
    times, mags = catalog.times, catalog.magnitudes
    for row in res.rows:
        lo, hi = pd.Timestamp(row["window_start"]), pd.Timestamp(row["window_end"])
        assert row["observed"] == int(((times > lo) & (times <= hi) & (mags > 2.5)).sum())


def test_refits_follow_a_fixed_schedule_and_resume_identically(catalog, tmp_path) -> None:
    from geohazard.forecast.forecasting import params_hash

    calls: list[tuple[str, pd.Timestamp]] = []

    def refit(name: str, fit_end: pd.Timestamp):  # noqa: ANN202
        calls.append((name, fit_end))
        model = PoissonGR().fit(catalog.to_sequence(t_end=fit_end))
        return model, {"params_hash": params_hash({"rate": model.rate_per_day_}),
                       "training_end": str(fit_end)}

    start = catalog.origin + pd.Timedelta(days=500)
    end = catalog.origin + pd.Timedelta(days=512)
    kw = {"every_days": 1.0, "n_samples": 30, "seed": 2, "refit": refit,
          "refit_every_days": 5.0}
    whole = ForecastArchive(tmp_path / "w.sqlite")
    run_prospective(catalog, {"poisson": (None, {})}, whole, start, end, **kw)
    assert [c[1] for c in calls] == [start + pd.Timedelta(days=d) for d in (0, 5, 10)]
    for rec in whole.list():  # each forecast was made by its block's fit
        block = 500 + 5 * ((rec["t_start_days"] - 500) // 5)
        assert pd.Timestamp(rec["summary"]["training_end"]) == catalog.origin + pd.Timedelta(
            days=block)
    assert len({r["params_hash"] for r in whole.list()}) == 3
    calls.clear()
    split = ForecastArchive(tmp_path / "s.sqlite")
    run_prospective(catalog, {"poisson": (None, {})}, split, start,
                    catalog.origin + pd.Timedelta(days=507), **kw)
    run_prospective(catalog, {"poisson": (None, {})}, split, start, end, **kw)
    # resumed at day 508: the block started at 505 is refitted as of day 505, not 508
    assert [c[1] for c in calls] == [start + pd.Timedelta(days=d) for d in (0, 5, 5, 10)]
    for ra, rb in zip(whole.list(), split.list(), strict=True):
        assert ra["params_hash"] == rb["params_hash"]
        np.testing.assert_array_equal(whole.counts(ra["id"]), split.counts(rb["id"]))
    calls.clear()
    again = run_prospective(catalog, {"poisson": (None, {})}, split, start, end, **kw)
    assert calls == [] and again.issued == [] and again.skipped == 13
    with pytest.raises(InputError, match="refit"):
        run_prospective(catalog, {"poisson": (None, {})}, split, start, end, refit=refit)


def test_a_file_that_is_not_an_archive_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "notes.sqlite"
    bad.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(InputError, match="cannot open it as a forecast archive"):
        ForecastArchive(bad)
    assert bad.read_text().startswith("these are my notes")  # left untouched

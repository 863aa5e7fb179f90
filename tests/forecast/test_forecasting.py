import multiprocessing as mp

import numpy as np
import pytest
from scipy import stats

from geohazard.catalog.core import EventSequence
from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError, NotFittedError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.base import Continuations, PointProcessModel
from geohazard.forecast.evaluation import (
    BacktestSummary,
    count_log_score,
    evaluate_window,
    m_test_statistic,
    n_test_quantiles,
    smoothed_count_pmf,
)
from geohazard.forecast.forecasting import Forecast, issue_forecast
from geohazard.forecast.poisson import PoissonGR


@pytest.fixture(scope="module")
def history():
    return synthetic_catalog(years=5, rng=3).to_sequence("test")


@pytest.fixture(scope="module")
def poisson(history):
    return PoissonGR().fit(history)


def test_poisson_follows_protocol_and_fits(history, poisson):
    assert isinstance(poisson, PointProcessModel)
    assert poisson.rate_per_day_ == pytest.approx(len(history) / history.t_end)
    with pytest.raises(NotFittedError):
        PoissonGR().intensity(history, np.array([1.0]))
    score = poisson.log_likelihood(history)
    # closed form: n log(rate) - rate * days on the scored interval
    n = history.n_scored
    expect = n * np.log(poisson.rate_per_day_) - poisson.rate_per_day_ * history.scored_days
    assert score.log_likelihood == pytest.approx(expect)
    assert score.nll_per_day == pytest.approx(-expect / history.scored_days)
    with_m = poisson.log_likelihood(history, include_magnitude=True)
    assert with_m.includes_magnitude and with_m.log_likelihood != score.log_likelihood


def test_forecast_statistics_match_poisson_truth(history, poisson):
    fc = issue_forecast(poisson, history, 14.0, 20_000, name="poisson", rng=1)
    lam = poisson.rate_per_day_ * 14.0
    assert fc.expected_count() == pytest.approx(lam, rel=0.02)
    q = fc.quantiles((0.5,))
    assert abs(q[0.5] - stats.poisson.median(lam)) <= 1
    beta = poisson.b_ * np.log(10)
    for m, p in fc.prob_at_least_one((3.0, 4.0)).items():
        lam_m = lam * np.exp(-beta * (m - poisson.mc_))
        assert p == pytest.approx(1 - np.exp(-lam_m), abs=0.015)
    edges, rate = fc.daily_rate(1.0)
    assert edges.size == 15 and np.allclose(rate, poisson.rate_per_day_, rtol=0.05)
    _, per_bin = fc.daily_counts(1.0)
    assert np.array_equal(per_bin.sum(axis=1), fc.counts)
    s = fc.summary()
    assert s["n_samples"] == 20_000 and s["start"].startswith(str(history.origin.year + 5)[:2])
    with pytest.raises(InputError):
        issue_forecast(poisson, history, -1, 10, name="p")


def test_counts_above_matches_loop():
    rng = np.random.default_rng(0)
    times = [np.sort(rng.uniform(0, 1, k)) for k in (0, 3, 5)]
    mags = [rng.uniform(2, 5, t.size) for t in times]
    fc = Forecast("x", Continuations.from_lists(times, mags, 0.0, 1.0))
    assert list(fc.counts_above(3.5)) == [int((m >= 3.5).sum()) for m in mags]


def test_smoothed_pmf_is_a_distribution_and_never_zero():
    sims = np.random.default_rng(0).poisson(10, 2000)
    k = np.arange(0, 400)
    pmf = smoothed_count_pmf(sims, k)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(pmf[:60] > 0)
    # observation far outside the simulated range: finite (log-space) score
    assert np.isfinite(count_log_score(sims, 60))
    assert np.isfinite(count_log_score(sims, 400))
    assert count_log_score(sims, 400) < count_log_score(sims, 60)
    # inside the range it approaches the true Poisson log-pmf
    assert count_log_score(sims, 10) == pytest.approx(stats.poisson.logpmf(10, 10), abs=0.1)


def test_n_test_quantiles():
    sims = np.array([1, 2, 3, 4, 5])
    assert n_test_quantiles(sims, 3) == (0.6, 0.6)
    assert n_test_quantiles(sims, 0) == (1.0, 0.0)


def _random_continuations(rng, n, lam):
    counts = rng.poisson(lam, n)
    times = [np.sort(rng.uniform(0, 14, k)) for k in counts]
    mags = [np.round(2.0 + rng.exponential(0.434, k), 2) for k in counts]
    return Continuations.from_lists(times, mags, 0.0, 14.0)


def test_m_test_matches_pycsep():
    from geohazard.forecast.csep_adapter import csep_catalog_tests

    rng = np.random.default_rng(4)
    cont = _random_continuations(rng, 300, 20)
    obs_t = np.sort(rng.uniform(0, 14, 25))
    obs_m = np.round(2.0 + rng.exponential(0.6, 25), 2)
    edges = np.round(np.arange(2.0, 8.0 + 1e-9, 0.1), 2)
    d_obs, d_sim = m_test_statistic(cont, obs_m, edges)
    fc = Forecast("sim", cont, origin=None)
    ours_q = (float(np.mean(d_sim >= d_obs)), float(np.mean(d_sim <= d_obs)))
    csep = csep_catalog_tests(fc, obs_t, obs_m, edges)
    assert csep["m_test"]["observed_statistic"] == pytest.approx(d_obs, rel=1e-9)
    assert csep["m_test"]["quantile"] == pytest.approx(list(ours_q))
    assert csep["n_test"]["quantile"] == pytest.approx(list(n_test_quantiles(cont.counts, 25)))


def test_calibrated_forecasts_have_uniform_pit_and_95_coverage():
    rng = np.random.default_rng(8)
    evals = []
    for _ in range(200):
        lam = rng.uniform(5, 30)
        cont = _random_continuations(rng, 1000, lam)
        obs = np.round(2.0 + rng.exponential(0.434, rng.poisson(lam)), 2)
        evals.append(evaluate_window("p", cont, obs, rng=rng))
    summary = BacktestSummary.from_windows("p", evals)
    assert 0.90 <= summary.coverage_95 <= 0.99
    pits = np.array([e.pit for e in evals])
    assert stats.kstest(pits, "uniform").pvalue > 0.01
    # a biased forecast (twice the rate) is visibly miscalibrated
    biased = []
    for _ in range(100):
        cont = _random_continuations(rng, 500, 40)
        biased.append(evaluate_window("b", cont, np.full(rng.poisson(20), 2.5), rng=rng))
    assert BacktestSummary.from_windows("b", biased).coverage_95 < 0.5


def _writer(path, k):
    hist = EventSequence(np.array([1.0, 2.0]), np.array([2.5, 3.0]), 0.0, 10.0, 0.0, 2.0)
    model = PoissonGR().fit(hist)
    arch = ForecastArchive(path)
    for i in range(k):
        arch.add(issue_forecast(model, hist, 7.0, 50, name="poisson", rng=i))


def test_archive_roundtrip_and_concurrent_writers(tmp_path, history, poisson):
    path = tmp_path / "fc.sqlite"
    arch = ForecastArchive(path)
    fc = issue_forecast(poisson, history, 14.0, 500, name="poisson", rng=2,
                        info={"params_hash": "abc"})
    fid = arch.add(fc, catalog="synthetic")
    rows = arch.list()
    assert rows[0]["id"] == fid and rows[0]["params_hash"] == "abc"
    assert np.array_equal(arch.counts(fid), fc.counts)
    ev = evaluate_window("poisson", fc.continuations, np.array([2.5, 3.0]), rng=0)
    arch.add_evaluation(fid, ev)
    assert arch.evaluations(fid)[0]["observed"] == 2
    with pytest.raises(InputError, match="no forecast with id 999"):
        arch.add_evaluation(999, ev)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 10)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    assert len(ForecastArchive(path).list(model="poisson")) == 31


def test_information_gains(history):
    from geohazard.forecast.evaluation import information_gains

    truth = PoissonGR().fit(history)
    off = PoissonGR()
    off.rate_per_day_, off.mc_, off.b_ = truth.rate_per_day_ * 2, truth.mc_, truth.b_
    scores = {"poisson": off.log_likelihood(history), "truth": truth.log_likelihood(history)}
    gains = information_gains(scores)
    n, days, r = history.n_scored, history.scored_days, truth.rate_per_day_
    # closed form: n log(r / 2r) - (r - 2r) days, per event
    assert gains["truth_vs_poisson"] == pytest.approx((n * np.log(0.5) + r * days) / n)
    assert gains["truth_vs_poisson"] > 0


def test_kde_pmf_is_a_distribution_close_to_the_true_law():
    from geohazard.forecast.evaluation import kde_count_logpmf

    rng = np.random.default_rng(1)
    k = np.arange(0, 3000)
    for sims, truth in ((rng.poisson(10, 50_000), stats.poisson.pmf(k, 10)),
                        (rng.negative_binomial(0.8, 0.8 / 300.8, 50_000),
                         stats.nbinom.pmf(k, 0.8, 0.8 / 300.8))):
        logpmf = kde_count_logpmf(sims, k)
        pmf = np.exp(logpmf)
        assert pmf.sum() == pytest.approx(1.0, abs=2e-3)  # mass beyond 3000 is tiny
        assert np.all(np.isfinite(logpmf))  # no count is impossible
        assert np.abs(pmf - truth).sum() < 0.05  # total variation from the true law
    # far outside the simulated range: finite, and smaller the farther out
    sims = rng.poisson(10, 2000)
    assert np.isfinite(count_log_score(sims, 400)) and np.isfinite(count_log_score(sims, 0))
    assert count_log_score(sims, 400) < count_log_score(sims, 60) < count_log_score(sims, 10)
    with pytest.raises(InputError, match="method"):
        count_log_score(sims, 3, method="magic")


def test_kde_score_is_more_stable_between_sample_sets_than_the_histogram():
    rng = np.random.default_rng(2)
    law = (0.7, 0.7 / 150.7)  # overdispersed counts, mean 150: aftershock-like windows
    observed = rng.negative_binomial(*law, 40)
    change = {"kde": [], "histogram": []}
    for obs in observed:
        a, b = rng.negative_binomial(*law, 2000), rng.negative_binomial(*law, 2000)
        for m in change:
            change[m].append(abs(count_log_score(a, obs, method=m)
                                 - count_log_score(b, obs, method=m)))
    assert np.mean(change["kde"]) < 0.5 * np.mean(change["histogram"])
    # and it is the better estimate of the true log-pmf
    truth = stats.nbinom.logpmf(observed, *law)
    err = {m: np.mean(np.abs([count_log_score(rng.negative_binomial(*law, 2000), o, method=m)
                              - t for o, t in zip(observed, truth, strict=True)]))
           for m in change}
    assert err["kde"] < err["histogram"]


def test_forecast_utc_of_is_the_catalogs_conversion(poisson):
    """Forecast.utc_of inverts the catalog's day_of; window_utc is it to the microsecond."""
    import pandas as pd

    from geohazard.exceptions import CatalogError

    cat = synthetic_catalog(years=5, rng=3)
    when = pd.Timestamp("2016-02-03 04:05:06.789012345", tz="UTC")
    history = cat.to_sequence(t_end=when)
    fc = issue_forecast(poisson, history, 14.0, 20, name="poisson", rng=1)
    assert fc.t_start == cat.day_of(when)
    assert fc.utc_of(fc.t_start) == cat.utc_of(fc.t_start)  # the same conversion
    assert abs(fc.utc_of(fc.t_start) - when) < pd.Timedelta(1, "us")  # float64 days: ~40 ns
    days = cat.days()[:50]
    np.testing.assert_array_equal(fc.utc_of(days).asi8, cat.utc_of(days).asi8)
    back = cat.utc_of(days).asi8 - cat.times[:50].as_unit("ns").asi8
    assert np.abs(back).max() <= 10  # the inverse of day_of, to float64 days' few ns
    start, end = fc.window_utc()
    assert start == when.round("us") and end == (when + pd.Timedelta(days=14)).round("us")
    bare = Forecast("poisson", fc.continuations)
    assert bare.window_utc() == (None, None)
    with pytest.raises(CatalogError, match="forecast 'poisson' has no origin"):
        bare.utc_of(1.0)

"""Forecasts leave in pyCSEP's own formats and objects, and come back (issue 13).

- ``Forecast.write_csep`` writes pyCSEP's catalog-forecast CSV (the file floatCSEP reads):
  ``csep.load_catalog_forecast`` gives back every continuation with its events.
- ``csep_spatial_evaluations`` returns pyCSEP ``EvaluationResult`` objects that
  ``csep.utils.plots`` draws; ``csep_spatial_tests`` is their dict view.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from geohazard.examples import synthetic_catalog
from geohazard.exceptions import OutputError
from geohazard.forecast import PoissonGR, issue_forecast
from geohazard.forecast.csep_adapter import (
    csep_forecast_filename,
    csep_spatial_evaluations,
    csep_spatial_tests,
)
from geohazard.forecast.forecasting import Forecast
from geohazard.forecast.region import SpatialRegion
from tests.forecast._spatial_synth import BOX, located_forecast, observation

matplotlib.use("Agg")
MAGS = tuple(np.round(np.arange(1.0, 5.0, 0.1), 2))


def _load(path, **kw):  # noqa: ANN001, ANN202
    import csep

    return list(csep.load_catalog_forecast(str(path), **kw))


def _temporal() -> Forecast:
    cat = synthetic_catalog(years=5, rng=3)
    history = cat.to_sequence(t_end=cat.metadata.test_start)
    # a short window: many continuations are empty, the last ones included
    return issue_forecast(PoissonGR().fit(history), history, 2.0, 60, name="poisson", rng=4)


def test_temporal_forecast_written_for_pycsep_loads_back_with_the_same_counts(tmp_path):
    fc = _temporal()
    assert (fc.counts == 0).sum() >= 5  # empty continuations are part of the round trip
    path = fc.write_csep(tmp_path)
    assert path.name == csep_forecast_filename(fc) == "poisson_2014-01-01T00-00-00-000000.csv"
    loaded = _load(path)
    assert len(loaded) == fc.continuations.n_samples
    np.testing.assert_array_equal([c.event_count for c in loaded], fc.counts)
    assert [c.catalog_id for c in loaded] == list(range(fc.continuations.n_samples))
    i = int(np.argmax(fc.counts))
    times, mags = fc.continuations.sample(i)
    np.testing.assert_array_equal(loaded[i].get_magnitudes(), mags)
    epoch_ms = (fc.origin + pd.to_timedelta(times, unit="D")).as_unit("ms").asi8
    np.testing.assert_allclose(loaded[i].get_epoch_times(), epoch_ms, atol=1)  # 1 ms
    import csep

    cf = csep.load_catalog_forecast(str(path))
    assert cf.name == "poisson" and cf.start_time == fc.window_utc()[0]  # from the file name


def test_located_forecast_written_for_pycsep_keeps_epicentres(tmp_path):
    rng = np.random.default_rng(7)
    fc = located_forecast(rng, 40, 3.0)
    path = fc.write_csep(tmp_path / "located.csv")
    loaded = _load(path)
    assert len(loaded) == 40
    np.testing.assert_array_equal([c.event_count for c in loaded], fc.counts)
    for i in np.flatnonzero(fc.counts)[:5]:
        f = fc.continuations.sample_features(i)
        np.testing.assert_array_equal(loaded[i].get_longitudes(), f["longitude"])
        np.testing.assert_array_equal(loaded[i].get_latitudes(), f["latitude"])
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary name


def test_an_unwritable_csep_path_is_refused_and_leaves_nothing(tmp_path):
    fc = _temporal()
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="pyCSEP forecast"):
        fc.write_csep(tmp_path / "file" / "f.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.fixture(scope="module")
def spatial_case():
    rng = np.random.default_rng(11)
    region = SpatialRegion(*BOX, dh=0.1, mag_edges=MAGS)
    return located_forecast(rng, 150, 20.0), observation(rng, 18), region


def test_spatial_tests_are_pycsep_results_its_plots_take(spatial_case):
    from csep.models import EvaluationResult
    from csep.utils import plots

    fc, obs, region = spatial_case
    results = csep_spatial_evaluations(fc, *obs, region)
    assert set(results) == {"n_test", "m_test", "s_test", "pl_test"}
    assert all(isinstance(r, EvaluationResult) for r in results.values())
    assert plots.plot_number_test(results["n_test"], show=False) is not None
    assert plots.plot_magnitude_test(results["m_test"], show=False) is not None
    assert plots.plot_spatial_test(results["s_test"], show=False) is not None
    assert plots.plot_likelihood_test(results["pl_test"], show=False) is not None
    view = csep_spatial_tests(fc, *obs, region)
    for key, res in results.items():  # the dict view holds the same numbers
        assert view[key]["observed_statistic"] == pytest.approx(res.observed_statistic)
        q = res.quantile
        expected = list(q) if isinstance(q, tuple) else [q, q]  # one-sided tests: q twice
        assert view[key]["quantile"] == pytest.approx(expected)
        assert view[key]["status"] == res.status
    assert view["n_observed"] == results["n_test"].observed_statistic == 18


def test_spatial_tests_without_observed_events_follow_pycsep(spatial_case):
    fc, _, region = spatial_case
    empty = (np.empty(0),) * 4
    results = csep_spatial_evaluations(fc, *empty, region)
    assert results["n_test"].observed_statistic == 0
    assert results["s_test"].status == "not-valid"
    assert results["pl_test"] is None  # pyCSEP's answer when nothing can be scored
    view = csep_spatial_tests(fc, *empty, region, tests=("s_test", "pl_test"))
    assert view["s_test"]["status"] == view["pl_test"]["status"] == "not-valid"
    assert np.isnan(view["pl_test"]["quantile"]).all() and view["n_observed"] == 0

"""A forecast leaves as a pyCSEP CatalogForecast that pyCSEP's own tests and plots take."""

from __future__ import annotations

import matplotlib
import numpy as np

from geohazard.examples import synthetic_catalog
from geohazard.forecast import PoissonGR, issue_forecast

matplotlib.use("Agg")


def test_forecast_to_csep_goes_through_pycsep_number_test_and_its_plot():
    from csep.core import catalog_evaluations
    from csep.core.forecasts import CatalogForecast
    from csep.utils import plots

    cat = synthetic_catalog(years=5, rng=3)
    t0 = cat.metadata.test_start
    history = cat.to_sequence(t_end=t0)
    model = PoissonGR().fit(history)
    fc = issue_forecast(model, history, 14.0, 400, name="poisson", rng=1)
    cf = fc.to_csep()
    assert isinstance(cf, CatalogForecast) and cf.n_cat == 400
    counts = np.array([c.event_count for c in cf.catalogs])
    np.testing.assert_array_equal(counts, fc.counts)  # one pyCSEP catalog per continuation
    start, end = fc.window_utc()
    observed = cat.select(time=(start, end))
    obs = observed.to_csep(region=cf.region)
    result = catalog_evaluations.number_test(cf, obs)
    assert result.observed_statistic == len(observed)
    low, high = result.quantile
    below = np.mean(fc.counts <= len(observed))
    assert low == np.mean(fc.counts >= len(observed)) and high == below  # pyCSEP's quantiles
    ax = plots.plot_number_test(result, show=False)
    assert ax is not None


def test_catalog_evaluations_are_pycsep_results_and_the_dict_view_matches():
    from csep.models import EvaluationResult
    from csep.utils import plots

    from geohazard.forecast.csep_adapter import csep_catalog_evaluations, csep_catalog_tests

    cat = synthetic_catalog(years=5, rng=3)
    history = cat.to_sequence(t_end=cat.metadata.test_start)
    fc = issue_forecast(PoissonGR().fit(history), history, 14.0, 300, name="poisson", rng=2)
    days = cat.days()
    inside = (days > fc.t_start) & (days <= fc.t_end)
    edges = np.round(np.arange(cat.metadata.mag_completeness, 9.0, 0.1), 2)
    args = (fc, days[inside], cat.magnitudes[inside], edges)
    results = csep_catalog_evaluations(*args)
    assert set(results) == {"n_test", "m_test"}
    assert all(isinstance(r, EvaluationResult) for r in results.values())
    assert plots.plot_number_test(results["n_test"], show=False) is not None
    view = csep_catalog_tests(*args)
    assert view["n_test"]["observed_statistic"] == results["n_test"].observed_statistic
    assert view["n_test"]["quantile"] == list(results["n_test"].quantile)

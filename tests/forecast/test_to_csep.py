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

"""Forecast histories above Mc (issue 12): the workflows simulate from the events the models
are fitted on, so a catalog with events below its Mc issues the forecast of the pre-filtered
catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog import Catalog
from geohazard.examples import synthetic_catalog
from geohazard.forecast.registry import ModelSettings, above_mc

START = "2012-01-01"


@pytest.fixture(scope="module")
def with_small_events():
    """A synthetic catalog (Mc 2.0) plus 300 events of magnitude 1.5, some in the window."""
    cat = synthetic_catalog(years=3, rng=7)
    rng = np.random.default_rng(7)
    extra = cat.utc_of(np.sort(rng.uniform(0.0, cat.day_of(cat.metadata.end), 300)))
    df = pd.concat([cat.to_pandas(), pd.DataFrame({"time": extra, "magnitude": 1.5})])
    full = Catalog(df.sort_values("time", kind="stable"), cat.metadata)
    assert cat.metadata.mag_completeness == 2.0 and (full.magnitudes <= 2.0).sum() == 300
    return full


def _untimed(tree):  # noqa: ANN001, ANN202
    """A summary without its timings (``seconds``, ``fit_seconds``)."""
    if isinstance(tree, dict):
        return {k: _untimed(v) for k, v in tree.items() if not k.endswith("seconds")}
    return tree


def _same(a, b) -> None:  # noqa: ANN001
    assert [f.model for f in a.forecasts] == [f.model for f in b.forecasts]
    for fa, fb in zip(a.forecasts, b.forecasts, strict=True):
        np.testing.assert_array_equal(fa.continuations.times, fb.continuations.times)
        np.testing.assert_array_equal(fa.continuations.magnitudes, fb.continuations.magnitudes)
        np.testing.assert_array_equal(fa.counts, fb.counts)
        assert fa.t_start == fb.t_start and fa.origin == fb.origin
    np.testing.assert_array_equal(a.observed, b.observed)  # events above Mc only


def test_issue_job_simulates_from_the_events_above_mc(with_small_events):
    from geohazard.workflows.forecast import issue_job

    s = ModelSettings(etas_param_draws=0)
    kw = {"models": "poisson,etas", "days": 14.0, "samples": 300, "seed": 3, "settings": s}
    full = issue_job(with_small_events, START, **kw)
    above = issue_job(with_small_events.above_completeness(), START, **kw)
    _same(full, above)
    assert _untimed(full.summaries) == _untimed(above.summaries)
    assert np.all(with_small_events.magnitudes[with_small_events.in_window(
        full.forecasts[0].t_start, full.forecasts[0].t_end)] > 1.0)
    assert (full.observed.size < with_small_events.in_window(
        full.forecasts[0].t_start, full.forecasts[0].t_end).sum())  # small events left out


def test_forecast_job_simulates_from_the_events_above_mc(with_small_events):
    from geohazard.workflows.forecast import fit_models, forecast_job

    fitted = fit_models(with_small_events, ["etas"], START,
                        settings=ModelSettings(etas_param_draws=0))
    kw = {"days": 14.0, "samples": 300, "seed": 4}
    _same(forecast_job(with_small_events, fitted, START, **kw),
          forecast_job(with_small_events.above_completeness(), fitted, START, **kw))


def test_above_mc_keeps_a_catalog_without_mc_as_given(with_small_events):
    bare = Catalog(with_small_events.to_pandas(),
                   with_small_events.metadata.replace(mag_completeness=None))
    assert above_mc(bare) is bare
    assert len(above_mc(with_small_events)) == len(with_small_events) - 300

"""Forecasts and scores never reach past the data (issue 11, silent case 2)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.backtest import backtest, window_edges
from geohazard.forecast.forecasting import issue_forecast
from geohazard.forecast.models import check_forecast_start
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.prospective import evaluate_archive


@pytest.fixture(scope="module")
def catalog():
    return synthetic_catalog(years=2, rng=11)


@pytest.fixture(scope="module")
def truncated(catalog):
    """The same events cut after one year, with the sidecar still claiming two."""
    half = catalog.origin + pd.Timedelta(days=365)
    return catalog.select(time=(None, half))


def test_truncated_catalog_is_noticed(catalog, truncated) -> None:
    assert truncated.metadata.end == catalog.metadata.end
    assert truncated.coverage_shortfall() is not None
    assert truncated.coverage_end == truncated.times[-1]


def test_a_forecast_after_the_data_is_refused_or_loudly_warned(catalog, caplog) -> None:
    late = catalog.coverage_end + pd.Timedelta(days=30)
    with pytest.raises(InputError, match="after the end of the data.*allow_extrapolation"):
        check_forecast_start(catalog, late)
    with caplog.at_level(logging.WARNING, logger="geohazard.forecast.models"):
        assert check_forecast_start(catalog, late, allow_extrapolation=True) == late
    assert "EXTRAPOLATION" in caplog.text
    with pytest.raises(InputError, match="no history"):
        check_forecast_start(catalog, catalog.origin - pd.Timedelta(days=1))


def test_backtest_windows_stop_at_the_coverage_end(truncated, caplog) -> None:
    """Windows after the data used to be scored as zero-event windows."""
    start = truncated.origin + pd.Timedelta(days=200)
    with caplog.at_level(logging.WARNING, logger="geohazard.forecast.backtest"):
        edges = window_edges(truncated, start, truncated.metadata.end, 14.0)
    assert edges[-1, 1] <= truncated.day_of(truncated.coverage_end) + 1e-9
    assert len(edges) == int((truncated.day_of(truncated.coverage_end) - 200.0) // 14)
    assert "not scored" in caplog.text
    model = PoissonGR().fit(truncated.to_sequence(t_end=start))
    result = backtest(truncated, {"poisson": model}, start, truncated.metadata.end, days=14.0,
                      n_samples=50, rng=0)
    assert len(result.windows) == len(edges)
    with pytest.raises(InputError, match="after the end of the data"):
        window_edges(truncated, truncated.metadata.end, truncated.metadata.end, 14.0)


def test_evaluate_never_scores_a_window_after_the_data(truncated, tmp_path) -> None:
    """A forecast over the stretch the truncated catalog lacks stays pending."""
    store = ForecastArchive(tmp_path / "a.sqlite")
    model = PoissonGR().fit(truncated.to_sequence(t_end=truncated.times[-1]))
    for t0 in (300.0, truncated.day_of(truncated.coverage_end) + 5.0):
        hist = truncated.to_sequence(t_end=truncated.origin + pd.Timedelta(days=t0))
        store.add(issue_forecast(model, hist, 14.0, 50, name="poisson", rng=0),
                  catalog=truncated.metadata.name)
    res = evaluate_archive(truncated, store)
    assert res.pending == 1 and len(res.rows) == 1
    assert res.rows[0]["t_start_days"] == pytest.approx(300.0)


def test_a_new_archive_is_not_created_until_the_first_forecast(tmp_path) -> None:
    path = tmp_path / "sub" / "new.sqlite"
    store = ForecastArchive(path)
    assert store.list() == [] and store.find("etas", 0.0, 1.0) is None
    assert not path.exists() and not path.parent.exists()
    assert not np.any([p.exists() for p in tmp_path.rglob("*")])


def test_reading_an_archive_not_yet_created_creates_nothing(tmp_path) -> None:
    store = ForecastArchive(tmp_path / "n.sqlite")
    with pytest.raises(InputError, match="holds no forecasts yet"):
        store.counts(1)
    assert store.evaluations(1) == [] and not (tmp_path / "n.sqlite").exists()

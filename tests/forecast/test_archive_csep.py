"""pyCSEP's tests rerun on archived forecasts (issue 13): an archived forecast is re-evaluated
with the S-test, and a counts-only archive gets the N-test and a clear refusal for the rest."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geohazard.exceptions import InputError
from geohazard.forecast import PoissonGR, issue_forecast
from geohazard.forecast.archive import (
    CountsOnlyError,
    EvaluationRecord,
    ForecastArchive,
    ForecastRecord,
    _Base,
)
from geohazard.forecast.archive_csep import parse_tests, rerun_csep_tests
from geohazard.forecast.csep_adapter import csep_catalog_evaluations, csep_spatial_evaluations
from geohazard.forecast.region import SpatialRegion
from tests.forecast._spatial_synth import LocatedPoissonStandIn
from tests.forecast.test_spatial_eval import located_catalog

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def located():
    cat = located_catalog(n=600, seed=2, days=200.0)
    start = cat.metadata.test_start
    history = cat.to_sequence(t_end=start, features=("longitude", "latitude"))
    fc = issue_forecast(LocatedPoissonStandIn().fit(history), history, 10.0, 200,
                        name="poisson", rng=3)
    region = SpatialRegion(-117.0, -116.0, 33.0, 34.0, dh=0.1,
                           mag_edges=tuple(np.round(np.arange(1.0, 5.0, 0.1), 2)))
    return cat, fc, region


def test_an_archived_forecast_is_re_evaluated_with_the_s_test(tmp_path, located):
    from csep.models import EvaluationResult
    from csep.utils import plots

    cat, fc, region = located
    store = ForecastArchive(tmp_path / "a.sqlite")
    fid = store.add(fc, catalog=cat.metadata.name, region=region)
    [again] = rerun_csep_tests(cat, ForecastArchive(tmp_path / "a.sqlite"), "s")
    assert again.forecast_id == fid and set(again.results) == {"s_test"}
    s = again.results["s_test"]
    assert isinstance(s, EvaluationResult)
    inw = cat.in_window(fc.t_start, fc.t_end)
    obs = (cat.days()[inw], cat.magnitudes[inw], np.asarray(cat["longitude"])[inw],
           np.asarray(cat["latitude"])[inw])
    direct = csep_spatial_evaluations(fc, *obs, region, tests=("s_test",))["s_test"]
    assert s.observed_statistic == pytest.approx(direct.observed_statistic)  # same as issued
    assert s.quantile == pytest.approx(direct.quantile) and s.status == direct.status
    assert np.all((np.asarray(s.quantile) >= 0) & (np.asarray(s.quantile) <= 1))
    np.testing.assert_allclose(s.test_distribution, direct.test_distribution)
    assert again.n_observed == int(inw.sum()) > 0
    assert plots.plot_spatial_test(s, show=False) is not None  # pyCSEP draws it
    view = again.to_dict()
    assert view["s_test"]["status"] == s.status and view["id"] == fid


def test_all_four_tests_rerun_from_the_archive(tmp_path, located):
    cat, fc, region = located
    store = ForecastArchive(tmp_path / "a.sqlite")
    store.add(fc, catalog=cat.metadata.name, region=region)
    [res] = rerun_csep_tests(cat, store, "n,m,s,pl")
    assert list(res.results) == ["n_test", "m_test", "s_test", "pl_test"]
    assert res.results["n_test"].observed_statistic == res.n_observed


def _old_archive(path, fc) -> None:  # noqa: ANN001
    engine = create_engine(f"sqlite:///{path}")  # the schema before continuations were kept
    _Base.metadata.create_all(engine, tables=[ForecastRecord.__table__,
                                              EvaluationRecord.__table__])
    start, end = fc.window_utc()
    with Session(engine) as session, session.begin():
        session.add(ForecastRecord(
            created_at=start.to_pydatetime(), model=fc.model, catalog="synthetic",
            window_start=start.isoformat(), window_end=end.isoformat(),
            t_start_days=fc.t_start, t_end_days=fc.t_end, n_samples=fc.continuations.n_samples,
            expected_count=fc.expected_count(), summary=fc.summary(),
            counts=np.asarray(fc.counts, "<i8").tobytes()))
    engine.dispose()


def test_a_counts_only_archive_reruns_n_and_refuses_m_s_pl_by_name(tmp_path):
    from geohazard.examples import synthetic_catalog

    cat = synthetic_catalog(years=5, rng=3)
    history = cat.to_sequence(t_end=cat.metadata.test_start)
    fc = issue_forecast(PoissonGR().fit(history), history, 14.0, 300, name="poisson", rng=2)
    path = tmp_path / "old.sqlite"
    _old_archive(path, fc)
    store = ForecastArchive(path)
    [res] = rerun_csep_tests(cat, store, "n")
    inw = cat.in_window(fc.t_start, fc.t_end) & (cat.magnitudes > cat.metadata.mag_completeness)
    edges = np.round(np.arange(cat.metadata.mag_completeness, 9.0, 0.1), 2)
    direct = csep_catalog_evaluations(fc, cat.days()[inw], cat.magnitudes[inw], edges)["n_test"]
    assert res.results["n_test"].observed_statistic == direct.observed_statistic == inw.sum()
    assert res.results["n_test"].quantile == direct.quantile  # counts are all N needs
    for spec in ("m", "n,s", "pl"):
        with pytest.raises(CountsOnlyError, match=r"forecast 1 \(poisson, 2014-01-01.*only counts"):
            rerun_csep_tests(cat, store, spec)


def test_s_and_pl_need_a_located_forecast_and_tests_are_named(tmp_path):
    from geohazard.examples import synthetic_catalog

    cat = synthetic_catalog(years=5, rng=3)
    history = cat.to_sequence(t_end=cat.metadata.test_start)
    fc = issue_forecast(PoissonGR().fit(history), history, 14.0, 100, name="poisson", rng=2)
    store = ForecastArchive(tmp_path / "t.sqlite")
    store.add(fc, catalog=cat.metadata.name)
    [res] = rerun_csep_tests(cat, store, "n,m")  # temporal: N and M from the continuations
    assert set(res.results) == {"n_test", "m_test"}
    with pytest.raises(InputError, match="temporal"):
        rerun_csep_tests(cat, store, "s")
    assert parse_tests("N, pl,n") == ("n_test", "pl_test")
    for bad in ("x", "n,q", ""):
        with pytest.raises(InputError, match="--tests"):
            parse_tests(bad, "--tests")

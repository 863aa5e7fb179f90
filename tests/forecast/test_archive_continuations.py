"""The archive keeps full continuations beside the database; counts-only archives still read."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geohazard.examples import synthetic_catalog
from geohazard.exceptions import OutputError
from geohazard.forecast import PoissonGR, issue_forecast
from geohazard.forecast.archive import (
    CountsOnlyError,
    EvaluationRecord,
    ForecastArchive,
    ForecastRecord,
    _Base,
)
from geohazard.forecast.region import SpatialRegion
from tests.forecast._spatial_synth import BOX, located_forecast


def _temporal(n: int = 80):  # noqa: ANN202
    cat = synthetic_catalog(years=3, rng=5)
    history = cat.to_sequence(t_end=cat.metadata.test_start)
    return issue_forecast(PoissonGR().fit(history), history, 3.0, n, name="poisson", rng=9)


def _same(a, b) -> None:  # noqa: ANN001
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.magnitudes, b.magnitudes)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert (a.t_start, a.t_end) == (b.t_start, b.t_end)
    assert sorted(a.features) == sorted(b.features)
    for k in a.features:
        np.testing.assert_array_equal(a.features[k], b.features[k])


def test_a_temporal_forecast_comes_back_whole(tmp_path):
    fc = _temporal()
    assert (fc.counts == 0).any()  # empty continuations survive the trip
    store = ForecastArchive(tmp_path / "f.sqlite")
    fid = store.add(fc, catalog="synthetic")
    files = sorted((tmp_path / "f.sqlite.continuations").iterdir())
    assert [p.name for p in files] == [f"forecast-{fid:06d}.parquet"]  # no temporary left
    assert store.has_continuations(fid) and store.region(fid) is None
    back = ForecastArchive(tmp_path / "f.sqlite").forecast(fid)  # a fresh handle reads it
    _same(back.continuations, fc.continuations)
    assert back.origin == fc.origin and back.mag_completeness == fc.mag_completeness
    assert back.model == "poisson" and back.window_utc() == fc.window_utc()
    np.testing.assert_array_equal(store.counts(fid), fc.counts)


def test_a_located_forecast_keeps_epicentres_and_its_region(tmp_path):
    fc = located_forecast(np.random.default_rng(3), 30, 4.0)
    region = SpatialRegion(*BOX, dh=0.25, mag_edges=(1.0, 2.0))
    store = ForecastArchive(tmp_path / "f.sqlite")
    fid = store.add(fc, region=region)
    _same(store.continuations(fid), fc.continuations)
    assert SpatialRegion.from_dict(store.region(fid)) == region


def test_an_archive_holding_only_counts_still_reads(tmp_path):
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")  # the schema before continuations were kept
    _Base.metadata.create_all(engine, tables=[ForecastRecord.__table__,
                                              EvaluationRecord.__table__])
    fc = _temporal(20)
    with Session(engine) as session, session.begin():
        session.add(ForecastRecord(
            created_at=fc.origin.to_pydatetime(), model="etas", catalog="old",
            window_start="2014-01-01T00:00:00+00:00", window_end="2014-01-04T00:00:00+00:00",
            t_start_days=fc.t_start, t_end_days=fc.t_end, n_samples=20,
            expected_count=fc.expected_count(), summary=fc.summary(),
            counts=np.asarray(fc.counts, "<i8").tobytes()))
    engine.dispose()
    store = ForecastArchive(path)
    [row] = store.list()
    assert row["model"] == "etas" and row["n_samples"] == 20
    np.testing.assert_array_equal(store.counts(row["id"]), fc.counts)
    assert not store.has_continuations(row["id"])
    with pytest.raises(CountsOnlyError, match=r"forecast 1 \(etas, 2014-01-01.*only counts"):
        store.forecast(row["id"])
    new_id = store.add(fc, catalog="old")  # and it takes new forecasts with continuations
    assert store.has_continuations(new_id)


def test_a_failed_continuations_write_stores_nothing(tmp_path):
    (tmp_path / "blocked").write_text("a file where the folder should be")
    store = ForecastArchive(tmp_path / "f.sqlite", continuations_dir=tmp_path / "blocked" / "c")
    with pytest.raises(OutputError, match="continuations"):
        store.add(_temporal(10))
    assert store.list() == []  # the forecast row was rolled back with it


def test_counts_only_when_asked(tmp_path):
    store = ForecastArchive(tmp_path / "f.sqlite", keep_continuations=False)
    fid = store.add(_temporal(10))
    assert not store.has_continuations(fid)
    assert not (tmp_path / "f.sqlite.continuations").exists()

"""``forecast issue --csep-out`` and ``forecast evaluate --tests`` (issue 13), in-process.

- ``--csep-out DIR`` writes each forecast in pyCSEP's catalog-forecast CSV format:
  ``csep.load_catalog_forecast`` gives back every continuation with the archived counts,
  for a temporal and a located model.
- ``--tests`` reruns pyCSEP's tests on archived forecasts (S on a located one); a
  counts-only archive gets one ``error:`` line naming the forecast, and nothing stored.
- bad ``--tests`` and an unwritable ``--csep-out`` name the flag and write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geohazard.catalog import read_catalog, write_catalog
from geohazard.forecast.archive import EvaluationRecord, ForecastArchive, ForecastRecord, _Base
from tests.badinput import Case, assert_clean_failure, check_case, run_main
from tests.forecast.test_spatial_eval import located_catalog

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def cat_path(tmp_path_factory) -> Path:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("cat")
    return write_catalog(located_catalog(n=500, seed=4, days=200.0), folder / "cat.csv")


def _load(path: Path) -> list:
    import csep

    return list(csep.load_catalog_forecast(str(path)))


def _issue(cat_path: Path, tmp: Path, *extra: str) -> dict:
    res = run_main(["forecast", "issue", "--catalog", cat_path, "--start", "2010-06-01",
                    "--model", "poisson", "--days", "10", "--samples", "60",
                    "--archive", tmp / "a.sqlite", "--csep-out", tmp / "csep",
                    "--json", tmp / "f.json", *extra])
    assert res.code == 0, res.output
    return json.loads((tmp / "f.json").read_text())["poisson"]


@pytest.mark.parametrize("spatial", [False, True], ids=["temporal", "located"])
def test_csep_out_loads_back_with_the_archived_counts(cat_path, tmp_path, spatial):
    out = _issue(cat_path, tmp_path, *(["--spatial", "--dh", "0.1"] if spatial else []))
    path = Path(out["csep_file"])
    assert path.parent == tmp_path / "csep" and path.name.startswith("poisson_2010-06-01")
    loaded = _load(path)
    counts = ForecastArchive(tmp_path / "a.sqlite").counts(out["archive_id"])
    assert len(loaded) == 60
    np.testing.assert_array_equal([c.event_count for c in loaded], counts)
    lon = np.concatenate([c.get_longitudes() for c in loaded])
    if spatial:  # the located model's simulated epicentres, around the catalog's area
        assert np.ptp(lon) > 0 and -117.0 < np.median(lon) < -116.0
    else:  # a temporal forecast: every event at the one cell's centre
        assert np.all(lon == 0.5)


def test_evaluate_reruns_the_s_test_on_an_archived_located_forecast(cat_path, tmp_path):
    out = _issue(cat_path, tmp_path, "--spatial", "--dh", "0.1")
    res = run_main(["forecast", "evaluate", "--catalog", cat_path, "--archive",
                    tmp_path / "a.sqlite", "--tests", "n,s", "--json", tmp_path / "e.json"])
    assert res.code == 0, res.output
    [row] = json.loads((tmp_path / "e.json").read_text())["csep_tests"]
    assert row["id"] == out["archive_id"] and set(row) >= {"n_test", "s_test"}
    assert row["n_test"]["observed_statistic"] == row["n_observed"] > 0
    assert row["s_test"]["status"] in ("normal", "undersampled")
    assert all(0.0 <= q <= 1.0 for q in row["s_test"]["quantile"])
    assert "s_test" in res.out


def _counts_only(tmp: Path, cat_path: Path) -> None:
    cat = read_catalog(cat_path)
    engine = create_engine(f"sqlite:///{tmp / 'old.sqlite'}")  # before continuations were kept
    _Base.metadata.create_all(engine, tables=[ForecastRecord.__table__,
                                              EvaluationRecord.__table__])
    with Session(engine) as session, session.begin():
        session.add(ForecastRecord(
            created_at=cat.origin.to_pydatetime(), model="etas", catalog=cat.metadata.name,
            window_start="2010-06-01T00:00:00+00:00", window_end="2010-06-11T00:00:00+00:00",
            t_start_days=151.0, t_end_days=161.0, n_samples=3, expected_count=2.0,
            summary={"mag_completeness": 1.0}, counts=np.array([1, 2, 3], "<i8").tobytes()))
    engine.dispose()


def test_counts_only_archive_refuses_m_s_pl_by_forecast_and_stores_nothing(cat_path, tmp_path):
    _counts_only(tmp_path, cat_path)
    res = run_main(["forecast", "evaluate", "--catalog", cat_path, "--archive",
                    tmp_path / "old.sqlite", "--tests", "n,m,s", "--json", tmp_path / "e.json"])
    assert_clean_failure(res, ["forecast 1", "etas", "only counts", "M, S"])
    assert not (tmp_path / "e.json").exists()
    assert ForecastArchive(tmp_path / "old.sqlite").evaluations(1) == []  # nothing stored
    ok = run_main(["forecast", "evaluate", "--catalog", cat_path, "--archive",
                   tmp_path / "old.sqlite", "--tests", "n", "--json", tmp_path / "e.json"])
    assert ok.code == 0, ok.output  # the N-test needs the counts only
    [row] = json.loads((tmp_path / "e.json").read_text())["csep_tests"]
    assert row["n_test"]["status"] == "normal"


def _setup(tmp: Path) -> None:
    write_catalog(located_catalog(n=300, seed=1, days=200.0), tmp / "cat.csv")
    (tmp / "a.sqlite").write_bytes(b"")
    (tmp / "blocker").write_text("a file")


_ISSUE = ["forecast", "issue", "--catalog", "{tmp}/cat.csv", "--start", "2010-06-01",
          "--model", "poisson", "--days", "5", "--samples", "20"]
CASES = [
    Case("tests-unknown", ["forecast", "evaluate", "--catalog", "{tmp}/cat.csv", "--archive",
                           "{tmp}/a.sqlite", "--tests", "n,x"], "--tests", _setup),
    Case("tests-empty", ["forecast", "evaluate", "--catalog", "{tmp}/cat.csv", "--archive",
                         "{tmp}/a.sqlite", "--tests", ","], "--tests", _setup),
    Case("tests-dh-zero", ["forecast", "evaluate", "--catalog", "{tmp}/cat.csv", "--archive",
                           "{tmp}/a.sqlite", "--tests", "s", "--dh", "0"], "--dh", _setup),
    Case("csep-out-is-a-file", [*_ISSUE, "--csep-out", "{tmp}/blocker"], "--csep-out", _setup),
    Case("csep-out-under-a-file", [*_ISSUE, "--csep-out", "{tmp}/blocker/sub"], "--csep-out",
         _setup),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_csep_flags(case: Case, tmp_path: Path) -> None:
    check_case(case, tmp_path, SHARED)

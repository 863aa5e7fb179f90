"""A catalog's coverage end (issue 11, silent case 2): what time the data speak for."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog import Catalog, CatalogMetadata, read_catalog, write_catalog
from geohazard.exceptions import CatalogError


def _catalog(days: float = 365.0, n: int = 400, **meta) -> Catalog:
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, days, n))
    times = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(t, unit="D")
    md = {"name": "c", "mag_completeness": 1.0, "start": "2020-01-01", **meta}
    return Catalog({"time": times, "magnitude": 1.5 + rng.exponential(0.4, n)},
                   CatalogMetadata(**md))


def test_coverage_end_is_the_sidecar_end_else_the_last_event() -> None:
    with_end = _catalog(end="2021-01-01")
    assert with_end.coverage_end == pd.Timestamp("2021-01-01", tz="UTC")
    without = _catalog()
    assert without.coverage_end == without.times[-1]


def test_a_catalog_that_stops_long_before_its_sidecar_end_is_noticed(tmp_path, caplog) -> None:
    """Events for half a year, sidecar end two years later: the data end at the last event."""
    cat = _catalog(days=180.0, end="2022-01-01")
    assert cat.coverage_shortfall() == (cat.times[-1], pd.Timestamp("2022-01-01", tz="UTC"))
    assert cat.coverage_end == cat.times[-1]
    path = write_catalog(cat, tmp_path / "short.csv")
    with caplog.at_level(logging.WARNING, logger="geohazard.catalog.io"):
        read_catalog(path)
    assert "long before the sidecar 'end'" in caplog.text
    with pytest.raises(CatalogError, match="after the end of the data"):
        cat.check_covered("2021-06-01", "--start")


def test_a_quiet_tail_no_longer_than_the_catalog_gaps_is_not_flagged() -> None:
    cat = _catalog(days=360.0, end="2020-12-31")  # ~5 days of quiet at ~1 event/day
    assert cat.coverage_shortfall() is None
    assert cat.coverage_end == pd.Timestamp("2020-12-31", tz="UTC")


def test_split_dates_beyond_the_data_are_a_clear_error(tmp_path) -> None:
    cat = _catalog(train_start="2020-01-01", val_start="2020-06-01", test_start="2030-01-01")
    with pytest.raises(CatalogError, match=r"split date 'test_start' = 2030-01-01.*beyond the "
                                           r"data \(last event 2020-12"):
        cat.split_counts()
    short = _catalog(days=100.0, end="2022-01-01", train_start="2020-01-01",
                     val_start="2020-06-01", test_start="2021-01-01")
    with pytest.raises(CatalogError, match="'val_start'"):
        short.to_sequence("train")


def test_the_test_split_ends_at_the_coverage_end(catalogs_dir) -> None:
    cat = read_catalog(catalogs_dir / "QTMSanJacinto.csv")
    lo, hi = cat.split_bounds("test")
    assert hi == cat.day_of("2018-01-01") and lo == cat.day_of("2016-01-01")


def test_convert_in_place_rewrites_the_sidecar_event_count(tmp_path) -> None:
    from tests.badinput import run_main

    rows = ["time,magnitude"] + [f"2020-01-{d:02d}T00:00:00Z,1.{d:02d}" for d in range(1, 21)]
    rows.append(rows[-1])  # an exact duplicate, dropped on reading
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "c.json").write_text(json.dumps({"name": "c", "events": 21}))
    res = run_main(["catalog", "convert", str(tmp_path / "c.csv"), str(tmp_path / "c.csv")])
    assert res.code == 0, res.output
    assert json.loads((tmp_path / "c.json").read_text())["events"] == 20
    assert len(read_catalog(tmp_path / "c.csv")) == 20


def test_catalog_info_reports_the_coverage_end_and_a_shortfall(tmp_path) -> None:
    from geohazard.catalog.summary import summarize

    full = summarize(_catalog(end="2021-01-01"))
    assert full["coverage_end"].startswith("2021-01-01") and "coverage_warning" not in full
    short = summarize(_catalog(days=180.0, end="2022-01-01"))
    assert "long before the sidecar 'end'" in short["coverage_warning"]

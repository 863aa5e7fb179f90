"""Catalogs round-trip through the field's own objects: ObsPy, QuakeML and pyCSEP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog import Catalog, read_catalog, write_catalog
from geohazard.catalog.core import CatalogMetadata
from geohazard.exceptions import CatalogError
from tests.badinput import run_main


@pytest.fixture(scope="module")
def located(catalogs_dir):
    """300 located QTM San Jacinto events with depths and sub-second times."""
    cat = read_catalog(catalogs_dir / "QTMSanJacinto_located.csv")
    df = cat.to_pandas().iloc[:300].copy()
    df["depth"] = np.linspace(1.0, 15.0, len(df))
    return Catalog(df, CatalogMetadata(name="sanjac", source="test"))


def _same_events(a: Catalog, b: Catalog, located: bool = True) -> None:
    assert len(a) == len(b)
    dt = np.abs((a.times - b.times).total_seconds().to_numpy())
    assert dt.max() < 1e-3  # the millisecond
    np.testing.assert_allclose(a.magnitudes, b.magnitudes, atol=0.005)  # 0.01 in magnitude
    if located:
        for col in [c for c in ("latitude", "longitude", "depth") if c in a.columns]:
            np.testing.assert_allclose(a[col].astype(float), b[col].astype(float), atol=1e-6)


def test_obspy_to_catalog_to_quakeml_to_obspy(located, tmp_path):
    from obspy import read_events

    obs = located.to_obspy()
    assert len(obs) == len(located)
    ev = obs[0]
    assert ev.preferred_origin().depth == pytest.approx(located["depth"][0] * 1000.0)  # metres
    back = Catalog.from_obspy(obs)
    _same_events(located, back)
    path = write_catalog(located, tmp_path / "events.xml")
    again = read_events(str(path), format="QUAKEML")
    _same_events(located, Catalog.from_obspy(again))
    _same_events(located, read_catalog(path))  # the file reader
    _same_events(located, read_catalog(again))  # an ObsPy Catalog given to read_catalog


def test_magnitude_only_catalog_round_trips(catalogs_dir, tmp_path):
    cat = read_catalog(catalogs_dir / "QTMSanJacinto.csv").select(magnitude=(3.0, None))
    path = write_catalog(cat, tmp_path / "m3.qml")
    back = read_catalog(path)
    _same_events(cat, back, located=False)


def test_catalog_convert_writes_quakeml(located, tmp_path):
    src = write_catalog(located, tmp_path / "src.csv")
    out = tmp_path / "events.xml"
    res = run_main(["catalog", "convert", str(src), str(out)])
    assert res.code == 0, res.output
    _same_events(read_catalog(src), read_catalog(out))
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_to_csep_gives_a_pycsep_catalog(located):
    from csep.core.catalogs import CSEPCatalog

    cc = located.to_csep()
    assert isinstance(cc, CSEPCatalog) and cc.event_count == len(located)
    np.testing.assert_allclose(cc.get_magnitudes(), located.magnitudes)
    np.testing.assert_allclose(cc.get_latitudes(), located["latitude"].astype(float))
    epoch_ms = pd.DatetimeIndex(located.times).as_unit("ns").asi8 // 1_000_000
    np.testing.assert_array_equal(cc.get_epoch_times(), epoch_ms)


def test_from_obspy_refuses_what_is_not_a_catalog():
    with pytest.raises(CatalogError, match="expected an obspy Catalog"):
        Catalog.from_obspy([1, 2, 3])


def test_event_without_magnitude_is_named(located):
    obs = located.to_obspy()
    obs[4].magnitudes = []
    obs[4].preferred_magnitude_id = None
    with pytest.raises(CatalogError, match="event 5"):
        Catalog.from_obspy(obs)

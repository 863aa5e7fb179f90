import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geohazard.catalog import read_catalog, write_catalog
from geohazard.catalog.io import detect_format, read_sequence
from geohazard.exceptions import CatalogError, DataFileNotFoundError, GeohazardError


def write(tmp_path, text, name="cat.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_sidecar_metadata(catalogs_dir):
    cat = read_catalog(catalogs_dir / "QTMSanJacinto.csv")
    md = cat.metadata
    assert md.mag_completeness == 1.0 and md.mag_roundoff == 0.01
    assert md.test_start == pd.Timestamp("2016-01-01", tz="UTC")
    assert len(cat) == 20_790


def test_npp_format(catalogs_dir):
    path = catalogs_dir / "QTMSanJacinto_located.csv"
    assert detect_format(path) == "npp"
    cat = read_catalog(path)
    assert "event_id" in cat.columns and cat["x"].dtype == np.float64


def test_etas_synthetic_sequence(catalogs_dir):
    seq = read_sequence(catalogs_dir / "ETAS_synthetic.csv")
    assert len(seq) == 80_817
    assert seq.t_end == 3_000_000 and seq.mag_completeness == 2.0
    with pytest.raises(CatalogError, match="t_days"):
        read_catalog(catalogs_dir / "ETAS_synthetic.csv")


@pytest.mark.parametrize(
    "text, match",
    [
        ("time,mag2\n2020-01-01,1.0\n", "missing required column 'magnitude'"),
        ("time,magnitude\n2020-01-01,1.0\nnot-a-time,2.0\n", "column 'time', row 2"),
        ("time,magnitude\n2020-01-01,1.0\n2020-01-02,\n", "column 'magnitude', row 2"),
        ("time,magnitude\n2020-01-01,1.0\n2020-01-02,abc\n", "column 'magnitude', row 2"),
        ("time,magnitude\n2020-01-01,1.0\n2999-01-02,2.0\n", "row 2: time .* in the future"),
        ("", "empty"),
        ("time,magnitude\n", "no events"),
        ("time;magnitude\n2020-01-01;1.0\n", "delimiter ';'"),
        ("time\tmagnitude\n2020-01-01\t1.0\n", r"delimiter '\\t'"),
    ],
)
def test_bad_input_errors_name_file_column_row(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(CatalogError, match=match) as info:
        read_catalog(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_duplicates_dropped_and_unsorted_sorted(tmp_path, caplog):
    path = write(tmp_path, "time,magnitude\n2020-01-02,2.0\n2020-01-01,1.0\n2020-01-01,1.0\n")
    cat = read_catalog(path)
    assert list(cat.magnitudes) == [1.0, 2.0]
    assert "dropped 1 exact duplicate" in caplog.text
    assert "not sorted" in caplog.text


def test_missing_file():
    with pytest.raises(DataFileNotFoundError):
        read_catalog("/nonexistent/catalog.csv")


def test_bad_sidecar(tmp_path):
    path = write(tmp_path, "time,magnitude\n2020-01-01,1.0\n")
    (tmp_path / "cat.json").write_text("{not json")
    with pytest.raises(CatalogError, match="cat.json: invalid JSON sidecar"):
        read_catalog(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_roundtrip(tmp_path, catalogs_dir, suffix):
    cat = read_catalog(catalogs_dir / "QTMSanJacinto_located.csv").select(time=(None, "2009"))
    cat = cat.with_metadata(mag_completeness=1.0, train_start="2008-03-01",
                            val_start="2008-06-01", test_start="2008-09-01",
                            start="2008-01-01", end="2009-01-01")
    out = write_catalog(cat, tmp_path / f"c{suffix}")
    back = read_catalog(out)
    assert len(back) == len(cat)
    np.testing.assert_allclose(back.magnitudes, cat.magnitudes, atol=1e-6)
    np.testing.assert_allclose(back["x"], cat["x"], atol=1e-6)
    assert (back.times - cat.times).max() <= pd.Timedelta("1us")
    assert back.metadata.test_start == cat.metadata.test_start
    assert back.split_counts() == cat.split_counts()


def test_write_is_atomic(tmp_path, monkeypatch):
    cat = read_catalog(write(tmp_path, "time,magnitude\n2020-01-01,1.0\n"))
    target = tmp_path / "out.csv"
    target.write_text("previous")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        write_catalog(cat, target)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


QUAKEML = """<?xml version="1.0" encoding="UTF-8"?>
<q:quakeml xmlns="http://quakeml.org/xmlns/bed/1.2" xmlns:q="http://quakeml.org/xmlns/quakeml/1.2">
 <eventParameters publicID="smi:local/ep">
  <event publicID="smi:local/event/ci1">
   <origin publicID="smi:local/origin/1">
    <time><value>2019-07-06T03:19:53.040000Z</value></time>
    <latitude><value>35.7695</value></latitude><longitude><value>-117.5993</value></longitude>
    <depth><value>8000.0</value></depth>
   </origin>
   <magnitude publicID="smi:local/mag/1"><mag><value>7.1</value></mag><type>Mw</type></magnitude>
   <preferredOriginID>smi:local/origin/1</preferredOriginID>
   <preferredMagnitudeID>smi:local/mag/1</preferredMagnitudeID>
  </event>
  <event publicID="smi:local/event/ci2">
   <origin publicID="smi:local/origin/2">
    <time><value>2019-07-04T17:33:49.000000Z</value></time>
    <latitude><value>35.7053</value></latitude><longitude><value>-117.5038</value></longitude>
    <depth><value>10500.0</value></depth>
   </origin>
   <magnitude publicID="smi:local/mag/2"><mag><value>6.4</value></mag><type>Mw</type></magnitude>
  </event>
 </eventParameters>
</q:quakeml>
"""


def test_quakeml_via_obspy(tmp_path):
    path = write(tmp_path, QUAKEML, "events.xml")
    cat = read_catalog(path)
    assert list(cat.magnitudes) == [6.4, 7.1]  # sorted by time
    assert cat["depth"][1] == pytest.approx(8.0)
    assert cat.times[1] == pd.Timestamp("2019-07-06T03:19:53.04Z")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                                   max_value=pd.Timestamp("2025-01-01").to_pydatetime())
                      .map(lambda d: d.isoformat()), st.text(max_size=12)),
            st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=32).map(str),
                      st.text(max_size=6)),
        ),
        max_size=8,
    ),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_csv_reader_fuzz_never_crashes_unexpectedly(tmp_path, rows, sep):
    """Any input either reads into a valid sorted catalog or raises a GeohazardError."""
    def clean(s):
        return s.replace(sep, " ").replace("\n", " ").replace("\r", " ")

    text = f"time{sep}magnitude\n" + "".join(f"{clean(t)}{sep}{clean(m)}\n" for t, m in rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(text)
    try:
        cat = read_catalog(path)
    except GeohazardError:
        return
    assert len(cat) >= 1
    assert cat.times.is_monotonic_increasing
    assert np.isfinite(cat.magnitudes).all()


def test_sidecar_roundtrip_keeps_extra(tmp_path):
    path = write(tmp_path, "time,magnitude\n2020-01-01,1.0\n")
    (tmp_path / "cat.json").write_text(json.dumps({"name": "X", "region": "here"}))
    cat = read_catalog(path)
    assert cat.metadata.extra["region"] == "here"


_ISO_CASES = ["2020", "2020-01", "20200102", "2020-01-02 03:04:05+02:00",
              "2020-01-02T03:04:05.123456789Z", "2020-01-02 03:04", " 2020-01-02",
              "2020-01-02T03:04:05.5", "2008-01-01 05:19:47.961", "2020-01-02T03:04:05-0700"]


def _mixed(raw: pd.Series) -> pd.Series:
    """The per-value parse every column went through before the ISO 8601 pass."""
    return pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")


@pytest.mark.parametrize("name", ["QTMSanJacinto", "SCEDC", "White", "QTMSanJacinto_located"])
def test_iso_pass_parses_the_shared_catalogs_as_the_per_value_parse(catalogs_dir, name):
    from geohazard.catalog.io import parse_utc

    raw = pd.read_csv(catalogs_dir / f"{name}.csv", dtype={"time": str})["time"]
    fast, slow = parse_utc(raw), _mixed(raw)
    assert fast.dtype == slow.dtype and fast.equals(slow)


@pytest.mark.parametrize("other", [None, "01/02/2020 03:04", "Jan 2 2020", "not a time", ""])
def test_iso_pass_equals_the_per_value_parse_value_for_value(other):
    """ISO 8601 forms (with offsets, fractions, spaces) give what the per-value parse gives;
    one value in another form sends the whole column through the per-value parse."""
    from geohazard.catalog.io import parse_utc

    raw = pd.Series(_ISO_CASES + ([other] if other is not None else []), dtype=object)
    fast, slow = parse_utc(raw), _mixed(raw)
    assert fast.dtype == slow.dtype
    assert fast.equals(slow), pd.DataFrame({"raw": raw, "fast": fast, "slow": slow})
    if other in ("01/02/2020 03:04", "Jan 2 2020"):  # parsed by the fallback, not dropped
        assert fast.iloc[-1] == pd.Timestamp("2020-01-02", tz="UTC") + (
            pd.Timedelta("3h4min") if ":" in other else pd.Timedelta(0))

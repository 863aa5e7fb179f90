"""Weather units are never guessed, and any file is a valid table or a one-line error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geohazard.das.weather import (
    WeatherColumns,
    parse_precip_units,
    read_weather,
    read_weather_csv,
)
from geohazard.exceptions import DASError, InputError

ROWS_10S = "".join(f"2021-09-01T00:{m:02d}:{s:02d}Z,3.0,{v}\n"
                   for m in range(2) for s in range(0, 60, 10) for v in [6.0])


def _csv(tmp_path, header):
    p = tmp_path / "w.csv"
    p.write_text(f"time,wind_mps,{header}\n{ROWS_10S}")
    return p


@pytest.mark.parametrize("name", ["precip_rate_mm_per_h", "rain_mm_per_hour", "rain (mm/h)",
                                  "rain_mmph", "precip_mm_hr", "rain mm h-1", "Rain [mm/h]"])
def test_rate_columns_are_rates(tmp_path, name):
    # 6 mm/h on 10-s rows: read as an accumulation this was 360 x too high (2160 mm/h)
    wx = read_weather_csv(_csv(tmp_path, name))
    np.testing.assert_allclose(wx["rain_mmph"], 6.0)


def test_rate_in_other_units(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("time,wind_mps,prcp_in_per_hour\n2021-09-01T00:01Z,1,0.5\n"
                 "2021-09-01T00:02Z,1,1.0\n")
    np.testing.assert_allclose(read_weather_csv(p)["rain_mmph"], [12.7, 25.4])


@pytest.mark.parametrize("name", ["rain_rate", "precip_rate_mm", "rain_intensity", "precip",
                                  "PrecipRate"])
def test_ambiguous_precip_units_refused_naming_column_and_flag(tmp_path, name):
    p = _csv(tmp_path, name)
    with pytest.raises(DASError) as err:
        read_weather_csv(p)
    assert name in str(err.value) and "--precip-units" in str(err.value)
    assert "\n" not in str(err.value)
    # the user states the unit: read as given
    wx = read_weather_csv(p, WeatherColumns(precip_units="mm/h"))
    np.testing.assert_allclose(wx["rain_mmph"], 6.0)
    # read as 6 mm per 10-s row it would be 2160 mm/h: beyond any rain measured, refused
    with pytest.raises(DASError, match=f"{name}.*outside.*--precip-units"):
        read_weather_csv(p, WeatherColumns(precip_units="mm"))


def test_accumulation_columns_still_accumulations(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("time,wind_mps,precip_1h_mm\n2021-09-01T01:00Z,1,2\n2021-09-01T02:00Z,1,4\n")
    np.testing.assert_allclose(read_weather_csv(p)["rain_mmph"], [2.0, 4.0])


@pytest.mark.parametrize("text,unit,rate", [("mm", "mm", False), ("in", "in", False),
                                            ("mm/h", "mm/h", True), ("in/hr", "in/hr", True),
                                            ("mm per hour", "mm/hour", True),
                                            ("mmph", "mmph", True)])
def test_parse_precip_units(text, unit, rate):
    assert parse_precip_units(text) == (unit, rate)


def test_bad_units_and_values_name_flag_or_column(tmp_path):
    with pytest.raises(InputError, match="--precip-units"):
        parse_precip_units("furlongs")
    p = _csv(tmp_path, "precip_mm")
    with pytest.raises(InputError, match="--wind-units"):
        read_weather_csv(p, WeatherColumns(wind_units="furlongs/fortnight"))
    with pytest.raises(InputError, match="--timezone"):
        read_weather_csv(p, WeatherColumns(timezone="Mars/Olympus"))
    # 6 mm per 10-s row is 2160 mm/h: beyond any rain ever measured, so a unit mistake
    with pytest.raises(DASError, match="precip_mm.*--precip-units"):
        read_weather_csv(p)
    q = tmp_path / "inf.csv"
    q.write_text("time,wind_mps,precip_mm\n2021-09-01T00:01Z,inf,0\n2021-09-01T00:02Z,1,0\n")
    with pytest.raises(DASError, match="wind_mps"):
        read_weather_csv(q)


def test_directory_and_empty_files_are_one_line_errors(tmp_path):
    with pytest.raises(DASError, match="is a directory"):
        read_weather(tmp_path)
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DASError, match="empty"):
        read_weather(empty)
    head = tmp_path / "h.csv"
    head.write_text("time,wind_mps,precip_mm\n")
    with pytest.raises(DASError, match="no data rows"):
        read_weather(head)


# ---------------------------------------------------------------- fuzz
_NAMES = ["time", "date", "wind_mps", "wind (knots)", "wind", "gust_mps", "precip_mm",
          "rain_rate", "precip_rate_mm_per_h", "Precip (in)", "x", "", "time", "rain"]
_CELLS = st.one_of(
    st.sampled_from(["2021-09-01T00:01Z", "2021-09-01 00:02", "2021-13-45", "M", "T", "",
                     "nan", "inf", "-1", "0", "1e308", "3.5", "x", "2021-09-01T00:03+05:00",
                     "1", "\"a,b\"", "99999999999999999999"]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


_GOOD_HEADERS = [["time", "wind_mps", "precip_mm"],
                 ["date", "wind (knots)", "gust (knots)", "Precip (in)"],
                 ["valid", "wind_speed_mps", "rain_mmph"]]
_NUMBERS = st.one_of(st.floats(0, 60, allow_nan=False).map(lambda v: f"{v:.3f}"),
                     st.sampled_from(["0", "M", "T", ""]))


@st.composite
def _csv_text(draw):
    """Mostly-valid weather tables with a few corrupted cells, or junk tables."""
    if draw(st.booleans()):
        names = draw(st.sampled_from(_GOOD_HEADERS))
        n = draw(st.integers(0, 6))
        step = draw(st.sampled_from([10, 60, 3600]))
        t0 = pd.Timestamp("2021-09-01T00:00Z")
        rows = [[(t0 + pd.Timedelta(seconds=step * (i + 1))).isoformat()]
                + [draw(_NUMBERS) for _ in names[1:]] for i in range(n)]
        if rows and draw(st.booleans()):  # corrupt one cell
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, len(names) - 1))
            rows[i][j] = draw(_CELLS)
    else:
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5))
        rows = draw(st.lists(st.lists(_CELLS, min_size=0, max_size=len(names) + 1),
                             max_size=6))
    lines = [",".join(names)] + [",".join(r) for r in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def _valid_table(wx: pd.DataFrame) -> None:
    assert list(wx.columns) == ["interval_s", "wind_mps", "gust_mps", "rain_mmph"]
    assert str(wx.index.tz) == "UTC" and wx.index.is_monotonic_increasing
    assert (wx["interval_s"] > 0).all()
    for col in ("wind_mps", "gust_mps", "rain_mmph"):
        vals = wx[col].to_numpy(float)
        assert not np.isinf(vals).any() and not (vals < 0).any()


def _read_or_clean_error(path, fmt):
    try:
        wx = read_weather(path, fmt)
    except (DASError, InputError) as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    _valid_table(wx)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_csv_text())
def test_fuzz_structured_csv(tmp_path, text):
    p = tmp_path / "fuzz.csv"
    p.write_text(text, encoding="utf-8")
    _read_or_clean_error(p, "csv")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300),
                      st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzz_arbitrary_bytes(tmp_path, data):
    p = tmp_path / "fuzz.csv"
    p.write_bytes(data)
    _read_or_clean_error(p, "auto")

import numpy as np
import pandas as pd
import pytest

from geohazard.das.weather import (
    WeatherColumns,
    read_asos_1min,
    read_isd_lite,
    read_weather,
    read_weather_csv,
    resample_to_windows,
)
from geohazard.exceptions import DASError, ParameterError


def test_generic_csv_units_detected(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("Date Time,Wind (knots),Gust (knots),Precip (in)\n"
                 "2021-09-01 00:01,10,20,0.00\n2021-09-01 00:02,0,0,0.01\n"
                 "2021-09-01 00:03,5,7,0.02\n")
    wx = read_weather_csv(p)
    assert str(wx.index.tz) == "UTC"
    np.testing.assert_allclose(wx["wind_mps"], [5.14444, 0.0, 2.57222])
    np.testing.assert_allclose(wx["gust_mps"], [20 * 0.514444, 0.0, 7 * 0.514444])
    # 0.01 in over one minute = 0.254 mm/min = 15.24 mm/h
    np.testing.assert_allclose(wx["rain_mmph"], [0.0, 15.24, 30.48])
    np.testing.assert_allclose(wx["interval_s"], 60.0)


def test_generic_csv_rates_timezone_and_start_labels(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("t,ws,rr\n2021-09-01 08:00,3,1.5\n2021-09-01 08:10,4,0\n2021-09-01 08:20,5,0\n")
    cols = WeatherColumns(time="t", wind="ws", precip="rr", precip_units="mm/h",
                          timezone="America/New_York", time_label="start")
    wx = read_weather_csv(p, cols)
    # 08:00 EDT = 12:00 UTC; start labels become interval ends (+10 min)
    assert wx.index[0] == pd.Timestamp("2021-09-01 12:10", tz="UTC")
    np.testing.assert_allclose(wx["rain_mmph"], [1.5, 0.0, 0.0])
    assert wx["gust_mps"].isna().all()


def test_generic_csv_errors_name_row_and_column(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("time,wind_mps,precip_mm\n2021-09-01T00:00Z,1,0\n2021-09-01T00:01Z,x,0\n")
    with pytest.raises(DASError, match="wind_mps.*row 3"):
        read_weather_csv(p)
    q = tmp_path / "q.csv"
    q.write_text("time,foo\n2021-09-01,1\n")
    with pytest.raises(DASError, match="no wind column"):
        read_weather_csv(q)
    with pytest.raises(ParameterError, match="unit"):
        read_weather_csv(p, WeatherColumns(wind_units="furlongs"))


def test_resample_finer_and_coarser_and_gaps():
    idx = pd.date_range("2021-09-01 00:01", periods=6, freq="1min", tz="UTC")
    wx = pd.DataFrame({"interval_s": 60.0, "wind_mps": [1, 2, 3, 4, np.nan, 6.0],
                       "gust_mps": np.nan, "rain_mmph": [0, 6, 6, 0, 0, 12.0]}, index=idx)
    starts = pd.date_range("2021-09-01 00:00", periods=3, freq="2min", tz="UTC")
    out = resample_to_windows(wx, starts, 120.0)
    np.testing.assert_allclose(out["wind_mps"], [1.5, 3.5, 6.0])  # NaN minute skipped
    np.testing.assert_allclose(out["wind_coverage"], [1.0, 1.0, 0.5])
    np.testing.assert_allclose(out["rain_mmph"], [3.0, 3.0, 6.0])
    # hourly value spread over minute windows; window beyond the data is NaN
    hourly = pd.DataFrame({"interval_s": 3600.0, "wind_mps": [7.0], "gust_mps": np.nan,
                           "rain_mmph": [2.0]},
                          index=pd.DatetimeIndex(["2021-09-01 01:00"], tz="UTC"))
    mins = pd.date_range("2021-09-01 00:58", periods=4, freq="1min", tz="UTC")
    out = resample_to_windows(hourly, mins, 60.0)
    np.testing.assert_allclose(out["wind_mps"].to_numpy()[:2], [7.0, 7.0])
    assert out["wind_mps"].isna().to_numpy()[2:].all()


def _asos(date, lst, utc, tail):
    return f"14758KUNV UNV{date}{lst}{utc}{tail}"


def test_asos_one_minute(tmp_path):
    p1 = tmp_path / "64050KUNV202109.dat"
    p1.write_text("\n".join([
        _asos("20210901", "0000", "0500", "   0.063 N                 0.065 N"
              "                 271     6   272     7   26L55+"),
        _asos("20210901", "0001", "0501", "   0.063 N                 0.065 N"
              "                 270    10   275    14"),
        _asos("20210901", "0002", "0502", "   M                       M"),
    ]) + "\n")
    p2 = tmp_path / "64060KUNV202109.dat"
    p2.write_text("\n".join([
        _asos("20210901", "0000", "0500", " NP     0.00             29.991  29.993    72     65"),
        _asos("20210901", "0001", "0501", " R-     0.01             29.991  29.993    72     65"),
        _asos("20210901", "0002", "0502", " R+     M                29.991  29.993    72     65"),
    ]) + "\n")
    wx = read_asos_1min(p1, p2)
    assert wx.index[0] == pd.Timestamp("2021-09-01 05:00", tz="UTC")  # EST + 5 h
    np.testing.assert_allclose(wx["wind_mps"].to_numpy()[:2], [6 * 0.514444, 10 * 0.514444])
    np.testing.assert_allclose(wx["gust_mps"].to_numpy()[:2], [7 * 0.514444, 14 * 0.514444])
    assert np.isnan(wx["wind_mps"].iat[2])
    np.testing.assert_allclose(wx["rain_mmph"].to_numpy()[:2], [0.0, 0.01 * 25.4 * 60])
    assert np.isnan(wx["rain_mmph"].iat[2])
    assert read_weather(p1, "auto").index[0] == wx.index[0]


def test_isd_lite(tmp_path):
    p = tmp_path / "725128-54739-2021"
    p.write_text(
        "2021 09 01 17   211   172 10120   200    41     8     5 -9999\n"
        "2021 09 01 18   217   172 10118   210    57     8    -1 -9999\n"
        "2021 09 01 19   217   172 10118 -9999 -9999     8 -9999 -9999\n")
    wx = read_isd_lite(p)
    assert wx.index[0] == pd.Timestamp("2021-09-01 17:00", tz="UTC")
    np.testing.assert_allclose(wx["wind_mps"].to_numpy()[:2], [4.1, 5.7])
    np.testing.assert_allclose(wx["rain_mmph"].to_numpy()[:2], [0.5, 0.0])  # trace -> 0
    assert np.isnan(wx["rain_mmph"].iat[2]) and np.isnan(wx["wind_mps"].iat[2])
    assert (wx["interval_s"] == 3600).all()
    assert read_weather(p).equals(wx)
    import gzip

    gz = tmp_path / "725128-54739-2021.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert read_weather(gz).equals(wx)
    with pytest.raises(FileNotFoundError):
        read_weather(tmp_path / "none.csv")

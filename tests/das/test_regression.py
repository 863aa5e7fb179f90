import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geohazard.das.regression import (
    Thresholds,
    classify_windows,
    find_events,
    fit_lines,
    response,
    volume_fits,
)
from geohazard.das.sources import find_sources, group_sources, robust_z
from geohazard.exceptions import ParameterError


def test_ols_matches_scipy_linregress():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 15, 80)
    y = np.column_stack([2.0 + 0.7 * x + rng.normal(0, 1, 80),
                         -1.0 + 0.1 * x + rng.normal(0, 3, 80)])
    fit = fit_lines(x, y)
    for c in range(2):
        ref = stats.linregress(x, y[:, c])
        assert fit["slope"][c] == pytest.approx(ref.slope, rel=1e-10)
        assert fit["intercept"][c] == pytest.approx(ref.intercept, rel=1e-10)
        assert fit["r"][c] == pytest.approx(ref.rvalue, rel=1e-10)
        assert fit["slope_se"][c] == pytest.approx(ref.stderr, rel=1e-10)
        assert fit["p_value"][c] == pytest.approx(ref.pvalue, rel=1e-6)
        half = stats.t.ppf(0.975, 78) * ref.stderr
        assert fit["slope_hi"][c] - fit["slope"][c] == pytest.approx(half, rel=1e-10)
    assert (fit["n"] == 80).all()


def test_mask_and_nan_handling():
    x = np.arange(10.0)
    y = 3 * x + 1
    y[2] = np.nan
    mask = np.ones(10, bool)
    mask[5] = False
    fit = fit_lines(x, y, mask)
    assert fit["slope"][0] == pytest.approx(3.0) and fit["n"][0] == 8
    assert np.isnan(fit_lines(x[:2], y[:2])["slope"][0])  # too few points
    with pytest.raises(ParameterError):
        fit_lines(x, y, ci=1.5)


def test_huber_resists_outliers():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 200)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.3, 200)
    y[rng.choice(200, 20, replace=False)] += 40.0  # traffic bursts
    ols = fit_lines(x, y)["slope"][0]
    hub = fit_lines(x, y, robust=True)
    assert abs(hub["slope"][0] - 2.0) < 0.05
    assert abs(hub["slope"][0] - 2.0) < abs(ols - 2.0)
    assert hub["slope_lo"][0] < 2.0 < hub["slope_hi"][0]


def test_response_kinds():
    e = np.array([4.0, 100.0])
    np.testing.assert_allclose(response(e, "rms"), [2.0, 10.0])
    np.testing.assert_allclose(response(e, "db"), [6.0206, 20.0], rtol=1e-4)
    with pytest.raises(ParameterError):
        response(e, "amp")


def _weather(rain, wind, step=60):
    idx = pd.date_range("2021-09-01", periods=len(rain), freq=f"{step}s", tz="UTC")
    return pd.DataFrame({"wind_mps": wind, "rain_mmph": rain}, index=idx)


def test_classify_and_dry_buffer():
    wx = _weather([0, 0, 1, 10, 0, 0, 0], [1, 6, 6, 2, 8, 1, np.nan])
    out = classify_windows(wx, Thresholds(dry_buffer_s=60))
    assert list(out["klass"]) == ["calm", "wind", "rain", "heavy_rain", "wind", "calm",
                                  "unknown"]
    assert list(out["dry"]) == [True, True, False, False, False, True, True]


def test_find_events_split_by_gap():
    rain = [0, 2, 4, 2, 0, 0, 0, 0, 6, 6, 0, 3, 0]
    ev = find_events(_weather(rain, np.ones(len(rain))), gap_s=150, min_windows=2)
    assert len(ev) == 2
    assert ev["volume_mm"].tolist() == pytest.approx([8 / 60, 15 / 60])
    assert ev["peak_mmph"].tolist() == [4.0, 6.0]


def test_volume_fits_need_three_events():
    ef = pd.DataFrame({"event": [0, 1, 2], "channel": 5, "slope": [1.0, 2.0, 3.0],
                       "volume_mm": [1.0, 2.0, 3.0]})
    vf = volume_fits(ef)
    assert vf["slope"][0] == pytest.approx(1.0) and vf["channel"][0] == 5
    assert volume_fits(ef.iloc[:2]).empty


def test_sources_grouped_and_located():
    slope = np.full(40, 0.05) + np.random.default_rng(2).normal(0, 0.005, 40)
    slope[10:13] = [0.5, 1.0, 0.6]
    slope[30] = 0.8
    fits = pd.DataFrame({"channel": np.arange(40), "slope": slope, "r2": 0.9})
    chans = pd.DataFrame({"channel": np.arange(40), "distance_m": np.arange(40) * 2.0,
                          "latitude": 40 + np.arange(40) * 1e-5})
    src = find_sources(fits, None, chans)
    assert src["peak_channel"].tolist() == [11, 30]
    assert src["distance_m"].tolist() == [22.0, 60.0]
    assert src["channel_start"].tolist() == [10, 30] and src["n_channels"].tolist() == [3, 1]
    assert "latitude" in src
    fits.loc[30, "r2"] = 0.1  # badly fitted -> not a candidate
    assert find_sources(fits, None, chans)["peak_channel"].tolist() == [11]
    assert group_sources(fits, np.zeros(40, bool), "pole").empty
    assert robust_z(np.array([1.0, 1.0, 1.0, 5.0]))[3] > 0

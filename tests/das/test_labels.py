"""Figures and the report name the quantity, its units and the dB reference (issue 14)."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from geohazard.plotting.das import plot_energy_waterfall, plot_spectra  # noqa: E402
from geohazard.report.das import channel_ranges, summary_rows  # noqa: E402

SUMMARY = {
    "n_files": 7, "n_channels": 8, "fs_hz": 100.0, "data_duration_s": 140.0,
    "quantity": "velocity", "data_units": "m/s", "energy": "mean squared velocity",
    "energy_units": "(m/s)^2", "n_windows": 14, "window_s": 10.0,
    "bands": ["0.5-8Hz", "2-8Hz", "8-50Hz"], "energy_seconds": 0.123456,
    "energy_x_realtime": 1134.0527, "window_classes": {"calm": 6, "heavy_rain": 3},
    "n_dry_windows": 8, "wind_band": "0.5-8Hz", "wind_response": "rms",
    "wind_response_units": "m/s",
    "top_wind_channels": [{"channel": 2, "slope": 0.9, "r2": 0.99}],
    "events": [{"event": 1}], "sources": [{"kind": "pole"}],
    "pole_channels": [1, 2, 3, 7], "drain_channels": [],
    "resonance_peak_hz": {"2": 2.5123456}, "resonances": [], "geopackage": "channels.gpkg",
}


def test_summary_rows_are_readable():
    rows = dict(summary_rows(SUMMARY))
    text = "\n".join(rows.values())
    assert not re.search(r"[\[\]{}]|None|np\.|\d\.\d{5,}", text), text  # no reprs
    assert rows["data"] == "7 file(s), 8 channels, 2.3 min sampled at 100 Hz"
    assert rows["quantity recorded"] == "velocity (m/s)"
    assert rows["band energy"] == "mean squared velocity, in (m/s)^2"
    assert rows["bands"] == "0.5-8 Hz, 2-8 Hz, 8-50 Hz"
    assert rows["window classes"] == "calm 6, heavy rain 3"
    assert rows["computing speed"] == "1,134 times real time (0.123 s)"
    assert rows["wind-sensitive channels (light poles)"] == "1-3, 7"
    assert rows["rain-sensitive channels (storm drains)"] == "none found"
    assert rows["resonance peaks"] == "channel 2: 2.51 Hz"
    assert rows["wind response"] == ("band RMS in 0.5-8 Hz, fitted on dry windows; slopes in "
                                     "m/s per m/s")


def test_channel_ranges():
    assert channel_ranges([5, 1, 2, 3, 9, 10, 10]) == "1-3, 5, 9-10"
    assert channel_ranges([4]) == "4"


def test_psd_axis_states_units_and_db_reference():
    f = np.linspace(0, 20, 41)
    spec = {"channel": 3, "psd_units": "(1/s)^2/Hz",
            "calm": {"wind_mps": 1.0, "freqs": f, "psd": np.full(41, 1e-2)},
            "windy": {"wind_mps": 9.0, "freqs": f, "psd": np.full(41, 1.0)}}
    ax = plot_spectra(spec)
    assert ax.get_ylabel() == "PSD (dB re 1 (1/s)^2/Hz)"
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["calm (wind 1.0 m/s)"], -20.0)  # 1e-2 -> -20 dB
    np.testing.assert_allclose(lines["windy (wind 9.0 m/s)"], 0.0)
    plt.close(ax.figure)


def test_waterfall_colour_bar_names_the_energy_units():
    t = pd.date_range("2021-09-01", periods=5, freq="60s")
    energy = xr.DataArray(np.ones((1, 5, 3)), dims=("band", "time", "channel"),
                          coords={"band": ["0.5-8Hz"], "time": t, "channel": np.arange(3)},
                          attrs={"long_name": "band energy (mean squared velocity)",
                                 "units": "(m/s)^2"})
    ax = plot_energy_waterfall(energy, "0.5-8Hz", np.arange(3) * 2.0)
    cbar = ax.figure.axes[-1]
    assert cbar.get_ylabel() == "0.5-8 Hz energy (dB re 1 (m/s)^2)"
    assert ax.get_title() == "Band energy (mean squared velocity), 0.5-8 Hz"
    plt.close(ax.figure)

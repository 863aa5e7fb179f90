import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from geohazard.plotting.das import (
    plot_energy_waterfall,
    plot_sensitivity,
    plot_sensitivity_map,
)


def _energy(nt, nc):
    t = pd.date_range("2021-09-01", periods=nt, freq="60s")
    data = np.ones((1, nt, nc))
    data[0, :, 3] = 100.0  # +20 dB channel
    return xr.DataArray(data, dims=("band", "time", "channel"),
                        coords={"band": ["0.5-8Hz"], "time": t, "channel": np.arange(nc)})


def test_waterfall_averages_long_records():
    ax = plot_energy_waterfall(_energy(4000, 6), "0.5-8Hz", max_rows=1000)
    mesh = ax.collections[0]
    arr = np.asarray(mesh.get_array()).reshape(-1, 6)
    assert arr.shape[0] == 1000  # 4000 windows shown as 1000 rows
    np.testing.assert_allclose(arr[:, 3], 20.0)
    np.testing.assert_allclose(arr[:, 0], 0.0)
    plt.close(ax.figure)


def test_sensitivity_plots_mark_sources():
    fits = pd.DataFrame({"channel": np.arange(5), "distance_m": np.arange(5) * 2.0,
                         "slope": [0, 0, 1, 0, 0.0], "slope_lo": -0.1, "slope_hi": 0.1})
    src = pd.DataFrame({"kind": ["pole"], "peak_slope": [1.0], "distance_m": [4.0],
                        "latitude": [40.0], "longitude": [-77.0]})
    ax = plot_sensitivity(fits, src)
    assert ax.get_legend() is not None
    plt.close(ax.figure)
    chans = pd.DataFrame({"channel": np.arange(5), "latitude": 40.0 + np.arange(5) * 1e-5,
                          "longitude": -77.0 + np.zeros(5)})
    ax = plot_sensitivity_map(chans, fits["slope"].to_numpy(), src)
    assert ax.get_xlabel() == "longitude" and ax.get_ylabel() == "latitude"
    plt.close(ax.figure)

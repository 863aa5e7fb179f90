"""End to end on a synthetic storm: the analysis must find the truth."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geohazard.das.pipeline import AnalysisConfig, analyze
from geohazard.das.synthetic import StormConfig, preset, simulate_storms
from geohazard.report.das import render_analysis


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("storm")
    return simulate_storms(out, StormConfig(), rng=20210901)


@pytest.fixture(scope="module")
def result(sim):
    cfg = AnalysisConfig(window_s=10.0, spacing_m=2.0, figures=True, report=True)
    return analyze(sim.weather_csv.parent / "das", sim.weather_csv,
                   sim.weather_csv.parent / "analysis", geometry_path=sim.geometry_csv, cfg=cfg,
                   render=render_analysis)


def test_synthetic_files_have_foresee_layout(sim):
    import h5py

    with h5py.File(sim.files[0]) as h5:
        assert set(h5) == {"raw", "timestamp"}
        assert h5["raw"].shape == (6000, 96) and h5["raw"].dtype == np.float32
        assert h5["timestamp"][1] - h5["timestamp"][0] == pytest.approx(0.01)
    truth = json.loads(sim.truth_json.read_text())
    assert len(truth["wind_slope_rms_0.5-8Hz"]) == 96 and len(truth["events"]) == 3
    wx = pd.read_csv(sim.weather_csv)
    assert list(wx.columns) == ["time", "wind_speed_mps", "wind_gust_mps", "precip_mm"]


def test_finds_pole_and_drain_channels(result, sim):
    truth = sim.truth
    found_poles = set(result.summary["pole_channels"])
    found_drains = set(result.summary["drain_channels"])
    for pole in truth["poles"]:
        assert pole["center"] in found_poles
        assert set(pole["channels"][1:-1]) <= found_poles  # the strongly shaken ones
    for drain in truth["drains"]:
        assert drain["center"] in found_drains
    true_pole = {c for p in truth["poles"] for c in p["channels"]}
    true_drain = {c for d in truth["drains"] for c in d["channels"]}
    assert found_poles <= true_pole and found_drains <= true_drain  # no false sources
    src = result.sources
    assert sorted(src.loc[src["kind"] == "pole", "peak_channel"]) == [20, 62]
    assert sorted(src.loc[src["kind"] == "drain", "peak_channel"]) == [40, 84]
    pole2 = src.loc[src["peak_channel"] == 62].iloc[0]
    assert pole2["distance_m"] == pytest.approx(124.0)
    # mapped with the geometry: channel 62 lies 28 m north of the corner at channel 48
    assert pole2["latitude"] - 40.7934 == pytest.approx(28.0 / 111_320.0, rel=1e-6)


@pytest.mark.parametrize("robust", [False, True])
def test_recovers_wind_slopes_within_10_percent(sim, result, robust):
    from geohazard.das import regression as rg

    truth = np.asarray(sim.truth["wind_slope_rms_0.5-8Hz"])
    chans = sorted(c for p in sim.truth["poles"] for c in p["channels"])
    if robust:
        y = rg.response(result.energy.sel(band="0.5-8Hz").values, "rms")
        fits = rg.fit_lines(result.windows["wind_mps"].to_numpy(), y,
                            result.windows["dry"].to_numpy(), robust=True)
    else:
        fits = result.wind_fits
    got = fits["slope"].to_numpy()[chans]
    np.testing.assert_allclose(got, truth[chans], rtol=0.10)
    centres = [p["center"] for p in sim.truth["poles"]]
    np.testing.assert_allclose(fits["slope"].to_numpy()[centres],
                               [p["slope"] for p in sim.truth["poles"]], rtol=0.05)
    assert (fits["r2"].to_numpy()[centres] > 0.95).all()


def test_rain_event_slopes_and_volume(result, sim):
    ev = result.events
    assert len(ev) == 3
    np.testing.assert_allclose(ev["volume_mm"], [e["volume_mm"] for e in sim.truth["events"]],
                               rtol=1e-3)
    ef = result.event_fits.query("band == '2-8Hz'")
    for drain in sim.truth["drains"]:
        got = ef.loc[ef["channel"] == drain["center"]].sort_values("event")["slope"]
        np.testing.assert_allclose(got, drain["event_slopes"], rtol=0.15)
    vf = result.volume_fits.query("band == '2-8Hz'").set_index("channel")
    gain = sim.truth["config"]["volume_gain"]
    for drain in sim.truth["drains"]:
        assert vf.loc[drain["center"], "slope"] == pytest.approx(drain["coef"] * gain, rel=0.25)
    assert set(result.windows["klass"]) == {"calm", "wind", "rain", "heavy_rain"}


def test_resonance_peaks_near_pole_frequency(result, sim):
    peaks = result.summary["resonance_peak_hz"]
    for pole in sim.truth["poles"]:
        assert abs(peaks[pole["center"]] - pole["f0"]) <= 0.26  # one Welch bin (0.25 Hz)
    fits = result.resonance_fits.set_index("channel")
    for pole in sim.truth["poles"]:
        row = fits.loc[pole["center"]]
        assert row["amp_wind_r2"] > 0.8 and row["amp_wind_slope"] > 0  # grows with wind
        assert abs(row["freq_wind_slope"]) < 0.02  # the mode does not drift (Hz per m/s)


def test_outputs_written_and_rerun_resumes(result, sim):
    out = result.out_dir
    for name in ("wind_fits", "rain_fits", "events", "event_fits", "sources", "windows"):
        assert (out / "tables" / f"{name}.parquet").exists()
        assert (out / "tables" / f"{name}.csv").exists()
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "Sources along the fiber" in html
    for fig in ("wind_sensitivity", "map", "spectra", "resonance_wind", "wind_fit"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_windows"] == 306
    n_parts = len(list((out / "energy" / "parts").glob("*.parquet")))
    cfg = AnalysisConfig(window_s=10.0, spacing_m=2.0, figures=False, report=False)
    again = analyze(out.parent / "das", sim.weather_csv, out, sim.geometry_csv, cfg=cfg)
    assert len(list((out / "energy" / "parts").glob("*.parquet"))) == n_parts
    pd.testing.assert_frame_equal(again.wind_fits, result.wind_fits)


def test_demo_preset_runs_quickly(tmp_path):
    from geohazard.demo.das import run_demo

    summary = run_demo(tmp_path, rng=5, render=render_analysis)
    assert Path(summary["report"]).exists()
    assert summary["max_wind_slope_rel_error"] < 0.10
    assert set(summary["true_pole_centres"]) <= set(summary["found_pole_channels"])
    assert set(summary["true_drain_centres"]) <= set(summary["found_drain_channels"])
    assert preset("demo").n_channels == 64

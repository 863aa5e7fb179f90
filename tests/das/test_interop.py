"""The analysis takes DASCore spools, labels the quantity, and writes a GeoPackage (issue 13)."""

import json

import numpy as np
import pandas as pd
import pytest

from geohazard.das.geometry import channel_table, read_geometry, write_geopackage
from geohazard.das.pipeline import AnalysisConfig, analyze
from geohazard.das.synthetic import Drain, Pole, Storm, StormConfig, simulate_storms
from geohazard.exceptions import DASError

TINY = StormConfig(n_channels=8, n_dry=8, dry_gap=2, storms=(Storm(4, 6.0),),
                   poles=(Pole(2, 1.0),), drains=(Drain(5, 0.6, 0.25),), road=(0, 4),
                   file_windows=2)
N_WINDOWS = TINY.n_dry + sum(TINY.dry_gap + s.n_windows for s in TINY.storms)  # 14
CFG = dict(window_s=10.0, spacing_m=2.0, figures=False, report=False)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate_storms(tmp_path_factory.mktemp("tiny"), TINY, rng=7)


@pytest.fixture(scope="module")
def by_path(sim, tmp_path_factory):
    return analyze(sim.weather_csv.parent / "das", sim.weather_csv,
                   tmp_path_factory.mktemp("by_path"), sim.geometry_csv,
                   cfg=AnalysisConfig(**CFG))


def test_a_dascore_spool_goes_into_analyze(sim, by_path, tmp_path):
    import dascore as dc

    spool = dc.spool(sim.weather_csv.parent / "das").update()
    res = analyze(spool, sim.weather_csv, tmp_path / "out", sim.geometry_csv,
                  cfg=AnalysisConfig(**CFG))
    assert res.energy.sizes == by_path.energy.sizes
    np.testing.assert_allclose(res.energy.values, by_path.energy.values, rtol=1e-5)
    pd.testing.assert_frame_equal(res.sources, by_path.sources)
    np.testing.assert_allclose(res.wind_fits["slope"], by_path.wind_fits["slope"], rtol=1e-4)
    assert res.summary["n_files"] == by_path.summary["n_files"] == len(sim.files)


def test_the_workflow_takes_a_spool_and_a_patch(sim, tmp_path):
    import dascore as dc

    from geohazard.workflows.das import analyze_storm

    spool = dc.spool([dc.spool(f)[0] for f in sim.files])  # patches in memory
    res = analyze_storm(spool, sim.weather_csv, tmp_path / "spool", sim.geometry_csv,
                        AnalysisConfig(**CFG))
    assert res.summary["n_windows"] == N_WINDOWS and (tmp_path / "spool" / "summary.json").exists()
    one = analyze_storm(dc.spool(sim.files[0])[0], sim.weather_csv, tmp_path / "patch",
                        cfg=AnalysisConfig(**CFG), render=False)
    assert one.summary["n_windows"] == TINY.file_windows


def test_summary_and_tables_carry_the_quantity(by_path):
    s = json.loads((by_path.out_dir / "summary.json").read_text())
    assert s["quantity"] == "strain_rate"  # the synthetic files say so (raw.attrs)
    assert s["energy"] == "mean squared strain rate"
    assert s["energy_units"] == "(data units)^2"  # arbitrary units, not claimed as 1/s
    assert by_path.energy.attrs["units"] == "(data units)^2"
    wind = pd.read_csv(by_path.out_dir / "tables" / "wind_fits.csv")
    assert set(wind["response_units"]) == {"data units"}  # RMS of strain rate
    rain = pd.read_csv(by_path.out_dir / "tables" / "rain_fits.csv")
    assert set(rain["response_units"]) == {"(data units)^2"}


def test_channels_and_sources_as_geopackage(by_path):
    import geopandas as gpd

    path = by_path.out_dir / "channels.gpkg"
    assert by_path.summary["geopackage"] == "channels.gpkg"
    chans = gpd.read_file(path, layer="channels")
    assert chans.crs.to_epsg() == 4326 and len(chans) == TINY.n_channels
    np.testing.assert_allclose(chans.geometry.y, by_path.channels["latitude"])
    np.testing.assert_allclose(chans["wind_slope"], by_path.wind_fits["slope"])
    srcs = gpd.read_file(path, layer="sources")
    assert srcs.crs.to_epsg() == 4326
    assert sorted(srcs["peak_channel"]) == sorted(by_path.sources["peak_channel"])
    assert not list(path.parent.glob(".channels.gpkg*"))  # no temporary file left


def test_projected_geometry_needs_its_crs(das_dir, tmp_path):
    import geopandas as gpd

    geo = read_geometry(das_dir / "brady_hs_DAS_DTS_coords.csv")  # UTM metres, no zone
    chans = channel_table(200, geometry=geo, channel_offset=30)
    with pytest.raises(DASError, match="crs"):
        write_geopackage(chans, tmp_path / "b.gpkg")
    assert not (tmp_path / "b.gpkg").exists()
    write_geopackage(chans, tmp_path / "b.gpkg", crs="EPSG:32611")  # Brady: UTM zone 11N
    back = gpd.read_file(tmp_path / "b.gpkg", layer="channels")
    assert back.crs.to_epsg() == 32611 and len(back) == 200
    assert back.geometry.x.iloc[0] == pytest.approx(327809.77)
    lonlat = back.to_crs(4326).geometry.iloc[0]
    assert lonlat.x == pytest.approx(-119.01, abs=0.02)  # Brady Hot Springs, Nevada
    assert lonlat.y == pytest.approx(39.80, abs=0.02)


def test_analysis_of_data_shorter_than_a_window_names_file_and_window(sim, tmp_path):
    with pytest.raises(DASError, match=rf"{sim.files[0].name}: holds 20 s of data, "
                                       r"shorter than one 60 s window \(--window\)"):
        analyze(sim.files[0], sim.weather_csv, tmp_path / "out",
                cfg=AnalysisConfig(window_s=60.0, figures=False, report=False))
    assert not (tmp_path / "out").exists()


def test_report_summary_is_readable_and_states_units(sim, tmp_path):
    from geohazard.report.das import render_analysis

    res = analyze(sim.weather_csv.parent / "das", sim.weather_csv, tmp_path / "rep",
                  sim.geometry_csv, cfg=AnalysisConfig(**(CFG | {"report": True,
                                                              "figures": True})),
                  render=render_analysis)
    html = (tmp_path / "rep" / "report.html").read_text()
    summary = html.split("<table class='summary'>")[1].split("</table>")[0]
    assert not any(c in summary for c in "[]{}"), summary  # no Python reprs
    assert "mean squared strain rate, in (data units)^2" in summary
    assert "dB re 1 (data units)^2" in html  # the waterfall captions
    assert res.summary["report"].endswith("report.html")


def test_projected_geometry_goes_to_the_geopackage_with_the_given_crs(sim, tmp_path, caplog):
    import logging

    import geopandas as gpd

    geo = pd.read_csv(sim.geometry_csv)
    xy = pd.DataFrame({"channel": geo["channel"], "x": 500_000.0 + geo["distance_m"],
                       "y": 4_500_000.0 + 0 * geo["distance_m"]})
    xy.to_csv(tmp_path / "xy.csv", index=False)
    das = sim.weather_csv.parent / "das"
    with caplog.at_level(logging.WARNING):
        res = analyze(das, sim.weather_csv, tmp_path / "no_crs", tmp_path / "xy.csv",
                      cfg=AnalysisConfig(**CFG))
    assert "no CRS" in caplog.text and "geopackage" not in res.summary
    assert not (tmp_path / "no_crs" / "channels.gpkg").exists()
    res = analyze(das, sim.weather_csv, tmp_path / "crs", tmp_path / "xy.csv",
                  cfg=AnalysisConfig(**CFG, crs="EPSG:32618"))
    back = gpd.read_file(tmp_path / "crs" / "channels.gpkg", layer="channels")
    assert back.crs.to_epsg() == 32618
    np.testing.assert_allclose(back.geometry.x, xy["x"])

"""Scenario shaking: exact rupture distances against brute force, Vs30 from slope, GMPEs."""

from __future__ import annotations

import numpy as np
import pytest

from geohazard.exceptions import ParameterError
from geohazard.landslide.groundmotion import (
    Rupture,
    parse_trace,
    rupture_distances,
    scenario_shaking,
    vs30_from_slope,
    width_from_magnitude,
)
from tests.landslide._helpers import run_main_ok

pygmm = pytest.importorskip("pygmm")


def _brute_force(lon, lat, rup: Rupture, n: int = 400):
    """Distances by dense sampling of the rupture plane in the same local projection."""
    from geohazard.landslide.groundmotion import _local_projection

    tr = _local_projection(rup)
    px, py = (np.asarray(v) for v in tr.transform(lon, lat))
    tx, ty = tr.transform(*zip(*rup.trace, strict=True))
    a, b = np.array([tx[0], ty[0]]), np.array([tx[1], ty[1]])
    s = (b - a) / np.linalg.norm(b - a)
    d = np.array([s[1], -s[0]])
    u = np.linspace(0, np.linalg.norm(b - a), n)
    w = np.linspace(0, rup.down_dip_width, n)
    uu, ww = np.meshgrid(u, w)
    dip = np.radians(rup.dip)
    x = a[0] + uu * s[0] + ww * np.cos(dip) * d[0]
    y = a[1] + uu * s[1] + ww * np.cos(dip) * d[1]
    z = rup.ztor + ww * np.sin(dip)
    rrup = np.array([np.sqrt((x - qx) ** 2 + (y - qy) ** 2 + z**2).min()
                     for qx, qy in zip(px.ravel(), py.ravel(), strict=True)])
    rjb = np.array([np.sqrt((x - qx) ** 2 + (y - qy) ** 2).min()
                    for qx, qy in zip(px.ravel(), py.ravel(), strict=True)])
    return rrup, rjb


@pytest.mark.parametrize("dip,ztor", [(30.0, 0.0), (60.0, 3.0), (90.0, 1.0)])
def test_distances_match_brute_force(dip: float, ztor: float) -> None:
    rup = Rupture(6.8, [(100.0, 30.0), (100.3, 30.4)], dip=dip, rake=90.0, ztor=ztor,
                  width=15.0)
    rng = np.random.default_rng(3)
    lon = rng.uniform(99.7, 100.6, 40)
    lat = rng.uniform(29.7, 30.7, 40)
    d = rupture_distances(lon, lat, rup)
    rrup, rjb = _brute_force(lon, lat, rup)
    # brute-force grid spacing ~0.14 km along strike and 0.04 km down dip
    np.testing.assert_allclose(d["rrup"], rrup, atol=0.1)
    np.testing.assert_allclose(d["rjb"], rjb, atol=0.1)
    assert np.all(d["rrup"] >= d["rjb"] - 1e-9)
    assert np.all(d["rrup"] >= ztor - 1e-9)


def test_rx_ry0_signs_vertical_fault() -> None:
    # north-striking vertical fault through the origin: Rx = east distance, Ry0 off the ends
    rup = Rupture(6.5, [(0.0, 0.0), (0.0, 0.4)], dip=90.0, ztor=0.0, width=12.0)
    km = 111.19  # km per degree on the sphere (aeqd near the origin)
    d = rupture_distances(np.array([0.1, -0.1, 0.0]), np.array([0.2, 0.2, 0.6]), rup)
    assert d["rx"][0] == pytest.approx(0.1 * km, rel=0.01)
    assert d["rx"][1] == pytest.approx(-0.1 * km, rel=0.01)
    assert d["ry0"][2] == pytest.approx(0.2 * km, rel=0.01)
    assert d["ry0"][0] == 0.0
    np.testing.assert_allclose(d["rrup"], d["rjb"], atol=1e-9)  # vertical, surface rupture


def test_vs30_from_slope_table() -> None:
    # Wald & Allen (2007) class boundaries (active tectonic)
    v = vs30_from_slope(np.array([1e-4, 2.2e-3, 6.3e-3, 0.018, 0.05, 0.1, 0.138]))
    np.testing.assert_allclose(v, [180, 240, 300, 360, 490, 620, 760])
    assert vs30_from_slope(1e-6) == 180.0 and vs30_from_slope(0.5) == 760.0
    assert vs30_from_slope(0.0072, "stable") == pytest.approx(360.0)
    s = np.logspace(-5, 0, 50)
    assert np.all(np.diff(vs30_from_slope(s)) >= 0)
    assert np.isnan(vs30_from_slope(np.nan))
    with pytest.raises(ParameterError):
        vs30_from_slope(0.1, "oceanic")


def test_rupture_validation_and_helpers() -> None:
    assert width_from_magnitude(7.0) == pytest.approx(10 ** (-1.01 + 2.24))
    r = Rupture(8.0, [(0, 0), (1, 0)], dip=30.0, seismogenic_depth=15.0)
    assert r.down_dip_width == pytest.approx(30.0)  # limited by 15 km / sin 30
    assert Rupture(6, [(0, 0), (1, 0)], 60, rake=-90).mechanism == "NS"
    assert Rupture(6, [(0, 0), (1, 0)], 60, rake=10).mechanism == "SS"
    with pytest.raises(ParameterError):
        Rupture(6, [(0, 0)], 60)
    with pytest.raises(ParameterError):
        Rupture(6, [(0, 0), (1, 0)], 0.0)
    assert parse_trace("103.3,31.0; 104.1,31.6") == [(103.3, 31.0), (104.1, 31.6)]
    with pytest.raises(ParameterError, match="point 2"):
        parse_trace("1,2;3")


def test_scenario_matches_pygmm_and_hanging_wall() -> None:
    from geohazard.landslide.raster import from_array

    rup = Rupture(7.0, [(0.0, 0.0), (0.0, 0.5)], dip=45.0, rake=90.0, ztor=2.0, width=20.0)
    x = np.linspace(-0.25, 0.25, 11)
    y = np.array([0.3, 0.25, 0.2])
    grid = from_array(np.zeros((3, 11)), x, y, "EPSG:4326")
    vs = from_array(np.full((3, 11), 450.0), x, y, "EPSG:4326")
    ds = scenario_shaking(rup, grid, vs30=vs, gmpe="ASK14")
    # one cell recomputed directly with pygmm
    j = 8
    sc = pygmm.Scenario(mag=7.0, dist_rup=float(ds.rrup[1, j]), dist_jb=float(ds.rjb[1, j]),
                        dist_x=float(ds.rx[1, j]), dist_y0=0.0, dip=45.0, mechanism="RS",
                        v_s30=450.0, depth_tor=2.0, width=20.0, on_hanging_wall=True,
                        region="global")
    m = pygmm.AbrahamsonSilvaKamai2014(sc)
    assert float(ds.pga_g[1, j]) == pytest.approx(m.pga, rel=1e-9)
    assert float(ds.pgv_cms[1, j]) == pytest.approx(m.pgv, rel=1e-9)
    # hanging wall (east, Rx > 0) shakes harder than the footwall at the same |Rx|
    pga = ds.pga_g.values[1]
    assert np.all(pga[6:] > pga[:5][::-1])
    # Vs30 from slope when no map is given
    slope = from_array(np.full((3, 11), 0.05), x, y, "EPSG:4326")
    ds2 = scenario_shaking(rup, grid, slope_mm=slope, gmpe="BSSA14")
    assert np.allclose(ds2.vs30.values, 490.0)
    with pytest.raises(ParameterError, match="Vs30"):
        scenario_shaking(rup, grid)
    with pytest.raises(ParameterError, match="unknown GMPE"):
        scenario_shaking(rup, grid, vs30=vs, gmpe="XX99")


def test_cli_scenario(tmp_path, monkeypatch) -> None:
    import json
    import sys

    from geohazard.landslide.raster import from_array, read_raster, write_geotiff

    x = np.linspace(103.0, 103.5, 8)
    y = np.linspace(31.4, 31.0, 7)
    grid = write_geotiff(from_array(np.zeros((7, 8)), x, y, "EPSG:4326"), tmp_path / "g.tif")
    slope = write_geotiff(from_array(np.full((7, 8), 0.1), x, y, "EPSG:4326"),
                          tmp_path / "s.tif")
    js, out = tmp_path / "sc.json", tmp_path / "sc"
    monkeypatch.setattr(sys, "argv", [
        "geohazard", "landslide", "scenario", "--magnitude", "7.0", "--trace",
        "103.1,31.0;103.4,31.4", "--dip", "40", "--rake", "90", "--grid", str(grid),
        "--slope", str(slope), "--gmpe", "CY14", "--out", str(out), "--json", str(js)])
    run_main_ok()
    figures = json.loads(js.read_text())
    pga = read_raster(out / "pga_g.tif").values
    assert figures["max_pga_g"] == pytest.approx(float(np.nanmax(pga)), rel=1e-6)
    assert np.allclose(read_raster(out / "vs30.tif").values, 620.0)
    assert figures["mechanism"] == "RS"


def test_cli_scenario_vs30_from_dem(tmp_path, monkeypatch) -> None:
    import sys

    from geohazard.landslide.raster import from_array, read_raster, write_geotiff

    x = np.linspace(103.0, 103.2, 5)
    y = np.linspace(31.2, 31.0, 4)
    dem = write_geotiff(from_array(np.full((4, 5), 1500.0), x, y, "EPSG:4326"),
                        tmp_path / "dem.tif")
    out = tmp_path / "sc"
    monkeypatch.setattr(sys, "argv", [
        "geohazard", "landslide", "scenario", "--magnitude", "6.5", "--trace",
        "103.0,31.0;103.2,31.2", "--dip", "90", "--rake", "0", "--grid", str(dem),
        "--gmpe", "BSSA14", "--out", str(out)])
    run_main_ok()
    vs = read_raster(out / "vs30.tif").values
    assert np.allclose(vs[1:-1, 1:-1], 180.0)  # flat DEM -> lowest Wald & Allen class

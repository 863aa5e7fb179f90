from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString

from geohazard.exceptions import DataFileNotFoundError, ParameterError, RasterError
from geohazard.landslide import faults as flt
from geohazard.landslide import raster as rst

X0, Y0 = 500_000.0, 4_000_000.0


def _grid(nx=41, ny=41, res=500.0, crs="EPSG:32610"):
    x = X0 - 10_000 + res * np.arange(nx)
    y = Y0 + 10_000 - res * np.arange(ny)
    return rst.from_array(np.zeros((ny, nx)), x, y, crs)


def _faults(rows, crs="EPSG:32610"):
    geoms = [r.pop("geometry") for r in rows]
    return flt.normalise_faults(gpd.GeoDataFrame(rows, geometry=geoms, crs=crs))


def _at(ds, var, x, y):
    return ds[var].sel(x=x, y=y, method="nearest").item()


@pytest.mark.parametrize(
    ("parse", "raw", "want"),
    [(flt.parse_azimuth, "SW", 225.0), (flt.parse_azimuth, "270", 270.0),
     (flt.parse_azimuth, "NNE", 22.5), (flt.parse_azimuth, 360, 0.0),
     (flt.parse_dip, "(50,35,70)", 50.0), (flt.parse_dip, "(,,90)", 90.0),
     (flt.parse_dip, "(,40,60)", 50.0), (flt.parse_dip, "85.0", 85.0),
     (flt.parse_dip, "VERTICAL", 90.0)],
)
def test_parsers(parse, raw, want):
    assert parse(raw) == pytest.approx(want)
    assert math.isnan(flt.parse_azimuth("VERTICAL")) and math.isnan(flt.parse_dip(None))


def test_mechanism_first_keyword_wins():
    assert flt.parse_mechanism("Dextral-reverse") == ("strike_slip", "dextral")
    assert flt.parse_mechanism("Reverse strike-slip") == ("reverse", None)
    assert flt.parse_mechanism("Thrust") == ("reverse", None)
    assert flt.parse_mechanism("Sinistral-Normal") == ("strike_slip", "sinistral")
    assert flt.parse_mechanism("Anticline") == ("unknown", None)
    assert flt.parse_mechanism(None, rake=90.0) == ("reverse", None)
    assert flt.parse_mechanism(None, rake=-90.0) == ("normal", None)
    assert flt.parse_mechanism(None, rake="(180,170,190)") == ("strike_slip", "dextral")


@pytest.mark.parametrize("reverse_digitisation", [False, True])
@pytest.mark.parametrize(("dip_dir", "north_side"), [("N", 1), ("S", -1), ("0", 1)])
def test_straight_thrust_hanging_wall(reverse_digitisation, dip_dir, north_side):
    pts = [(X0 - 5000, Y0), (X0 + 5000, Y0)]
    line = LineString(pts[::-1] if reverse_digitisation else pts)
    f = _faults([{"geometry": line, "slip_type": "Thrust", "average_dip": "30",
                  "dip_dir": dip_dir}])
    ds = flt.fault_factors(f, _grid())
    y = ds.y.values[:, None]
    x = ds.x.values[None, :]
    side = ds.side.values
    assert (side[(y > Y0).ravel()] == north_side).all()
    assert (side[(y < Y0).ravel()] == -north_side).all()
    # distance: perpendicular inside the trace, to the tip beyond it
    dx = np.maximum(np.abs(x - X0) - 5000, 0)
    want = np.hypot(dx, np.abs(y - Y0))
    np.testing.assert_allclose(ds.distance_m.values, want, atol=1e-3)
    assert (ds.mechanism.values == flt.MECHANISMS.index("reverse")).all()
    signed = ds.signed_distance_m.values
    on_trace = (y == Y0).ravel()
    np.testing.assert_allclose(signed[~on_trace], (side * want)[~on_trace], atol=1e-3)
    assert np.isnan(signed[on_trace]).all()


def test_l_shaped_fault_inside_corner_is_hanging_wall():
    # trace: east along y=Y0 then north along x=X0+5000; dips NW (into the corner)
    line = LineString([(X0 - 5000, Y0), (X0 + 5000, Y0), (X0 + 5000, Y0 + 9000)])
    f = _faults([{"geometry": line, "slip_type": "Reverse", "average_dip": "(40,,)",
                  "dip_dir": "NW"}])
    ds = flt.fault_factors(f, _grid())
    hw = [(X0, Y0 + 1000), (X0 + 4000, Y0 + 5000), (X0 + 4000, Y0 + 500)]
    fw = [(X0, Y0 - 1000), (X0 + 6000, Y0 + 5000), (X0 + 6000, Y0 - 1000),
          (X0 + 5500, Y0 - 500)]  # last two: nearest point is the corner vertex
    assert [_at(ds, "side", *p) for p in hw] == [1, 1, 1]
    assert [_at(ds, "side", *p) for p in fw] == [-1, -1, -1, -1]
    assert _at(ds, "distance_m", X0 + 6000, Y0 - 1000) == pytest.approx(math.hypot(1000, 1000))


def test_downthrown_side_gives_hanging_wall():
    line = LineString([(X0 - 5000, Y0), (X0 + 5000, Y0)])
    f = _faults([
        {"geometry": line, "slip_type": "Normal", "downthrown_side_dir": "S"},
    ])
    assert f.hw_azimuth_deg.iloc[0] == 180.0  # normal: hanging wall is downthrown
    g = _faults([{"geometry": line, "slip_type": "Reverse", "downthrown_side_dir": "S"}])
    assert g.hw_azimuth_deg.iloc[0] == 0.0  # reverse: hanging wall is upthrown
    ds = flt.fault_factors(g, _grid())
    assert _at(ds, "side", X0, Y0 + 2000) == 1


def test_strike_slip_active_side_rules():
    line = LineString([(X0, Y0 - 5000), (X0, Y0 + 5000)])
    vertical = _faults([{"geometry": line, "slip_type": "Dextral", "average_dip": "90",
                         "dip_dir": "E"}])
    assert set(np.unique(flt.fault_factors(vertical, _grid()).side.values)) == {0}
    dipping = _faults([{"geometry": line, "slip_type": "Dextral", "average_dip": "60",
                        "dip_dir": "E"}])
    ds = flt.fault_factors(dipping, _grid())
    assert _at(ds, "side", X0 + 2000, Y0) == 1 and _at(ds, "side", X0 - 2000, Y0) == -1
    chosen = _faults([{"geometry": line, "slip_type": "Sinistral", "average_dip": "90",
                       "active_azimuth_deg": 270.0}])
    ds = flt.fault_factors(chosen, _grid())
    assert _at(ds, "side", X0 - 2000, Y0) == 1 and _at(ds, "side", X0 + 2000, Y0) == -1


def test_ambiguous_and_right_hand_rule():
    line = LineString([(X0 - 5000, Y0), (X0 + 5000, Y0)])
    along = _faults([{"geometry": line, "slip_type": "Reverse", "average_dip": "30",
                      "dip_dir": "E"}])  # dip direction parallel to the trace
    assert set(np.unique(flt.fault_factors(along, _grid()).side.values)) == {0}
    nodir = _faults([{"geometry": line, "slip_type": "Reverse", "average_dip": "30"}])
    assert set(np.unique(flt.fault_factors(nodir, _grid()).side.values)) == {0}
    ds = flt.fault_factors(nodir, _grid(), right_hand_rule=True)
    # digitised west -> east: right-hand rule says it dips south
    assert _at(ds, "side", X0, Y0 - 2000) == 1 and _at(ds, "side", X0, Y0 + 2000) == -1


def test_two_faults_nearest_wins_and_multilinestring():
    a = MultiLineString([[(X0 - 8000, Y0 + 6000), (X0 + 8000, Y0 + 6000)],
                         [(X0 - 8000, Y0 + 7000), (X0 - 7000, Y0 + 7000)]])
    b = LineString([(X0 - 8000, Y0 - 6000), (X0 + 8000, Y0 - 6000)])
    f = _faults([{"geometry": a, "slip_type": "Normal", "dip_dir": "S", "average_dip": "60"},
                 {"geometry": b, "slip_type": "Reverse", "dip_dir": "S", "average_dip": "30"}])
    ds = flt.fault_factors(f, _grid())
    assert _at(ds, "fault_index", X0, Y0 + 1000) == 0
    assert _at(ds, "fault_index", X0, Y0 - 1000) == 1
    assert _at(ds, "side", X0, Y0 + 1000) == 1  # south of a, a dips south
    assert _at(ds, "side", X0, Y0 - 1000) == -1  # north of b, b dips south
    assert _at(ds, "distance_m", X0, Y0) == pytest.approx(6000.0)


def test_geographic_grid_distance_is_geodesic():
    from pyproj import Geod

    lon = 100.0 + 0.005 * np.arange(-20, 21)
    lat = 30.0 - 0.005 * np.arange(-20, 21)
    ref = rst.from_array(np.zeros((41, 41)), lon, lat, "EPSG:4326")
    f = _faults([{"geometry": LineString([(100.0, 29.7), (100.0, 30.3)]),
                  "slip_type": "Thrust", "dip_dir": "W", "average_dip": "30"}],
                crs="EPSG:4326")
    ds = flt.fault_factors(f, ref)
    g = Geod(ellps="WGS84")
    for lo in (100.05, 99.9):
        want = g.inv(100.0, 30.0, lo, 30.0)[2]
        assert _at(ds, "distance_m", lo, 30.0) == pytest.approx(want, rel=1e-3)
    assert _at(ds, "side", 99.95, 30.0) == 1 and _at(ds, "side", 100.05, 30.0) == -1


def test_errors(tmp_path):
    with pytest.raises(DataFileNotFoundError):
        flt.read_faults(tmp_path / "none.geojson")
    pts = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([0], [0]), crs="EPSG:4326")
    pts.to_file(tmp_path / "pts.geojson")
    with pytest.raises(RasterError, match="lines"):
        flt.read_faults(tmp_path / "pts.geojson")
    with pytest.raises(ParameterError, match="read_faults"):
        flt.fault_factors(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), _grid())
    far = _faults([{"geometry": LineString([(0, 0), (1, 1)]), "slip_type": "Thrust"}])
    with pytest.raises(RasterError, match="no fault within"):
        flt.fault_factors(far, _grid(), search_radius_m=1000)


def test_gem_database_near_loma_prieta(landslide_dir):
    gem = flt.read_faults(landslide_dir / "faults" / "gem_active_faults.geojson.zip")
    assert len(gem) > 10_000 and set(gem.mechanism) == set(flt.MECHANISMS)
    lon = -122.0 + 0.01 * np.arange(-30, 31)
    lat = 37.0 - 0.01 * np.arange(-20, 21)
    ref = rst.from_array(np.zeros((41, 61)), lon, lat, "EPSG:4326")
    ds = flt.fault_factors(gem, ref)
    names = gem.loc[np.unique(ds.fault_index.values), "name"].str.cat(sep="|")
    assert "San Andreas" in names
    # the cell nearest a San Andreas vertex is within one cell of it
    sa = gem[gem.name.str.contains("San Andreas \\(Santa Cruz", regex=True)]
    import shapely

    vx, vy = shapely.get_coordinates(sa.geometry.iloc[0])[0]
    if ref.x.min() <= vx <= ref.x.max() and ref.y.min() <= vy <= ref.y.max():
        assert _at(ds, "distance_m", vx, vy) < 1200.0
    assert float(ds.distance_m.max()) < 60_000


def test_cli_fault_factors(tmp_path):
    import json

    from typer.testing import CliRunner

    from geohazard.cli.main import app

    f = _faults([{"geometry": LineString([(X0 - 5000, Y0), (X0 + 5000, Y0)]),
                  "slip_type": "Thrust", "average_dip": "30", "dip_dir": "N"}])
    f.to_file(tmp_path / "f.gpkg")
    rst.write_geotiff(_grid(), tmp_path / "ref.tif")
    res = CliRunner().invoke(app, ["landslide", "fault-factors", "--faults",
                                   str(tmp_path / "f.gpkg"), "--ref", str(tmp_path / "ref.tif"),
                                   "--out", str(tmp_path / "o"),
                                   "--json", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o.json").read_text())
    # 41 x 41 grid with the trace on row 20: 20 rows north (hanging wall), 20 south
    assert data["hanging_wall_cells"] == 20 * 41 and data["footwall_cells"] == 20 * 41
    side = rst.read_raster(tmp_path / "o" / "side.tif").values
    assert side[0, 0] == 1 and side[-1, 0] == -1


def test_side_matches_dip_direction_property():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ref = _grid(nx=21, ny=21, res=1000.0)
    xs, ys = np.meshgrid(ref.x.values, ref.y.values)

    @settings(max_examples=20, deadline=None)
    @given(st.floats(0, 359), st.floats(-60, 60), st.floats(-3000, 3000))
    def check(strike, dip_offset, shift):
        # straight trace through (X0+shift, Y0) with the given strike; dips at strike + 90
        # (+ an offset within 60 degrees: compass-precision dip directions)
        s = np.radians(strike)
        d = np.array([np.sin(s), np.cos(s)]) * 30_000
        c = np.array([X0 + shift, Y0])
        f = _faults([{"geometry": LineString([c - d, c + d]), "slip_type": "Reverse",
                      "average_dip": "40", "dip_dir": str((strike + 90 + dip_offset) % 360)}])
        side = flt.fault_factors(f, ref).side.values
        dip = np.radians(strike + 90)
        dot = (xs - c[0]) * np.sin(dip) + (ys - c[1]) * np.cos(dip)
        far = np.abs(dot) > 1.0
        np.testing.assert_array_equal(side[far], np.sign(dot[far]).astype(int))

    check()


def test_geotiff_bands_match_in_memory(tmp_path):
    lon = 100.0 + 0.005 * np.arange(-20, 21)
    lat = 30.0 - 0.005 * np.arange(-15, 16)
    ref = rst.from_array(np.zeros((31, 41)), lon, lat, "EPSG:4326")
    f = _faults([{"geometry": LineString([(99.9, 29.9), (100.02, 30.0), (100.05, 30.2)]),
                  "slip_type": "Thrust", "dip_dir": "W", "average_dip": "30"}],
                crs="EPSG:4326")
    ds = flt.fault_factors(f, ref)
    paths = flt.fault_factors_geotiff(f, ref, tmp_path, rows=7)
    for name in ("distance_m", "signed_distance_m", "side"):
        got = rst.read_raster(paths[name]).values
        np.testing.assert_allclose(got, ds[name].values.astype(float), rtol=1e-6,
                                   equal_nan=True, err_msg=name)
    assert {-1, 1} <= set(np.unique(ds.side.values).tolist())

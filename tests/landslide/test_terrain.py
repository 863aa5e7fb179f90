from __future__ import annotations

import numpy as np
import pytest

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import hydrology as hyd
from geohazard.landslide import raster as rst
from geohazard.landslide import terrain as ter


def _projected_plane(s: float, az_deg: float, nx=40, ny=30, res=10.0, crs="EPSG:32610"):
    """Plane descending with gradient s towards azimuth az_deg (clockwise from north)."""
    x = 500000 + res * (np.arange(nx) + 0.5)
    y = 4_000_000 - res * (np.arange(ny) + 0.5)
    X, Y = np.meshgrid(x, y)
    az = np.radians(az_deg)
    Z = 1000.0 - s * (np.sin(az) * (X - x[0]) + np.cos(az) * (Y - y[0]))
    return rst.from_array(Z, x, y, crs, name="dem", units="m")


def _geographic_plane(s: float, az_deg: float, lat0=60.0, nx=30, ny=25, res_deg=0.001):
    """Surface z = 500 - s (sin(az) E + cos(az) Nn) on a WGS84 lat/lon grid.

    E = N(lat) cos(lat) (lon - lon0) is the true metre distance along each parallel and Nn
    the geodesic meridian arc (pyproj) from the southern row. Returns the DEM and its exact
    metre gradient (east, north): d/dE = -s sin(az), and since d(N cos(lat))/d(lat) =
    -M sin(lat), d/dNn = -s (cos(az) - sin(az) (lon - lon0) sin(lat)) (meridian convergence).
    """
    from pyproj import Geod

    g = Geod(ellps="WGS84")
    lon = 10.0 + res_deg * (np.arange(nx) + 0.5)
    lat = lat0 - res_deg * (np.arange(ny) + 0.5)
    north = np.array([np.sign(p - lat[-1]) * g.inv(10.0, lat[-1], 10.0, p)[2] for p in lat])
    a, e2 = 6378137.0, 0.0066943799901413165
    n_rad = a / np.sqrt(1 - e2 * np.sin(np.radians(lat)) ** 2)
    dlon = np.radians(lon - lon[0])[None, :]
    east = (n_rad * np.cos(np.radians(lat)))[:, None] * dlon
    az = np.radians(az_deg)
    Z = 500.0 - s * (np.sin(az) * east + np.cos(az) * north[:, None])
    gx = np.full(Z.shape, -s * np.sin(az))
    gy = -s * (np.cos(az) - np.sin(az) * dlon * np.sin(np.radians(lat))[:, None])
    return rst.from_array(Z, lon, lat, "EPSG:4326", name="dem", units="m"), gx, gy


@pytest.mark.parametrize("s,az", [(0.1, 0.0), (0.5, 90.0), (1.0, 225.0), (0.3, 300.0)])
def test_plane_projected(s, az):
    dem = _projected_plane(s, az)
    np.testing.assert_allclose(ter.slope_deg(dem).values, np.degrees(np.arctan(s)), atol=1e-9)
    asp = ter.aspect_deg(dem).values
    np.testing.assert_allclose((asp - az + 180) % 360 - 180, 0.0, atol=1e-9)
    np.testing.assert_allclose(ter.curvature(dem).values, 0.0, atol=1e-12)


@pytest.mark.parametrize("s,az,lat0", [(0.2, 45.0, 60.0), (0.7, 180.0, 0.5), (0.4, 270.0, 35.0)])
def test_plane_geographic(s, az, lat0):
    dem, gx, gy = _geographic_plane(s, az, lat0=lat0)
    want_slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    want_aspect = np.degrees(np.arctan2(-gx, -gy)) % 360
    np.testing.assert_allclose(ter.slope_deg(dem).values, want_slope, atol=1e-5)
    asp = ter.aspect_deg(dem).values
    np.testing.assert_allclose((asp - want_aspect + 180) % 360 - 180, 0.0, atol=1e-5)
    # and the surface is the intended plane to within meridian convergence (< 0.03 deg)
    np.testing.assert_allclose((asp - az + 180) % 360 - 180, 0.0, atol=0.03)


def test_geographic_needs_true_cell_sizes():
    # A constant 111 km/degree conversion would make this 60N plane far too gentle E-W.
    dem, gx, gy = _geographic_plane(0.5, 90.0, lat0=60.0)
    slope = ter.slope_deg(dem).values
    naive_dx = 111_320.0 * 0.001
    naive = np.degrees(np.arctan(0.5 * rst.cell_size_m(dem)[1][5, 0] / naive_dx))
    assert abs(naive - np.degrees(np.arctan(0.5))) > 5.0
    assert np.allclose(slope, np.degrees(np.arctan(np.hypot(gx, gy))), atol=1e-6)


def test_south_up_grid_gives_same_answer():
    dem = _projected_plane(0.4, 30.0)
    flipped = dem.isel(y=slice(None, None, -1))
    np.testing.assert_allclose(ter.aspect_deg(flipped).values, 30.0, atol=1e-9)


def test_curvature_of_paraboloid():
    # z = -(a x^2 + b y^2): curvature -(z_xx+z_yy) = 2(a+b), exact for central differences
    a, b = 0.002, 0.0005
    x = 10.0 * (np.arange(30) - 15)
    y = 10.0 * (15 - np.arange(30))
    X, Y = np.meshgrid(x, y)
    dem = rst.from_array(-(a * X**2 + b * Y**2), x + 5e5, y + 4e6, "EPSG:32610")
    c = ter.curvature(dem).values
    np.testing.assert_allclose(c[1:-1, 1:-1], 2 * (a + b), rtol=1e-9)


def test_relief_window():
    dem = _projected_plane(0.3, 0.0, res=10.0)  # descends north: relief = 0.3 * 2r * 10 m
    rel = ter.local_relief(dem, radius=2).values
    np.testing.assert_allclose(rel[5:-5, 5:-5], 0.3 * 40.0)
    np.testing.assert_allclose(rel[0, 10], 0.3 * 20.0)  # clipped window at the edge
    with pytest.raises(ParameterError):
        ter.local_relief(dem, radius=0)


def test_nan_propagates_locally():
    dem = _projected_plane(0.3, 0.0)
    dem.values[10, 10] = np.nan
    sl = ter.slope_deg(dem).values
    assert np.isnan(sl[9:12, 9:12]).all()
    assert np.isfinite(sl[13:, :]).all()


def test_twi_on_plane_matches_analytic():
    # plane descending east with gradient s: D8 flows east, a = (j+1) * dx
    s, res = 0.1, 10.0
    dem = _projected_plane(s, 90.0, nx=12, ny=6, res=res)
    tw = hyd.twi(dem).values
    j = np.arange(12)
    np.testing.assert_allclose(tw[3], np.log((j + 1) * res / s), rtol=1e-9)


def test_twi_fills_pit():
    dem = _projected_plane(0.1, 90.0, nx=12, ny=7)
    dem.values[3, 6] -= 50.0  # pit
    acc = hyd.flow_accumulation(dem).values
    # the pit passes its flow on: the last column still collects the whole row
    assert acc[3, -1] >= 12 * 100.0 - 1e-6


def test_dask_and_numpy_agree():
    dem = _projected_plane(0.3, 77.0, nx=53, ny=41)
    dem.values[:] += np.random.default_rng(0).normal(0, 0.5, dem.shape)
    for fn in (ter.slope_deg, ter.aspect_deg, ter.curvature, ter.local_relief):
        np.testing.assert_allclose(fn(dem.chunk(16)).values, fn(dem).values, atol=1e-4)


def test_windowed_geotiff_matches_in_memory(tmp_path):
    dem = _geographic_plane(0.3, 10.0, nx=70, ny=45)[0]
    dem.values[:] += np.random.default_rng(1).normal(0, 0.3, dem.shape)
    rst.write_geotiff(dem.astype(np.float32), tmp_path / "dem.tif")
    dem32 = rst.read_raster(tmp_path / "dem.tif")
    paths = ter.terrain_geotiff(tmp_path / "dem.tif", tmp_path / "out", ter.LOCAL_PRODUCTS, tile=16)
    for prod, path in paths.items():
        got = rst.read_raster(path).values
        want = ter.terrain_numpy(dem32.values, ter.GridGeometry.from_raster(dem32), prod)
        np.testing.assert_allclose(got, want, atol=1e-3, rtol=1e-5, err_msg=prod)
    with pytest.raises(ParameterError, match="twi"):
        ter.terrain_geotiff(tmp_path / "dem.tif", tmp_path / "out", ("twi",))


def test_dem_without_crs_is_rejected():
    import xarray as xr

    bare = xr.DataArray(np.zeros((4, 4)), dims=("y", "x"),
                        coords={"y": np.arange(4.0)[::-1], "x": np.arange(4.0)})
    with pytest.raises(RasterError, match="CRS"):
        ter.slope_deg(bare)


def test_cli_terrain_json_and_user_error(tmp_path):
    import json
    import subprocess
    import sys

    from typer.testing import CliRunner

    from geohazard.cli.main import app

    dem = _projected_plane(0.25, 135.0, nx=30, ny=20)
    rst.write_geotiff(dem, tmp_path / "dem.tif")
    res = CliRunner().invoke(app, ["landslide", "terrain", str(tmp_path / "dem.tif"), "--out",
                                   str(tmp_path / "t"), "--products", "slope_deg,aspect_deg",
                                   "--tile", "8", "--json", str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["slope_deg"]["mean"] == pytest.approx(np.degrees(np.arctan(0.25)), abs=1e-4)
    assert data["aspect_deg"]["max"] == pytest.approx(135.0, abs=1e-3)
    proc = subprocess.run([sys.executable, "-m", "geohazard.cli.main", "landslide", "terrain",
                           str(tmp_path / "missing.tif"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "missing.tif" in proc.stderr and "Traceback" not in proc.stderr


def test_plan_and_profile_curvature_of_a_cone():
    # z = h - k*rho: contours are circles of radius rho -> plan curvature 1/rho (convex nose),
    # straight generators -> profile curvature 0
    c = 10.0 * (np.arange(101) - 50)
    X, Y = np.meshgrid(c, c[::-1])
    rho = np.hypot(X, Y)
    dem = rst.from_array(1000.0 - 0.4 * rho, c + 5e5, c[::-1] + 4e6, "EPSG:32610")
    plan = ter.plan_curvature(dem).values
    prof = ter.profile_curvature(dem).values
    far = (rho > 150) & (rho < 450)
    np.testing.assert_allclose(plan[far], 1.0 / rho[far], rtol=0.02)
    assert np.max(np.abs(prof[far])) < 0.02 * np.min(1.0 / rho[far])
    # a bowl (inverted cone) has negative plan curvature
    bowl = rst.like(dem, 0.4 * rho)
    np.testing.assert_allclose(ter.plan_curvature(bowl).values[far], -1.0 / rho[far], rtol=0.02)


def test_profile_curvature_of_a_parabolic_ridge():
    # z = -a x^2 (ridge along y): profile curvature 2a / (1 + 4 a^2 x^2)^(3/2), plan 0
    a = 0.001
    x = 10.0 * (np.arange(41) - 20) + 5.0  # never exactly on the crest
    y = 10.0 * (20 - np.arange(21))
    X, _ = np.meshgrid(x, y)
    dem = rst.from_array(-a * X**2, x + 5e5, y + 4e6, "EPSG:32610")
    prof = ter.profile_curvature(dem).values[1:-1, 1:-1]
    want = (2 * a / (1 + 4 * a * a * X**2) ** 1.5)[1:-1, 1:-1]
    np.testing.assert_allclose(prof, want, rtol=1e-3)
    np.testing.assert_allclose(ter.plan_curvature(dem).values[1:-1, 1:-1], 0.0, atol=1e-12)


def test_dask_path_is_lazy_and_streams_to_geotiff(tmp_path):
    dem = _projected_plane(0.2, 300.0, nx=45, ny=38)
    dem.values[:] += np.random.default_rng(3).normal(0, 0.5, dem.shape)
    rst.write_geotiff(dem, tmp_path / "dem.tif")
    lazy = rst.read_raster(tmp_path / "dem.tif", chunks=16)
    slope = ter.slope_deg(lazy)
    assert type(slope.data).__module__.startswith("dask")  # nothing computed yet
    rst.write_geotiff(slope, tmp_path / "slope.tif")  # windowed write of the lazy graph
    np.testing.assert_allclose(rst.read_raster(tmp_path / "slope.tif").values,
                               ter.slope_deg(dem).values, atol=1e-4)

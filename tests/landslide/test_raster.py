from __future__ import annotations

import numpy as np
import pytest

from geohazard.exceptions import DataFileNotFoundError, RasterError
from geohazard.landslide import raster as rst


def _grid(crs="EPSG:32610", nx=6, ny=4, res=30.0, x0=500000.0, y0=4100000.0):
    x = x0 + res * (np.arange(nx) + 0.5)
    y = y0 - res * (np.arange(ny) + 0.5)
    vals = np.arange(nx * ny, dtype=float).reshape(ny, nx)
    return rst.from_array(vals, x, y, crs, name="z", units="m")


def test_write_read_roundtrip_keeps_values_crs_and_nan(tmp_path):
    da = _grid()
    da.values[1, 2] = np.nan
    path = rst.write_geotiff(da, tmp_path / "sub" / "z.tif")
    back = rst.read_raster(path)
    assert back.rio.crs == da.rio.crs
    assert back.name == "z"
    np.testing.assert_array_equal(np.isnan(back.values), np.isnan(da.values))
    np.testing.assert_allclose(back.values, da.values, equal_nan=True)
    np.testing.assert_allclose(back.x, da.x)
    np.testing.assert_allclose(back.y, da.y)
    # no temp files left beside the output
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["z.tif"]


def test_nodata_becomes_nan(tmp_path):
    da = _grid().astype(np.int16)
    da.values[0, 0] = -9999
    rst.write_geotiff(da, tmp_path / "i.tif", nodata=-9999)
    back = rst.read_raster(tmp_path / "i.tif")
    assert np.isnan(back.values[0, 0])
    assert back.values[0, 1] == 1.0


def test_missing_file_and_missing_crs(tmp_path):
    with pytest.raises(DataFileNotFoundError, match="nope.tif"):
        rst.read_raster(tmp_path / "nope.tif")
    import rasterio
    from rasterio.transform import from_origin

    p = tmp_path / "nocrs.tif"
    with rasterio.open(p, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       transform=from_origin(0, 2, 1, 1)) as dst:
        dst.write(np.ones((1, 2, 3), dtype="float32"))
    with pytest.raises(RasterError, match="no CRS"):
        rst.read_raster(p)
    da = rst.read_raster(p, crs="EPSG:4326")
    assert da.rio.crs.to_epsg() == 4326


def test_netcdf_grid_fallback(landslide_dir):
    da = rst.read_raster(landslide_dir / "loma_prieta/targets/godt_2008.grd", crs="EPSG:4326")
    assert da.dims == ("y", "x") and da.shape == (84, 144)
    assert da.y.values[0] > da.y.values[-1]  # north-up
    left, bottom, right, top = da.rio.bounds()
    assert -122.6 < left < -122.4 and 37.1 < top < 37.3


def test_align_to_identity_and_shift():
    ref = _grid()
    assert rst.align_to(ref, ref) is ref
    # a raster covering the same area at half resolution: nearest resampling picks parents
    coarse = rst.from_array(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                          500000.0 + 60 * (np.arange(3) + 0.5),
                          4100000.0 - 60 * (np.arange(2) + 0.5), "EPSG:32610")
    out = rst.align_to(coarse, ref, resampling="nearest")
    expected = np.repeat(np.repeat(coarse.values, 2, axis=0), 2, axis=1)
    np.testing.assert_array_equal(out.values, expected)
    with pytest.raises(RasterError, match="resampling"):
        rst.align_to(coarse, ref, resampling="cubicish")


def test_align_to_reprojects_and_marks_outside_nan():
    from pyproj import Transformer

    ref = _grid(nx=10, ny=10)
    lon, lat = Transformer.from_crs(32610, 4326, always_xy=True).transform(500150, 4099850)
    # a lon/lat raster covering the western half of the UTM grid (its east edge at the centre)
    geo = rst.from_array(np.full((40, 20), 7.0), lon - 0.01 + 0.0005 * (np.arange(20) + 0.5),
                         lat + 0.01 - 0.0005 * (np.arange(40) + 0.5), "EPSG:4326")
    out = rst.align_to(geo, ref)
    assert out.shape == ref.shape
    v = out.values
    assert np.isfinite(v[:, :3]).all() and np.isnan(v[:, 6:]).all()
    np.testing.assert_allclose(v[np.isfinite(v)], 7.0)


def test_align_to_refuses_a_raster_off_the_grid():
    """Issue 11: a factor in another CRS that misses the grid is refused, not all-NaN."""
    ref = _grid(nx=10, ny=10)
    geo = rst.from_array(np.full((5, 5), 7.0), -120.0 + 0.001 * np.arange(5),
                         37.0 - 0.001 * np.arange(5), "EPSG:4326", name="far")
    with pytest.raises(RasterError, match="far.*does not overlap the grid of z"):
        rst.align_to(geo, ref)


def test_cell_size_projected_and_feet():
    dy, dx = rst.cell_size_m(_grid(res=30.0))
    assert dy == pytest.approx(30.0) and dx == pytest.approx(30.0)
    # NAD83 / California zone 3 (ftUS): 1 US survey foot = 1200/3937 m
    dy, dx = rst.cell_size_m(_grid(crs="EPSG:2227", res=100.0, x0=6e6, y0=2e6))
    assert dx == pytest.approx(100 * 1200 / 3937, rel=1e-9)


def test_cell_size_geographic_matches_geodesic():
    from pyproj import Geod

    lat = np.array([0.0, 30.0, 60.0])
    da = rst.from_array(np.zeros((3, 2)), np.array([10.0, 10.01]), lat[::-1].copy(),
                      "EPSG:4326")
    dy, dx = rst.cell_size_m(da)
    g = Geod(ellps="WGS84")
    for i, phi in enumerate(lat[::-1]):
        ew = g.inv(10.0, phi, 10.01, phi)[2]  # 0.01 deg along a parallel
        ns = g.inv(10.0, phi - 0.005, 10.0, phi + 0.005)[2]
        # the "cell" in y here is 30 degrees (irregular spacing is not used): check per-degree
        assert dx[i, 0] / 0.01 == pytest.approx(ew / 0.01, rel=1e-6)
        dy1, _ = rst.geographic_cell_size(np.array([phi]), 0.01, 0.01)
        assert dy1[0, 0] == pytest.approx(ns, rel=1e-5)
    assert dx.shape == (3, 1)


def test_write_requires_crs_and_2d(tmp_path):
    import xarray as xr

    bare = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"),
                        coords={"y": [1.5, 0.5], "x": [0.5, 1.5]})
    with pytest.raises(RasterError, match="no CRS"):
        rst.write_geotiff(bare, tmp_path / "a.tif")
    assert not (tmp_path / "a.tif").exists()


def test_rasterize_polygon_classes():
    import geopandas as gpd
    from shapely.geometry import box

    ref = _grid(nx=6, ny=4, res=30.0)  # x 500000..500180, y 4099880..4100000
    gdf = gpd.GeoDataFrame({"lith": ["shale", "granite"]},
                           geometry=[box(500000, 4099880, 500090, 4100000),
                                     box(500090, 4099940, 500180, 4100000)],
                           crs="EPSG:32610")
    out = rst.rasterize(gdf, ref, "lith")
    assert out.attrs["classes"] == ["granite", "shale"]
    want = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0],
                     [1, 1, 1, np.nan, np.nan, np.nan], [1, 1, 1, np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(out.values, want)
    with pytest.raises(RasterError, match="column"):
        rst.rasterize(gdf, ref, "nope")

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geohazard.exceptions import DataFileNotFoundError, ParameterError, RasterError
from geohazard.landslide import inventory as inv
from geohazard.landslide import raster as rst


def _grid(n=10, res=10.0):
    x = res * (np.arange(n) + 0.5)
    y = res * (n - np.arange(n) - 0.5)
    return rst.from_array(np.zeros((n, n)), x, y, "EPSG:32610")


def test_polygon_coverage_count_and_mask():
    ref = _grid()
    # covers x 30..70 (cols 3-6) and y 50..80 (rows 2-4) exactly; second one half covers
    # column 8 (x 80..85) over rows 8-9 (y 0..20)
    gdf = gpd.GeoDataFrame(geometry=[box(30, 50, 70, 80), box(80, 0, 85, 20)],
                           crs="EPSG:32610")
    ds = inv.inventory_rasters(gdf, ref, supersample=4)
    frac = ds.fraction.values
    want = np.zeros((10, 10))
    want[2:5, 3:7] = 1.0
    want[8:10, 8] = 0.5
    np.testing.assert_allclose(frac, want)
    assert ds["count"].values.sum() == 2
    assert ds.mask.values.sum() == 12 + 2  # half-covered cells count with >= 0.5
    np.testing.assert_allclose(ds.area_m2.values, 100.0)
    touched = inv.inventory_rasters(gdf, ref, all_touched=True).mask.values
    assert touched.sum() >= 14


def test_points_and_outside():
    ref = _grid()
    gdf = gpd.GeoDataFrame(geometry=[Point(15, 85), Point(16, 86), Point(95, 5),
                                     Point(500, 500)], crs="EPSG:32610")
    ds = inv.inventory_rasters(gdf, ref)
    assert ds["count"].values[1, 1] == 2 and ds["count"].values[9, 9] == 1
    assert ds.attrs["n_outside_grid"] == 1 and ds.attrs["kind"] == "point"
    assert ds.mask.values.sum() == 2


def test_reprojection_of_inventory():
    ref = _grid()
    gdf = gpd.GeoDataFrame(geometry=[box(30, 50, 70, 80)], crs="EPSG:32610").to_crs(4326)
    ds = inv.inventory_rasters(gdf, ref, supersample=8)
    assert ds.fraction.values.sum() == pytest.approx(12.0, abs=0.1)


def test_loma_prieta_inventory_area(landslide_dir):
    gdf = inv.read_inventory(landslide_dir / "loma_prieta" / "fake_inventory.shp")
    assert len(gdf) == 4 and gdf.crs.to_epsg() == 4326
    ref = rst.read_raster(landslide_dir / "loma_prieta/model_inputs/global_grad.tif",
                          crs="EPSG:4326")
    ds = inv.inventory_rasters(gdf, ref, supersample=4)
    raster_area = float((ds.fraction * ds.area_m2).sum())
    true_area = float(gdf.to_crs(gdf.estimate_utm_crs()).area.sum())
    assert raster_area == pytest.approx(true_area, rel=0.01)
    assert int(ds["count"].sum()) == 4


def test_errors(tmp_path):
    with pytest.raises(DataFileNotFoundError):
        inv.read_inventory(tmp_path / "none.shp")
    mixed = gpd.GeoDataFrame(geometry=[Point(1, 1), box(0, 0, 1, 1)], crs="EPSG:32610")
    mixed.to_file(tmp_path / "m.gpkg")
    with pytest.raises(RasterError, match="polygons or points"):
        inv.read_inventory(tmp_path / "m.gpkg")
    with pytest.raises(ParameterError):
        inv.inventory_rasters(mixed.iloc[:1], _grid(), supersample=0)

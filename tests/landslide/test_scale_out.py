"""Landslide rasters on a real Dask cluster of worker processes (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from geohazard.exceptions import RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide import terrain as ter
from tests.cluster import local_cluster
from tests.landslide.test_terrain import _geographic_plane

pytest.importorskip("distributed")


def test_terrain_on_cluster_equals_windowed_serial_bit_for_bit(tmp_path):
    """Tile tasks (terrain_on_cluster) and lazy rioxarray chunks (write_on_cluster)."""
    from geohazard.landslide.scale import terrain_on_cluster, write_on_cluster

    dem = _geographic_plane(0.3, 10.0, nx=60, ny=45)[0]  # geographic: rows differ in size
    dem.values[:] += np.random.default_rng(18).normal(0, 0.3, dem.shape)
    dem.values[7:9, 30:33] = np.nan  # nodata hole
    rst.write_geotiff(dem.astype(np.float32), tmp_path / "dem.tif")
    products = ("slope_deg", "plan_curvature", "relief")
    serial = ter.terrain_geotiff(tmp_path / "dem.tif", tmp_path / "serial", products,
                                 tile=32)
    lazy = rst.read_raster(tmp_path / "dem.tif", chunks=16)  # dask-backed rioxarray chunks
    layers = {"slope_deg": ter.slope_deg(lazy), "relief": ter.local_relief(lazy)}
    rst.write_geotiff(dem.where(False), tmp_path / "blank.tif")  # every cell nodata
    with local_cluster(2) as client:
        got = terrain_on_cluster(tmp_path / "dem.tif", tmp_path / "cluster", client,
                                 products, tile=16, max_in_flight=4)
        chunked = write_on_cluster(layers, tmp_path / "lazy", client, max_in_flight=3)
        with pytest.raises(RasterError, match="nodata"):
            terrain_on_cluster(tmp_path / "blank.tif", tmp_path / "none", client, products,
                               tile=16)
    assert not (tmp_path / "none").exists()
    assert got.keys() == serial.keys()
    for prod, path in serial.items():
        want = rst.read_raster(path)
        have = rst.read_raster(got[prod])
        np.testing.assert_array_equal(have.values, want.values, err_msg=prod)  # NaN == NaN
        assert have.rio.crs == want.rio.crs and have.rio.transform() == want.rio.transform()
        if prod in chunked:
            np.testing.assert_array_equal(rst.read_raster(chunked[prod]).values, want.values,
                                          err_msg=f"lazy {prod}")
    assert np.isnan(rst.read_raster(got["slope_deg"]).values[7:9, 30:33]).all()


def test_usgs_model_on_cluster_equals_windowed_serial(landslide_dir, tmp_path):
    """Loma Prieta (shared data): row blocks as tasks, the client adds them in row order."""
    import json

    from geohazard.landslide.usgs import run_jessee2018
    from tests.badinput import run_main

    loma = landslide_dir / "loma_prieta"
    if not (loma / "grid.xml").exists():
        pytest.skip("Loma Prieta data absent")
    m = loma / "model_inputs"
    args = (loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
            m / "global_grad.tif", m / "global_cti_fil.grd")
    serial = run_jessee2018(*args, out=tmp_path / "serial.tif", block_rows=37)
    rows = []
    cli = ["landslide", "usgs-global", "--shakemap", str(args[0]), "--lithology", str(args[1]),
           "--landcover", str(args[2]), "--slope", str(args[3]), "--cti", str(args[4]),
           "--block-rows", "37"]
    with local_cluster(2) as client:
        got = run_jessee2018(*args, out=tmp_path / "cluster.tif", block_rows=37, client=client,
                             progress=lambda d, t: rows.append((d, t)))
        res = run_main([*cli, "--out", str(tmp_path / "cli.tif"), "--json",
                        str(tmp_path / "cli.json"), "--scheduler", client.scheduler.address])
    assert res.code == 0, res.err
    assert run_main([*cli, "--out", str(tmp_path / "x.tif"), "--scheduler", "no way"]).code == 1
    assert not (tmp_path / "x.tif").exists()
    assert got.stats == serial.stats  # aggregates summed in the same order: exact
    cli_stats = json.loads((tmp_path / "cli.json").read_text())
    assert cli_stats["hagg_km2"] == serial.stats["hagg_km2"]
    np.testing.assert_array_equal(rst.read_raster(tmp_path / "cli.tif", crs="EPSG:4326").values,
                                  rst.read_raster(serial.out, crs="EPSG:4326").values)
    np.testing.assert_array_equal(rst.read_raster(got.out, crs="EPSG:4326").values,
                                  rst.read_raster(serial.out, crs="EPSG:4326").values)
    assert rows[-1][0] == rows[-1][1]


def _fault_inputs(tmp_path):
    """A geographic grid (metric distances through a local projection) and three faults:
    a curved thrust, a dipping strike-slip fault and a vertical one (side unknown)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from geohazard.landslide import faults as flt

    lon = 100.0 + 0.004 * np.arange(-25, 26)
    lat = 30.0 - 0.004 * np.arange(-19, 20)
    rst.write_geotiff(rst.from_array(np.zeros((lat.size, lon.size)), lon, lat, "EPSG:4326"),
                      tmp_path / "ref.tif")
    rows = [{"slip_type": "Thrust", "dip_dir": "W", "average_dip": "30"},
            {"slip_type": "Dextral", "dip_dir": "SE", "average_dip": "60"},
            {"slip_type": "Sinistral", "average_dip": "90"}]
    geoms = [LineString([(99.9, 29.9), (100.02, 30.0), (100.05, 30.2)]),
             LineString([(99.85, 30.05), (100.2, 30.12)]),
             LineString([(100.08, 29.8), (100.11, 29.95)])]
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    gdf.to_file(tmp_path / "faults.gpkg")
    return flt.read_faults(tmp_path / "faults.gpkg")


def test_fault_factors_on_cluster_equal_windowed_serial_bit_for_bit(tmp_path):
    """Row bands as tasks (library, ``fault-factors --scheduler`` and ``--engine dask``)."""
    import json

    from geohazard.landslide import faults as flt
    from geohazard.landslide.scale import fault_factors_on_cluster
    from tests.badinput import run_main

    faults = _fault_inputs(tmp_path)
    ref = rst.read_raster(tmp_path / "ref.tif", chunks=16)
    serial = flt.fault_factors_geotiff(faults, ref, tmp_path / "serial", rows=7)
    cli = ["landslide", "fault-factors", "--faults", str(tmp_path / "faults.gpkg"), "--ref",
           str(tmp_path / "ref.tif")]
    assert run_main([*cli, "--out", str(tmp_path / "cli_serial"), "--json",
                     str(tmp_path / "serial.json")]).code == 0
    with local_cluster(2) as client:
        got = fault_factors_on_cluster(faults, tmp_path / "ref.tif", tmp_path / "cluster",
                                       client, rows=5, max_in_flight=3)  # other bands
        # relative paths from another folder than the workers': they get absolute ones
        res = run_main(["landslide", "fault-factors", "--faults", "faults.gpkg", "--ref",
                        "ref.tif", "--out", "cli", "--json", "cli.json", "--scheduler",
                        client.scheduler.address], cwd=tmp_path)
    assert res.code == 0, res.err
    local = run_main([*cli, "--out", str(tmp_path / "local"), "--engine", "dask"])
    assert local.code == 0, local.err  # a LocalCluster of worker processes, closed after
    bad = run_main([*cli, "--out", str(tmp_path / "x"), "--scheduler", "no way"])
    assert bad.code == 1 and "--scheduler" in bad.err and not (tmp_path / "x").exists()
    assert got.keys() == serial.keys() == {"distance_m", "signed_distance_m", "side",
                                            "side_class"}
    side = rst.read_raster(serial["side"]).values
    assert {-1, 0, 1} <= set(np.unique(side).tolist())  # every class is exercised
    for name, path in serial.items():
        want = rst.read_raster(path)
        for have in (rst.read_raster(got[name]), rst.read_raster(tmp_path / "cli" / path.name),
                     rst.read_raster(tmp_path / "local" / path.name)):
            np.testing.assert_array_equal(have.values, want.values, err_msg=name)
            assert have.rio.crs == want.rio.crs
            assert have.rio.transform() == want.rio.transform()
    for name in ("side", "side_class"):  # class codes and colour table travel too
        import rasterio

        with rasterio.open(serial[name]) as a, rasterio.open(got[name]) as b:
            assert a.dtypes == b.dtypes and a.nodata == b.nodata
            if name == "side_class":
                assert a.colormap(1) == b.colormap(1)
    cli_figures = json.loads((tmp_path / "cli.json").read_text())
    serial_figures = json.loads((tmp_path / "serial.json").read_text())
    assert {k: v for k, v in cli_figures.items() if not k.endswith(("_tif", "_gpkg"))} == \
        {k: v for k, v in serial_figures.items() if not k.endswith(("_tif", "_gpkg"))}

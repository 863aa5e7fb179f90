"""GIS outputs (issue 13): GeoPackages with a CRS, class rasters, hazard Datasets with units."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from geohazard.landslide import raster as rst
from geohazard.landslide import synthetic as syn


@pytest.fixture(scope="module")
def case():
    return syn.synthetic_case(n=60, rng=3)


def _squares(x0: float, y0: float, sizes: list[float], crs: str):
    """Squares at ``x0 + 400 i + 5 (sizes < 30 m)``: small ones between cell centres."""
    import geopandas as gpd
    from shapely.geometry import box

    geoms = []
    for i, s in enumerate(sizes):
        d = 5.0 if s < 30 else 0.0
        geoms.append(box(x0 + 400 * i + d, y0 + d, x0 + 400 * i + d + s, y0 + d + s))
    return gpd.GeoDataFrame({"name": [f"ls{i}" for i in range(len(sizes))]}, geometry=geoms,
                            crs=crs)


def test_geopackage_of_landslides_with_susceptibility_opens_with_its_crs(tmp_path, case):
    """The done-when test: landslides with susceptibility read back by geopandas."""
    import geopandas as gpd

    from geohazard.workflows.landslide import susceptibility_job

    crs = case.dem.rio.crs
    x0, y0 = float(case.dem.x.min()) + 100, float(case.dem.y.min()) + 100
    inv = _squares(x0, y0, [95.0, 200.0, 10.0], crs.to_string())
    res = susceptibility_job(case.factors, case.landslide, tmp_path, report=False,
                             landslides=inv, categorical=["lith"], n_folds=3, rng=1)
    got = gpd.read_file(res["landslides_gpkg"], layer="landslides")
    assert got.crs == crs and got.crs.to_epsg() == crs.to_epsg()
    assert list(got["name"]) == ["ls0", "ls1", "ls2"]
    smap = rst.read_raster(tmp_path / "susceptibility.tif")
    # the 200 m square holds whole 30 m cells: its mean is the mean of those cells
    inside = ((smap.x >= x0 + 400) & (smap.x <= x0 + 600)
              & (smap.y >= y0) & (smap.y <= y0 + 200))
    cells = smap.where(inside).values
    assert got["susceptibility"][1] == pytest.approx(np.nanmean(cells), rel=1e-6)
    assert got["susceptibility_max"][1] == pytest.approx(np.nanmax(cells), rel=1e-6)
    # the 10 m square covers no cell centre: the cell under it
    px, py = x0 + 810.0, y0 + 10.0
    under = float(smap.sel(x=px, y=py, method="nearest"))
    assert got["susceptibility"][2] == pytest.approx(under, rel=1e-6)
    breaks = res["class_breaks"]
    for s, c, name in zip(got["susceptibility"], got["susceptibility_class"],
                          got["susceptibility_class_name"], strict=True):
        assert breaks[c - 1] <= s <= breaks[c]
        assert name in ("very low", "low", "moderate", "high", "very high")
    assert not list(tmp_path.glob(".landslides.gpkg*"))  # no temporary file left


def test_write_gpkg_refuses_a_layer_without_crs(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from geohazard.exceptions import ParameterError
    from geohazard.landslide.vector import write_gpkg

    with pytest.raises(ParameterError, match="no CRS"):
        write_gpkg(gpd.GeoDataFrame(geometry=[Point(0, 0)]), tmp_path / "a.gpkg")
    assert not list(tmp_path.iterdir())


def test_fault_traces_with_side(tmp_path, case):
    import geopandas as gpd

    from geohazard.landslide.vector import fault_traces_with_side, write_gpkg

    path = write_gpkg(fault_traces_with_side(case.faults), tmp_path / "faults.gpkg")
    got = gpd.read_file(path)
    assert got.crs == case.faults.crs
    # the synthetic fault is a thrust dipping north: its hanging wall lies north
    assert list(got["side_kind"]) == ["hanging_wall"]
    assert list(got["side_direction"]) == ["N"]
    assert got["side_azimuth_deg"][0] == pytest.approx(0.0, abs=1e-9)


def _pam(path):
    root = ET.parse(f"{path}.aux.xml").getroot()
    band = root.find("PAMRasterBand")
    cats = [c.text or "" for c in band.find("CategoryNames")]
    rows = [[f.text for f in r] for r in band.find("GDALRasterAttributeTable").iter("Row")]
    return cats, rows


def test_class_raster_has_colour_table_and_names(tmp_path, case):
    import rasterio

    from geohazard.landslide.categorical import (
        FAULT_SIDE_CLASSES,
        fault_side_codes,
        read_class_geotiff,
        write_class_geotiff,
    )
    from geohazard.landslide.faults import fault_factors

    side = fault_factors(case.faults, case.dem).side
    path = write_class_geotiff(fault_side_codes(side), tmp_path / "side.tif",
                               FAULT_SIDE_CLASSES)
    codes, names, colours = read_class_geotiff(path)
    np.testing.assert_array_equal(codes, side.values + 2)
    assert names == {1: "footwall", 2: "unknown", 3: "hanging wall / active side"}
    assert colours[1] == (0x00, 0x72, 0xB2, 255) and colours[3] == (0xD5, 0x5E, 0x00, 255)
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "uint8" and src.nodata == 0
        assert src.colorinterp[0] == rasterio.enums.ColorInterp.palette
        assert src.descriptions[0] == "fault side"
        assert src.crs == case.dem.rio.crs
    cats, rows = _pam(path)
    assert cats == ["", "footwall", "unknown", "hanging wall / active side"]
    assert rows[2] == ["3", "hanging wall / active side", "213", "94", "0", "255"]


def test_class_raster_refuses_codes_outside_its_scheme(tmp_path, case):
    from geohazard.exceptions import RasterError
    from geohazard.landslide.categorical import MODE_CLASSES, write_class_geotiff

    with pytest.raises(RasterError, match=r"codes \[7\.0\]"):
        write_class_geotiff(case.dem.copy(data=np.full(case.dem.shape, 7.0)),
                            tmp_path / "m.tif", MODE_CLASSES)
    assert not (tmp_path / "m.tif").exists()


def test_colours_are_distinct_and_ordered_classes_follow_viridis():
    from geohazard.landslide.categorical import (
        MODE_CLASSES,
        SUSCEPTIBILITY_CLASSES,
        ordered_scheme,
    )

    for scheme in (MODE_CLASSES, SUSCEPTIBILITY_CLASSES):
        colours = [c for _, c in scheme.classes.values()]
        assert len(set(colours)) == len(colours)
    assert SUSCEPTIBILITY_CLASSES.classes[1][1] == "#440154"  # viridis low end
    assert SUSCEPTIBILITY_CLASSES.classes[5][1] == "#FDE725"  # viridis high end
    assert len(ordered_scheme("x", [str(i) for i in range(12)]).classes) == 12


def test_newmark_job_dataset_has_units_on_every_variable(tmp_path, case):
    from geohazard.landslide.newmark import newmark_maps
    from geohazard.workflows.landslide import newmark_job

    slope = rst.write_geotiff(case.factors["slope_deg"].assign_attrs(units="degrees"),
                              tmp_path / "slope.tif")
    pga = rst.write_geotiff(case.dem.copy(data=np.full(case.dem.shape, 0.35))
                            .assign_attrs(units="g"), tmp_path / "pga.tif")
    run = newmark_job(slope, tmp_path / "nm", pga=pga, cohesion_kpa=10.0, friction_deg=30.0)
    ds = run.dataset
    assert set(ds.data_vars) == {"fs", "ac_g", "dn_cm", "p_failure", "pga_g"}
    for name in ds.data_vars:
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
    assert ds.rio.crs == case.dem.rio.crs
    ref = newmark_maps(rst.read_raster(slope, units="degrees"),
                       rst.read_raster(pga, units="g"))
    np.testing.assert_array_equal(ds["dn_cm"].values, ref["dn_cm"].values)
    on_disk = rst.read_raster(run.paths["dn_cm"]).values
    finite = np.isfinite(ref["dn_cm"].values)
    np.testing.assert_allclose(on_disk[finite], ref["dn_cm"].values[finite], rtol=1e-6)
    assert run.figures["dn_ge_5cm"] == int(np.sum(ref["dn_cm"].values >= 5.0))


def test_cli_modes_writes_a_class_raster(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box
    from typer.testing import CliRunner

    from geohazard.cli.main import app
    from geohazard.landslide.categorical import read_class_geotiff

    n, res = 200, 10.0
    x = (np.arange(n) + 0.5) * res + 500_000.0
    y = 4_200_000.0 - (np.arange(n) + 0.5) * res
    z = np.broadcast_to((2000.0 - (x - 500_000.0)) * np.tan(np.radians(30)) + 100, (n, n))
    dem = rst.write_geotiff(rst.from_array(np.array(z), x, y, "EPSG:32610", units="m"),
                            tmp_path / "dem.tif")
    inv = gpd.GeoDataFrame(geometry=[box(500_800, 4_199_000, 500_900, 4_199_060)],
                           crs="EPSG:32610")
    inv.to_file(tmp_path / "inv.gpkg")
    out = tmp_path / "m"
    r = CliRunner().invoke(app, ["landslide", "modes", "--inventory", str(tmp_path / "inv.gpkg"),
                                 "--dem", str(dem), "--out", str(out), "--no-report"])
    assert r.exit_code == 0, r.output
    mode = gpd.read_file(out / "modes.gpkg")["mode"][0]
    codes, names, colours = read_class_geotiff(out / "modes.tif")
    assert names == {1: "fall", 2: "slide", 3: "avalanche", 4: "deformation"}
    assert set(np.unique(codes)) == {0, {v: k for k, v in names.items()}[mode]}
    assert len(colours) == 4


def test_cli_fault_factors_writes_side_classes_and_traces(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString
    from typer.testing import CliRunner

    from geohazard.cli.main import app
    from geohazard.landslide.categorical import read_class_geotiff

    x0, y0 = 500_000.0, 4_000_000.0
    gpd.GeoDataFrame({"slip_type": ["Thrust"], "average_dip": ["30"], "dip_dir": ["N"]},
                     geometry=[LineString([(x0 - 5000, y0), (x0 + 5000, y0)])],
                     crs="EPSG:32610").to_file(tmp_path / "f.gpkg")
    x = x0 - 2000 + 100.0 * np.arange(41)
    y = y0 + 2000 - 100.0 * np.arange(41)
    rst.write_geotiff(rst.from_array(np.zeros((41, 41)), x, y, "EPSG:32610"),
                      tmp_path / "ref.tif")
    r = CliRunner().invoke(app, ["landslide", "fault-factors", "--faults",
                                 str(tmp_path / "f.gpkg"), "--ref", str(tmp_path / "ref.tif"),
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    side = rst.read_raster(tmp_path / "o" / "side.tif").values
    codes, names, colours = read_class_geotiff(tmp_path / "o" / "side_class.tif")
    np.testing.assert_array_equal(codes, side + 2)
    assert codes[0, 0] == 3 and names[3] == "hanging wall / active side" and len(colours) == 3
    assert _pam(tmp_path / "o" / "side_class.tif")[0][1] == "footwall"
    traces = gpd.read_file(tmp_path / "o" / "faults.gpkg")
    assert traces.crs.to_epsg() == 32610
    assert list(traces["side_kind"]) == ["hanging_wall"]
    assert list(traces["side_direction"]) == ["N"]


def test_cli_factor_classes_and_susceptibility_geopackage(tmp_path, case):
    import json

    import geopandas as gpd
    from shapely.geometry import Point
    from typer.testing import CliRunner

    from geohazard.cli.main import app
    from geohazard.landslide.categorical import read_class_geotiff
    from geohazard.landslide.factors import classify

    paths = {n: rst.write_geotiff(da, tmp_path / f"{n}.tif") for n, da in case.factors.items()}
    rows, cols = np.nonzero(case.landslide.values)
    pts = [Point(case.dem.x.values[j], case.dem.y.values[i])
           for i, j in zip(rows, cols, strict=True)]
    gpd.GeoDataFrame(geometry=pts, crs=case.dem.rio.crs).to_file(tmp_path / "inv.gpkg")
    fac = [a for n, p in paths.items() for a in ("--factor", f"{n}={p}")]
    runner = CliRunner()
    r = runner.invoke(app, ["landslide", "factors", "--inventory", str(tmp_path / "inv.gpkg"),
                            *fac, "--bins", "slope_deg=0,15,30,90", "--bins", "fault_km=4",
                            "--out", str(tmp_path / "f.csv"), "--classes-dir",
                            str(tmp_path / "cls")])
    assert r.exit_code == 0, r.output
    codes, names, colours = read_class_geotiff(tmp_path / "cls" / "slope_deg_classes.tif")
    assert names == {1: "[0, 15)", 2: "[15, 30)", 3: "[30, 90]"}
    classes, _ = classify(case.factors["slope_deg"], [0, 15, 30, 90])
    np.testing.assert_array_equal(codes, classes + 1)
    lith = read_class_geotiff(tmp_path / "cls" / "lith_classes.tif")
    assert lith[1] == {1: "0", 2: "1"} and lith[2][1] != lith[2][2]
    r = runner.invoke(app, ["landslide", "susceptibility", "--inventory",
                            str(tmp_path / "inv.gpkg"), *fac, "--categorical", "lith",
                            "--folds", "3", "--seed", "1", "--no-report",
                            "--out", str(tmp_path / "sus"), "--json", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.output
    sj = json.loads((tmp_path / "s.json").read_text())
    slides = gpd.read_file(sj["landslides_gpkg"])
    assert len(slides) == rows.size and slides.crs == case.dem.rio.crs
    smap = rst.read_raster(sj["susceptibility_tif"]).values
    np.testing.assert_allclose(slides["susceptibility"], smap[rows, cols], rtol=1e-6)


def test_hazard_job_dataset_has_units_on_every_variable(tmp_path, case):
    from pyproj import Transformer

    from geohazard.landslide.groundmotion import Rupture
    from geohazard.workflows.landslide import hazard_job

    dem = rst.write_geotiff(case.dem, tmp_path / "dem.tif")
    slope = rst.write_geotiff(case.factors["slope_deg"], tmp_path / "slope.tif")
    x0, x1 = float(case.dem.x.min()), float(case.dem.x.max())
    ym = float(case.dem.y.mean())
    tr = Transformer.from_crs(case.dem.rio.crs, "EPSG:4326", always_xy=True)
    trace = tuple(tr.transform(x, ym) for x in (x1 + 500, x0 - 500))
    run = hazard_job(dem, slope, Rupture(6.5, trace, 30.0, 90.0, ztor=1.0), tmp_path / "amp",
                     coarsen=10, cohesion_kpa=10.0, friction_deg=30.0)
    ds = run.dataset
    assert {"fs", "dn_cm", "p_failure", "dn_cm_amplified", "pga_g", "pga_amplified_g",
            "amplification", "vs30", "dem"} <= set(ds.data_vars)
    for name in ds.data_vars:
        assert ds[name].attrs.get("units") and ds[name].attrs.get("long_name"), name
    assert ds.rio.crs == case.dem.rio.crs
    amp = ds["amplification"].values
    np.testing.assert_allclose(ds["pga_amplified_g"].values,
                               ds["pga_g"].values * np.where(np.isfinite(amp), amp, 1.0),
                               rtol=1e-6)


def _gdal():
    """GDAL's C library as bundled with the rasterio wheel (skip when not found)."""
    import ctypes
    import glob
    from pathlib import Path

    import rasterio

    libs = glob.glob(str(Path(rasterio.__file__).parents[1] / "rasterio.libs" / "libgdal-*.so*"))
    if not libs:
        pytest.skip("no bundled libgdal to call")
    lib = ctypes.CDLL(libs[0])
    lib.GDALAllRegister()
    lib.GDALOpen.restype = ctypes.c_void_p
    lib.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.GDALGetRasterBand.restype = ctypes.c_void_p
    lib.GDALGetRasterBand.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.GDALGetRasterCategoryNames.restype = ctypes.POINTER(ctypes.c_char_p)
    lib.GDALGetRasterCategoryNames.argtypes = [ctypes.c_void_p]
    lib.GDALGetDefaultRAT.restype = ctypes.c_void_p
    lib.GDALGetDefaultRAT.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetRowCount.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetValueAsString.restype = ctypes.c_char_p
    lib.GDALRATGetValueAsString.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.GDALClose.argtypes = [ctypes.c_void_p]
    return lib


def test_gdal_reads_the_category_names_and_attribute_table(tmp_path, case):
    """What QGIS gets through GDAL: the RAT (names, colours) and the category names."""
    from geohazard.landslide.categorical import MODE_CLASSES, write_class_geotiff

    codes = case.dem.copy(data=np.tile([0.0, 1, 2, 3, 4], case.dem.size // 5 + 1)
                          [:case.dem.size].reshape(case.dem.shape))
    path = write_class_geotiff(codes, tmp_path / "modes.tif", MODE_CLASSES)
    lib = _gdal()
    ds = lib.GDALOpen(str(path).encode(), 0)
    band = lib.GDALGetRasterBand(ds, 1)
    rat = lib.GDALGetDefaultRAT(band)  # (GTiff loads the .aux.xml on this first PAM query)
    if not rat:
        lib.GDALClose(ds)
        pytest.fail("GDAL finds no raster attribute table")
    rows = [[lib.GDALRATGetValueAsString(rat, r, c).decode() for c in range(2)]
            for r in range(lib.GDALRATGetRowCount(rat))]
    names, ptr, i = [], lib.GDALGetRasterCategoryNames(band), 0
    while ptr and ptr[i] is not None:
        names.append(ptr[i].decode())
        i += 1
    lib.GDALClose(ds)
    assert rows == [["1", "fall"], ["2", "slide"], ["3", "avalanche"], ["4", "deformation"]]
    assert names == ["", "fall", "slide", "avalanche", "deformation"]


def test_usgs_run_comes_back_as_a_dataset_with_units(landslide_dir, tmp_path):
    from geohazard.workflows.landslide import usgs_job

    lp = landslide_dir / "loma_prieta"
    if not (lp / "grid.xml").exists():
        pytest.skip("Loma Prieta data absent")
    m = lp / "model_inputs"
    run = usgs_job(lp / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                   m / "global_grad.tif", m / "global_cti_fil.grd", tmp_path / "cov.tif")
    ds = run.dataset
    assert {n: ds[n].attrs["units"] for n in ds.data_vars} == {"coverage": "1", "pga_g": "g",
                                                              "pgv_cms": "cm/s"}
    assert all(ds[n].attrs["long_name"] for n in ds.data_vars)
    assert ds.rio.crs.to_epsg() == 4326
    on_disk = rst.read_raster(tmp_path / "cov.tif").values
    np.testing.assert_allclose(ds["coverage"].values, on_disk, rtol=1e-6, equal_nan=True)
    assert run.figures["max_coverage"] == pytest.approx(float(np.nanmax(on_disk)), rel=1e-6)

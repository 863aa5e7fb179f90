"""Issue 11 (trust): no silent wrong answers from the landslide library and CLI.

Regression tests for silent cases 7 and 8: each input below used to give a result (exit 0)
and must now be refused with a message naming the file or parameter, leaving nothing behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide.checks import BOUNDS, check_param, check_slope_values
from tests.badinput import run_main
from tests.cli.test_bad_inputs_landslide import (
    dem_values,
    study,
    usgs_inputs,
    write_geo,
    write_tif,
)

# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("name,value", [
    ("friction_deg", 95.0), ("friction_deg", 0.0), ("friction_deg", 90.0),
    ("cohesion_kpa", -10.0), ("magnitude", float("nan")), ("magnitude", 12.0),
    ("magnitude", float("inf")), ("radius", -3), ("radius", 1.5), ("tile", 0),
    ("search_radius_m", -5000.0), ("saturation", 1.5), ("dip", 0.0), ("n_folds", 1),
])
def test_out_of_range_parameters_are_refused(name: str, value: float) -> None:
    with pytest.raises(ParameterError, match=f"^{name} must be .*got {value:g}$"):
        check_param(name, value)


@pytest.mark.parametrize("name,value", [
    ("friction_deg", 30.0), ("cohesion_kpa", 0.0), ("magnitude", 3.0), ("magnitude", 9.5),
    ("radius", 1), ("tile", 1024), ("saturation", 1.0), ("dip", 90.0),
])
def test_in_range_parameters_pass(name: str, value: float) -> None:
    assert check_param(name, value) == value


def test_raster_parameter_checks_cells_and_label() -> None:
    cells = np.array([[20.0, np.nan], [35.0, 95.0]])
    with pytest.raises(ParameterError, match=r"^--friction must be .*got a cell of 95$"):
        check_param("friction_deg", cells, "--friction")
    check_param("friction_deg", cells[:, :1])
    assert set(BOUNDS) >= {"friction_deg", "cohesion_kpa", "magnitude", "radius", "tile"}


# --------------------------------------------------------------------------- Newmark, scenario


def test_newmark_refuses_friction_cohesion_magnitude() -> None:
    from geohazard.landslide.newmark import factor_of_safety, jibson_2007, newmark_maps

    with pytest.raises(ParameterError, match="friction_deg"):
        factor_of_safety(30.0, 10.0, 95.0)
    with pytest.raises(ParameterError, match="cohesion_kpa"):
        factor_of_safety(30.0, -10.0, 30.0)
    with pytest.raises(ParameterError, match="magnitude"):
        jibson_2007(0.1, 0.3, magnitude=float("nan"))
    x, y = np.arange(4.0), np.arange(3.0)[::-1]
    slope = rst.from_array(np.full((3, 4), 30.0), x, y, "EPSG:4326", name="s")
    pga = rst.from_array(np.full((3, 4), 0.4), x, y, "EPSG:4326", name="p")
    with pytest.raises(ParameterError, match="magnitude"):
        newmark_maps(slope, pga, model="jibson2007_m", magnitude=12.0)
    nan_slope = slope.copy(data=np.full((3, 4), np.nan))
    with pytest.raises(RasterError, match="nodata"):
        newmark_maps(nan_slope, pga)
    x100 = slope.copy(data=np.full((3, 4), 3000.0))
    with pytest.raises(RasterError, match="not plausible in degrees"):
        newmark_maps(x100, pga)


def test_scenario_rupture_refuses_magnitude_12_and_nan() -> None:
    from geohazard.landslide.groundmotion import Rupture

    for m in (12.0, float("nan")):
        with pytest.raises(ParameterError, match="magnitude"):
            Rupture(m, ((0.0, 0.0), (0.0, 0.4)), dip=60.0)
    with pytest.raises(ParameterError, match="ztor"):
        Rupture(6.5, ((0.0, 0.0), (0.0, 0.4)), dip=60.0, ztor=float("nan"))


# --------------------------------------------------------------------------- USGS model


SHAKE = "landslide/loma_prieta/grid.xml"


def _usgs(tmp: Path, shared: Path, **kw):
    from geohazard.landslide.usgs import run_jessee2018

    return run_jessee2018(shared / SHAKE, tmp / "lith.tif", tmp / "lc.tif", tmp / "grad.tif",
                          tmp / "cti.tif", **kw)


@pytest.mark.parametrize("block_rows", [None, 3])
def test_usgs_all_nan_slope_is_refused_not_green(tmp_path: Path, shared_data: Path,
                                                 block_rows: int | None) -> None:
    """Was: alert green, 0 km2, exit 0."""
    usgs_inputs(tmp_path, np.full((10, 20), np.nan))
    out = tmp_path / "new" / "cov.tif"
    with pytest.raises(RasterError, match="grad.tif.*nodata"):
        _usgs(tmp_path, shared_data, out=out, block_rows=block_rows)
    assert not (tmp_path / "new").exists()


def test_usgs_degrees_given_as_gradient_is_refused(tmp_path: Path, shared_data: Path) -> None:
    """Was: red instead of orange (degrees read as rise over run)."""
    deg = np.random.default_rng(2).uniform(5.0, 45.0, (10, 20))
    usgs_inputs(tmp_path, deg)
    with pytest.raises(RasterError, match=r"grad\.tif.*not plausible in gradient.*degrees"):
        _usgs(tmp_path, shared_data)
    ok = _usgs(tmp_path, shared_data, slope_units="degrees")  # the right units run
    assert ok.stats["n_cells"] > 0 and ok.stats["alert"] in ("green", "yellow", "orange", "red")


def test_usgs_other_input_without_data_is_named(tmp_path: Path, shared_data: Path) -> None:
    usgs_inputs(tmp_path)
    write_geo(tmp_path / "cti.tif", np.full((10, 20), np.nan))
    with pytest.raises(RasterError, match=r"cti raster .*cti\.tif"):
        _usgs(tmp_path, shared_data)


def test_slope_unit_ranges() -> None:
    rng = np.random.default_rng(0)
    check_slope_values(rng.uniform(0, 0.8, 100), "gradient", "g")
    check_slope_values(rng.uniform(0, 40, 100), "degrees", "d")
    check_slope_values(rng.uniform(0, 4000, 100), "degrees*100", "d100")
    with pytest.raises(RasterError, match="look like degrees"):
        check_slope_values(rng.uniform(5, 45, 100), "gradient", "g")
    with pytest.raises(RasterError, match="d: slope values -5"):
        check_slope_values(np.array([-5.0, 10.0]), "degrees", "d")


# --------------------------------------------------------------------------- factors, inventory


def _factors_cli(tmp: Path, *extra: str):
    return run_main(["landslide", "factors", "--inventory", str(tmp / "inv.geojson"),
                     "--out", str(tmp / "t.csv"), "--factor", f"slope={tmp / 'slope.tif'}",
                     "--json", str(tmp / "t.json"), *extra])


def test_factor_in_another_crs_is_reprojected_not_dropped(tmp_path: Path) -> None:
    import json

    study(tmp_path)
    da = rst.read_raster(tmp_path / "slope.tif")
    rst.write_geotiff(da.rio.reproject("EPSG:4326"), tmp_path / "slope_ll.tif")
    res = _factors_cli(tmp_path, "--factor", f"ll={tmp_path / 'slope_ll.tif'}", "--bins",
                       "ll=4", "--bins", "slope=4")
    assert res.code == 0, res.output
    table = json.loads((tmp_path / "t.json").read_text())["factors"]
    assert len(table["ll"]) == 4 and sum(r["n_cells"] for r in table["ll"]) > 0.8 * 24 * 24
    n_ll = sum(r["n_landslides"] for r in table["ll"])
    assert n_ll == sum(r["n_landslides"] for r in table["slope"]) > 0


def test_all_nodata_factor_is_refused_not_header_only(tmp_path: Path) -> None:
    from geohazard.landslide import factors as fac
    from geohazard.landslide import inventory as inv

    study(tmp_path)
    write_tif(tmp_path / "nan.tif", np.full((24, 24), -9999.0), nodata=-9999.0)
    ref = rst.read_raster(tmp_path / "slope.tif")
    ds = inv.inventory_rasters(inv.read_inventory(tmp_path / "inv.geojson"), ref)
    with pytest.raises(RasterError, match=r"nan\.tif.*nodata"):
        fac.factor_statistics(rst.read_raster(tmp_path / "nan.tif"), ds, bins=5)
    res = _factors_cli(tmp_path, "--factor", f"nan={tmp_path / 'nan.tif'}")
    assert res.code == 1 and "nan.tif" in res.err and not (tmp_path / "t.csv").exists()


def test_inventory_without_crs_needs_explicit_crs(tmp_path: Path) -> None:
    from geohazard.landslide import inventory as inv
    from tests.cli.test_bad_inputs_landslide import write_points

    study(tmp_path)
    write_points(tmp_path / "nocrs.shp", crs=None)
    with pytest.raises(RasterError, match=r"nocrs\.shp has no CRS.*crs="):
        inv.read_inventory(tmp_path / "nocrs.shp")
    gdf = inv.read_inventory(tmp_path / "nocrs.shp", crs="EPSG:32610")
    ds = inv.inventory_rasters(gdf, rst.read_raster(tmp_path / "slope.tif"))
    assert ds.attrs["n_outside_grid"] == 0 and int(ds["count"].sum()) == 30
    res = run_main(["landslide", "factors", "--inventory", str(tmp_path / "nocrs.shp"),
                    "--out", str(tmp_path / "t.csv"), "--factor",
                    f"slope={tmp_path / 'slope.tif'}", "--crs", "EPSG:32610"])
    assert res.code == 0, res.output
    assert (tmp_path / "t.csv").exists()


def test_inventory_all_outside_is_refused(tmp_path: Path) -> None:
    """Was: every landslide 'outside the grid' and a table of zeros, exit 0."""
    from geohazard.landslide import inventory as inv
    from tests.cli.test_bad_inputs_landslide import write_points

    study(tmp_path)
    write_points(tmp_path / "far.geojson", crs="EPSG:32633")
    gdf = inv.read_inventory(tmp_path / "far.geojson")
    with pytest.raises(RasterError, match=r"far\.geojson: none of its 30 landslides"):
        inv.inventory_rasters(gdf, rst.read_raster(tmp_path / "slope.tif"))


# --------------------------------------------------------------------------- terrain, faults


def test_terrain_geotiff_refuses_bad_settings_and_empty_dem(tmp_path: Path) -> None:
    from geohazard.landslide.terrain import terrain_geotiff

    write_tif(tmp_path / "dem.tif", dem_values())
    write_tif(tmp_path / "nan.tif", np.full((24, 24), -9999.0), nodata=-9999.0)
    out = tmp_path / "a" / "b"
    with pytest.raises(ParameterError, match="radius"):
        terrain_geotiff(tmp_path / "dem.tif", out, ("relief",), radius=-3)
    with pytest.raises(ParameterError, match="^tile"):
        terrain_geotiff(tmp_path / "dem.tif", out, tile=0)
    with pytest.raises(RasterError, match=r"nan\.tif: every cell is nodata"):
        terrain_geotiff(tmp_path / "nan.tif", out, tile=8)
    assert not (tmp_path / "a").exists()  # no empty folder left behind
    paths = terrain_geotiff(tmp_path / "dem.tif", out, ("slope_deg",), tile=8)
    assert np.isfinite(rst.read_raster(paths["slope_deg"]).values).any()


def test_truncated_geotiff_is_named(tmp_path: Path) -> None:
    write_tif(tmp_path / "full.tif", np.random.default_rng(0).normal(size=(200, 200)))
    data = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 2])
    with pytest.raises(RasterError, match=r"cut\.tif: the file is truncated or corrupt"):
        rst.read_raster(tmp_path / "cut.tif")


def test_fault_factors_refuse_negative_search_and_csv(tmp_path: Path) -> None:
    from geohazard.landslide import faults as flt

    (tmp_path / "x.csv").write_text("name,lon,lat\nA,1,2\n")
    with pytest.raises(RasterError, match=r"x\.csv has no geometry"):
        flt.read_faults(tmp_path / "x.csv")
    from geohazard.landslide.synthetic import synthetic_case

    case = synthetic_case(n=20, rng=0)
    with pytest.raises(ParameterError, match="search_radius_m"):
        flt.fault_factors_geotiff(case.faults, case.dem, tmp_path / "f", search_radius_m=-5)
    assert not (tmp_path / "f").exists()


# --------------------------------------------------------------------------- susceptibility


@pytest.mark.parametrize("kw,match", [
    ({"method": "svm"}, "method"), ({"balance": -1.0}, "balance"), ({"n_folds": 1}, "n_folds"),
    ({"n_estimators": 0, "method": "random_forest"}, "n_estimators"),
    ({"block_size": -100.0}, "block_size"), ({"categorical": ["nope"]}, "nope"),
])
def test_run_susceptibility_validates_before_creating_its_folder(tmp_path: Path, kw: dict,
                                                                 match: str) -> None:
    from geohazard.landslide.pipeline import run_susceptibility
    from geohazard.landslide.synthetic import synthetic_case

    case = synthetic_case(n=30, rng=1)
    with pytest.raises(ParameterError, match=match):
        run_susceptibility(case.factors, case.landslide, tmp_path / "run", **kw)
    assert not (tmp_path / "run").exists()


def test_run_susceptibility_refuses_all_nodata_factor(tmp_path: Path) -> None:
    from geohazard.landslide.pipeline import run_susceptibility
    from geohazard.landslide.synthetic import synthetic_case

    case = synthetic_case(n=30, rng=1)
    factors = dict(case.factors)
    factors["empty"] = factors["slope_deg"].copy(data=np.full(factors["slope_deg"].shape,
                                                              np.nan))
    with pytest.raises(RasterError, match="factor empty"):
        run_susceptibility(factors, case.landslide, tmp_path / "run")
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- CLI wording


def test_cli_terms_renames_whole_names_only() -> None:
    from geohazard.cli._landslide_hazard import cli_terms

    with pytest.raises(ParameterError) as info, cli_terms({"n_folds": "--folds"}):
        raise ParameterError("n_folds=1 needs 2..4; file /x/n_folds.tif, n_folds_max")
    assert str(info.value) == "--folds=1 needs 2..4; file /x/n_folds.tif, n_folds_max"


def test_usgs_class_codes_instead_of_coefficients_are_refused(tmp_path: Path,
                                                              shared_data: Path) -> None:
    usgs_inputs(tmp_path)
    write_geo(tmp_path / "lith.tif", np.full((10, 20), 12.0))  # a GLiM class code
    with pytest.raises(RasterError, match=r"lithology raster .*lith\.tif.*class codes"):
        _usgs(tmp_path, shared_data)

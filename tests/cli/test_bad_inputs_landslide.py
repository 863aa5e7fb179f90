"""Bad-input suite for every ``geohazard landslide ...`` command (issue 11).

Each case writes small synthetic inputs into its temporary folder, runs the real entry point
in-process through :mod:`tests.badinput` and asserts exit 1, no traceback, a one-line
``error:`` naming the culprit (flag in CLI terms, or the file) and no file touched under the
folder (nothing half-written: outputs go under the same folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.badinput import Case, check_case

pytest.importorskip("rasterio")
pytest.importorskip("geopandas")

UTM = "EPSG:32610"
# Inside the Loma Prieta ShakeMap (lon -122.5..-121.3, lat 36.5..37.2) used by usgs-global
GEO_BOUNDS = (-122.4, 36.6, -121.4, 37.1)


# --------------------------------------------------------------------------- input writers


def write_tif(path: Path, values: np.ndarray, *, crs: str | None = UTM,
              origin: tuple[float, float] = (590_000.0, 4_100_000.0), res: float = 30.0,
              nodata: float | None = None) -> Path:
    """Write a small single-band float32 GeoTIFF (projected or geographic)."""
    import rasterio
    from rasterio.transform import from_origin

    values = np.asarray(values, dtype=np.float32)
    ny, nx = values.shape
    with rasterio.open(path, "w", driver="GTiff", width=nx, height=ny, count=1,
                       dtype="float32", crs=crs, nodata=nodata,
                       transform=from_origin(origin[0], origin[1], res, res)) as dst:
        dst.write(values, 1)
    return path


def dem_values(n: int = 24) -> np.ndarray:
    """Smooth hill, metres."""
    y, x = np.mgrid[0:n, 0:n]
    return 100.0 + 3.0 * x + 40.0 * np.exp(-((x - n / 2) ** 2 + (y - n / 2) ** 2) / 40.0)


def write_geo(path: Path, values: np.ndarray, crs: str | None = "EPSG:4326",
              bounds: tuple[float, float, float, float] = GEO_BOUNDS) -> Path:
    """Write ``values`` on a lon/lat grid (default: inside the Loma Prieta ShakeMap)."""
    ny, nx = np.shape(values)
    x0, y0, x1, y1 = bounds
    return write_tif(path, values, crs=crs, origin=(x0, y1), res=(x1 - x0) / nx)


def write_points(path: Path, n: int = 30, crs: str | None = UTM, seed: int = 0) -> Path:
    """Landslide points on the UTM test grid (GeoJSON or shapefile by extension)."""
    import geopandas as gpd
    from shapely.geometry import Point

    rng = np.random.default_rng(seed)
    xs = 590_000.0 + 30.0 * rng.uniform(1, 23, n)
    ys = 4_100_000.0 - 30.0 * rng.uniform(1, 23, n)
    gdf = gpd.GeoDataFrame({"id": np.arange(n)},
                           geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)],
                           crs=crs)
    gdf.to_file(path)
    return path


def truncate_copy(src: Path, dst: Path) -> Path:
    """Write the first half of ``src`` to ``dst`` (a truncated download)."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def study(tmp: Path) -> None:
    """A valid projected study area: DEM, slope factor, lithology, inventory."""
    dem = dem_values()
    write_tif(tmp / "dem.tif", dem)
    write_tif(tmp / "slope.tif", np.gradient(dem)[1] * 2.0)
    write_tif(tmp / "lith.tif", (np.arange(dem.size).reshape(dem.shape) % 3).astype(float))
    write_points(tmp / "inv.geojson")


def usgs_inputs(tmp: Path, slope: np.ndarray | None = None) -> None:
    """Tiny lon/lat USGS model inputs (gradient slope, coefficient layers, CTI)."""
    shape = (10, 20)
    rng = np.random.default_rng(1)
    write_geo(tmp / "grad.tif", rng.uniform(0.0, 0.8, shape) if slope is None else slope)
    write_geo(tmp / "lith.tif", np.full(shape, -0.5))
    write_geo(tmp / "lc.tif", np.full(shape, -0.2))
    write_geo(tmp / "cti.tif", np.full(shape, 5.0))


def with_(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    """Chain several setup steps."""
    def run(tmp: Path) -> None:
        for step in steps:
            step(tmp)
    return run


# --------------------------------------------------------------------------- setups


def _nan_dem(tmp: Path) -> None:
    write_tif(tmp / "nan.tif", np.full((24, 24), -9999.0), nodata=-9999.0)


def _nocrs_dem(tmp: Path) -> None:
    write_tif(tmp / "nocrs.tif", dem_values(), crs=None)


def _truncated_dem(tmp: Path) -> None:
    write_tif(tmp / "full.tif", np.random.default_rng(0).normal(size=(200, 200)))
    truncate_copy(tmp / "full.tif", tmp / "cut.tif")
    (tmp / "full.tif").unlink()


def _usgs_nan_slope(tmp: Path) -> None:
    usgs_inputs(tmp, np.full((10, 20), np.nan))


def _usgs_degree_slope(tmp: Path) -> None:
    usgs_inputs(tmp, np.random.default_rng(2).uniform(5.0, 45.0, (10, 20)))


def _usgs_class_codes(tmp: Path) -> None:
    """GlobCover class codes (11..230) where the model needs land-cover coefficients."""
    usgs_inputs(tmp)
    write_geo(tmp / "lc.tif", np.random.default_rng(5).choice([11.0, 70.0, 210.0], (10, 20)))


def _usgs_truncated_slope(tmp: Path) -> None:
    usgs_inputs(tmp, np.random.default_rng(2).uniform(0.0, 0.8, (100, 200)))
    truncate_copy(tmp / "grad.tif", tmp / "cut.tif")


def _geo_slope_deg(tmp: Path) -> None:
    write_geo(tmp / "slope_deg.tif", np.random.default_rng(3).uniform(0.0, 40.0, (10, 20)))
    write_geo(tmp / "pga.tif", np.full((10, 20), 0.3))


def _geo_pga_nan(tmp: Path) -> None:
    _geo_slope_deg(tmp)
    write_geo(tmp / "pga.tif", np.full((10, 20), np.nan))


def _geo_pga_percent_g(tmp: Path) -> None:
    """PGA in %g (as ShakeMap grids hold it) given where g is expected."""
    _geo_slope_deg(tmp)
    write_geo(tmp / "pga.tif", np.full((10, 20), 30.0))


def _geo_vs30_nan(tmp: Path) -> None:
    _geo_slope_deg(tmp)
    write_geo(tmp / "vs30.tif", np.full((10, 20), np.nan))


def _geo_slope_nan(tmp: Path) -> None:
    write_geo(tmp / "slope_deg.tif", np.full((10, 20), np.nan))
    write_geo(tmp / "pga.tif", np.full((10, 20), 0.3))


def _geo_slope_x100(tmp: Path) -> None:
    write_geo(tmp / "slope_deg.tif", np.random.default_rng(3).uniform(0.0, 4000.0, (10, 20)))
    write_geo(tmp / "pga.tif", np.full((10, 20), 0.3))


def _faults_csv(tmp: Path) -> None:
    (tmp / "faults.csv").write_text("name,lon,lat\nA,-122.0,37.0\nB,-121.9,37.1\n")


def _faults_ok(tmp: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    gpd.GeoDataFrame({"slip_type": ["Reverse"], "average_dip": ["45"], "dip_dir": ["N"]},
                     geometry=[LineString([(590_100, 4_099_700), (590_600, 4_099_400)])],
                     crs=UTM).to_file(tmp / "faults.geojson")


def _other_crs_factor(tmp: Path) -> None:
    """A factor in lon/lat (the Alps) far from the UTM grid: reprojection leaves nothing."""
    write_geo(tmp / "geo.tif", np.random.default_rng(4).uniform(0, 1, (10, 20)),
              bounds=(7.0, 45.0, 8.0, 46.0))


def _constant_factor(tmp: Path) -> None:
    write_tif(tmp / "flat.tif", np.full((24, 24), 7.0))


def _faults_points(tmp: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame(geometry=[Point(590_100, 4_099_700)], crs=UTM).to_file(
        tmp / "pts.geojson")


def _faults_truncated(tmp: Path) -> None:
    _faults_ok(tmp)
    truncate_copy(tmp / "faults.geojson", tmp / "cut.geojson")


def _inv_nocrs_shp(tmp: Path) -> None:
    write_points(tmp / "nocrs.shp", crs=None)


def _inv_utm_in_geojson_without_crs(tmp: Path) -> None:
    """UTM coordinates in a GeoJSON without a CRS member (read as lon/lat)."""
    import json

    feats = [{"type": "Feature", "properties": {},
              "geometry": {"type": "Point", "coordinates": [590_300.0 + 30 * k, 4_099_700.0]}}
             for k in range(5)]
    (tmp / "bare.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                  "features": feats}))


def _inv_far(tmp: Path) -> None:
    write_points(tmp / "far.geojson", crs="EPSG:32633")


def _events_bad(tmp: Path) -> None:
    (tmp / "events.csv").write_text("mw,n_landslides\n6.5,100\nseven,200\n7.2,500\n")


STUDY = study
SHAKE = "{shared}/landslide/loma_prieta/grid.xml"
USGS = ["landslide", "usgs-global", "--shakemap", SHAKE, "--lithology", "{tmp}/lith.tif",
        "--landcover", "{tmp}/lc.tif", "--cti", "{tmp}/cti.tif", "--out", "{tmp}/out/cov.tif"]
NEWMARK = ["landslide", "newmark", "--slope", "{tmp}/slope_deg.tif", "--pga", "{tmp}/pga.tif",
           "--out", "{tmp}/out"]
SCEN = ["landslide", "scenario", "--trace", "-122.0,37.0;-121.8,36.9", "--dip", "70",
        "--grid", "{tmp}/slope_deg.tif", "--out", "{tmp}/out"]
TERRAIN = ["landslide", "terrain", "{tmp}/dem.tif", "--out", "{tmp}/out"]
FAULTS = ["landslide", "fault-factors", "--ref", "{tmp}/dem.tif", "--out", "{tmp}/out"]
FACTORS = ["landslide", "factors", "--inventory", "{tmp}/inv.geojson", "--out",
           "{tmp}/out/table.csv", "--factor", "slope={tmp}/slope.tif"]
SUSC = ["landslide", "susceptibility", "--inventory", "{tmp}/inv.geojson", "--out",
        "{tmp}/out", "--factor", "slope={tmp}/slope.tif", "--no-report"]

CASES = [
    # ---- usgs-global (silent case 7 and tracebacks)
    Case("usgs-all-nan-slope", [*USGS, "--slope", "{tmp}/grad.tif"], "grad.tif",
         _usgs_nan_slope),
    Case("usgs-degrees-as-gradient", [*USGS, "--slope", "{tmp}/grad.tif"],
         ["grad.tif", "--slope-units"], _usgs_degree_slope),
    Case("usgs-truncated-slope", [*USGS, "--slope", "{tmp}/cut.tif"], "cut.tif",
         _usgs_truncated_slope),
    Case("usgs-landcover-class-codes", [*USGS, "--slope", "{tmp}/grad.tif"],
         ["lc.tif", "coefficients"], _usgs_class_codes),
    Case("usgs-bad-units", [*USGS, "--slope", "{tmp}/grad.tif", "--slope-units", "radians"],
         "--slope-units", usgs_inputs),
    Case("usgs-block-rows-0", [*USGS, "--slope", "{tmp}/grad.tif", "--block-rows", "0"],
         "--block-rows", usgs_inputs),
    Case("usgs-pga-threshold-neg", [*USGS, "--slope", "{tmp}/grad.tif", "--pga-threshold",
                                    "-1"], "--pga-threshold", usgs_inputs),
    Case("usgs-shakemap-missing", [*USGS[:2], "--shakemap", "{tmp}/nope.xml", *USGS[4:],
                                   "--slope", "{tmp}/grad.tif"], "nope.xml", usgs_inputs),
    # ---- newmark (silent case 8)
    Case("newmark-friction-95", [*NEWMARK, "--friction", "95"], "--friction", _geo_slope_deg),
    Case("newmark-friction-0", [*NEWMARK, "--friction", "0"], "--friction", _geo_slope_deg),
    Case("newmark-cohesion-neg", [*NEWMARK, "--cohesion", "-10"], "--cohesion",
         _geo_slope_deg),
    Case("newmark-magnitude-nan", [*NEWMARK, "--magnitude", "nan", "--model", "jibson2007_m"],
         "--magnitude", _geo_slope_deg),
    Case("newmark-saturation", [*NEWMARK, "--saturation", "1.5"], "--saturation",
         _geo_slope_deg),
    Case("newmark-thickness-0", [*NEWMARK, "--thickness", "0"], "--thickness", _geo_slope_deg),
    Case("newmark-unit-weight-neg", [*NEWMARK, "--unit-weight", "-1"], "--unit-weight",
         _geo_slope_deg),
    Case("newmark-bad-model", [*NEWMARK, "--model", "nope"], "--model", _geo_slope_deg),
    Case("newmark-all-nan-slope", NEWMARK, "slope_deg.tif", _geo_slope_nan),
    Case("newmark-slope-not-degrees", NEWMARK, ["slope_deg.tif", "degrees"], _geo_slope_x100),
    Case("newmark-model-needs-magnitude", [*NEWMARK, "--model", "jibson2007_m"],
         "--magnitude", _geo_slope_deg),
    Case("newmark-pga-all-nan", NEWMARK, "pga.tif", _geo_pga_nan),
    Case("newmark-pga-in-percent-g", NEWMARK, ["pga.tif", " g"], _geo_pga_percent_g),
    Case("newmark-no-ground-motion", [*NEWMARK[:4], *NEWMARK[6:]], "--shakemap",
         _geo_slope_deg),
    Case("newmark-truncated-slope", ["landslide", "newmark", "--slope", "{tmp}/cut.tif",
                                     "--pga", "{tmp}/pga.tif", "--out", "{tmp}/out"],
         "cut.tif", with_(_geo_slope_deg, _truncated_dem)),
    # ---- scenario
    Case("scenario-magnitude-12", [*SCEN, "--magnitude", "12"], "--magnitude", _geo_slope_deg),
    Case("scenario-magnitude-nan", [*SCEN, "--magnitude", "nan"], "--magnitude",
         _geo_slope_deg),
    Case("scenario-dip-0", [*SCEN[:4], "--dip", "0", *SCEN[6:], "--magnitude", "6.5"],
         "--dip", _geo_slope_deg),
    Case("scenario-bad-trace", [*SCEN[:2], "--trace", "abc", *SCEN[4:], "--magnitude", "6.5"],
         "--trace", _geo_slope_deg),
    Case("scenario-width-neg", [*SCEN, "--magnitude", "6.5", "--width", "-5"], "--width",
         _geo_slope_deg),
    Case("scenario-ztor-neg", [*SCEN, "--magnitude", "6.5", "--ztor", "-1"], "--ztor",
         _geo_slope_deg),
    Case("scenario-bad-gmpe", [*SCEN, "--magnitude", "6.5", "--gmpe", "XX14"], "--gmpe",
         _geo_slope_deg),
    Case("scenario-vs30-all-nan", [*SCEN, "--magnitude", "6.5", "--vs30", "{tmp}/vs30.tif"],
         "vs30.tif", _geo_vs30_nan),
    Case("scenario-grid-all-nan", [*SCEN, "--magnitude", "6.5"], "slope_deg.tif",
         _geo_slope_nan),
    # ---- scaling
    Case("scaling-magnitude-nan", ["landslide", "scaling", "--magnitude", "nan"],
         "--magnitude"),
    Case("scaling-magnitude-12", ["landslide", "scaling", "--magnitude", "12"], "--magnitude"),
    Case("scaling-events-missing", ["landslide", "scaling", "--events", "{tmp}/nope.csv"],
         "nope.csv"),
    Case("scaling-bad-events", ["landslide", "scaling", "--events", "{tmp}/events.csv"],
         ["events.csv", "row 2"], _events_bad),
    # ---- terrain (silent case 8, --tile blame, nothing half-written)
    Case("terrain-radius-neg", [*TERRAIN, "--radius", "-3"], "--radius", STUDY),
    Case("terrain-tile-0", [*TERRAIN, "--tile", "0"], "--tile", STUDY),
    Case("terrain-all-nodata", ["landslide", "terrain", "{tmp}/nan.tif", "--out", "{tmp}/out"],
         "nan.tif", _nan_dem),
    Case("terrain-truncated", ["landslide", "terrain", "{tmp}/cut.tif", "--out", "{tmp}/out"],
         "cut.tif", _truncated_dem),
    Case("terrain-no-crs", ["landslide", "terrain", "{tmp}/nocrs.tif", "--out", "{tmp}/out"],
         ["nocrs.tif", "--crs"], _nocrs_dem),
    Case("terrain-bad-product", [*TERRAIN, "--products", "slope_deg,roughness"],
         "--products", STUDY),
    Case("terrain-twi-all-nodata", ["landslide", "terrain", "{tmp}/nan.tif", "--out",
                                    "{tmp}/out", "--products", "twi"], "nan.tif", _nan_dem),
    # ---- fault-factors
    Case("faults-csv", [*FAULTS, "--faults", "{tmp}/faults.csv"], "faults.csv",
         with_(STUDY, _faults_csv)),
    Case("faults-search-km-neg", [*FAULTS, "--faults", "{tmp}/faults.geojson", "--search-km",
                                  "-5"], "--search-km", with_(STUDY, _faults_ok)),
    Case("faults-truncated-geojson", [*FAULTS, "--faults", "{tmp}/cut.geojson"],
         "cut.geojson", with_(STUDY, _faults_truncated)),
    Case("faults-points-not-lines", [*FAULTS, "--faults", "{tmp}/pts.geojson"],
         "pts.geojson", with_(STUDY, _faults_points)),
    Case("faults-missing", [*FAULTS, "--faults", "{tmp}/nope.gpkg"], "nope.gpkg", STUDY),
    Case("faults-ref-no-crs", ["landslide", "fault-factors", "--faults",
                               "{tmp}/faults.geojson", "--ref", "{tmp}/nocrs.tif", "--out",
                               "{tmp}/out"], ["nocrs.tif", "--crs"], with_(_nocrs_dem,
                                                                            _faults_ok)),
    # ---- factors (silent case 7)
    Case("factors-other-crs-no-overlap", [*FACTORS, "--factor", "geo={tmp}/geo.tif"],
         "geo.tif", with_(STUDY, _other_crs_factor)),
    Case("factors-all-nodata", [*FACTORS, "--factor", "nan={tmp}/nan.tif"], "nan.tif",
         with_(STUDY, _nan_dem)),
    Case("factors-inventory-no-crs", [*FACTORS[:2], "--inventory", "{tmp}/nocrs.shp",
                                      *FACTORS[4:]], ["nocrs.shp", "--crs"],
         with_(STUDY, _inv_nocrs_shp)),
    Case("factors-inventory-utm-as-lonlat", [*FACTORS[:2], "--inventory", "{tmp}/bare.geojson",
                                             *FACTORS[4:]], "bare.geojson",
         with_(STUDY, _inv_utm_in_geojson_without_crs)),
    Case("factors-inventory-off-grid", [*FACTORS[:2], "--inventory", "{tmp}/far.geojson",
                                        *FACTORS[4:]], "far.geojson", with_(STUDY, _inv_far)),
    Case("factors-constant-factor", [*FACTORS, "--factor", "flat={tmp}/flat.tif", "--bins",
                                     "flat=5"], "flat.tif", with_(STUDY, _constant_factor)),
    Case("factors-truncated-factor", [*FACTORS, "--factor", "cut={tmp}/cut.tif"], "cut.tif",
         with_(STUDY, _truncated_dem)),
    Case("factors-bad-bins", [*FACTORS, "--bins", "slope=abc"], "--bins", STUDY),
    Case("factors-bins-decreasing", [*FACTORS, "--bins", "slope=5,3,1"], "--bins", STUDY),
    Case("factors-bins-zero", [*FACTORS, "--bins", "slope=0"], "--bins", STUDY),
    Case("factors-bins-unknown-factor", [*FACTORS, "--bins", "elev=5"], ["--bins", "elev"],
         STUDY),
    Case("factors-bad-pair", [*FACTORS, "--factor", "slope"], "--factor", STUDY),
    Case("factors-duplicate-name", [*FACTORS, "--factor", "slope={tmp}/dem.tif"],
         ["--factor", "slope"], STUDY),
    # ---- susceptibility (tracebacks and half-written folders)
    Case("susc-all-nodata-factor", [*SUSC, "--factor", "nan={tmp}/nan.tif"], "nan.tif",
         with_(STUDY, _nan_dem)),
    Case("susc-other-crs-factor", [*SUSC, "--factor", "geo={tmp}/geo.tif"], "geo.tif",
         with_(STUDY, _other_crs_factor)),
    Case("susc-folds-1", [*SUSC, "--folds", "1"], "--folds", STUDY),
    Case("susc-bad-method", [*SUSC, "--method", "svm"], "--method", STUDY),
    Case("susc-balance-neg", [*SUSC, "--balance", "-1"], "--balance", STUDY),
    Case("susc-trees-0", [*SUSC, "--trees", "0", "--method", "random_forest"], "--trees",
         STUDY),
    Case("susc-block-size-neg", [*SUSC, "--block-size", "-100"], "--block-size", STUDY),
    Case("susc-seed-negative", [*SUSC, "--seed", "-1"], "--seed", STUDY),
    Case("susc-constant-factor", [*SUSC, "--factor", "flat={tmp}/flat.tif"], "flat.tif",
         with_(STUDY, _constant_factor)),
    Case("susc-unknown-categorical", [*SUSC, "--categorical", "lith"], "--categorical", STUDY),
    Case("susc-inventory-off-grid", [*SUSC[:2], "--inventory", "{tmp}/far.geojson",
                                     *SUSC[4:]], "far.geojson", with_(STUDY, _inv_far)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, shared_data: Path) -> None:
    """Every bad input: exit 1, one-line error naming the culprit, nothing written."""
    check_case(case, tmp_path, shared_data)


def test_suite_covers_every_landslide_command() -> None:
    """The suite exercises each ``geohazard landslide`` command at least twice."""
    from geohazard.cli.landslide import app
    from tests.cli.test_bad_inputs_landslide_causes import CASES as CAUSES  # issue 15

    names = {c.name for c in app.registered_commands}
    used = {c.args[1] for c in CASES}
    used |= {c.args[1] for c in CAUSES}
    assert names <= used, names - used
    assert len(CASES) >= 25
    for name in names:
        assert sum(c.args[1] == name for c in [*CASES, *CAUSES]) >= 2, name

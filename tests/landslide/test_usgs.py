"""USGS global landslide model: reproduction of the USGS Loma Prieta output and unit checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geohazard.exceptions import InputError, ParameterError
from geohazard.landslide.shakemap import read_gmt_grid, read_shakemap_grid
from geohazard.landslide.usgs import (
    JesseeCoefficients,
    aggregate_area_km2,
    alert_level,
    areal_coverage,
    cell_area_km2,
    jessee_logit,
    jessee_probability,
    population_alert_level,
    population_exposure,
    run_jessee2018,
    slope_to_degrees,
)

pytest.importorskip("rasterio")


@pytest.fixture(scope="module")
def loma(landslide_dir: Path) -> Path:
    d = landslide_dir / "loma_prieta"
    if not (d / "grid.xml").exists():
        pytest.skip("Loma Prieta data absent")
    return d


@pytest.fixture(scope="module")
def loma_run(loma: Path):
    m = loma / "model_inputs"
    return run_jessee2018(loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                          m / "global_grad.tif", m / "global_cti_fil.grd")


def _on_target(loma: Path, run):
    tgt = read_gmt_grid(loma / "targets" / "jessee_2018.grd")
    ours = run.coverage.sel(x=tgt.x, y=tgt.y, method="nearest", tolerance=1e-7)
    return ours.values, tgt.values


def test_shakemap_parser(loma: Path) -> None:
    sm = read_shakemap_grid(loma / "grid.xml")
    assert sm.fields["PGV"].shape == (29, 49)
    assert sm.lon[0] == pytest.approx(-122.5) and sm.lat[0] == pytest.approx(37.2)
    assert sm.lat[-1] == pytest.approx(36.5) and sm.lon[-1] == pytest.approx(-121.3)
    # first and last data lines of the file
    assert sm.fields["PGA"][0, 0] == pytest.approx(18.09)
    assert sm.fields["SVEL"][0, 0] == pytest.approx(600)
    assert sm.magnitude == pytest.approx(6.9)
    assert sm.units["PGV"] == "cm/s"
    da = sm.layer("pgv")
    assert da.rio.crs.to_epsg() == 4326 and da.shape == (29, 49)


def test_shakemap_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "grid.xml"
    bad.write_text("<shakemap_grid><grid_specification nlon='2' nlat='2'/>"
                   "<grid_field index='1' name='LON'/><grid_field index='2' name='LAT'/>"
                   "<grid_data>0 0 1 0 0</grid_data></shakemap_grid>")
    with pytest.raises(InputError, match="grid_data"):
        read_shakemap_grid(bad)
    bad.write_text("<not xml")
    with pytest.raises(InputError, match="not valid XML"):
        read_shakemap_grid(bad)


def test_reproduces_usgs_jessee_2018(loma: Path, loma_run) -> None:
    """Tolerance (areal coverage, max 0.256): median |diff| < 1e-4, 99th pct < 3e-3,
    max < 0.012, correlation > 0.999; NaN footprints agree except the ShakeMap's outer
    north row / east column, which the USGS grid leaves empty."""
    ours, tgt = _on_target(loma, loma_run)
    both = np.isfinite(ours) & np.isfinite(tgt)
    assert both.sum() > 110_000
    d = np.abs(ours - tgt)[both]
    assert np.median(d) < 1e-4
    assert np.percentile(d, 99) < 3e-3
    assert d.max() < 0.012
    assert np.corrcoef(ours[both], tgt[both])[0, 1] > 0.999
    # zero (flat) cells agree exactly with the USGS zeros
    assert np.array_equal(ours[both] == 0, tgt[both] == 0)
    assert not (np.isnan(ours) & np.isfinite(tgt)).any()
    extra_r, extra_c = np.nonzero(np.isfinite(ours) & np.isnan(tgt))
    assert np.all((extra_r == 0) | (extra_c == tgt.shape[1] - 1))


def test_reproduction_needs_operational_changes(loma: Path) -> None:
    """Without the lithology substitution the error is ~10x larger: the test can fail."""
    m = loma / "model_inputs"
    c = JesseeCoefficients(unconsolidated_replacement=None)
    run = run_jessee2018(loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                         m / "global_grad.tif", m / "global_cti_fil.grd", coeffs=c)
    ours, tgt = _on_target(loma, run)
    both = np.isfinite(ours) & np.isfinite(tgt)
    assert np.abs(ours - tgt)[both].max() > 0.05


def test_aggregate_area_matches_target(loma: Path, loma_run) -> None:
    ours, tgt = _on_target(loma, loma_run)
    t = read_gmt_grid(loma / "targets" / "jessee_2018.grd")
    area = cell_area_km2(t.y.values, 1 / 480, 1 / 480)
    both = np.isfinite(ours) & np.isfinite(tgt)
    h_ours = aggregate_area_km2(np.where(both, ours, np.nan), area)
    h_tgt = aggregate_area_km2(np.where(both, tgt, np.nan), area)
    assert h_ours == pytest.approx(h_tgt, rel=0.01)
    assert loma_run.stats["alert"] == alert_level(loma_run.stats["hagg_km2"])


def test_windowed_equals_in_memory(loma: Path, loma_run, tmp_path: Path) -> None:
    import rasterio

    m = loma / "model_inputs"
    out = tmp_path / "cov.tif"
    res = run_jessee2018(loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                         m / "global_grad.tif", m / "global_cti_fil.grd", out=out, block_rows=37)
    with rasterio.open(out) as src:
        w = src.read(1)
    ref = loma_run.coverage.values
    assert np.array_equal(np.isnan(w), np.isnan(ref))
    np.testing.assert_allclose(w[np.isfinite(w)], ref[np.isfinite(ref)], atol=1e-7)
    assert res.stats["hagg_km2"] == pytest.approx(loma_run.stats["hagg_km2"], rel=1e-9)
    with pytest.raises(ParameterError, match="out"):
        run_jessee2018(loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                       m / "global_grad.tif", m / "global_cti_fil.grd", block_rows=10)


def test_logit_by_hand() -> None:
    # PGV 50 cm/s, slope 20 deg, rock -1.5, CTI 5, land cover 0.5
    x = jessee_logit(50.0, 20.0, -1.5, 5.0, 0.5)
    expected = -6.30 + 1.65 * np.log(50) + 0.06 * 20 - 1.5 + 0.03 * 5 + 0.5 + 0.01 * 20 * np.log(50)
    assert x == pytest.approx(expected)
    # clipping: PGV 500 behaves as 211, CTI 30 as 19
    assert jessee_logit(500.0, 20.0, -1.5, 30.0, 0.5) == pytest.approx(
        jessee_logit(211.0, 20.0, -1.5, 19.0, 0.5))
    # unconsolidated sediments (-3.22) are treated as mixed sedimentary rocks (-1.36)
    assert jessee_logit(50.0, 20.0, -3.22, 5.0, 0.5) == pytest.approx(
        jessee_logit(50.0, 20.0, -1.36, 5.0, 0.5))


def test_coverage_polynomial_and_slope_mask() -> None:
    assert areal_coverage(1.0) == pytest.approx(np.exp(-7.592 + 5.237 - 3.042 + 4.035))
    assert areal_coverage(0.0) == pytest.approx(np.exp(-7.592))
    p = jessee_probability(np.array([50.0, 50.0]), np.array([1.9, 2.1]), -1.0, 5.0, 0.0)
    assert p[0] == 0.0 and p[1] > 0.0
    assert np.isnan(jessee_probability(np.nan, 10.0, -1.0, 5.0, 0.0))


def test_alerts_and_units() -> None:
    assert [alert_level(v) for v in (0.5, 1.0, 50.0, 150.0)] == [
        "green", "yellow", "orange", "red"]
    assert population_alert_level(99.0) == "green"
    assert population_alert_level(20_000.0) == "red"
    with pytest.raises(ParameterError):
        alert_level(float("nan"))
    assert slope_to_degrees(np.array([1.0]), "gradient")[0] == pytest.approx(45.0)
    assert slope_to_degrees(np.array([100.0]), "percent")[0] == pytest.approx(45.0)
    with pytest.raises(ParameterError, match="slope units"):
        slope_to_degrees(np.array([1.0]), "radians")


def test_cell_area() -> None:
    # a 1x1 degree cell at the equator on the authalic sphere
    a = cell_area_km2(np.array([0.5]), 1.0, 1.0)[0, 0]
    r = 6371.0072
    assert a == pytest.approx(r**2 * np.radians(1.0) * np.sin(np.radians(1.0)), rel=1e-12)
    # whole-globe sum equals 4 pi R^2
    lat = np.arange(-89.5, 90.0, 1.0)
    assert cell_area_km2(lat, 1.0, 1.0).sum() * 360 == pytest.approx(4 * np.pi * r**2)


def _run_cli(monkeypatch, capsys, *args: str) -> int:
    import sys

    from geohazard.cli import main as cli_main

    monkeypatch.setattr(sys, "argv", ["geohazard", *args])
    try:
        cli_main.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_usgs_global(loma: Path, loma_run, tmp_path: Path, monkeypatch, capsys) -> None:
    import json

    m = loma / "model_inputs"
    out, js = tmp_path / "cov.tif", tmp_path / "usgs.json"
    args = ["landslide", "usgs-global", "--shakemap", str(loma / "grid.xml"),
            "--lithology", str(m / "GLIM_replace.tif"), "--landcover",
            str(m / "globcover_replace.tif"), "--slope", str(m / "global_grad.tif"),
            "--cti", str(m / "global_cti_fil.grd"), "--out", str(out), "--json", str(js)]
    assert _run_cli(monkeypatch, capsys, *args) == 0
    figures = json.loads(js.read_text())
    assert figures["hagg_km2"] == pytest.approx(loma_run.stats["hagg_km2"])
    assert figures["alert"] == loma_run.stats["alert"] and out.exists()
    args[args.index("--cti") + 1] = str(m / "missing.grd")
    capsys.readouterr()
    assert _run_cli(monkeypatch, capsys, *args) == 1
    err = capsys.readouterr().err
    assert "missing.grd" in err and "Traceback" not in err


def test_plot_coverage_map(loma_run) -> None:
    from geohazard.plotting.landslide_hazard import plot_coverage_map

    ax = plot_coverage_map(loma_run.coverage, epicenter=(-121.88, 37.04))
    assert len(ax.images) == 1
    assert ax.images[0].get_array().shape == loma_run.coverage.shape


def test_projected_slope_grid_rejected(loma: Path, tmp_path: Path) -> None:
    from geohazard.exceptions import RasterError
    from geohazard.landslide.raster import from_array, write_geotiff

    x = 590_000 + np.arange(5) * 250.0
    y = 4_100_000 - np.arange(4) * 250.0
    slope = write_geotiff(from_array(np.full((4, 5), 0.2), x, y, "EPSG:32610"),
                          tmp_path / "slope_utm.tif")
    m = loma / "model_inputs"
    with pytest.raises(RasterError, match="geographic"):
        run_jessee2018(loma / "grid.xml", m / "GLIM_replace.tif", m / "globcover_replace.tif",
                       slope, m / "global_cti_fil.grd")


def test_coverage_monotone_in_shaking_and_slope() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=80, deadline=None)
    @given(pgv=st.floats(1.0, 300.0), slope=st.floats(2.5, 60.0), rock=st.floats(-3.0, 0.0),
           cti=st.floats(0.0, 25.0), lc=st.floats(-1.3, 2.4))
    def check(pgv: float, slope: float, rock: float, cti: float, lc: float) -> None:
        p = float(jessee_probability(pgv, slope, rock, cti, lc))
        assert np.exp(-7.592) <= p <= np.exp(-7.592 + 5.237 - 3.042 + 4.035) + 1e-12
        assert float(jessee_probability(pgv * 1.2, slope, rock, cti, lc)) >= p or pgv >= 211
        assert float(jessee_probability(pgv, slope + 1.0, rock, cti, lc)) >= p

    check()


def test_read_gmt_grid_legacy_and_coards(tmp_path: Path, loma: Path) -> None:
    from scipy.io import netcdf_file

    # legacy GMT layout, gridline registration, z stored north to south
    z = np.arange(12, dtype=float).reshape(3, 4)  # rows north -> south
    p = tmp_path / "legacy.grd"
    with netcdf_file(p, "w") as f:
        f.createDimension("side", 2)
        f.createDimension("xysize", 12)
        for name, vals in (("x_range", [10.0, 13.0]), ("y_range", [20.0, 22.0]),
                           ("z_range", [0.0, 11.0]), ("spacing", [1.0, 1.0])):
            v = f.createVariable(name, "d", ("side",))
            v[:] = vals
        dim = f.createVariable("dimension", "i", ("side",))
        dim[:] = [4, 3]
        zz = f.createVariable("z", "d", ("xysize",))
        zz[:] = z.ravel()
        f.node_offset = 0
    g = read_gmt_grid(p)
    np.testing.assert_array_equal(g.values, z)
    np.testing.assert_allclose(g.x.values, [10, 11, 12, 13])
    np.testing.assert_allclose(g.y.values, [22, 21, 20])
    # COARDS layout (the USGS targets): north up, 1/480 degree cells
    t = read_gmt_grid(loma / "targets" / "jessee_2018.grd")
    assert t.shape == (337, 578) and t.y.values[0] > t.y.values[-1]
    assert abs(t.x.values[1] - t.x.values[0]) == pytest.approx(1 / 480)


def test_population_exposure_and_thresholds() -> None:
    cov = np.array([[0.001, 0.01], [0.2, np.nan]])
    pop = np.array([[1000.0, 500.0], [100.0, 1e6]])
    pga = np.array([[0.5, 0.05], [0.3, 0.3]])
    # only cells with coverage >= 0.002 and PGA >= 0.1 g: the 0.2 cell -> 20 people
    assert population_exposure(cov, pop, pga) == pytest.approx(20.0)
    assert population_exposure(cov, pop) == pytest.approx(5.0 + 20.0)
    area = np.full((2, 1), 2.0)
    assert aggregate_area_km2(cov, area, pga) == pytest.approx(0.4)
    with pytest.raises(ParameterError):
        population_exposure(cov, -pop)

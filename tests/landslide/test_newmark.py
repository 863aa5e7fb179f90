"""Newmark analysis: worked numbers from the papers' equations, invariants and maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geohazard.exceptions import ParameterError
from geohazard.landslide.newmark import (
    bray_travasarou_2007,
    bray_travasarou_2007_p_zero,
    critical_acceleration,
    factor_of_safety,
    jibson_2000_probability,
    jibson_2007,
    newmark_maps,
    saygili_rathje_2008,
)
from tests.landslide._helpers import run_main_ok


def test_infinite_slope_dry_cohesionless() -> None:
    # c' = 0, m = 0: FS = tan(phi)/tan(alpha) = tan30/tan20 = 1.58626
    fs = factor_of_safety(20.0, 0.0, 30.0)
    assert fs == pytest.approx(1.586257, abs=1e-6)
    # a_c = (FS - 1) sin(alpha) = 0.586257 * 0.342020 = 0.200512 g
    assert critical_acceleration(fs, 20.0) == pytest.approx(0.200512, abs=1e-6)


def test_infinite_slope_cohesion_and_water() -> None:
    # Godt et al. (2008) slab: t = 2.4 m, gamma = 15.7 kN/m3; c' = 10 kPa, phi' = 30, a = 35
    a = math.radians(35.0)
    c_term = 10.0 / (15.7 * 2.4 * math.sin(a))
    f_term = math.tan(math.radians(30)) / math.tan(a)
    w_term = 0.5 * 9.81 * math.tan(math.radians(30)) / (15.7 * math.tan(a))
    fs = factor_of_safety(35.0, 10.0, 30.0, 2.4, 15.7, saturation=0.5)
    assert fs == pytest.approx(c_term + f_term - w_term, rel=1e-12)
    assert fs == pytest.approx(1.02964, abs=1e-4)  # 0.46270 + 0.82453 - 0.25760
    with pytest.raises(ParameterError):
        factor_of_safety(35.0, 10.0, 30.0, saturation=1.5)


def test_critical_acceleration_edges() -> None:
    ac = critical_acceleration(np.array([0.8, np.inf, np.nan]), np.array([30.0, 0.0, 10.0]))
    assert ac[0] == 0.0 and np.isinf(ac[1]) and np.isnan(ac[2])


def test_jibson_2007_eq6_eq7_worked() -> None:
    # Coefficients of Jibson (2007) eqs. 6-7 as printed in OpenQuake
    # openquake/sep/landslide/displacement.py and USGS groundfailure gfail/godt.py.
    # eq. 6 product form: Dn = 10^0.215 (1 - r)^2.341 r^-1.438, r = 0.2 -> 9.8458 cm
    assert jibson_2007(0.1, 0.5) == pytest.approx(9.8458, abs=1e-3)
    # r = 0.5 -> log Dn = 0.215 - 0.903 log 2 = -0.05683 -> 0.8773 cm
    assert jibson_2007(0.15, 0.3) == pytest.approx(0.8773, abs=1e-3)
    # eq. 7 with M 7: log Dn = -2.710 + 2.335 log .8 - 1.478 log .2 + 2.968 -> 11.609 cm
    assert jibson_2007(0.1, 0.5, 7.0) == pytest.approx(11.609, abs=2e-3)
    # no sliding when ac >= amax
    assert jibson_2007(0.5, 0.4) == 0.0


def test_saygili_rathje_2008_worked() -> None:
    # Coefficients: Saygili (2008) dissertation Tables 4.2-4.4 as printed in OpenSRA,
    # OpenQuake saygili_rathje_2008 / rathje_saygili_2009 and groundfailure NMdisp.
    r, pga = 0.2, 0.5
    poly = lambda a: a[0] + a[1] * r + a[2] * r**2 + a[3] * r**3 + a[4] * r**4  # noqa: E731
    lnd = poly((5.52, -4.43, -20.39, 42.61, -28.74)) + 0.72 * math.log(pga)
    assert saygili_rathje_2008(0.1, pga) == pytest.approx(math.exp(lnd), rel=1e-12)
    assert saygili_rathje_2008(0.1, pga) == pytest.approx(37.123, abs=1e-2)
    d, s = saygili_rathje_2008(0.1, pga, magnitude=7.0, return_sigma=True)
    assert d == pytest.approx(45.548, abs=1e-2)
    assert s == pytest.approx(0.732 + 0.789 * r - 0.539 * r**2)
    d, s = saygili_rathje_2008(0.1, pga, pgv_cms=50.0, return_sigma=True)
    assert d == pytest.approx(33.343, abs=1e-2)
    assert s == pytest.approx(0.405 + 0.524 * r)
    with pytest.raises(ParameterError, match="not both"):
        saygili_rathje_2008(0.1, pga, pgv_cms=50.0, magnitude=7.0)


@pytest.mark.parametrize(
    ("pga", "magnitude", "pgv", "published_cm"),
    [(0.54, 6.75, None, 43.0), (0.54, None, 42.0, 29.0),
     (0.88, 6.75, None, 113.0), (0.88, None, 71.0, 81.0)],
)
def test_saygili_rathje_published_examples(pga: float, magnitude: float | None,
                                           pgv: float | None, published_cm: float) -> None:
    # Worked examples of Rathje et al. (2014) for ky = 0.1 g (PGA-M model of Rathje &
    # Saygili 2009 and PGA-PGV model of Saygili & Rathje 2008), as tabulated in
    # arkottke/pygeems tests/test_slope_disp.py; the published values are rounded to
    # whole cm and read from the paper, so the tolerance is 2 cm as there.
    d = saygili_rathje_2008(0.1, pga, magnitude=magnitude, pgv_cms=pgv)
    assert float(d) == pytest.approx(published_cm, abs=2.0)


def test_bray_travasarou_2007_worked() -> None:
    # rigid block (Ts = 0): ln D = -0.22 - 2.83 ln .1 - .333 ln^2 .1 + .566 ln .1 ln .5
    #   + 3.04 ln .5 - .244 ln^2 .5 = 3.20975 -> 24.773 cm (M 7, no magnitude term)
    assert bray_travasarou_2007(0.1, 0.5, 7.0) == pytest.approx(24.773, abs=1e-2)
    # magnitude term 0.278 (M - 7)
    assert bray_travasarou_2007(0.1, 0.5, 7.5) / bray_travasarou_2007(0.1, 0.5, 7.0) == (
        pytest.approx(math.exp(0.139)))
    # flexible mass Ts = 0.3: constant -1.10 and +1.50 Ts -> 24.773 * exp(-0.88 + 0.45)
    assert bray_travasarou_2007(0.1, 0.5, 7.0, ts=0.3) == pytest.approx(
        24.773 * math.exp(-0.43), rel=1e-4)
    # Ts = 0.04 < 0.05 s: constant -0.22 and the 1.50 Ts term kept (as in pyGEEMs
    # calc_disp_bt07 and SeismicHazard psda_BT2007M.m): 24.773 * exp(0.06) = 26.304 cm
    assert bray_travasarou_2007(0.1, 0.5, 7.0, ts=0.04) == pytest.approx(26.3045, abs=1e-3)
    # P(D = 0) = 1 - Phi(-1.76 - 3.22 ln .1 + 3.52 ln .5) = 1 - Phi(3.2145) = 6.53e-4
    assert bray_travasarou_2007_p_zero(0.1, 0.5) == pytest.approx(6.535e-4, rel=1e-3)
    with pytest.raises(ParameterError):
        bray_travasarou_2007(0.0, 0.5, 7.0)


@pytest.mark.parametrize(
    ("ky", "ts", "sa", "published_p0"),
    [(0.35, 0.45, 0.43, 0.85), (0.08, 0.00, 0.24, 0.1), (0.14, 0.33, 0.94, 0.0)],
)
def test_bray_travasarou_p_zero_table1(ky: float, ts: float, sa: float,
                                       published_p0: float) -> None:
    # Bray & Travasarou (2007) Table 1 probabilities of "zero" displacement, as tabulated
    # in arkottke/pygeems tests/test_slope_disp.py (published to 1-2 decimals; by hand
    # the equation gives 0.869, 0.089 and 1.5e-6).
    assert float(bray_travasarou_2007_p_zero(ky, sa, ts)) == pytest.approx(
        published_p0, abs=0.025)


def test_jibson_2000_probability() -> None:
    # P = 0.335 [1 - exp(-0.048 * 5^1.565)] = 0.1504 at the 5 cm threshold of Godt et al.
    assert jibson_2000_probability(5.0) == pytest.approx(0.15038, abs=1e-5)
    assert jibson_2000_probability(0.0) == 0.0
    assert jibson_2000_probability(np.inf) == pytest.approx(0.335)
    with pytest.raises(ParameterError):
        jibson_2000_probability(-1.0)


@settings(max_examples=60, deadline=None)
@given(ac=st.floats(0.001, 1.0), amax=st.floats(0.01, 2.0), m=st.floats(5.0, 8.0))
def test_displacements_non_negative_and_monotone(ac: float, amax: float, m: float) -> None:
    for f in (lambda a: jibson_2007(a, amax), lambda a: jibson_2007(a, amax, m),
              lambda a: saygili_rathje_2008(a, amax),
              lambda a: saygili_rathje_2008(a, amax, magnitude=m)):
        d1, d2 = float(f(ac)), float(f(ac * 1.1))
        assert d1 >= 0.0 and d2 >= 0.0
        assert d2 <= d1 * (1 + 1e-12)  # a stronger slope slides less
    p = float(jibson_2000_probability(jibson_2007(ac, amax)))
    assert 0.0 <= p <= 0.335


def _grid() -> tuple:
    from geohazard.landslide.raster import from_array

    x, y = np.arange(4) * 30.0, np.arange(3)[::-1] * 30.0
    slope = from_array(np.array([[0.0, 10, 20, 30], [35, 40, 45, 50], [5, 15, 25, 60.0]]),
                       x, y, "EPSG:32610")
    return slope, from_array(np.full((3, 4), 0.4), x, y, "EPSG:32610")


def test_newmark_maps() -> None:
    slope, pga = _grid()
    maps = newmark_maps(slope, pga, cohesion_kpa=5.0, friction_deg=32.0)
    fs = maps["fs"].values
    assert np.isinf(fs[0, 0])  # flat
    assert np.all(np.diff(fs[0, 1:]) < 0)  # steeper -> lower FS
    dn = maps["dn_cm"].values
    assert dn[0, 0] == 0.0 and np.all(dn >= 0)
    expected = jibson_2007(maps["ac_g"].values, 0.4)
    np.testing.assert_allclose(dn, expected)
    np.testing.assert_allclose(maps["p_failure"].values, jibson_2000_probability(expected))
    assert set(maps.data_vars) == {"fs", "ac_g", "dn_cm", "p_failure"}
    bt = newmark_maps(slope, pga, model="bray_travasarou2007", magnitude=7.0)
    assert np.all(bt["dn_cm"].values >= 0)
    with pytest.raises(ParameterError, match="magnitude"):
        newmark_maps(slope, pga, model="jibson2007_m")
    with pytest.raises(ParameterError, match="unknown"):
        newmark_maps(slope, pga, model="nope")


def test_newmark_dataset_has_units_crs_and_the_dataclass_values() -> None:
    """Issue 13: a Dataset with units and long_name on every variable, values as before.

    The old ``NewmarkMaps`` fields were, cell by cell, these four formulas.
    """
    import xarray as xr

    from geohazard.landslide.newmark import NewmarkMaps

    slope, pga = _grid()
    ds = newmark_maps(slope, pga, cohesion_kpa=5.0, friction_deg=32.0, saturation=0.2)
    assert isinstance(ds, xr.Dataset) and ds.attrs["model"] == "jibson2007"
    units = {"fs": "1", "ac_g": "g", "dn_cm": "cm", "p_failure": "1"}
    assert {n: ds[n].attrs["units"] for n in ds.data_vars} == units
    assert all(ds[n].attrs["long_name"] for n in ds.data_vars)
    assert ds.rio.crs.to_epsg() == 32610 and ds["dn_cm"].rio.crs.to_epsg() == 32610
    fs = factor_of_safety(slope.values, 5.0, 32.0, 2.4, 15.7, 0.2)
    ac = critical_acceleration(fs, slope.values)
    dn = jibson_2007(ac, np.full((3, 4), 0.4))
    for name, old in (("fs", fs), ("ac_g", ac), ("dn_cm", dn),
                      ("p_failure", jibson_2000_probability(dn))):
        np.testing.assert_array_equal(ds[name].values, old)
    with pytest.warns(DeprecationWarning, match="xarray.Dataset"):
        old_view = NewmarkMaps.from_dataset(ds)
    np.testing.assert_array_equal(old_view.displacement_cm.values, dn)


def test_godt2008_coverage_counts_quantiles() -> None:
    from geohazard.landslide.newmark import godt2008_coverage

    # Dry cohesionless slab, phi = 30: FS = tan30/tan(a); quantiles 5..45 degrees
    q = np.array([5.0, 10.0, 20.0, 28.0, 32.0, 38.0, 45.0])[:, None]
    pga = np.array([0.05, 0.3, 0.8])
    cov = godt2008_coverage(pga, np.broadcast_to(q, (7, 3)), 0.0, 30.0)
    # expected by hand: count quantiles whose Dn(ac, pga) >= 5 cm with FS>=1.01, ac>=0.05
    fs = np.maximum(np.tan(np.radians(30)) / np.tan(np.radians(q)), 1.01)
    ac = np.maximum((fs - 1) * np.sin(np.radians(q)), 0.05)
    n = (jibson_2007(ac, pga[None, :]) >= 5.0).sum(axis=0)
    table = np.array([0.0, 0.01, 0.10, 0.30, 0.50, 0.70, 0.90, 0.99])
    np.testing.assert_array_equal(cov, table[n])
    assert cov[0] == 0.0  # weak shaking: nothing slides
    assert cov[2] >= cov[1] > 0  # stronger shaking, more of the cell
    # with a magnitude, Jibson (2007) eq. 7 replaces eq. 6 (USGS groundfailure J_PGA_M)
    cov7 = godt2008_coverage(pga, np.broadcast_to(q, (7, 3)), 0.0, 30.0, magnitude=7.5)
    n7 = (jibson_2007(ac, pga[None, :], 7.5) >= 5.0).sum(axis=0)
    np.testing.assert_array_equal(cov7, table[n7])
    flat = godt2008_coverage(0.8, np.zeros((7, 1)), 0.0, 30.0)
    assert flat[0] == 0.0
    with pytest.raises(ParameterError, match="7 slope quantiles"):
        godt2008_coverage(0.5, np.ones((5, 1)) * 20, 0.0, 30.0)


def test_cli_newmark_with_shakemap(landslide_dir, tmp_path, monkeypatch) -> None:
    import json
    import sys

    from geohazard.landslide.raster import read_raster, write_geotiff

    loma = landslide_dir / "loma_prieta"
    if not (loma / "grid.xml").exists():
        pytest.skip("Loma Prieta data absent")
    grad = read_raster(loma / "model_inputs" / "global_grad.tif", crs="EPSG:4326")
    sub = grad.isel(x=slice(100, 160), y=slice(100, 150))
    slope = np.degrees(np.arctan(sub))
    slope.attrs["units"] = "degrees"
    path = write_geotiff(slope, tmp_path / "slope_deg.tif")
    js, out = tmp_path / "nm.json", tmp_path / "nm"
    monkeypatch.setattr(sys, "argv", [
        "geohazard", "landslide", "newmark", "--slope", str(path), "--shakemap",
        str(loma / "grid.xml"), "--out", str(out), "--cohesion", "5", "--friction", "30",
        "--model", "jibson2007_m", "--json", str(js)])
    run_main_ok()
    figures = json.loads(js.read_text())
    assert figures["cells"] == 60 * 50
    dn = read_raster(out / "dn_cm.tif").values
    p = read_raster(out / "p_failure.tif").values
    finite = np.isfinite(dn)
    np.testing.assert_allclose(p[finite], jibson_2000_probability(dn[finite]), rtol=1e-6)
    assert figures["dn_ge_5cm"] == int(np.sum(dn[finite] >= 5.0))


def test_plot_displacement_curves() -> None:
    from geohazard.plotting.landslide_hazard import plot_displacement_curves

    ax = plot_displacement_curves(0.5, 7.0)
    assert len(ax.lines) == 6 and ax.get_yscale() == "log"

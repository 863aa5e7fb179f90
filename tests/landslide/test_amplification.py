"""Shaking amplification (issue 15): FSC on a Gaussian ridge, Vs30 bins, windowed runs."""

from __future__ import annotations

import numpy as np
import pytest

from geohazard.landslide import raster as rst
from geohazard.landslide.amplification import (
    MAUFROY2015,
    FscRelation,
    amplification_geotiff,
    apply_amplification,
    topographic_amplification,
    wavelength_m,
)
from geohazard.landslide.groundmotion import vs30_from_slope
from tests.landslide._synthetic15 import write_dem

H, W, RES = 200.0, 300.0, 20.0  # ridge height, Gaussian half-width (m), cell size


def ridge(ny: int = 60, nx: int = 161) -> np.ndarray:
    """A ridge running north-south: z = H exp(-x^2 / 2 W^2), crest at the middle column."""
    x = (np.arange(nx) - nx // 2) * RES
    return np.broadcast_to(H * np.exp(-(x**2) / (2 * W**2)), (ny, nx)).copy()


def ridge_da() -> object:
    z = ridge()
    x = 500_000 + np.arange(z.shape[1]) * RES
    y = 4_200_000 - np.arange(z.shape[0]) * RES
    return rst.from_array(z, x, y, "EPSG:32610", "dem", "m")


@pytest.mark.parametrize(("vs", "freq"), [(800.0, 5.0), (500.0, 2.0)])
def test_gaussian_ridge_matches_fsc_relation(vs: float, freq: float) -> None:
    """Crest > 1 > foot, and the crest equals the relation on the analytic smoothed ridge.

    A Gaussian ridge of width W smoothed by a Gaussian of sigma s stays Gaussian, with
    height H W / sqrt(W^2 + s^2) and width sqrt(W^2 + s^2); its crest curvature is
    H W / (W^2 + s^2)^(3/2), so FSC = lambda H W / (W^2 + s^2)^(3/2) exactly.
    """
    ds = topographic_amplification(ridge_da(), vs, freq)
    lam = wavelength_m(vs, freq)
    s = MAUFROY2015.smoothing * lam
    fsc_true = lam * H * W / (W**2 + s**2) ** 1.5
    row, crest = 30, 80
    amp = ds.topo_amplification.values[row]
    assert ds.fsc.values[row, crest] == pytest.approx(fsc_true, rel=0.02)
    assert amp[crest] == pytest.approx(float(MAUFROY2015.amplification(fsc_true)), rel=0.01)
    foot = crest + int(round(2 * W / RES))  # two half-widths out: concave foot
    assert amp[crest] > 1.0 > amp[foot]
    assert amp[crest] == amp.max()


def test_relation_limits_and_validation() -> None:
    rel = FscRelation(gain=2.0, a_min=0.7, a_max=1.8)
    assert rel.amplification([-10.0, 0.0, 10.0]).tolist() == [0.7, 1.0, 1.8]
    with pytest.raises(ValueError, match="FscRelation"):
        FscRelation(gain=-1.0)
    with pytest.raises(ValueError, match="vs_mps"):
        wavelength_m(10.0, 5.0)


def test_windowed_equals_in_memory(tmp_path) -> None:
    """Tiles with halos give the in-memory result; Vs30 comes from the slope table."""
    z = ridge(90, 161) + 0.5 * np.arange(90)[:, None]  # a tilt along the ridge
    dem = write_dem(tmp_path / "dem.tif", z, RES)
    res = amplification_geotiff(dem, tmp_path / "out", 800.0, 5.0, tile=32)
    whole = topographic_amplification(rst.read_raster(dem), 800.0, 5.0)
    tiled = rst.read_raster(res.paths["amplification"]).values
    np.testing.assert_allclose(tiled, whole.topo_amplification.values, rtol=1e-5, atol=1e-5)
    vs = rst.read_raster(res.paths["vs30"]).values
    assert np.nanmin(vs) >= 180.0 and np.nanmax(vs) <= 760.0
    assert res.stats["share_amplified"] > 0 and res.stats["amplification_max"] > 1.0
    assert (tmp_path / "out" / "amplification.json").exists()


# Wald & Allen (2007) BSSA 97(5):1379-1395, Table 1: slope (m/m) bounds of the Vs30 classes
# 180-240, 240-300, 300-360, 360-490, 490-620, 620-760 m/s and > 760 m/s.
WA07 = {
    "active": [(1.0e-4, 2.2e-3), (2.2e-3, 6.3e-3), (6.3e-3, 0.018), (0.018, 0.050),
               (0.050, 0.10), (0.10, 0.138)],
    "stable": [(2.0e-5, 2.0e-3), (2.0e-3, 4.0e-3), (4.0e-3, 7.2e-3), (7.2e-3, 0.013),
               (0.013, 0.018), (0.018, 0.025)],
}
VS_BINS = [(180, 240), (240, 300), (300, 360), (360, 490), (490, 620), (620, 760)]


@pytest.mark.parametrize("tectonic", ["active", "stable"])
def test_vs30_reproduces_wald_allen_bins(tectonic: str) -> None:
    """Each published slope range maps into its Vs30 class; edges map onto class bounds."""
    for (s0, s1), (v0, v1) in zip(WA07[tectonic], VS_BINS, strict=True):
        mid = np.sqrt(s0 * s1)  # geometric middle of the slope range
        assert v0 < float(vs30_from_slope(mid, tectonic)) < v1
        assert float(vs30_from_slope(s0, tectonic)) == pytest.approx(v0)
        assert float(vs30_from_slope(s1, tectonic)) == pytest.approx(v1)
    assert float(vs30_from_slope(WA07[tectonic][-1][1] * 3, tectonic)) == 760.0
    assert float(vs30_from_slope(WA07[tectonic][0][0] / 3, tectonic)) == 180.0


def test_apply_amplification_resamples_and_keeps_uncovered() -> None:
    pga = rst.from_array(np.full((4, 6), 0.2), np.arange(6) * 100.0, -np.arange(4) * 100.0,
                         "EPSG:32610", "pga_g", "g")
    amp = pga.copy(data=np.full((4, 6), 1.5))
    amp[:, :2] = np.nan
    out = apply_amplification(pga, amp).values
    np.testing.assert_allclose(out[:, 2:], 0.3)
    np.testing.assert_allclose(out[:, :2], 0.2)
    with pytest.raises(ValueError, match="amplification"):
        apply_amplification(pga, amp * 0.0)


@pytest.mark.parametrize("gradient", [0.004, 0.03, 0.12])
def test_vs30_from_dem_slope_on_a_plane(gradient: float, tmp_path) -> None:
    """On a plane the 30 arc-second averaging changes nothing: Vs30 = table(gradient)."""
    z = 1000.0 - gradient * np.arange(80)[None, :] * 30.0 + np.zeros((70, 1))
    dem = write_dem(tmp_path / "plane.tif", z, 30.0)
    res = amplification_geotiff(dem, tmp_path / "out", 800.0, 5.0, tile=32)
    vs = rst.read_raster(res.paths["vs30"]).values
    np.testing.assert_allclose(vs, float(vs30_from_slope(gradient)), rtol=1e-5)  # float32
    amp = rst.read_raster(res.paths["amplification"]).values
    np.testing.assert_allclose(amp, 1.0, atol=1e-6)  # no curvature, no amplification


def test_vs30_from_slope_matches_usgs_loma_prieta(landslide_dir) -> None:
    """Wald & Allen Vs30 from the real Loma Prieta gradient, averaged to the 30 arc-second
    grid, against the USGS Vs30 grid of the same test case (slope-based, 180-760 m/s)."""
    m = landslide_dir / "loma_prieta" / "model_inputs"
    grad = rst.read_raster(m / "global_grad.tif", crs="EPSG:4326").values
    usgs = rst.read_raster(m / "global_vs30_mps.grd", crs="EPSG:4326").values
    mine = vs30_from_slope(grad.reshape(108, 4, 168, 4).mean(axis=(1, 3)), "active")
    ok = np.isfinite(mine) & np.isfinite(usgs)
    r = np.corrcoef(np.log(mine[ok]), np.log(usgs[ok]))[0, 1]
    assert r > 0.95
    assert np.median(mine[ok] / usgs[ok]) == pytest.approx(1.0, abs=0.02)


def test_pga_relation_recovers_amplification_effect() -> None:
    """Landslides drawn with probability rising with amplified PGA: constant PGA puts every
    cell in one class, the amplified PGA spreads them and the frequency ratio rises."""
    import xarray as xr

    from geohazard.landslide.shaking_relation import pga_landslide_relation

    rng = np.random.default_rng(3)
    ds = topographic_amplification(ridge_da(), 800.0, 2.0, FscRelation(gain=3.0))
    amp = ds.topo_amplification
    pga = amp.copy(data=np.full(amp.shape, 0.3))
    p = np.clip((0.3 * amp.values - 0.2) * 2.0, 0.0, 1.0)
    slides = rng.random(p.shape) < p
    area = float(RES * RES)
    inv = xr.Dataset(
        {"count": (("y", "x"), slides.astype(np.int32)),
         "fraction": (("y", "x"), slides.astype(np.float32)),
         "mask": (("y", "x"), slides), "area_m2": (("y", "x"), np.full(p.shape, area))},
        coords={"y": amp.y, "x": amp.x})
    rel = pga_landslide_relation(pga, inv, amplification=amp,
                                 edges=(0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0))
    flat = rel.tables["without amplification"]
    assert (flat["n_cells"] > 0).sum() == 1
    withamp = rel.tables["with amplification"]
    fr = withamp.loc[withamp["n_cells"] > 20, "fr"].to_numpy()
    assert fr.size >= 3 and np.all(np.diff(fr) > 0)
    assert rel.spearman["with amplification"] > 0.9


def test_windowed_memory_is_bounded(tmp_path) -> None:
    """Peak Python-traced memory stays a small fraction of the DEM with small tiles."""
    import tracemalloc

    n = 700
    z = 300 * np.sin(np.arange(n)[None, :] / 25.0) * np.cos(np.arange(n)[:, None] / 40.0)
    dem = write_dem(tmp_path / "big.tif", z, 30.0)
    full_bytes = n * n * 8
    tracemalloc.start()
    amplification_geotiff(dem, tmp_path / "out", 800.0, 5.0, tile=64)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.5 * full_bytes, (peak, full_bytes)


def test_coarse_shaking_grid_averages_the_factor() -> None:
    """On a grid 5 times coarser, the factor applied is the cell mean, not a point sample."""
    x = np.arange(50) * 10.0
    fine = rst.from_array(np.tile([0.8, 1.2], (50, 25)), x, -x, "EPSG:32610", "amp")
    coarse = rst.from_array(np.full((10, 10), 0.2), x[::5] + 20.0, -x[::5] - 20.0,
                            "EPSG:32610", "pga_g", "g")
    out = apply_amplification(coarse, fine).values
    np.testing.assert_allclose(out, 0.2 * 1.0, rtol=0.05)  # mean of 0.8 / 1.2 columns

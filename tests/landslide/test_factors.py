from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide import factors as fac
from geohazard.landslide import raster as rst


def _example():
    """4x4 grid of 10 m cells (100 m2 each). Hand-computed answers in the test below."""
    x = 10.0 * (np.arange(4) + 0.5)
    y = 10.0 * (3.5 - np.arange(4))
    factor = rst.from_array(np.array([[0, 0, 0, 0], [0, 0, 0, 0],
                                      [1, 1, 2, 2], [1, 1, 2, 2]], float), x, y,
                            "EPSG:32610", name="lith")
    frac = np.zeros((4, 4))
    frac[0, 0] = 1.0
    frac[2, 0] = 1.0
    frac[2, 1] = 1.0
    frac[3, 0] = 0.5
    count = np.zeros((4, 4), int)
    count[0, 0] = 1
    count[2, 0] = 2
    inv = xr.Dataset({"count": (("y", "x"), count), "fraction": (("y", "x"), frac),
                      "area_m2": (("y", "x"), np.full((4, 4), 100.0))},
                     coords={"y": y, "x": x})
    return factor, inv


def test_hand_computed_example():
    factor, inv = _example()
    t = fac.factor_statistics(factor, inv)
    # class areas 800, 400, 400 m2; landslide areas 100, 250, 0 m2; counts 1, 2, 0
    # totals S = 1600 m2, A = 350 m2, N = 3
    assert t.n_cells.tolist() == [8, 4, 4]
    np.testing.assert_allclose(t.class_area_km2, [8e-4, 4e-4, 4e-4])
    np.testing.assert_allclose(t.number_density_per_km2, [1250.0, 5000.0, 0.0])
    np.testing.assert_allclose(t.area_pct, [12.5, 62.5, 0.0])
    np.testing.assert_allclose(t.fr, [(100 / 350) / 0.5, (250 / 350) / 0.25, 0.0])
    np.testing.assert_allclose(t.fr, [0.5714285714, 2.8571428571, 0.0])
    np.testing.assert_allclose(t.fr_count, [2 / 3, 8 / 3, 0.0])
    np.testing.assert_allclose(t.iv[:2], [math.log(4 / 7), math.log(20 / 7)])
    assert t.iv[2] == -np.inf
    assert t.attrs["total_landslides"] == 3
    assert t.attrs["total_landslide_area_km2"] == pytest.approx(3.5e-4)
    # area-weighted mean FR over the study area is 1 by construction
    assert float((t.fr * t.class_area_pct).sum() / 100) == pytest.approx(1.0)


def test_valid_mask_and_nan_excluded():
    factor, inv = _example()
    factor.values[0, 0] = np.nan  # drops the class-0 landslide cell
    t = fac.factor_statistics(factor, inv)
    assert t.n_cells.tolist() == [7, 4, 4]
    assert t.n_landslides.tolist() == [0, 2, 0]
    valid = np.ones((4, 4), bool)
    valid[3] = False
    t2 = fac.factor_statistics(factor, inv, valid=valid)
    assert t2.n_cells.tolist() == [7, 2, 2]


def test_bins_and_class_value_map():
    factor, inv = _example()
    slope = factor * 10.0 + 5.0  # 5, 15, 25
    t = fac.factor_statistics(slope, inv, bins=[0, 10, 20, 30])
    assert t.label.tolist() == ["[0, 10)", "[10, 20)", "[20, 30]"]
    np.testing.assert_allclose(t.area_pct, [12.5, 62.5, 0.0])
    m = fac.class_value_map(slope, t, "area_pct", bins=[0, 10, 20, 30])
    assert m.values[3, 0] == pytest.approx(62.5) and m.values[0, 3] == pytest.approx(12.5)
    ramp = rst.like(slope, np.arange(16.0).reshape(4, 4))
    classes, labels = fac.classify(ramp, bins=4)  # quantile classes of 4 cells each
    assert len(labels) == 4 and np.bincount(classes.ravel()).tolist() == [4, 4, 4, 4]
    tied, tied_labels = fac.classify(slope, bins=3)  # tied quantiles merge
    assert len(tied_labels) == 2


def test_errors():
    factor, inv = _example()
    with pytest.raises(RasterError, match="one grid"):
        fac.factor_statistics(factor.isel(x=slice(0, 3)), inv)
    with pytest.raises(ParameterError, match="increase"):
        fac.classify(factor, bins=[0, 0, 1])
    t = fac.factor_statistics(factor, inv)
    with pytest.raises(ParameterError, match="column"):
        fac.class_value_map(factor, t, "nope")


def test_loma_prieta_slope_classes(landslide_dir):
    from geohazard.landslide import inventory as inv

    lp = landslide_dir / "loma_prieta"
    grad = rst.read_raster(lp / "model_inputs" / "global_grad.tif", crs="EPSG:4326")
    slope = rst.like(grad, np.degrees(np.arctan(grad.values)), name="slope_deg")
    polys = inv.read_inventory(lp / "fake_inventory.shp")
    ds = inv.inventory_rasters(polys, grad, supersample=4)
    t = fac.factor_statistics(slope, ds, bins=[0, 5, 10, 20, 30, 90])
    true_km2 = float(polys.to_crs(polys.estimate_utm_crs()).area.sum()) / 1e6
    assert t.landslide_area_km2.sum() == pytest.approx(true_km2, rel=0.01)
    assert t.n_landslides.sum() == 4
    # study area = the grid: 0.0020833 deg cells over 1.4 x 0.9 deg at ~37 N
    assert t.attrs["total_area_km2"] == pytest.approx(1.4 * 0.9 * 111.2 * 88.9, rel=0.02)
    assert float((t.fr * t.class_area_pct).sum() / 100) == pytest.approx(1.0)
    np.testing.assert_allclose(t.iv[t.fr > 0], np.log(t.fr[t.fr > 0]))

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.base import clone

from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.landslide import raster as rst
from geohazard.landslide import susceptibility as sus
from geohazard.landslide import synthetic as syn

DESIGN = ["slope_deg", "fault_km", "lith=1"]


@pytest.fixture(scope="module")
def case():
    return syn.synthetic_case(n=200, rng=12345)


@pytest.fixture(scope="module")
def table(case):
    return sus.cell_table(case.factors, case.landslide)


@pytest.fixture(scope="module")
def logit(table):
    return sus.SusceptibilityModel(categorical=["lith"], random_state=7).fit(table)


def test_logistic_recovers_generating_coefficients(case, logit):
    # stated tolerance: every coefficient within 4 standard errors of the truth, and the
    # standard errors themselves small (< 10 % of the coefficient)
    assert logit.design_names() == DESIGN
    truth = np.array([case.coefficients[k] for k in DESIGN])
    err = np.abs(logit.coef_ - truth)
    assert np.all(err < 4 * logit.coef_se_), (logit.coef_, logit.coef_se_)
    assert np.all(logit.coef_se_ < 0.1 * np.abs(truth))
    # the intercept too, thanks to the case-control (prior) correction of balanced sampling
    assert abs(logit.intercept_ - case.coefficients["intercept"]) < 4 * logit.intercept_se_
    assert logit.n_train_ == 2 * int(case.landslide.values.sum())


def test_fit_reaches_true_model_auc(case, table, logit):
    y = table["landslide"].to_numpy()
    auc_fit = sus.roc_auc(y, logit.predict_proba(table)[:, 1])
    auc_true = sus.roc_auc(y, case.probability.values.ravel())
    assert auc_fit == pytest.approx(auc_true, abs=0.005)
    # and on a fresh area drawn from the same model
    new = syn.synthetic_case(n=150, rng=999)
    t2 = sus.cell_table(new.factors, new.landslide)
    y2 = t2["landslide"].to_numpy()
    assert sus.roc_auc(y2, logit.predict_proba(t2)[:, 1]) == pytest.approx(
        sus.roc_auc(y2, new.probability.values.ravel()), abs=0.01)
    # calibrated probabilities: predicted and observed landslide counts agree
    p = logit.predict_proba(t2)[:, 1]
    assert abs(p.sum() - y2.sum()) < 4 * np.sqrt(np.sum(p * (1 - p))) + 0.05 * y2.sum()


def test_blocked_cv_logistic_and_forest(case, table):
    y = table["landslide"].to_numpy()
    auc_true = sus.roc_auc(y, case.probability.values.ravel())
    lr = sus.SusceptibilityModel(categorical=["lith"])
    cv = sus.blocked_cross_validation(lr, table, block_size=1500.0, n_folds=4, rng=3)
    assert cv.auc_folds.shape == (4,)
    assert cv.auc_mean == pytest.approx(auc_true, abs=0.03)
    # blocks never straddle folds
    blocks = sus.spatial_blocks(table.x.to_numpy(), table.y.to_numpy(), 1500.0)
    for b in np.unique(blocks):
        assert np.unique(cv.fold[blocks == b]).size == 1
    small = table[(table.row < 120) & (table.col < 120)]
    rf = sus.SusceptibilityModel(method="random_forest", n_estimators=40,
                                 min_samples_leaf=10)
    cv_rf = sus.blocked_cross_validation(rf, small, block_size=1200.0, n_folds=3, rng=5)
    small_true = sus.roc_auc(small.landslide, case.probability.values[:120, :120].ravel())
    assert cv_rf.auc_mean > small_true - 0.06
    assert cv_rf.success_rate.auc >= cv_rf.prediction_rate.auc - 0.01  # training fits better
    assert set(cv_rf.to_dict()) >= {"auc_folds", "auc_mean", "prediction_rate"}


def test_rate_curve_hand_example():
    rc = sus.rate_curve(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 1, 0]))
    np.testing.assert_allclose(rc.area_fraction, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(rc.landslide_fraction, [0, 0.5, 0.5, 1.0, 1.0])
    assert rc.auc == pytest.approx(0.625)
    tied = sus.rate_curve(np.array([1.0, 1.0, 0.0, 0.0]), np.array([1, 0, 0, 0]),
                          cell_area=np.array([1.0, 3.0, 2.0, 2.0]))
    np.testing.assert_allclose(tied.area_fraction, [0, 0.5, 1.0])
    np.testing.assert_allclose(tied.landslide_fraction, [0, 1.0, 1.0])
    with pytest.raises(InputError):
        sus.rate_curve(np.ones(3), np.zeros(3))


def test_balanced_sample_counts():
    y = np.r_[np.ones(10), np.zeros(100)].astype(int)
    idx = sus.balanced_sample(y, 2.0, rng=0)
    assert y[idx].sum() == 10 and idx.size == 30 and np.all(np.diff(idx) > 0)
    assert sus.balanced_sample(y, 50.0, rng=0).size == 110
    with pytest.raises(InputError):
        sus.balanced_sample(np.zeros(5, int))
    with pytest.raises(ParameterError):
        sus.balanced_sample(y, 0.0)


def test_sklearn_contract(table):
    m = sus.SusceptibilityModel(method="logistic", features=["slope_deg"], random_state=0)
    with pytest.raises(NotFittedError):
        m.predict_proba(table)
    assert not [k for k in vars(m) if k.endswith("_")]
    assert m.fit(table) is m
    learned = [k for k in vars(m) if k.endswith("_")]
    assert {"coef_", "intercept_", "estimator_", "feature_names_"} <= set(learned)
    c = clone(m)
    assert c.get_params() == m.get_params() and not hasattr(c, "coef_")
    with pytest.raises(ParameterError):
        sus.SusceptibilityModel(method="svm").fit(table)
    with pytest.raises(InputError, match="nope"):
        sus.SusceptibilityModel(features=["nope"]).fit(table)
    with pytest.raises(InputError, match="landslide"):
        sus.SusceptibilityModel().fit(table.drop(columns="landslide"))
    with pytest.raises(InputError, match="0/1"):
        sus.SusceptibilityModel().fit(table, np.full(len(table), 2))


def test_predict_map_and_geotiff(case, logit, tmp_path):
    factors = dict(case.factors)
    factors["slope_deg"] = factors["slope_deg"].copy()
    factors["slope_deg"].values[0, 0] = np.nan
    sm = sus.predict_map(logit, factors, rows_per_chunk=37)
    tab = sus.cell_table(factors)
    want = logit.predict_proba(tab)[:, 1]
    np.testing.assert_allclose(sm.values[tab.row, tab.col], want, rtol=1e-6)
    assert np.isnan(sm.values[0, 0])
    path = rst.write_geotiff(sm, tmp_path / "sus.tif")
    back = rst.read_raster(path)
    np.testing.assert_allclose(back.values, sm.values, equal_nan=True)
    assert back.rio.crs == case.dem.rio.crs


def test_cli_factors_and_susceptibility(tmp_path):
    import json

    import geopandas as gpd
    from shapely.geometry import Point
    from typer.testing import CliRunner

    from geohazard.cli.main import app

    c = syn.synthetic_case(n=80, rng=21)
    paths = {}
    for name, da in c.factors.items():
        paths[name] = rst.write_geotiff(da, tmp_path / f"{name}.tif")
    rows, cols = np.nonzero(c.landslide.values)
    pts = [Point(c.dem.x.values[j], c.dem.y.values[i]) for i, j in zip(rows, cols, strict=True)]
    gpd.GeoDataFrame(geometry=pts, crs=c.dem.rio.crs).to_file(tmp_path / "inv.gpkg")
    fac_args = [a for n, p in paths.items() for a in ("--factor", f"{n}={p}")]
    runner = CliRunner()
    res = runner.invoke(app, ["landslide", "factors", "--inventory", str(tmp_path / "inv.gpkg"),
                              *fac_args, "--bins", "slope_deg=0,15,30,90", "--bins",
                              "fault_km=4", "--out", str(tmp_path / "f.csv"),
                              "--json", str(tmp_path / "f.json")])
    assert res.exit_code == 0, res.output
    fj = json.loads((tmp_path / "f.json").read_text())
    assert fj["n_landslides"] == rows.size
    assert sum(r["n_landslides"] for r in fj["factors"]["slope_deg"]) == rows.size
    res = runner.invoke(app, ["landslide", "susceptibility", "--inventory",
                              str(tmp_path / "inv.gpkg"), *fac_args, "--categorical", "lith",
                              "--folds", "3", "--seed", "1", "--no-report",
                              "--out", str(tmp_path / "sus"), "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    sj = json.loads((tmp_path / "s.json").read_text())
    assert sj["n_landslide_cells"] == rows.size
    assert 0.6 < sj["cv"]["auc_mean"] <= 1.0
    assert rst.read_raster(sj["susceptibility_tif"]).shape == (80, 80)
    res = runner.invoke(app, ["landslide", "factors", "--inventory", str(tmp_path / "inv.gpkg"),
                              "--factor", "oops", "--out", str(tmp_path / "x.csv")])
    assert isinstance(res.exception, InputError) and "NAME=VALUE" in str(res.exception)


def test_plots_draw_the_data(case, logit):
    import matplotlib.pyplot as plt

    from geohazard.plotting import landslide as lplot

    rc = sus.rate_curve(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 1, 0]))
    ax = lplot.plot_rate_curves({"success": rc})
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, 100 * rc.area_fraction)
    np.testing.assert_allclose(y, 100 * rc.landslide_fraction)
    assert "0.625" in ax.get_legend().get_texts()[0].get_text()
    ax = lplot.plot_map(case.factors["slope_deg"], landslides=case.landslide)
    np.testing.assert_allclose(ax.images[0].get_array(), case.factors["slope_deg"].values)
    plt.close("all")


def test_run_demo_recovers_model(tmp_path):
    import json

    from geohazard.demo.landslide import run_demo
    from geohazard.report.landslide_susceptibility import write_report

    s = run_demo(tmp_path, rng=5, render=write_report)
    for k, v in s["true_coefficients"].items():
        assert abs(s["fitted_coefficients"][k] - v) < 4 * s["fitted_se"][k], k
    assert s["auc_heldout_mean"] == pytest.approx(s["auc_true_model"], abs=0.03)
    html = (tmp_path / "report.html").read_text()
    assert "Landslide susceptibility" in html and "data:image/png;base64" in html
    assert "http://" not in html and "https://" not in html  # self-contained
    summary = json.loads((tmp_path / "summary.json").read_text())
    # The block size is a length people read (m or km), not "CRS units".
    assert "CRS units" not in html
    assert "discrimination (0.5 is chance" in html  # the summary verdict comes first
    assert html.index("Held-out AUC") < html.index("Validation")
    assert re.search(r"blocks of [0-9.]+ k?m\b", html), "block size without its unit"
    assert summary["cv"]["auc_mean"] == pytest.approx(s["auc_heldout_mean"])
    assert rst.read_raster(tmp_path / "susceptibility.tif").shape == (150, 150)


def test_unit_table_aggregates_and_maps_back():
    x = 10.0 * (np.arange(4) + 0.5)
    y = 10.0 * (3.5 - np.arange(4))
    f = rst.from_array(np.arange(16.0).reshape(4, 4), x, y, "EPSG:32610", name="f")
    units = rst.like(f, np.array([[0, 0, 1, 1], [0, 0, 1, 1],
                                  [2, 2, 2, 2], [np.nan, 2, 2, 2]]))
    slide = rst.like(f, np.zeros((4, 4), bool))
    slide.values[0, 2] = True
    t = sus.unit_table({"f": f}, units, slide)
    assert t.unit.tolist() == [0, 1, 2]
    assert t.n_cells.tolist() == [4, 4, 7]
    np.testing.assert_allclose(t.f_mean, [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4,
                                          (8 + 9 + 10 + 11 + 13 + 14 + 15) / 7])
    assert t.landslide.tolist() == [0, 1, 0]
    np.testing.assert_allclose(t.cell_area_m2, [400.0, 400.0, 700.0])
    # bookkeeping columns are not factors: a default model uses only the aggregates
    assert sus.SusceptibilityModel()._columns(t) == ["f_mean", "f_std"]
    painted = sus.map_units(np.array([0.1, 0.2, 0.3]), t.unit.to_numpy(), units)
    assert painted.values[0, 0] == pytest.approx(0.1) and painted.values[3, 3] == pytest.approx(0.3)
    assert np.isnan(painted.values[3, 0])


def test_pipeline_fits_the_full_model_once(tmp_path, monkeypatch):
    """One fit per fold plus one on all cells: the mapped model gives the success rate."""
    from geohazard.landslide.pipeline import run_susceptibility

    case = syn.synthetic_case(n=60, rng=3)
    calls = []
    fit = sus.SusceptibilityModel.fit

    def counting(self, table, *args, **kwargs):
        calls.append(len(table))
        return fit(self, table, *args, **kwargs)

    monkeypatch.setattr(sus.SusceptibilityModel, "fit", counting)
    res = run_susceptibility(case.factors, case.landslide, tmp_path, categorical=["lith"],
                             n_folds=3, rng=1)
    assert len(calls) == 3 + 1
    assert calls[-1] == res["n_cells"]  # the last fit saw every cell

"""Long-term evolution (issue 15): synthetic decay recovered, inputs, published table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geohazard.landslide.evolution import fit_decay, fit_evolution, read_activity
from geohazard.landslide.recovery import published_recovery_times

EVENT = pd.Timestamp("2005-10-08", tz="UTC")


def series(tau: float, rng: np.random.Generator, noise: float = 0.08) -> pd.DataFrame:
    """Pre-event background 10, post-event 10 + 200 exp(-t / tau), lognormal noise."""
    yrs = np.arange(-5.0, 25.0, 0.5)
    truth = np.where(yrs < 0, 10.0, 10.0 + 200.0 * np.exp(-np.clip(yrs, 0, None) / tau))
    values = truth * rng.lognormal(0.0, noise, yrs.size)
    return pd.DataFrame({"time": EVENT + pd.to_timedelta(yrs * 365.25, unit="D"),
                         "value": values})


@pytest.mark.parametrize("tau", [1.5, 4.0])
def test_synthetic_decay_time_recovered_within_10_percent(tau: float) -> None:
    rng = np.random.default_rng(int(tau * 10))
    res = fit_evolution(series(tau, rng), EVENT, n_boot=40, rng=1)
    fit = res.fits["exponential"]
    assert fit.decay_time_years == pytest.approx(tau, rel=0.10)
    true_recovery = tau * np.log(200.0 / (0.1 * 10.0))
    assert fit.recovery_time_years == pytest.approx(true_recovery, rel=0.10)
    d = res.to_dict()
    assert d["best_model"] == "exponential"
    assert d["decay_time_years"]["value"] == pytest.approx(tau, rel=0.10)
    assert d["decay_time_years"]["std"] > 0
    assert d["decay_time_years"]["p16"] <= d["decay_time_years"]["p84"]
    assert d["background"] == pytest.approx(10.0, rel=0.1)


def test_power_law_decay_time() -> None:
    """A noiseless power law b + A (1 + t/c)^-p gives back c (e^{1/p} - 1)."""
    t = np.linspace(0.0, 30.0, 40)
    c, p = 0.8, 1.3
    y = 5.0 + 100.0 * (1.0 + t / c) ** (-p)
    fit = fit_decay(t, y, "power", background=5.0, n_boot=20, rng=0)
    assert fit.decay_time_years == pytest.approx(c * (np.exp(1 / p) - 1), rel=0.02)
    assert fit.params["p"] == pytest.approx(p, rel=0.02)


def test_fitted_background_without_pre_event_data() -> None:
    rng = np.random.default_rng(5)
    s = series(2.0, rng, noise=0.03)
    s = s[s.time >= EVENT]
    res = fit_evolution(s, EVENT, n_boot=20, rng=2)
    assert res.background is None
    assert res.fits["exponential"].decay_time_years == pytest.approx(2.0, rel=0.1)


def test_multitemporal_inventory_and_years(tmp_path) -> None:
    """A polygon inventory with a year column becomes counts per observation."""
    import geopandas as gpd
    from shapely.geometry import box

    years = [2004, 2006, 2006, 2006, 2007, 2007, 2009]
    geoms = [box(10 * k, 0, 10 * k + 5, 5) for k in range(len(years))]
    gpd.GeoDataFrame({"year": years}, geometry=geoms, crs="EPSG:32643").to_file(
        tmp_path / "inv.gpkg", driver="GPKG")
    s = read_activity(tmp_path / "inv.gpkg")
    assert s["value"].tolist() == [1.0, 3.0, 2.0, 1.0]
    assert s["time"].dt.year.tolist() == [2004, 2006, 2007, 2009]
    a = read_activity(tmp_path / "inv.gpkg", value_col="area_km2")
    assert a["value"].iloc[1] == pytest.approx(3 * 25e-6, rel=0.01)
    (tmp_path / "t.csv").write_text("date,area_km2\n2005-01-01,1\n2006-06-01,2\n")
    t = read_activity(tmp_path / "t.csv")
    assert t.attrs["value_col"] == "area_km2" and len(t) == 2


def test_published_table() -> None:
    df = published_recovery_times()
    wen = df[(df.event == "Wenchuan") & (df.status == "quoted in the review")].iloc[0]
    kas = df[df.event == "Kashmir"].iloc[0]
    assert (wen.relation, wen.value_min) == (">", 25.0)
    assert (kas.relation, kas.value_min) == (">", 13.0)
    assert df["source"].str.len().min() > 20
    assert set(df["status"]) <= {"quoted in the review", "abstract checked", "unverified"}


def test_cli_evolution(tmp_path) -> None:
    import json

    from tests.badinput import run_main

    s = series(3.0, np.random.default_rng(0))
    s.assign(date=s.time.dt.strftime("%Y-%m-%d")).drop(columns="time").rename(
        columns={"value": "count"}).to_csv(tmp_path / "act.csv", index=False)
    r = run_main(["landslide", "evolution", str(tmp_path / "act.csv"), "--event-date",
                  "2005-10-08", "--out", str(tmp_path / "out"), "--n-boot", "30",
                  "--json", str(tmp_path / "e.json")])
    assert r.code == 0, r.output
    d = json.loads((tmp_path / "e.json").read_text())
    assert d["decay_time_years"]["value"] == pytest.approx(3.0, rel=0.1)
    assert d["recovery_time_years"]["std"] > 0
    for f in ("evolution.csv", "evolution.png", "report.html"):
        assert (tmp_path / "out" / f).exists()


def test_several_inventories_merge(tmp_path) -> None:
    """One inventory file per date: counts per date from all files together."""
    import geopandas as gpd
    from shapely.geometry import box

    from geohazard.landslide.evolution import read_activities

    paths = []
    for k, (date, n) in enumerate([("2008-06-01", 5), ("2010-06-01", 3), ("2013-06-01", 1)]):
        g = gpd.GeoDataFrame({"date": [date] * n},
                             geometry=[box(i, 0, i + 0.5, 0.5) for i in range(n)],
                             crs="EPSG:32648")
        g.to_file(tmp_path / f"inv{k}.geojson", driver="GeoJSON")
        paths.append(tmp_path / f"inv{k}.geojson")
    s = read_activities(paths)
    assert s["value"].tolist() == [5.0, 3.0, 1.0]


def test_power_law_truth_selects_power_model() -> None:
    """Omori-like activity is reported with the power law (AIC), its decay time recovered."""
    rng = np.random.default_rng(11)
    yrs = np.concatenate([np.arange(-4.0, 0.0, 0.5), np.geomspace(0.05, 30.0, 40)])
    truth = np.where(yrs < 0, 5.0, 5.0 + 100.0 * (1.0 + np.clip(yrs, 0, None) / 0.5) ** -1.2)
    s = pd.DataFrame({"time": EVENT + pd.to_timedelta(yrs * 365.25, unit="D"),
                      "value": truth * rng.lognormal(0.0, 0.03, yrs.size)})
    res = fit_evolution(s, EVENT, n_boot=30, rng=3)
    assert res.best == "power"
    true_decay = 0.5 * (np.exp(1 / 1.2) - 1)
    assert res.to_dict()["decay_time_years"]["value"] == pytest.approx(true_decay, rel=0.10)

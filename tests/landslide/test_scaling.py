"""Magnitude-landslide scaling: exact OLS answers, synthetic recovery, shipped tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geohazard.exceptions import InputError
from geohazard.landslide.scaling import (
    LITERATURE,
    fit_event_table,
    fit_scaling,
    load_events,
    load_reviewed_events,
)
from tests.landslide._helpers import run_main_ok


def test_exact_three_points() -> None:
    # log10 y = 0, 1, 3 at M = 5, 6, 7: slope 1.5, intercept -7.6667 (by hand)
    f = fit_scaling([5.0, 6.0, 7.0], [1.0, 10.0, 1000.0])
    assert f.a == pytest.approx(1.5)
    assert f.b == pytest.approx(-23.0 / 3.0)
    # residuals -1/6, 1/3, -1/6 -> s^2 = (1/36 + 1/9 + 1/36) / 1 = 1/6
    assert f.sigma == pytest.approx(np.sqrt(1.0 / 6.0))
    assert f.a_se == pytest.approx(np.sqrt((1.0 / 6.0) / 2.0))


def test_matches_scipy_linregress() -> None:
    rng = np.random.default_rng(1)
    m = rng.uniform(5, 8, 12)
    y = 10 ** (1.2 * m - 5.0 + rng.normal(0, 0.3, 12))
    f = fit_scaling(m, y)
    ref = stats.linregress(m, np.log10(y))
    assert f.a == pytest.approx(ref.slope)
    assert f.b == pytest.approx(ref.intercept)
    assert f.a_se == pytest.approx(ref.stderr)
    assert f.b_se == pytest.approx(ref.intercept_stderr)
    assert f.r2 == pytest.approx(ref.rvalue**2)


def test_recovers_synthetic_truth_and_interval_coverage() -> None:
    rng = np.random.default_rng(7)
    a_true, b_true, s_true = 1.29, -5.65, 0.4
    inside_a, covered = 0, 0
    for _ in range(200):
        m = rng.uniform(5.5, 8.0, 25)
        y = 10 ** (a_true * m + b_true + rng.normal(0, s_true, m.size))
        f = fit_scaling(m, y)
        t = stats.t.ppf(0.975, f.n - 2)
        inside_a += abs(f.a - a_true) <= t * f.a_se
        m_new = 7.0
        y_new = 10 ** (a_true * m_new + b_true + rng.normal(0, s_true))
        pr = f.predict(m_new)
        covered += pr["lower"] <= y_new <= pr["upper"]
    # nominal 95 %: with 200 trials, binomial 3-sigma band is about +-4.6 %
    assert 0.90 <= inside_a / 200 <= 0.995
    assert 0.90 <= covered / 200 <= 0.995


def test_bad_input() -> None:
    with pytest.raises(InputError, match="at least 3"):
        fit_scaling([6.0, 7.0], [10.0, 100.0])
    with pytest.raises(InputError, match="positive"):
        fit_scaling([6.0, 7.0, 8.0], [10.0, 0.0, 5.0])
    with pytest.raises(InputError, match="equal"):
        fit_scaling([6.0, 6.0, 6.0], [10.0, 20.0, 5.0])


FIGURES = {"mw": "mw", "n": "n_landslides", "area": "area_km2", "volume": "volume_km3"}


def test_reviewed_table_has_a_source_and_status_for_every_figure() -> None:
    df = load_reviewed_events()
    assert {"Wenchuan", "Lushan", "Jiuzhaigou", "Yushu", "Luding", "Ludian", "Minxian",
            "Gorkha", "Nyingchi (Mainling)"} == set(df["event"])
    for key, col in FIGURES.items():
        src, status = df[f"{key}_source"], df[f"{key}_status"]
        assert src.notna().all() and (src.str.len() > 20).all(), key
        assert set(status) <= {"verified", "unverified", "missing"}, key
        present = df[col].notna()
        # a figure is present exactly when its status is not "missing"
        assert (present == (status != "missing")).all(), key
        # a verified figure names the text it was read in (an address)
        assert src[status == "verified"].str.contains("http").all(), key


def test_reviewed_table_figures_match_the_cited_abstracts() -> None:
    # Numbers as printed in the abstracts cited in the CSV (see its *_source columns).
    w = load_reviewed_events().set_index("event")
    expected = {
        "Wenchuan": (7.9, 197481, 1160.0),     # Xu et al. 2014, Landslides 11:441-461
        "Lushan": (6.6, 22528, 18.88),         # Xu et al. 2015 Geomorphology; Xu 2015 chapter
        "Jiuzhaigou": (6.5, 4834, 9.64),       # Tian et al. 2019, J. Earth Sci. 30:206-217
        "Yushu": (6.9, 2036, 1.194),           # Nat. Hazards doi:10.1007/s11069-014-1038-2
        "Luding": (6.6, 6233, 32.4),           # Remote Sens. 15:1323 (2023)
        "Nyingchi (Mainling)": (6.4, 1816, 32.7),  # Zhao et al. 2021, CATENA
        "Ludian": (6.1, 1826, 19.12),          # Zhou, Chen & Fang
        "Gorkha": (7.8, 47200, 110.0),         # Xu et al. 2018, Seismol. Geol. 40:1115-1128
    }
    for event, (mw, n, area) in expected.items():
        row = w.loc[event]
        assert (row["mw"], row["n_landslides"], row["area_km2"]) == (mw, n, area), event
    assert w.loc["Minxian", "n_landslides"] == 6478 and np.isnan(w.loc["Minxian", "area_km2"])
    assert w.loc["Minxian", "mw_status"] == "unverified"
    # volumes: 41.56e6 m3 (Lushan), 14.096e6 m3 (Nyingchi), 9.64e8 m3 (Gorkha), in km3
    assert w.loc["Lushan", "volume_km3"] == pytest.approx(41.56e6 / 1e9)
    assert w.loc["Nyingchi (Mainling)", "volume_km3"] == pytest.approx(14.096e6 / 1e9)
    assert w.loc["Gorkha", "volume_km3"] == pytest.approx(9.64e8 / 1e9)


def test_reviewed_table_fits() -> None:
    df = load_reviewed_events()
    fits = fit_event_table(df)
    # landslide numbers, areas and volumes grow with magnitude (the review's finding)
    for q in ("n", "area", "volume"):
        assert fits[q] is not None and fits[q].a > 0, q
    assert fits["n"].n == 9 and fits["area"].n == 8 and fits["volume"].n == 3
    ref = stats.linregress(df["mw"], np.log10(df["n_landslides"]))
    assert fits["n"].a == pytest.approx(ref.slope)


def test_literature_relations() -> None:
    k = LITERATURE["keefer1984_area"]
    assert k.predict(7.0) == pytest.approx(10 ** 3.54)
    # "average (219 km2)" area for M 5.8 from Keefer (1984, 2002) and Rodriguez et al.
    # (1999), Havenith et al. (2016) Geoenviron. Disasters 3:6, Fig. 2 caption
    assert k.predict(5.8) == pytest.approx(219.0, abs=0.5)
    assert all(r.provenance for r in LITERATURE.values())
    assert not any(r.verified for r in LITERATURE.values())  # none fully confirmed
    m = LITERATURE["malamud2004_n"]
    assert np.log10(m.predict(7.0)) == pytest.approx(1.29 * 7 - 5.65)
    area = LITERATURE["malamud2004_area"]
    assert area.predict(7.0) == pytest.approx(m.predict(7.0) * 3.07e-3)
    assert all(r.source for r in LITERATURE.values())


def test_load_events_errors(tmp_path: Path) -> None:
    p = tmp_path / "ev.csv"
    pd.DataFrame({"event": ["a"], "mw": ["x"], "n_landslides": [3]}).to_csv(p, index=False)
    with pytest.raises(InputError, match="'mw' row 1"):
        load_events(p)
    pd.DataFrame({"event": ["a"], "mw": [6.0]}).to_csv(p, index=False)
    with pytest.raises(InputError, match="needs one of"):
        load_events(p)


def test_cli_scaling_and_plot(tmp_path: Path, monkeypatch) -> None:
    import json
    import sys

    from geohazard.plotting.landslide_hazard import plot_scaling

    js = tmp_path / "s.json"
    monkeypatch.setattr(sys, "argv", ["geohazard", "landslide", "scaling", "--magnitude",
                                      "7.0", "--json", str(js)])
    run_main_ok()
    out = json.loads(js.read_text())
    f = fit_event_table(load_reviewed_events())["n"]
    assert out["fits"]["n"]["a"] == pytest.approx(f.a)
    assert out["fits"]["n"]["median"] == pytest.approx(10 ** (f.a * 7.0 + f.b))
    assert out["fits"]["volume"]["n"] == 3
    ax = plot_scaling(load_reviewed_events(), f, "n", [LITERATURE["malamud2004_n"]])
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"

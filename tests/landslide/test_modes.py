"""Landslide modes (issue 15): synthetic landslides of known geometry, rules, classifier."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geohazard.landslide.modes import (
    FEATURES,
    MODES,
    RULE_SOURCES,
    ModeRules,
    classify_modes,
    mode_cross_validation,
    polygon_metrics,
    run_modes,
)
from tests.landslide._synthetic15 import mode_case


@pytest.mark.parametrize("mode", MODES)
def test_synthetic_landslide_classified(mode: str, tmp_path) -> None:
    dem, inv = mode_case(mode, tmp_path)
    res = run_modes(inv, dem)
    assert res.table["mode"].iloc[0] == mode, res.table.iloc[0].to_dict()


def test_metrics_of_known_geometry(tmp_path) -> None:
    """A 100 x 60 m scar on a 30-degree plane: area, slope, H, L and volume are exact."""
    dem, inv = mode_case("slide", tmp_path)
    m = polygon_metrics(inv, dem).iloc[0]
    assert m.area_m2 == pytest.approx(6000.0)
    assert m.elongation == pytest.approx(100 / 60)
    assert m.source_slope_deg == pytest.approx(30.0, abs=0.1)
    # highest and farthest cell centres are 9 cells downslope and 5 across
    assert m.h_m == pytest.approx(90 * np.tan(np.radians(30)), rel=1e-3)
    assert m.l_m == pytest.approx(np.hypot(90, 50), rel=1e-6)
    assert m.volume_m3 == pytest.approx(10**-0.836 * 6000**1.332, rel=1e-9)
    assert m.scheidegger_h_over_l == pytest.approx(
        10 ** (0.62419 - 0.15666 * np.log10(m.volume_m3)))


def test_every_threshold_has_a_source() -> None:
    from dataclasses import fields

    assert {f.name for f in fields(ModeRules)} == set(RULE_SOURCES)


def _table(rng: np.random.Generator, n: int = 30) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature rows drawn around the four archetypes, with labels."""
    base = {"fall": [65, 50, 200, 150, 1.3, 1e4, 2, 3e4, 0.9],
            "slide": [30, 30, 50, 100, 0.5, 6e3, 1.6, 1.6e4, 0.5],
            "avalanche": [35, 8, 350, 3000, 0.12, 9e5, 10, 1e7, 0.6],
            "deformation": [16, 16, 180, 800, 0.22, 4e5, 1.2, 4e6, 1.0]}
    rows, lab = [], []
    for mode, v in base.items():
        for _ in range(n):
            rows.append(np.asarray(v) * rng.lognormal(0, 0.05, len(v)))
            lab.append(mode)
    df = pd.DataFrame(rows, columns=list(FEATURES))
    df["crown_position"] = df["crown_position"].clip(upper=1.0)
    return df, np.asarray(lab)


def test_rules_and_blocked_cv_classifier() -> None:
    rng = np.random.default_rng(0)
    X, lab = _table(rng)
    assert np.mean(classify_modes(X)["mode"].to_numpy() == lab) == 1.0
    x, y = rng.uniform(0, 1e4, len(lab)), rng.uniform(0, 1e4, len(lab))
    cv = mode_cross_validation(X, lab, x, y, block_size=2500.0, n_folds=4, n_estimators=30,
                               rng=1)
    assert cv.accuracy_mean > 0.9 and cv.rule_accuracy == 1.0
    assert sum(map(sum, cv.confusion)) == len(lab)
    with pytest.raises(ValueError, match="n_folds"):
        mode_cross_validation(X, lab, x, y, block_size=1e5, n_folds=3)


def test_cli_modes(tmp_path) -> None:
    """The CLI writes the GeoPackage of metrics and modes, the summary, figure and JSON."""
    import geopandas as gpd

    from tests.badinput import run_main

    dem, inv = mode_case("avalanche", tmp_path)
    inv.to_file(tmp_path / "inv.shp")
    r = run_main(["landslide", "modes", "--inventory", str(tmp_path / "inv.shp"), "--dem",
                  str(dem), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "m.json")])
    assert r.code == 0, r.output
    d = json.loads((tmp_path / "m.json").read_text())
    assert d["modes"]["avalanche"]["count"] == 1
    g = gpd.read_file(tmp_path / "out" / "modes.gpkg")
    assert g["mode"].tolist() == ["avalanche"] and "h_over_l" in g.columns
    assert (tmp_path / "out" / "modes.png").exists()

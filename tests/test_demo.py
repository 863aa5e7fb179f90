"""The README's main job end to end: `geohazard demo` on the embedded default.

The demo runs once per session (``demo_out`` in tests/conftest.py); one test checks what it
wrote, another compares its ``summary.json`` (the deterministic part, see
:mod:`tests.golden`) with the copy stored before the public-surface redesign (issue 12).
"""

import json

import pytest

from tests.browser import render
from tests.golden import DATA, assert_same_figures, deterministic


def test_demo_runs_every_system_and_renders(demo_out):
    out = demo_out
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["timings_s"]) == {"catalog", "etas", "recast", "forecast", "das",
                                         "landslide"}
    assert summary["etas"]["within_2se"] is True
    fc = summary["forecast"]
    assert set(fc["forecasts"]) == {"poisson", "etas", "recast"}
    assert all(v["expected_count"] > 0 for v in fc["forecasts"].values())
    assert summary["das"]["max_wind_slope_rel_error"] < 0.1
    counts = render(out / "report.html")
    assert counts["total"] >= 8 and counts["rendered"] == counts["total"]
    assert render(out / "forecast" / "report.html")["rendered"] == 5
    pros = fc["prospective"]  # a month of daily forecasts per model, all observed
    assert pros["issued"] == pros["evaluated"] == 90 and pros["already_archived"] == 0
    assert set(pros["summaries"]) == {"poisson", "etas", "recast"}
    assert render(out / "forecast" / "record.html") == {"total": 3, "rendered": 3}


def test_demo_shows_the_landslide_chain(demo_out):
    """Issue 15 on the demo's terrain: amplification, amplified Newmark, modes, decay."""
    chain = json.loads((demo_out / "summary.json").read_text())["landslide"]["chain"]
    causes, modes, evo = chain["causes"], chain["modes"], chain["evolution"]
    assert causes["crest_amplification"] > 1.0 > causes["valley_amplification"]
    assert 180.0 <= causes["vs30_min"] <= causes["vs30_mean"] <= causes["vs30_max"] <= 760.0
    assert causes["pga_amplified_max_g"] > causes["pga_median_g"] > 0
    assert causes["share_dn_over_5cm_amplified"] >= causes["share_dn_over_5cm"]
    assert modes["counts"] == modes["true_counts"] == {"fall": 2, "slide": 2,
                                                       "avalanche": 2, "deformation": 2}
    assert modes["correct"] == modes["n_landslides"] == 8
    assert evo["decay_time_years"] == pytest.approx(evo["true_decay_time_years"], rel=0.10)
    assert evo["recovery_time_years"] == pytest.approx(evo["true_recovery_time_years"],
                                                       rel=0.10)
    assert evo["decay_time_std_years"] > 0 and evo["best_model"] == "exponential"
    html = (demo_out / "report.html").read_text()
    for heading in ("Causes: site and topographic amplification",
                    "Modes: fall, slide, avalanche, deformation",
                    "Long-term evolution of landslide activity"):
        assert heading in html


def test_demo_gives_the_golden_figures(demo_out):
    """Seed 0 gives the figures stored before the redesign (RECAST's budgeted part aside)."""
    summary = json.loads((demo_out / "summary.json").read_text())
    golden = json.loads((DATA / "demo_summary_seed0.json").read_text())
    assert golden["etas"]["estimate"] and golden["forecast"]["backtest"]["etas"]
    assert_same_figures(deterministic(summary), golden)


def test_the_comparison_can_fail():
    golden = json.loads((DATA / "demo_summary_seed0.json").read_text())
    changed = json.loads(json.dumps(golden))
    changed["etas"]["estimate"]["mu"] *= 1.001
    with pytest.raises(AssertionError, match="/etas/estimate/mu"):
        assert_same_figures(changed, golden)
    changed = json.loads(json.dumps(golden))
    del changed["landslide"]["fitted_coefficients"]
    with pytest.raises(AssertionError, match="missing keys"):
        assert_same_figures(changed, golden)


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def test_every_json_the_demo_writes_is_strict(demo_out):
    """No NaN or Infinity in any JSON file (strict parsers in other languages reject them)."""
    files = sorted(demo_out.rglob("*.json"))
    assert len(files) >= 3
    for path in files:
        _strict(path.read_text())


def test_demo_reports_state_units_mc_and_resolution(demo_out):
    """Numbers carry units, the Mc is stated, the branching ratio is explained, and a
    probability none of 2000 simulations reached reads '< 1/2000', not 0."""
    main = (demo_out / "report.html").read_text()
    assert "Mc used (catalog metadata; events above it are modelled)" in main
    for unit in ("events/day", "events·day^(p−1)", "days", "nats/day"):
        assert unit in main, unit
    assert "Branching ratio n = mean number of direct aftershocks" in main
    fc = (demo_out / "forecast" / "report.html").read_text()
    assert "magnitude above Mc = 2.0" in fc
    prob_rows = [r for r in fc.split("<tr>") if r.startswith("<td>P(≥ 1 event")]
    assert len(prob_rows) >= 5 and "&lt; 1/2000" in fc
    assert not any('class="num">0</td>' in r or ">0<" in r for r in prob_rows)

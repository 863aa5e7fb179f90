"""The README's main job end to end: `geohazard demo` on the embedded default."""

import json
import subprocess
import sys

from tests.browser import render


def test_demo_runs_every_system_and_renders(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "geohazard.cli.main", "demo", "--out", str(out)],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
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
